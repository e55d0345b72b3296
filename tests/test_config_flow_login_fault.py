"""Config flow: BMW's gateway fault on the device-code request.

The first call of the login can meet BMW's gateway fault (HTTP 500 or 403
with a ``{"fault": ...}`` body) before the login service sees it. No code
was issued, so the form says BMW's login service failed and to try again,
not that a code is used up; the next submit works once BMW recovers.
"""

from __future__ import annotations

from collections.abc import Iterator
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.cardata.const import CONF_CLIENT_ID, DOMAIN
from tests.simulator import CLIENT_A, Simulator


@pytest.fixture(autouse=True)
def no_entry_setup() -> Iterator[AsyncMock]:
    """The flow is under test here, not the set-up of the entry it makes."""
    with (
        patch("custom_components.cardata.async_setup_entry", return_value=True) as m,
        patch("custom_components.cardata.async_unload_entry", return_value=True),
    ):
        yield m


@pytest.mark.parametrize("status", [500, 403])
async def test_device_code_gateway_fault_says_try_again(
    hass: HomeAssistant, simulator: Simulator, status: int
) -> None:
    simulator.oauth.interval = 0
    simulator.faults.device_code_gateway_faults = 1
    simulator.faults.device_code_gateway_status = status
    form = {CONF_CLIENT_ID: CLIENT_A, "endpoints": dict(simulator.endpoints)}
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "login_service_fault"}
    assert simulator.faults.device_code_gateway_faults == 0
    assert not simulator.oauth.codes

    # BMW recovered: the same form submitted again starts the login.
    simulator.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
