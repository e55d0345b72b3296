"""Token manager against the simulator's login service: rotation persisted
first, single flight, refresh ahead of expiry, transient retry, one reauth."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata.api import (
    CarDataConnectionError,
    Endpoints,
    OAuthClient,
    StreamState,
    TokenSet,
)
from custom_components.cardata.auth.token_manager import TokenManager, token_diagnostics
from custom_components.cardata.common.settings import OPT_TIMING
from custom_components.cardata.const import CONF_TOKENS, DOMAIN
from tests.conftest import rest_settled
from tests.simulator import CLIENT_A, GCID_A, VIN_BEV, Simulator
from tests.waiting import wait_for

SOC = "vehicle.drivetrain.batteryManagement.header"

type MakeEntry = Callable[..., MockConfigEntry]
type MakeSimulator = Callable[..., Awaitable[Simulator]]


# Retries after a failed refresh within a fraction of a second.
FAST_RETRY = {OPT_TIMING: {"retry_min": 0.05, "retry_max": 0.2}}


async def _loaded(hass: HomeAssistant, entry: MockConfigEntry) -> TokenManager:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    return entry.runtime_data.tokens


def _due_manager(hass: HomeAssistant, entry: MockConfigEntry) -> TokenManager:
    """A token manager of ``entry`` (not set up), without its refresher.

    Its refresh margin (two hours) exceeds the simulator's token lifetime, so
    the stored tokens are due for a refresh yet still valid.
    """
    entry.add_to_hass(hass)
    session = async_get_clientsession(hass)
    endpoints = Endpoints.from_dict(entry.data)
    return TokenManager(
        hass,
        entry,
        OAuthClient(session, endpoints),
        session,
        endpoints.api_url,
        refresh_margin=7200.0,
    )


def _stored(entry: MockConfigEntry) -> TokenSet:
    return TokenSet.from_dict(entry.data[CONF_TOKENS])


async def _flow_sources(hass: HomeAssistant) -> list[str]:
    """Sources of the config flows in progress once the loop is idle."""
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    return [f["context"]["source"] for f in flows]


async def test_rotation_persisted_before_use(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    await rest_settled(entry)
    rest_calls = simulator.quota.calls(GCID_A)
    old = tokens.tokens
    seen: list[bool] = []
    # Listeners (the stream owner, the diagnostic sensors) are told about new
    # tokens only after the entry already holds them.
    tokens.async_add_listener(lambda: seen.append(_stored(entry) == tokens.tokens))

    new = await tokens.async_force_refresh()
    assert new.refresh_token != old.refresh_token
    assert _stored(entry) == new
    assert seen == [True]
    assert not simulator.oauth.refresh_token_valid(old.refresh_token)
    assert simulator.oauth.refresh_token_valid(new.refresh_token)
    assert tokens.refresh_count == 1
    assert tokens.last_refresh is not None
    assert await tokens.async_get_id_token() == (new.id_token, new.expires_at)
    assert await tokens.async_get_access_token() == new.access_token
    assert simulator.quota.calls(GCID_A) == rest_calls
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_refused_token_is_refreshed_once_not_again(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """The stream or the REST client names the token BMW refused: a token
    refreshed since is handed out as it is, with no call to BMW's login."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    await rest_settled(entry)
    old = tokens.tokens
    calls = simulator.oauth.token_calls
    id_token, _ = await tokens.async_refresh_id_token(old.id_token)
    assert id_token != old.id_token
    assert simulator.oauth.token_calls == calls + 1
    # The broker refused the old one again (a late refusal), and the REST
    # client the old access token: both get the new ones for free.
    assert (await tokens.async_refresh_id_token(old.id_token))[0] == id_token
    new = tokens.tokens
    assert await tokens.async_refresh_access_token(old.access_token) == (
        new.access_token
    )
    assert simulator.oauth.token_calls == calls + 1
    # The new access token refused: refreshed once more.
    assert await tokens.async_refresh_access_token(new.access_token) != (
        new.access_token
    )
    assert simulator.oauth.token_calls == calls + 2
    assert tokens.refresh_count == 2
    await hass.config_entries.async_unload(entry.entry_id)


