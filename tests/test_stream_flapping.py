"""A flapping broker connection against another client on the account.

Production timings (no patched constants): the simulator's broker flaps for
a while (drops at irregular intervals, unreachable for a moment after each
drop), then is stable. What an owner sees is asserted: the stream state
sensor, the repair issues, the log, and the simulator's record.
"""

from __future__ import annotations

from collections.abc import Callable
import logging

from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata.const import DOMAIN
from tests.simulator import CLIENT_A, GCID_A, Simulator
from tests.waiting import wait_for

FLAP_SECONDS = 20.0
RECOVERY = 30.0
"""Seconds after the broker is stable again by which the stream is back."""

type MakeEntry = Callable[..., MockConfigEntry]


class _Seen:
    """Every state the stream state sensor took, in order."""

    def __init__(self, hass: HomeAssistant, entry: MockConfigEntry) -> None:
        self._hass = hass
        entity_id = er.async_get(hass).async_get_entity_id(
            "sensor", DOMAIN, f"{entry.entry_id}_stream_state"
        )
        assert entity_id is not None
        self.entity_id = entity_id
        self.states: list[str] = []

        @callback
        def changed(event: Event[EventStateChangedData]) -> None:
            if (state := event.data["new_state"]) is not None:
                self.states.append(state.state)

        entry.async_on_unload(
            async_track_state_change_event(hass, [entity_id], changed)
        )

    def now(self) -> str | None:
        state = self._hass.states.get(self.entity_id)
        return state.state if state else None


async def test_flapping_broker_is_an_unstable_connection_not_eviction(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Drops at irregular intervals and connects that fail: the state says
    the connection is unstable, no repair tells the owner to stop another
    client, and the stream is back within 30 s of the broker being stable."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    seen = _Seen(hass, entry)
    await wait_for(lambda: seen.now() == "connected")

    simulator.faults.stream_flap_seconds = FLAP_SECONDS
    await wait_for(lambda: seen.now() == "unstable", timeout=FLAP_SECONDS)
    await wait_for(lambda: not simulator.broker.flapping, timeout=FLAP_SECONDS + 5)
    await wait_for(lambda: seen.now() == "connected", timeout=RECOVERY)

    assert simulator.broker.flap_drops(GCID_A) >= 2
    assert simulator.broker.flap_resets >= 1
    assert "unstable" in seen.states
    assert "evicted" not in seen.states
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"stream_evicted_{entry.entry_id}")
        is None
    )
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("custom_components") and r.levelno >= logging.WARNING
    ]
    assert not [w for w in warnings if "another client" in w]
    assert await hass.config_entries.async_unload(entry.entry_id)
