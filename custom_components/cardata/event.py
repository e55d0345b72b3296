"""Event entities: each vehicle's trip event (started, ended)."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .runtime.data import CarDataConfigEntry
from .trips.entities import async_setup_trip_entities, trip_events

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: CarDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entities of each vehicle, now and when one appears."""
    async_setup_trip_entities(entry.runtime_data.trips, async_add_entities, trip_events)
