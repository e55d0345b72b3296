"""A long stream session compressed: short simulator token lifetimes, small
margins, two id-token expiries crossed with values still arriving and never
two connections; eviction shown by the stream-state sensor."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata.api import StreamState
from custom_components.cardata.common.settings import OPT_TIMING
from custom_components.cardata.const import DOMAIN
from tests.conftest import rest_settled
from tests.simulator import CLIENT_A, GCID_A, VIN_BEV, Simulator
from tests.waiting import wait_for

SOC = "vehicle.drivetrain.batteryManagement.header"
ID_TOKEN_LIFETIME = 12

type MakeEntry = Callable[..., MockConfigEntry]
type MakeSimulator = Callable[..., Awaitable[Simulator]]


# The hour-long production margins scaled down to seconds. The swap gets a
# third of the lifetime (4 s) before BMW would drop the connection: with both
# cores busy a TLS reconnect can take seconds.
SHORT_MARGINS = {
    OPT_TIMING: {
        "refresh_margin": ID_TOKEN_LIFETIME / 2,
        "swap_margin": ID_TOKEN_LIFETIME / 3,
        "backoff_min": 0.05,
        "backoff_max": 0.3,
    }
}


async def _value_arrives(
    hass: HomeAssistant, sim: Simulator, entry: MockConfigEntry, value: int
) -> None:
    """Publish until the coordinator holds ``value`` (a message sent in the
    instant between two connections is lost, as with BMW)."""
    coordinator = entry.runtime_data.coordinator
    for _ in range(15):
        await sim.publish(VIN_BEV, {SOC: value})
        try:
            await wait_for(
                lambda: (
                    (state := coordinator.get(VIN_BEV, SOC)) is not None
                    and state.value == value
                ),
                timeout=2.0,
            )
        except TimeoutError:
            continue
        return
    pytest.fail(f"value {value} never arrived")


@pytest.mark.slow
async def test_two_id_token_expiries(
    hass: HomeAssistant, make_simulator: MakeSimulator, make_entry: MakeEntry
) -> None:
    sim = await make_simulator(
        access_token_lifetime=ID_TOKEN_LIFETIME, id_token_lifetime=ID_TOKEN_LIFETIME
    )
    entry = make_entry(sim, GCID_A, CLIENT_A, options=SHORT_MARGINS)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    runtime = entry.runtime_data
    await wait_for(lambda: runtime.stream.state is StreamState.CONNECTED)
    await rest_settled(entry)
    rest_calls = sim.quota.calls(GCID_A)
    first_expiry = runtime.tokens.expires_at

    def crossed_two_expiries() -> bool:
        return (
            sim.broker.connect_count(GCID_A) >= 3
            and runtime.tokens.refresh_count >= 2
            and (runtime.tokens.expires_at - first_expiry).total_seconds()
            >= ID_TOKEN_LIFETIME
        )

    value = 0
    # Run until the stream has swapped past two id-token expiries, with a
    # value every few hundred ms meanwhile.
    for _ in range(200):
        value += 1
        await _value_arrives(hass, sim, entry, value)
        try:
            await wait_for(crossed_two_expiries, timeout=0.2)
        except TimeoutError:
            continue
        break
    else:
        pytest.fail("the session never crossed two id-token expiries")

    value += 1
    await _value_arrives(hass, sim, entry, value)
    assert sim.broker.max_concurrent(GCID_A) == 1
    # The broker never had to drop us for an expired token: we swapped first.
    assert not [r for r in sim.broker.close_reasons(GCID_A) if "expired" in r]
    # Refreshes and swaps cost no REST call.
    assert sim.quota.calls(GCID_A) == rest_calls

    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id("sensor", DOMAIN, f"{VIN_BEV}_{SOC}")
    if entity_id is not None:  # the entity platform is present
        await hass.async_block_till_done()
        state = hass.states.get(entity_id)
        assert state is not None
        assert float(state.state) == value

    assert await hass.config_entries.async_unload(entry.entry_id)
    await wait_for(lambda: sim.broker.active_connections(GCID_A) == 0)


async def test_eviction_shown(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """A foreign client takes the stream: state EVICTED, no fight over it."""
    entry = make_entry(simulator, GCID_A, CLIENT_A, options=SHORT_MARGINS)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    runtime = entry.runtime_data
    await wait_for(lambda: runtime.stream.state is StreamState.CONNECTED)

    refreshes = runtime.tokens.refresh_count
    simulator.evict(GCID_A)
    await wait_for(lambda: runtime.stream.state is StreamState.EVICTED)
    # A fresh token for the reconnect (BMW refuses the one of the session
    # that ended), then the refusal persisted through one forced refresh.
    assert runtime.tokens.refresh_count == refreshes + 2
    assert runtime.coordinator.stream_state == StreamState.EVICTED
    assert runtime.stream.last_error
    assert any(reason == "evicted" for _, reason in runtime.stream.history)
    diagnostics = runtime.stream.diagnostics()
    assert diagnostics["state"] == "evicted"
    assert GCID_A not in str(diagnostics)

    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_stream_state"
    )
    if entity_id is not None:  # the diagnostic platform is present
        await hass.async_block_till_done()
        assert hass.states.get(entity_id).state == "evicted"

    simulator.release(GCID_A)
    runtime.stream.async_request_reconnect()
    await wait_for(lambda: runtime.stream.state is StreamState.CONNECTED)
    assert simulator.broker.max_concurrent(GCID_A) == 1
    assert await hass.config_entries.async_unload(entry.entry_id)
