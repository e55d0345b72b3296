"""The stream against BMW's broker as it really behaves, through Home Assistant.

Short simulator token lifetimes and small margins compress an hour into
seconds. What an owner sees is asserted: the stream state sensor (and its next
attempt), the eviction repair, and the log.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
import logging

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata.api import StreamState
from custom_components.cardata.common.settings import OPT_TIMING
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.stream.owner import RECONNECT_PAUSE
from tests.rest_helpers import start_fix_flow
from tests.simulator import CLIENT_A, GCID_A, Simulator
from tests.simulator_tests.mqtt_probe import Probe
from tests.waiting import wait_for

LIFETIME = 6

type MakeEntry = Callable[..., MockConfigEntry]
type MakeSimulator = Callable[..., Awaitable[Simulator]]


# The hour-long production margins scaled down to seconds.
SHORT_MARGINS = {
    "refresh_margin": LIFETIME / 2,
    "retry_min": 0.3,
    "retry_max": 1.0,
    "swap_margin": LIFETIME / 4,
    "backoff_min": 0.3,
    "backoff_max": 3.0,
}


class _States:
    """Every stream state the owner's listeners saw, in order."""

    def __init__(self, entry: MockConfigEntry) -> None:
        self.seen: list[StreamState] = []
        stream = entry.runtime_data.stream
        entry.async_on_unload(
            stream.async_add_listener(lambda: self.seen.append(stream.state))
        )


async def _loaded(
    hass: HomeAssistant, sim: Simulator, make_entry: MakeEntry, **timing: float
) -> tuple[MockConfigEntry, _States]:
    options = {OPT_TIMING: SHORT_MARGINS | timing}
    entry = make_entry(sim, GCID_A, CLIENT_A, options=options)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    states = _States(entry)
    await wait_for(lambda: entry.runtime_data.stream.state is StreamState.CONNECTED)
    return entry, states


def _sensor(hass: HomeAssistant, entry: MockConfigEntry) -> tuple[str, dict]:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_stream_state"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state, dict(state.attributes)


def _evicted_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"stream_evicted_{entry.entry_id}"
    )


