"""Event entities: a vehicle's charging (started, ended) and plug transitions."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entities.activity import ChargingEvent, PlugEvent
from .prediction.entities import async_setup_prediction_entities
from .runtime.data import CarDataConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: CarDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entities of each electrified vehicle, now and when one appears."""
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
