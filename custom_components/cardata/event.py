"""Event entities: a vehicle's charging (started, ended), plug and trips."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entities.activity import ChargingEvent, PlugEvent
from .prediction.entities import async_setup_prediction_entities
from .runtime.data import CarDataConfigEntry
from .trips.entities import async_setup_trip_entities, trip_events

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: CarDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each vehicle's event entities, now and when one appears.

    Charging and plug events for electrified vehicles; trip events for all.
    """
    runtime = entry.runtime_data
    activity = runtime.activity
    async_setup_prediction_entities(
        runtime.prediction,
        async_add_entities,
        lambda _hub, vin: ChargingEvent(activity, vin),
    )
    async_setup_prediction_entities(
        runtime.prediction,
        async_add_entities,
        lambda _hub, vin: PlugEvent(activity, vin),
    )
    async_setup_trip_entities(runtime.trips, async_add_entities, trip_events)
