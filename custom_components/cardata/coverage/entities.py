"""The "Data coverage" diagnostic sensor of each car."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.components.sensor import SensorEntity
from homeassistant.const import EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.entity import Entity

from ..entities.base import CarDataEntity
from .hub import CoverageHub

KEY = "data_coverage"


def async_setup_coverage_sensors(
    hub: CoverageHub, add: Callable[[list[Entity]], None]
) -> None:
    """Add one coverage sensor per car, now and when a car appears."""
    coordinator = hub.rest.coordinator
    added: set[str] = set()

    @callback
    def for_vin(vin: str) -> None:
        if vin not in added:
            added.add(vin)
            add([CoverageSensor(hub, vin)])

    for vin in list(coordinator.vehicles):
        for_vin(vin)
    hub.entry.async_on_unload(coordinator.async_add_vehicle_listener(for_vin))


class CoverageSensor(CarDataEntity, SensorEntity):
    """State: the number of fields received; attributes: counts per column."""

    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_translation_key = KEY

    def __init__(self, hub: CoverageHub, vin: str) -> None:
        """Bind the sensor to its car's report."""
        super().__init__(hub.rest.coordinator, vin)
        self.hub = hub
        self._attr_unique_id = f"{vin}_{KEY}"
        self._show()

    async def async_added_to_hass(self) -> None:
        """Follow the car's report."""
        self.async_on_remove(self.hub.async_add_listener(self.vin, self._update))

    @callback
    def _update(self) -> None:
        self._show()
        self.async_write_ha_state()

    def _show(self) -> None:
        report = self.hub.report(self.vin)
        self._attr_native_value = report.received
        self._attr_extra_state_attributes = report.counts()
