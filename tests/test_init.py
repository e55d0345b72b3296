"""Set-up, unload and restart of an entry through Home Assistant, against the
simulator (login service and TLS broker)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata.api import StreamState, TokenSet
from custom_components.cardata.common.settings import OPT_TIMING
from custom_components.cardata.const import CONF_TOKENS, DOMAIN
from custom_components.cardata.data.state import DescriptorState
from custom_components.cardata.runtime.data import CarDataRuntimeData
from tests.conftest import rest_settled
from tests.simulator import CLIENT_A, GCID_A, VIN_BEV, Simulator
from tests.waiting import wait_for

SOC = "vehicle.drivetrain.batteryManagement.header"

type MakeEntry = Callable[..., MockConfigEntry]


def _stored(entry: MockConfigEntry) -> TokenSet:
    return TokenSet.from_dict(entry.data[CONF_TOKENS])


def _reauth_flows(hass: HomeAssistant) -> list[Any]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


async def test_load_stream_unload(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """A loaded entry streams into the coordinator; unload stops everything."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    token_calls = simulator.oauth.token_calls
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    runtime = entry.runtime_data
    assert isinstance(runtime, CarDataRuntimeData)
    assert runtime.client_id == CLIENT_A

    await wait_for(lambda: runtime.stream.state is StreamState.CONNECTED)
    assert simulator.broker.active_connections(GCID_A) == 1
    await simulator.publish(VIN_BEV, {SOC: 64})
    await wait_for(
        lambda: (
            (state := runtime.coordinator.get(VIN_BEV, SOC)) is not None
            and state.value == 64
        )
    )
    assert runtime.stream.messages_received >= 1
    assert runtime.coordinator.stream_state == StreamState.CONNECTED

    # Valid stored tokens: the set-up did not touch the login service.
    assert simulator.oauth.token_calls == token_calls

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert not runtime.stream.running
    assert runtime.stream.state is StreamState.STOPPED
    await wait_for(lambda: simulator.broker.active_connections(GCID_A) == 0)


