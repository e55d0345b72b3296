"""Config flow: BMW's gateway fault on the device-code request.

The first call of the login can meet BMW's gateway fault (HTTP 500 or 403
with a ``{"fault": ...}`` body) before the login service sees it. No code
was issued, so the form says BMW's login service failed and to try again,
not that a code is used up; the next submit works once BMW recovers.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from tests.flow_helpers import finish, no_entry_setup, submit, user_form
from tests.simulator import CLIENT_A, Simulator

pytestmark = pytest.mark.usefixtures("no_entry_setup")
__all__ = ["no_entry_setup"]  # a fixture, found by pytest by name


@pytest.mark.parametrize("status", [500, 403])
async def test_device_code_gateway_fault_says_try_again(
    hass: HomeAssistant, simulator: Simulator, status: int
) -> None:
    simulator.oauth.interval = 0
    simulator.faults.device_code_gateway_faults = 1
    simulator.faults.device_code_gateway_status = status
    result = await submit(hass, simulator)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "login_service_fault"}
    assert simulator.faults.device_code_gateway_faults == 0
    assert not simulator.oauth.codes

    # BMW recovered: the same form submitted again starts the login.
    simulator.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_form(CLIENT_A)
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    result = await finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