async def test_single_flight(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """Concurrent callers of due tokens share one refresh."""
    tokens = _due_manager(hass, make_entry(simulator, GCID_A, CLIENT_A))
    calls = simulator.oauth.token_calls
    before = tokens.tokens
    results = await asyncio.gather(
        *(tokens.async_get_access_token() for _ in range(5)),
        *(tokens.async_get_id_token() for _ in range(5)),
    )
    assert simulator.oauth.token_calls == calls + 1
    # Callers arriving while the refresh is in flight get the still-valid
    # tokens instead of waiting for BMW; the first caller gets the new ones.
    old, new = before.access_token, tokens.tokens.access_token
    assert results[0] == new
    assert {r for r in results if isinstance(r, str)} <= {old, new}


async def test_refreshes_ahead_of_expiry(
    hass: HomeAssistant, make_entry: MakeEntry, make_simulator: MakeSimulator
) -> None:
    """With short-lived tokens the refresher keeps them fresh by itself."""
    sim = await make_simulator(access_token_lifetime=3, id_token_lifetime=3)
    entry = make_entry(sim, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    first = tokens.tokens
    await wait_for(lambda: tokens.refresh_count >= 2)
    # Each refresh happened before the tokens it replaced ran out.
    assert tokens.tokens.expires_at > first.expires_at
    assert tokens.tokens.seconds_left(datetime.now(UTC)) > 0
    assert _stored(entry) == tokens.tokens
    assert 0 < tokens.refresh_margin <= 1.5
    await hass.config_entries.async_unload(entry.entry_id)


async def test_transient_failure_retried_and_exposed(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    entry = make_entry(simulator, GCID_A, CLIENT_A, options=FAST_RETRY)
    tokens = await _loaded(hass, entry)
    current = tokens.tokens
    simulator.faults.token_errors = 2
    with pytest.raises(CarDataConnectionError):
        await tokens.async_force_refresh()
    assert tokens.last_error == "CarDataConnectionError"
    assert tokens.next_retry is not None
    diag = token_diagnostics(tokens)
    assert diag["last_error"] == "CarDataConnectionError"
    assert diag["next_retry"] is not None
    # The still-valid token keeps being handed out meanwhile, without BMW.
    assert await tokens.async_get_access_token() == current.access_token
    assert not tokens.auth_failed

    # The refresher retries with backoff: the second answer is an error too,
    # the third works.
    await wait_for(lambda: tokens.refresh_count == 1)
    assert tokens.last_error is None
    assert tokens.next_retry is None
    assert tokens.tokens != current
    assert _stored(entry) == tokens.tokens
    assert token_diagnostics(tokens)["refresh_count"] == 1
    await hass.config_entries.async_unload(entry.entry_id)


async def test_expired_and_unreachable_raises(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """No valid token and BMW down: callers get a connection error."""
    entry = make_entry(simulator, GCID_A, CLIENT_A, expired=True)
    tokens = _due_manager(hass, entry)
    simulator.faults.token_errors = 100
    with pytest.raises(CarDataConnectionError):
        await tokens.async_get_access_token()
    calls = simulator.oauth.token_calls
    # Within the backoff window BMW is not asked again.
    with pytest.raises(CarDataConnectionError):
        await tokens.async_get_id_token()
    assert simulator.oauth.token_calls == calls
    simulator.faults.token_errors = 0


async def test_valid_token_during_backoff(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """Due but still valid during a backoff: handed out, BMW not asked."""
    tokens = _due_manager(hass, make_entry(simulator, GCID_A, CLIENT_A))
    simulator.faults.token_errors = 100
    calls = simulator.oauth.token_calls
    assert await tokens.async_get_access_token() == tokens.tokens.access_token
    assert simulator.oauth.token_calls == calls + 1  # the refresh failed
    assert tokens.next_retry is not None
    assert await tokens.async_get_access_token() == tokens.tokens.access_token
    assert simulator.oauth.token_calls == calls + 1
    simulator.faults.token_errors = 0


async def test_invalid_grant_once(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """One reauth, then no more calls to BMW; the refresher ends."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    simulator.oauth.revoke_refresh_tokens(GCID_A)
    calls = simulator.oauth.token_calls
    # Two callers at once: the second waits for the first and learns from it.
    results = await asyncio.gather(
        tokens.async_force_refresh(),
        tokens.async_force_refresh(),
        return_exceptions=True,
    )
    assert all(isinstance(r, ConfigEntryAuthFailed) for r in results)
    with pytest.raises(ConfigEntryAuthFailed):
        await tokens.async_force_refresh()
    with pytest.raises(ConfigEntryAuthFailed):
        await tokens.async_get_access_token()
    with pytest.raises(ConfigEntryAuthFailed):
        await tokens.async_get_id_token()
    assert simulator.oauth.token_calls == calls + 1
    assert tokens.auth_failed
    assert token_diagnostics(tokens)["auth_failed"] is True
    assert await _flow_sources(hass) == [SOURCE_REAUTH]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_refresher_stops_on_invalid_grant(
    hass: HomeAssistant, make_entry: MakeEntry, make_simulator: MakeSimulator
) -> None:
    """The background refresher meets invalid_grant: it ends, one reauth."""
    sim = await make_simulator(access_token_lifetime=2, id_token_lifetime=2)
    entry = make_entry(sim, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    sim.oauth.revoke_refresh_tokens(GCID_A)
    await wait_for(lambda: tokens.auth_failed)
    calls = sim.oauth.token_calls
    # The refresher ended: the tokens run out and BMW is not asked again.
    expired = tokens.expires_at + timedelta(seconds=1)
    await wait_for(lambda: datetime.now(UTC) > expired)
    assert sim.oauth.token_calls == calls
    assert await _flow_sources(hass) == [SOURCE_REAUTH]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_refresh_survives_cancellation(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """A refresh cancelled mid-flight (an unload) still stores BMW's answer:
    the old refresh token is spent, the new one must not be lost."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    old = _stored(entry)
    simulator.faults.timeout_seconds = 0.3
    simulator.faults.token_timeouts = 1
    calls = simulator.oauth.token_calls
    caller = hass.async_create_task(tokens.async_force_refresh())
    await wait_for(lambda: simulator.oauth.token_calls > calls)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await wait_for(lambda: _stored(entry) != old)
    new = _stored(entry)
    assert simulator.oauth.refresh_token_valid(new.refresh_token)
    assert not simulator.oauth.refresh_token_valid(old.refresh_token)

    assert await hass.config_entries.async_reload(entry.entry_id)
    assert entry.runtime_data.tokens.tokens == new
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_adopts_tokens_stored_by_earlier_instance(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """Newer tokens in the entry (stored late by the previous set-up) win
    over the ones this instance started with: no spent refresh token used."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    await tokens.async_stop()
    newer = TokenSet.from_response(simulator.oauth.issue_tokens(GCID_A, CLIENT_A))
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_TOKENS: newer.to_dict()}
    )
    calls = simulator.oauth.token_calls
    assert await tokens.async_force_refresh() == newer
    assert simulator.oauth.token_calls == calls
    # An older set in the entry is ignored.
    stale = TokenSet.from_dict(
        {
            **newer.to_dict(),
            "refresh_token": "x" * 20,
            "expires_at": "2020-01-01T00:00:00+00:00",
        }
    )
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_TOKENS: stale.to_dict()}
    )
    refreshed = await tokens.async_force_refresh()
    assert simulator.oauth.token_calls == calls + 1
    assert simulator.oauth.refresh_token_valid(refreshed.refresh_token)
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize("status", [401, 403])
async def test_refresh_refused_with_401_or_403_asks_for_one_login(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry, status: int
) -> None:
    """BMW's token endpoint answers a refresh with 401/403: like invalid_grant,
    exactly one reauth and no more refreshes (it used to retry forever)."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    simulator.faults.refresh_refusals = 100
    simulator.faults.refresh_refusal_status = status
    calls = simulator.oauth.token_calls
    with pytest.raises(ConfigEntryAuthFailed):
        await tokens.async_force_refresh()
    with pytest.raises(ConfigEntryAuthFailed):
        await tokens.async_get_access_token()
    assert simulator.oauth.token_calls == calls + 1
    assert tokens.auth_failed
    assert await _flow_sources(hass) == [SOURCE_REAUTH]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_refresh_without_gcid_keeps_the_stored_one(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """A refresh answer without ``gcid`` never erases the account id."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    simulator.faults.refresh_without_gcid = 1
    new = await tokens.async_force_refresh()
    assert simulator.faults.refresh_without_gcid == 0
    assert new.gcid == GCID_A
    assert tokens.gcid == GCID_A
    assert _stored(entry).gcid == GCID_A
    await hass.config_entries.async_unload(entry.entry_id)


async def test_slow_refresh_is_waited_for_while_the_stream_runs(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """BMW answers a refresh after 45 s (scaled: other requests give up after
    1 s, the refresh waits 10 s, BMW answers after 1.5 s). The refresh is not
    abandoned, the stream keeps running on the still-valid id token, REST
    callers are not held up, and the rotated tokens are stored on arrival.
    (That callers of tokens that are due get them at once while a refresh is
    in flight is test_single_flight's.)"""
    timeouts = {"request_timeout": 1.0, "refresh_timeout": 10.0}
    entry = make_entry(simulator, GCID_A, CLIENT_A, options={OPT_TIMING: timeouts})
    tokens = await _loaded(hass, entry)
    runtime = entry.runtime_data
    await wait_for(lambda: runtime.stream.state is StreamState.CONNECTED)
    await rest_settled(entry)
    old = _stored(entry)
    simulator.faults.timeout_seconds = 1.5
    simulator.faults.token_timeouts = 1
    calls = simulator.oauth.token_calls
    refresh = hass.async_create_task(tokens.async_force_refresh())
    await wait_for(lambda: simulator.oauth.token_calls > calls)

    # Meanwhile: the current tokens are handed out at once, values stream in.
    assert await tokens.async_get_access_token() == old.access_token
    await simulator.publish(VIN_BEV, {SOC: 61})
    await wait_for(
        lambda: (
            (v := runtime.coordinator.get(VIN_BEV, SOC)) is not None and v.value == 61
        )
    )
    assert runtime.stream.state is StreamState.CONNECTED
    assert not refresh.done()

    new = await refresh
    assert _stored(entry) == new
    assert new.refresh_token != old.refresh_token
    assert simulator.oauth.refresh_token_valid(new.refresh_token)
    assert not tokens.auth_failed
    assert runtime.stream.state is StreamState.CONNECTED
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_rotated_then_dropped_asks_for_one_login(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """BMW rotates the refresh token, then the answer is lost on the way: the
    old refresh token is spent and nothing can recover it. The next refresh
    meets invalid_grant and the owner is asked to log in once."""
    entry = make_entry(simulator, GCID_A, CLIENT_A, options=FAST_RETRY)
    tokens = await _loaded(hass, entry)
    runtime = entry.runtime_data
    old = _stored(entry)
    simulator.faults.token_drop_after_rotate = 1
    with pytest.raises(CarDataConnectionError):
        await tokens.async_force_refresh()
    assert not simulator.oauth.refresh_token_valid(old.refresh_token)
    await wait_for(lambda: tokens.auth_failed)
    assert await _flow_sources(hass) == [SOURCE_REAUTH]
    await wait_for(lambda: runtime.stream.state is StreamState.REFUSED)
    await hass.config_entries.async_unload(entry.entry_id)