async def test_restart_with_expired_access_token(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """After a restart the stored tokens are used; expired ones are refreshed."""
    entry = make_entry(simulator, GCID_A, CLIENT_A, expired=True)
    entry.add_to_hass(hass)
    old = _stored(entry)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED

    # The due refresh runs in the background; its tokens are stored on arrival.
    await wait_for(lambda: _stored(entry).refresh_token != old.refresh_token)
    new = _stored(entry)
    assert simulator.oauth.refresh_token_valid(new.refresh_token)
    assert not simulator.oauth.refresh_token_valid(old.refresh_token)
    assert entry.runtime_data.tokens.tokens == new
    await wait_for(lambda: simulator.broker.active_connections(GCID_A) == 1)
    await rest_settled(entry)
    rest_calls = simulator.quota.calls(GCID_A)

    # Neither a token refresh, a reconnect nor a restart costs a REST call.
    await entry.runtime_data.tokens.async_force_refresh()
    entry.runtime_data.stream.async_request_reconnect()
    await wait_for(lambda: simulator.broker.connect_count(GCID_A) >= 2)
    newer = _stored(entry)
    assert newer != new

    # A second restart starts from what was stored last.
    assert await hass.config_entries.async_reload(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert _stored(entry) == newer
    await wait_for(lambda: entry.runtime_data.stream.state is StreamState.CONNECTED)
    await rest_settled(entry)
    assert simulator.broker.max_concurrent(GCID_A) == 1
    assert simulator.quota.calls(GCID_A) == rest_calls
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize("refusal", ["invalid_grant", "401", "403"])
async def test_refresh_refused_at_setup(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry, refusal: str
) -> None:
    """BMW refuses the refresh due at set-up: the entry loads, the refresh in
    the background asks for exactly one login, the stream stops, no loop."""
    entry = make_entry(simulator, GCID_A, CLIENT_A, expired=True)
    entry.add_to_hass(hass)
    if refusal == "invalid_grant":
        simulator.oauth.revoke_refresh_tokens(GCID_A)
    else:
        simulator.faults.refresh_refusals = 100
        simulator.faults.refresh_refusal_status = int(refusal)
    calls = simulator.oauth.token_calls
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    runtime = entry.runtime_data
    await wait_for(lambda: runtime.tokens.auth_failed)
    await wait_for(lambda: not runtime.stream.running)
    await hass.async_block_till_done()
    assert len(_reauth_flows(hass)) == 1
    assert runtime.stream.state is StreamState.REFUSED
    assert simulator.oauth.token_calls == calls + 1
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_login_service_down_at_setup(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """Expired tokens and BMW unreachable: the entry loads, the refresh is
    retried with backoff, the stream waits for the token, then connects."""
    fast_retry = {OPT_TIMING: {"retry_min": 0.05, "retry_max": 0.2}}
    entry = make_entry(simulator, GCID_A, CLIENT_A, expired=True, options=fast_retry)
    entry.add_to_hass(hass)
    simulator.faults.token_errors = 100
    calls = simulator.oauth.token_calls
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    runtime = entry.runtime_data
    await wait_for(lambda: simulator.oauth.token_calls >= calls + 2)
    await wait_for(lambda: runtime.stream.state is StreamState.WAITING_FOR_TOKEN)
    assert runtime.tokens.last_error is not None
    assert not _reauth_flows(hass)
    simulator.faults.token_errors = 0
    await wait_for(lambda: runtime.stream.state is StreamState.CONNECTED)
    assert not runtime.tokens.auth_failed
    assert not _reauth_flows(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_login_service_down_with_valid_tokens(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """Tokens still valid but due: a failed refresh does not block set-up;
    it is retried with backoff, no login is asked for."""
    # Due for refresh: less than the refresh margin left.
    due = {OPT_TIMING: {"refresh_margin": 7200.0}}
    entry = make_entry(simulator, GCID_A, CLIENT_A, options=due)
    entry.add_to_hass(hass)
    simulator.faults.token_errors = 100
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    tokens = entry.runtime_data.tokens
    await wait_for(lambda: tokens.last_error is not None)
    assert not tokens.auth_failed
    assert not _reauth_flows(hass)
    simulator.faults.token_errors = 0
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_refresh_token_gone_while_running(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """invalid_grant at run time: one reauth, the stream stops, no loop."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    runtime = entry.runtime_data
    await wait_for(lambda: runtime.stream.state is StreamState.CONNECTED)

    simulator.oauth.revoke_refresh_tokens(GCID_A)
    calls = simulator.oauth.token_calls
    for _ in range(3):
        with pytest.raises(ConfigEntryAuthFailed):
            await runtime.tokens.async_force_refresh()
    assert simulator.oauth.token_calls == calls + 1
    await hass.async_block_till_done()
    assert len(_reauth_flows(hass)) == 1
    await wait_for(lambda: not runtime.stream.running)
    assert runtime.stream.state is StreamState.REFUSED
    assert runtime.stream.last_error == "login expired"
    assert runtime.coordinator.stream_state == StreamState.REFUSED
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert simulator.broker.active_connections(GCID_A) == 0


async def test_stream_meets_refused_login(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """The stream itself finds the login refused: the id token expired with
    the session, and the refresh the stream asks for (a fresh token for the
    reconnect) meets a refresh token BMW revoked. The stream ends, REFUSED,
    with one reauth."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    runtime = entry.runtime_data
    await wait_for(lambda: runtime.stream.state is StreamState.CONNECTED)
    await rest_settled(entry)  # no REST call meets the revoked token first
    simulator.oauth.revoke_refresh_tokens(GCID_A)
    # BMW's clock passes the id token's expiry: the broker drops the
    # connection and refuses the token when the stream reconnects.
    simulator.advance(2 * 3600)
    await wait_for(lambda: not runtime.stream.running)
    assert runtime.stream.state is StreamState.REFUSED
    assert runtime.stream.last_error == "login expired"
    assert len(_reauth_flows(hass)) == 1
    # Closed by us; the broker sees it a moment later (busy machine).
    await wait_for(lambda: simulator.broker.active_connections(GCID_A) == 0)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_remove_entry_deletes_its_record(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: Simulator,
    make_entry: MakeEntry,
) -> None:
    """Removing the entry deletes its record and its issues, not the call log."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await rest_settled(entry)
    record_key = f"{DOMAIN}.vehicles.{entry.entry_id}"
    await wait_for(lambda: record_key in hass_storage)
    issues = ir.async_get(hass)

    def entry_issues() -> list[str]:
        return [i for d, i in issues.issues if d == DOMAIN and entry.entry_id in i]

    assert entry_issues()  # the default world's account shares a vehicle
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert record_key not in hass_storage
    assert not entry_issues()
    assert any(key.startswith(f"{DOMAIN}.") for key in hass_storage)


async def test_vehicle_device_can_be_removed_account_device_cannot(
    hass: HomeAssistant,
    hass_ws_client: Any,
    simulator: Simulator,
    make_entry: MakeEntry,
) -> None:
    """A vehicle that left the account can be removed; the account device stays."""
    assert await async_setup_component(hass, "config", {})
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await rest_settled(entry)
    await hass.async_block_till_done()
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    account = next(d for d in devices if (DOMAIN, entry.entry_id) in d.identifiers)
    vehicle = next(d for d in devices if (DOMAIN, VIN_BEV) in d.identifiers)
    client = await hass_ws_client(hass)

    async def remove(device_id: str) -> bool:
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": entry.entry_id,
                "device_id": device_id,
            }
        )
        response = await client.receive_json()
        return bool(response["success"])

    assert not await remove(account.id)
    assert await remove(vehicle.id)
    await hass.async_block_till_done()
    assert dr.async_get(hass).async_get(vehicle.id) is None
    await wait_for(lambda: entry.state is ConfigEntryState.LOADED)
    assert VIN_BEV not in entry.runtime_data.coordinator.vehicles


async def test_stream_loss_logged_once_and_recovery_once(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Losing the stream is logged once at info level, and so is its return."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    stream = entry.runtime_data.stream
    await wait_for(lambda: stream.state is StreamState.CONNECTED)
    await simulator.broker.drop(GCID_A)
    await wait_for(lambda: stream.state is not StreamState.CONNECTED)
    await wait_for(lambda: stream.state is StreamState.CONNECTED)
    lost = [r for r in caplog.records if "stream lost" in r.getMessage()]
    back = [r for r in caplog.records if "stream is back" in r.getMessage()]
    assert len(lost) == 1
    assert len(back) == 1
    assert lost[0].levelname == "INFO"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_slow_login_service_does_not_hold_up_setup(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """A restart with expired tokens while BMW's token endpoint hangs: the
    set-up finishes with the refresh still in flight, the entities show their
    restored values, and values stream in once BMW answers."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    runtime = entry.runtime_data
    await wait_for(lambda: runtime.stream.state is StreamState.CONNECTED)
    await simulator.publish(VIN_BEV, {SOC: 64})
    registry = er.async_get(hass)
    unique_id = f"{VIN_BEV}_{SOC}"
    await wait_for(lambda: registry.async_get_entity_id("sensor", DOMAIN, unique_id))
    entity_id = registry.async_get_entity_id("sensor", DOMAIN, unique_id)
    assert entity_id is not None
    await wait_for(lambda: getattr(hass.states.get(entity_id), "state", "") == "64")
    await rest_settled(entry)
    assert await hass.config_entries.async_unload(entry.entry_id)
    expired = {**entry.data[CONF_TOKENS], "expires_at": "2020-01-01T00:00:00+00:00"}
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_TOKENS: expired}
    )
    old = _stored(entry)

    # BMW holds the refresh answer (up to ten minutes; released below).
    simulator.faults.timeout_seconds = 600
    simulator.faults.token_timeouts = 1
    calls = simulator.oauth.token_calls
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    runtime = entry.runtime_data
    await wait_for(lambda: simulator.oauth.token_calls == calls + 1)
    await hass.async_block_till_done()
    assert runtime.tokens.refresh_count == 0
    assert _stored(entry) == old
    assert hass.states.get(entity_id).state == "64"
    assert runtime.stream.state is not StreamState.CONNECTED

    simulator.oauth.answer_held()
    await wait_for(lambda: runtime.stream.state is StreamState.CONNECTED)
    assert _stored(entry).refresh_token != old.refresh_token
    assert simulator.oauth.token_calls == calls + 1
    await simulator.publish(VIN_BEV, {SOC: 65})
    await wait_for(lambda: getattr(hass.states.get(entity_id), "state", "") == "65")
    assert not _reauth_flows(hass)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_values_landing_during_unload_leave_no_entity_behind(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stream message or REST answer that lands after the platforms were
    unloaded, but before the entry's listeners are gone, adds no entity that
    outlives the entry (the next load would clash with it)."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await rest_settled(entry)
    coordinator = entry.runtime_data.coordinator
    unload = hass.config_entries.async_unload_platforms
    window = "vehicle.drivetrain.electricEngine.charging.windowSelection"

    async def unload_then_a_value_lands(*args: Any) -> bool:
        unloaded = await unload(*args)
        now = dt_util.utcnow()
        coordinator.async_apply_values(
            VIN_BEV, {window: DescriptorState("CHOSEN", None, now, now)}
        )
        return unloaded

    with patch.object(
        hass.config_entries, "async_unload_platforms", unload_then_a_value_lands
    ):
        assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    assert registry.async_get_entity_id("sensor", DOMAIN, f"{VIN_BEV}_{window}") is None
    assert await hass.config_entries.async_setup(entry.entry_id)
    await rest_settled(entry)
    assert "does not generate unique IDs" not in caplog.text
    assert await hass.config_entries.async_unload(entry.entry_id)
