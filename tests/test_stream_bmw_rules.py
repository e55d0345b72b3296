"""How the integration copes with BMW's stream rules of today (simulator tier).

QoS 0 only, a used id token refused on reconnect while a fresh one is
accepted, a per-address limit on new connections per minute, and charging
told by both ``charging.status`` and ``charging.hvStatus``. What an owner sees
is asserted: states, the stream state sensor, repairs and the broker's record.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata.api import StreamState
from custom_components.cardata.common.settings import OPT_TIMING
from custom_components.cardata.const import DOMAIN
from tests.entity_helpers import SOC, entity_id, make_entry, push, setup_entry
from tests.simulator import GCID_A, VIN_BEV, Simulator
from tests.simulator.physics import CHARGING_STATUS, STATUS, ChargeProfile, charge
from tests.waiting import wait_for

QUICK = {OPT_TIMING: {"backoff_min": 0.3, "backoff_max": 3.0}}


def _evicted(hass: HomeAssistant, entry: MockConfigEntry) -> bool:
    issue_id = f"stream_evicted_{entry.entry_id}"
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None


def _seen_states(entry: MockConfigEntry) -> list[StreamState]:
    stream = entry.runtime_data.stream
    seen: list[StreamState] = []
    entry.async_on_unload(stream.async_add_listener(lambda: seen.append(stream.state)))
    return seen


async def test_a_dropped_stream_comes_back_with_a_fresh_token(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """BMW refuses the id token of a session that ended: the stream never offers
    it again, so a drop is one reconnect, never a refusal or an eviction."""
    entry = make_entry(simulator, options=QUICK)
    coordinator = await setup_entry(hass, entry)
    seen = _seen_states(entry)
    broker = simulator.broker
    # The stream asks for QoS 0, all BMW grants.
    assert broker.requested_qos(GCID_A) == [0]
    for drops in (1, 2):
        await broker.drop(GCID_A)
        await wait_for(lambda drops=drops: broker.connect_count(GCID_A) == drops + 1)  # type: ignore[misc]
        await wait_for(lambda: entry.runtime_data.stream.state is StreamState.CONNECTED)
    assert broker.used_token_refusals(GCID_A) == 0
    assert broker.refused_count(GCID_A) == 0
    assert StreamState.EVICTED not in seen
    assert not _evicted(hass, entry)
    # Nothing was kept while away (QoS 0); what comes now arrives.
    await simulator.publish(VIN_BEV, {SOC: 42})
    await wait_for(lambda: getattr(coordinator.get(VIN_BEV, SOC), "value", 0) == 42)


async def test_a_locked_out_address_is_waited_for(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Past BMW's limit of new connections per minute the address is locked
    out for a while: the stream backs off (no tight loop, no eviction) and is
    back once the lock-out ends."""
    simulator.faults.stream_connects_per_minute = 1
    simulator.faults.stream_lockout_seconds = 2.0
    entry = make_entry(simulator, options=QUICK)
    await setup_entry(hass, entry)
    seen = _seen_states(entry)
    broker = simulator.broker
    await broker.drop(GCID_A)
    await wait_for(lambda: broker.rate_limited_count() >= 1)
    await wait_for(lambda: broker.connect_count(GCID_A) == 2)
    await wait_for(lambda: entry.runtime_data.stream.state is StreamState.CONNECTED)
    # Backing off: a few attempts in two seconds, not a loop.
    assert broker.rate_limited_count() <= 5
    assert StreamState.EVICTED not in seen
    assert not _evicted(hass, entry)


async def test_charging_status_next_to_hv_status_is_one_charge(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Real cars tell a charge on both descriptors: both are held, and the
    plain status's sensor is off by default (one logbook line per charge)."""
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    timeline = charge(ChargeProfile("both", "ix", amps=16), simulator.now(), seed=3)
    status = entity_id(hass, "sensor", f"{VIN_BEV}_{CHARGING_STATUS}")
    registered = er.async_get(hass).async_get(status)
    assert registered is not None
    assert registered.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    hv_status = entity_id(hass, "sensor", f"{VIN_BEV}_{STATUS}")
    first_at, first = timeline.messages[0]
    assert first[CHARGING_STATUS] == "CHARGINGACTIVE"
    await push(hass, coordinator, VIN_BEV, first, first_at)
    assert coordinator.get(VIN_BEV, CHARGING_STATUS).value == "CHARGINGACTIVE"  # type: ignore[union-attr]
    assert hass.states.get(hv_status).state == "charging"  # type: ignore[union-attr]
    for at, values in timeline.messages[1:]:
        await push(hass, coordinator, VIN_BEV, values, at)
    assert coordinator.get(VIN_BEV, CHARGING_STATUS).value == "CHARGINGENDED"  # type: ignore[union-attr]
    assert hass.states.get(hv_status).state.startswith("finished_")  # type: ignore[union-attr]
