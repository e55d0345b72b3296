"""REST errors as BMW really sends them, through Home Assistant's actions:
a refused token (403 CU-127) gets one refresh and one retry, a 403 without
BMW's body is a counted API error (not a login problem), and CU-429 without
Retry-After still blocks the quota."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest

from custom_components.cardata.api import StreamState
from custom_components.cardata.const import DOMAIN
from tests.rest_helpers import make_entry, planner, setup_rest, sim_calls
from tests.simulator import GCID_A, VIN_BEV, Simulator


async def _basic(hass: HomeAssistant) -> dict[str, Any]:
    return await hass.services.async_call(
        DOMAIN,
        "fetch_basic_data",
        {"vin": VIN_BEV},
        blocking=True,
        return_response=True,
    )


def _reauth_flows(hass: HomeAssistant) -> list[str]:
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    return [f["context"]["source"] for f in flows]


async def test_invalid_token_is_refreshed_once_and_retried(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    tokens = entry.runtime_data.tokens
    refreshes, calls = tokens.refresh_count, sim_calls(simulator)
    simulator.faults.rest_invalid_token = 1
    answer = await _basic(hass)
    assert answer["vehicles"][VIN_BEV]["vin"] == VIN_BEV
    assert tokens.refresh_count == refreshes + 1
    assert sim_calls(simulator) == calls + 2  # BMW counts both
    assert not _reauth_flows(hass)


async def test_invalid_token_twice_is_a_login_failure(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    simulator.faults.rest_invalid_token = 2
    with pytest.raises(HomeAssistantError) as caught:
        await _basic(hass)
    assert caught.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    assert entry.runtime_data.tokens.auth_failed
    assert _reauth_flows(hass) == [SOURCE_REAUTH]
    assert entry.runtime_data.stream.state is StreamState.REFUSED
    # Nothing more is asked of BMW with a login it refused.
    calls = sim_calls(simulator)
    with pytest.raises(HomeAssistantError):
        await _basic(hass)
    assert sim_calls(simulator) == calls


@pytest.mark.parametrize("body", ["", "<html><body>Forbidden</body></html>"])
async def test_bare_403_is_a_counted_api_error(
    hass: HomeAssistant, simulator: Simulator, body: str
) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    tokens = entry.runtime_data.tokens
    refreshes, calls = tokens.refresh_count, sim_calls(simulator)
    simulator.faults.rest_bare_403 = 1
    simulator.faults.rest_bare_403_body = body
    with pytest.raises(HomeAssistantError) as caught:
        await _basic(hass)
    assert caught.value.translation_key == "api_failed"
    assert caught.value.translation_placeholders == {"error": "ApiError (HTTP 403)"}
    # Counted in the call log, no token refresh, no login asked for.
    assert sim_calls(simulator) == calls + 1
    assert planner(entry).policy.calls[-1].outcome == "http 403"
    assert tokens.refresh_count == refreshes
    assert not tokens.auth_failed
    assert not _reauth_flows(hass)
    # The next call works as before.
    assert (await _basic(hass))["vehicles"][VIN_BEV]["vin"] == VIN_BEV


async def test_quota_429_without_retry_after_blocks(
    hass: HomeAssistant, simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    simulator.quota.mode = "429"
    simulator.faults.quota_without_retry_after = True
    simulator.quota.exhaust(GCID_A)
    with pytest.raises(HomeAssistantError) as caught:
        await _basic(hass)
    assert caught.value.translation_key == "quota_spent_unknown"
    until = planner(entry).blocked_until
    assert until is not None
    # The log says when in local time, to the second.
    local = dt_util.as_local(until).isoformat(sep=" ", timespec="seconds")
    assert f"no calls until {local}" in caplog.text
    assert until.isoformat() not in caplog.text
    assert ir.async_get(hass).async_get_issue(
        DOMAIN, f"quota_exhausted_{entry.entry_id}"
    )
    calls = sim_calls(simulator)
    with pytest.raises(HomeAssistantError):
        await _basic(hass)
    assert sim_calls(simulator) == calls
