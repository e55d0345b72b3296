"""Numbers: the usable battery capacity, BMW's until the owner sets their own."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .prediction.entities import UsableCapacityNumber, async_setup_prediction_entities
from .runtime.data import CarDataConfigEntry

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: CarDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One capacity number per electrified vehicle."""
    async_setup_prediction_entities(
        entry.runtime_data.prediction, async_add_entities, UsableCapacityNumber
    )