@pytest.mark.parametrize("hold", [1.5, 3.0], ids=["within_pause", "beyond_pause"])
async def test_swap_meets_the_brokers_hold_without_eviction(
    hass: HomeAssistant,
    make_simulator: MakeSimulator,
    make_entry: MakeEntry,
    caplog: pytest.LogCaptureFixture,
    hold: float,
) -> None:
    """After our own disconnect BMW's broker refuses (rc 5) for 1-3 s. The
    stream waits 2 s before reconnecting; a longer hold is met with short
    retries, never reported as eviction and never logged as a lost stream."""
    sim = await make_simulator(
        access_token_lifetime=LIFETIME, id_token_lifetime=LIFETIME
    )
    sim.faults.stream_hold_after_disconnect = hold
    entry, states = await _loaded(hass, sim, make_entry)
    caplog.clear()
    await wait_for(lambda: sim.broker.connect_count(GCID_A) >= 2, timeout=30)
    await wait_for(lambda: entry.runtime_data.stream.state is StreamState.CONNECTED)

    if hold < RECONNECT_PAUSE:
        assert sim.broker.held_refusals(GCID_A) == 0  # we waited long enough
    else:
        assert sim.broker.held_refusals(GCID_A) >= 1
    assert StreamState.EVICTED not in states.seen
    assert _evicted_issue(hass, entry) is None
    assert sim.broker.max_concurrent(GCID_A) == 1
    assert _sensor(hass, entry)[0] == "connected"
    ours = [r for r in caplog.records if r.name.startswith("custom_components")]
    messages = [r.getMessage() for r in ours]
    assert not [m for m in messages if "stream lost" in m]
    assert not [r for r in ours if r.levelno >= logging.WARNING]
    swaps = [m for m in messages if m == "Stream: swapping to a new id token"]
    assert len(swaps) == sim.broker.connect_count(GCID_A) - 1
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_no_swap_without_a_newer_token(
    hass: HomeAssistant, make_simulator: MakeSimulator, make_entry: MakeEntry
) -> None:
    """The token endpoint fails: the stream keeps its one connection (no
    reconnects with the same id token) until BMW closes it at the token's
    expiry, then shows that it waits for a token, and when; it connects again
    once a new token arrives."""
    sim = await make_simulator(
        access_token_lifetime=LIFETIME, id_token_lifetime=LIFETIME
    )
    sim.faults.token_errors = 1_000_000
    entry, states = await _loaded(hass, sim, make_entry)
    runtime = entry.runtime_data

    await wait_for(
        lambda: runtime.stream.state is StreamState.WAITING_FOR_TOKEN, timeout=30
    )
    assert sim.broker.connect_count(GCID_A) == 1
    assert sim.broker.close_reasons(GCID_A) == ["id token expired"]
    await hass.async_block_till_done()
    await wait_for(lambda: _sensor(hass, entry)[1].get("next_attempt") is not None)
    state, attributes = _sensor(hass, entry)
    assert state == "waiting_for_token"
    assert attributes["next_attempt"]
    assert StreamState.EVICTED not in states.seen

    sim.faults.token_errors = 0
    await wait_for(lambda: runtime.stream.state is StreamState.CONNECTED, timeout=30)
    # (On a busy machine the new token's own swap may already have followed.)
    assert sim.broker.connect_count(GCID_A) >= 2
    assert not runtime.tokens.auth_failed
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_hung_token_request_is_not_shown_as_connecting(
    hass: HomeAssistant, make_simulator: MakeSimulator, make_entry: MakeEntry
) -> None:
    """The broker closed the stream at the id token's expiry while the token
    request hangs: the state says it waits for a token, not "connecting"."""
    sim = await make_simulator(
        access_token_lifetime=LIFETIME, id_token_lifetime=LIFETIME
    )
    sim.faults.token_timeouts = 1
    sim.faults.timeout_seconds = 4.0
    entry, states = await _loaded(hass, sim, make_entry, refresh_margin=0.5)
    runtime = entry.runtime_data
    await wait_for(
        lambda: runtime.stream.state is StreamState.WAITING_FOR_TOKEN, timeout=30
    )
    assert _sensor(hass, entry)[0] == "waiting_for_token"
    await wait_for(lambda: runtime.stream.state is StreamState.CONNECTED, timeout=30)
    # Between the drop and the new connection: waiting for the token, then
    # connecting once it was there (never "connecting" while it hung).
    after_drop = states.seen[states.seen.index(StreamState.WAITING_FOR_TOKEN) - 1 :]
    assert StreamState.CONNECTING not in after_drop[:1]
    assert after_drop[-2:] == [StreamState.CONNECTING, StreamState.CONNECTED]
    assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.fixture
def probes() -> Iterator[list[Probe]]:
    made: list[Probe] = []
    yield made
    for probe in made:
        probe.stop()


async def test_a_real_second_client_is_reported_as_eviction(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    probes: list[Probe],
) -> None:
    """Another MQTT client (paho, as another integration would) logs in with
    the same account and keeps reconnecting: the pattern of drops is reported
    as eviction, with the fixable repair; once it is gone, the repair
    reconnects."""
    entry, states = await _loaded(hass, simulator, make_entry)
    password = simulator.oauth.issue_tokens(GCID_A, CLIENT_A)["id_token"]
    # A real other client gets a fresh token for each reconnect, as ours
    # does; paho reconnects with the same one, so the broker lets it.
    simulator.faults.stream_used_token_refused = False
    probe = Probe(simulator.endpoints, GCID_A, password)
    probe.client.reconnect_delay_set(0.2, 0.5)  # fights back quickly
    probes.append(probe)
    probe.start()

    await wait_for(
        lambda: entry.runtime_data.stream.state is StreamState.EVICTED, timeout=30
    )
    await hass.async_block_till_done()
    issue = _evicted_issue(hass, entry)
    assert issue is not None
    assert issue.is_fixable
    assert _sensor(hass, entry)[0] == "evicted"
    assert simulator.broker.eviction_count(GCID_A) >= 3

    probe.stop()
    result = await start_fix_flow(hass, issue.issue_id)
    manager = hass.data["repairs"]["flow_manager"]
    result = await manager.async_configure(result["flow_id"], {})
    await wait_for(lambda: entry.runtime_data.stream.state is StreamState.CONNECTED)
    assert _evicted_issue(hass, entry) is None
    assert StreamState.CONNECTED in states.seen
    assert await hass.config_entries.async_unload(entry.entry_id)
