"""Config flow: every way the device-code login can fail while the owner
approves, and that a second try after fixing things works."""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.cardata import config_flow
from custom_components.cardata.const import DOMAIN
from tests.flow_helpers import (
    UNKNOWN_CLIENT,
    finish,
    login_at,
    no_entry_setup,
    sim,
    submit,
    user_form,
)
from tests.simulator import CLIENT_A, CLIENT_NO_STREAM, GCID_A, Simulator
from tests.waiting import wait_for

pytestmark = pytest.mark.usefixtures("no_entry_setup")
__all__ = ["no_entry_setup", "sim"]  # fixtures, found by pytest by name


async def test_device_code_errors(hass: HomeAssistant, sim: Simulator) -> None:
    """Refusals of the device-code request come back on the form."""
    result = await submit(hass, sim, CLIENT_NO_STREAM)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "scope_not_granted"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_form(UNKNOWN_CLIENT)
    )
    assert result["errors"] == {"base": "unknown_client"}

    login_at(hass, {**sim.endpoints, "auth_url": "http://127.0.0.1:9"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_form(CLIENT_A)
    )
    assert result["errors"] == {"base": "cannot_connect"}

    # The service is back: submitting again starts the login.
    login_at(hass, sim.endpoints)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_form(CLIENT_A)
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS


async def _login_error(hass: HomeAssistant, sim: Simulator, act: Any) -> dict[str, Any]:
    result = await submit(hass, sim)
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    act(result["description_placeholders"]["code"])
    return await finish(hass, result["flow_id"])


def _revoke_stream_scope(sim: Simulator) -> None:
    sim.accounts[GCID_A].clients[CLIENT_A] = frozenset({"cardata:api:read"})


@pytest.mark.parametrize(
    ("act", "error"),
    [
        (lambda sim, code: sim.oauth.deny(code), "access_denied"),
        (lambda sim, _code: sim.advance(3600), "code_expired"),
        (lambda sim, _code: setattr(sim.faults, "token_errors", 10), "cannot_connect"),
        (
            lambda sim, _code: sim.accounts[GCID_A].clients.pop(CLIENT_A),
            "unknown_client",
        ),
        (
            lambda sim, code: (sim.oauth.approve(code), _revoke_stream_scope(sim)),
            "scope_not_granted",
        ),
    ],
    ids=["denied", "expired", "unreachable", "unknown_client", "scope"],
)
async def test_login_errors(
    hass: HomeAssistant, sim: Simulator, act: Any, error: str
) -> None:
    """Each failure while waiting ends on the form with a message; retry works."""
    result = await _login_error(hass, sim, lambda code: act(sim, code))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": error}

    # The user fixes things and submits the same form again.
    sim.faults.used_device_code = False
    sim.faults.token_errors = 0
    sim.add_account(GCID_A, CLIENT_A)
    sim.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_form(CLIENT_A)
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    result = await finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_login_times_out(hass: HomeAssistant, sim: Simulator) -> None:
    """A code nobody confirms ends as expired even if BMW never says so: here
    BMW asks for a poll only once an hour, long after the code runs out."""
    sim.oauth.interval = 3600
    result = await submit(hass, sim)
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    # Time moves past the code's expiry and the grace after it, not yet to
    # the first poll.
    later = dt_util.utcnow() + timedelta(seconds=sim.oauth.code_lifetime * 2)
    async_fire_time_changed(hass, later)
    result = await finish(hass, result["flow_id"])
    assert result["errors"] == {"base": "code_expired"}


async def test_closing_the_dialog_stops_polling(
    hass: HomeAssistant, sim: Simulator
) -> None:
    sim.oauth.interval = 2  # no poll on its way when the dialog closes
    result = await submit(hass, sim)
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await wait_for(lambda: sim.oauth.token_calls > 0)  # BMW was polled
    calls = sim.oauth.token_calls
    hass.config_entries.flow.async_abort(result["flow_id"])
    # Home Assistant waits here for the tasks it tracks, the login's too: had
    # it not stopped with the dialog, it would poll on and this would not
    # return before the code expired.
    await hass.async_block_till_done()
    sim.oauth.approve(result["description_placeholders"]["code"])
    await hass.async_block_till_done()
    assert sim.oauth.token_calls == calls
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert not hass.config_entries.async_entries(DOMAIN)


def _error_text(key: str, language: str = "en") -> str:
    path = Path(config_flow.__file__).parent / "translations" / f"{language}.json"
    return str(json.loads(path.read_text("utf-8"))["config"]["error"][key])


async def test_gateway_fault_while_polling_is_survived(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """BMW's gateway 500 between "pending" answers: polling goes on and the
    approval still logs in (it used to end as "code used up")."""
    sim.faults.token_gateway_faults = 3
    result = await submit(hass, sim)
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    sim.oauth.approve(result["description_placeholders"]["code"])
    result = await finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert sim.faults.token_gateway_faults == 0
    assert result["result"].unique_id == GCID_A


async def test_gateway_fault_until_the_code_expires(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """The fault lasts until the code expires: the owner is told that BMW's
    login service kept failing and to recreate the client in BMW's portal."""
    sim.oauth.code_lifetime = 1
    sim.faults.token_gateway_faults = 100_000
    result = await _login_error(hass, sim, lambda _code: None)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "login_service_failing"}
    assert "portal" in _error_text("login_service_failing")
    assert "Portal" in _error_text("login_service_failing", "de")


async def test_access_denied_after_approval(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """BMW answers access_denied although the owner approved: the message says
    BMW refused the code (not that the owner declined); a new try works."""
    sim.faults.access_denied_flakes = 1
    result = await _login_error(hass, sim, sim.oauth.approve)
    assert result["errors"] == {"base": "access_denied"}
    assert "BMW refused this code" in _error_text("access_denied")
    assert "declined" not in _error_text("access_denied")
    sim.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_form(CLIENT_A)
    )
    result = await finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
