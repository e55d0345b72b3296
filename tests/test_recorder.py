"""The database keeps the states, not attributes that move with every update."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.history import get_significant_states
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import HomeAssistant, State
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from tests.entity_helpers import (
    ALTITUDE,
    HEADING,
    LAT,
    LON,
    SOC,
    entity_id,
    make_entry,
    push,
    quiet_recorder,
    setup_entry,
)
from tests.simulator import VIN_BEV

# unique id suffix -> (platform, attributes not recorded, attributes recorded)
EXPECTED: dict[str, tuple[str, set[str], set[str]]] = {
    f"{VIN_BEV}_predicted_soc": (
        "sensor",
        {
            "last_reading",
            "last_reading_at",
            "last_reading_age_min",
            "efficiency_ac",
            "efficiency_dc",
        },
        {"source", "charge_level_descriptor", "capacity_kwh"},
    ),
    f"{VIN_BEV}_device_tracker": (
        "device_tracker",
        {"heading", "altitude"},
        {ATTR_LATITUDE, ATTR_LONGITUDE},
    ),
}
ACCOUNT: dict[str, tuple[str, set[str], set[str]]] = {
    "stream_state": ("sensor", {"next_attempt"}, set()),
    "token_expiry": ("sensor", {"next_retry"}, {"last_refresh_error"}),
    "api_calls_left": (
        "sensor",
        {"calls_today", "next_call_possible_at"},
        {"limit", "used_last_24h"},
    ),
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Any, enable_custom_integrations: None
) -> Iterator[None]:
    """The recorder starts before Home Assistant (its fixture's rule)."""
    with quiet_recorder():
        yield


async def test_volatile_attributes_are_not_recorded(
    hass: HomeAssistant, simulator
) -> None:
    entry = make_entry(simulator)
    start = dt_util.utcnow() - timedelta(seconds=1)
    coordinator = await setup_entry(hass, entry)
    for step in range(3):
        await push(
            hass,
            coordinator,
            VIN_BEV,
            {
                SOC: 60 + step,
                LAT: 48.1 + step / 100,
                LON: 11.5,
                HEADING: 90 + step,
                ALTITUDE: 520 + step,
            },
            dt_util.utcnow() + timedelta(seconds=step),
        )
    expected = {
        entity_id(hass, platform, unique_id): (hidden, kept)
        for unique_id, (platform, hidden, kept) in EXPECTED.items()
    } | {
        entity_id(hass, platform, f"{entry.entry_id}_{key}"): (hidden, kept)
        for key, (platform, hidden, kept) in ACCOUNT.items()
    }
    await async_wait_recording_done(hass)
    history = await get_instance(hass).async_add_executor_job(
        get_significant_states,
        hass,
        start,
        None,
        list(expected),
        None,
        True,  # the state at the start, too
        False,  # every change, not only the significant ones
    )
    for entity, (hidden, kept) in expected.items():
        # Shown on the live state...
        assert hidden | kept <= hass.states.get(entity).attributes.keys(), entity
        recorded = [state for state in history[entity] if isinstance(state, State)]
        assert recorded, entity
        for state in recorded:
            # ... but not in the database, while the stable ones are.
            assert not hidden & state.attributes.keys(), entity
            assert kept <= state.attributes.keys(), entity
