"""Entities of the trip journal: the trip event and the trip sensors.

Unique ids carry no dot after the VIN (``{VIN}_trip``,
``{VIN}_last_trip_distance``, ...), so they never parse as descriptors.
Every vehicle gets the trip event, the last trip's distance and duration and
this month's distance; electrified cars the electric consumption sensors and
cars that send their tank content the fuel ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.components.event import EventEntity
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfLength, UnitOfSpeed, UnitOfTime, UnitOfVolume
from homeassistant.core import callback
from homeassistant.helpers.entity import Entity
from homeassistant.util import dt as dt_util

from ..entities.base import CarDataEntity
from .figures import ENERGY_PER_100_KM, Units, figures, month_figures
from .hub import ENDED, FUEL, MONTH, STARTED, TripHub
from .model import OpenTrip, Trip

EVENT_SUFFIX: Final = "trip"

_KM: Final = Units(
    UnitOfLength.KILOMETERS, UnitOfVolume.LITERS, UnitOfSpeed.KILOMETERS_PER_HOUR
)
"""Distance sensors give km: Home Assistant converts them for the owner."""


def _last(hub: TripHub, vin: str, units: Units, key: str) -> float | None:
    if (trip := hub.last_trip(vin)) is None:
        return None
    value = figures(trip, units)[key]
    return value if isinstance(value, int | float) else None


def _month(hub: TripHub, vin: str, units: Units, key: str) -> float | None:
    now = dt_util.now()
    start = dt_util.start_of_local_day(now.replace(day=1))
    return month_figures(hub.trips(vin, start), units)[key]


@dataclass(frozen=True, kw_only=True)
class TripSensorDescription(SensorEntityDescription):
    """A trip sensor: where its value comes from and which cars have it."""

    kind: str = "any"
    """``any`` vehicle, ``electric`` ones or those sending ``fuel``."""
    source: str = "last"
    """``last`` trip or this ``month``."""
    figure: str = "distance"


SENSORS: Final = (
    TripSensorDescription(
        key="last_trip_distance",
        translation_key="last_trip_distance",
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.KILOMETERS,
        suggested_display_precision=1,
    ),
    TripSensorDescription(
        key="last_trip_duration",
        translation_key="last_trip_duration",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        suggested_display_precision=0,
        figure="duration_min",
    ),
    TripSensorDescription(
        key="last_trip_consumption",
        translation_key="last_trip_consumption",
        kind="electric",
        figure="energy_consumption",
        suggested_display_precision=1,
    ),
    TripSensorDescription(
        key="last_trip_fuel_consumption",
        translation_key="last_trip_fuel_consumption",
        kind="fuel",
        figure="fuel_consumption",
        suggested_display_precision=1,
    ),
    TripSensorDescription(
        key="month_distance",
        translation_key="month_distance",
        device_class=SensorDeviceClass.DISTANCE,
        native_unit_of_measurement=UnitOfLength.KILOMETERS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=0,
        source="month",
    ),
    TripSensorDescription(
        key="month_consumption",
        translation_key="month_consumption",
        kind="electric",
        state_class=SensorStateClass.MEASUREMENT,
        figure="energy_consumption",
        suggested_display_precision=1,
        source="month",
    ),
    TripSensorDescription(
        key="month_fuel_consumption",
        translation_key="month_fuel_consumption",
        kind="fuel",
        state_class=SensorStateClass.MEASUREMENT,
        figure="fuel_consumption",
        suggested_display_precision=1,
        source="month",
    ),
)


def async_setup_trip_entities(
    hub: TripHub,
    add: Callable[[list[Entity]], None],
    factory: Callable[[TripHub, str], list[Entity]],
) -> None:
    """Add ``factory``'s entities per vehicle, now and when one appears."""
    done: set[str] = set()

    @callback
    def for_vin(vin: str) -> None:
        if vin not in done and vin in hub.detectors:
            done.add(vin)
            add(factory(hub, vin))

    for vin in list(hub.detectors):
        for_vin(vin)
    hub.entry.async_on_unload(hub.coordinator.async_add_vehicle_listener(for_vin))


def trip_events(hub: TripHub, vin: str) -> list[Entity]:
    """The trip event entity of a vehicle."""
    return [TripEventEntity(hub, vin)]


def async_setup_trip_sensors(hub: TripHub, add: Callable[[list[Entity]], None]) -> None:
    """Add the trip sensors a vehicle has, now and when it shows more."""
    added: set[tuple[str, str]] = set()

    @callback
    def for_vin(vin: str, *_names: object) -> None:
        if vin not in hub.detectors:
            return
        kinds = {"any"}
        if hub.prediction.electric(vin):
            kinds.add("electric")
        vehicle = hub.coordinator.vehicles.get(vin)
        if vehicle is not None and FUEL in vehicle.known_descriptors:
            kinds.add("fuel")
        new = [
            description
            for description in SENSORS
            if description.kind in kinds and (vin, description.key) not in added
        ]
        added.update((vin, description.key) for description in new)
        if new:
            add([TripSensor(hub, vin, description) for description in new])

    for vin in list(hub.detectors):
        for_vin(vin)
    entry, coordinator = hub.entry, hub.coordinator
    entry.async_on_unload(coordinator.async_add_vehicle_listener(for_vin))
    entry.async_on_unload(coordinator.async_add_descriptor_listener(for_vin))
    entry.async_on_unload(hub.prediction.async_add_electric_listener(for_vin))


class _TripEntity(CarDataEntity):
    def __init__(self, hub: TripHub, vin: str, suffix: str) -> None:
        super().__init__(hub.coordinator, vin)
        self.hub = hub
        self._attr_unique_id = f"{vin}_{suffix}"
        self._attr_translation_key = suffix


class TripSensor(_TripEntity, SensorEntity):
    """A figure of the last trip or of this month's trips."""

    entity_description: TripSensorDescription

    def __init__(
        self, hub: TripHub, vin: str, description: TripSensorDescription
    ) -> None:
        """Bind to one vehicle; consumptions in the owner's units."""
        super().__init__(hub, vin, description.key)
        self.entity_description = description
        units = self._units = hub.units
        if description.figure == "energy_consumption":
            self._attr_native_unit_of_measurement = units.energy_consumption
            if units.energy_consumption == ENERGY_PER_100_KM:
                self._attr_device_class = SensorDeviceClass.ENERGY_DISTANCE
        elif description.figure == "fuel_consumption":
            self._attr_native_unit_of_measurement = units.fuel_consumption

    @property
    def native_value(self) -> float | None:
        """The figure now."""
        description = self.entity_description
        read = _month if description.source == "month" else _last
        figure = description.figure
        # Distances are given in km; Home Assistant shows the owner's unit.
        units = Units.of(self.hass.config.units) if figure != "distance" else _KM
        return read(self.hub, self.vin, units, figure)

    async def async_added_to_hass(self) -> None:
        """Follow the vehicle's trips (and the month's turn)."""
        await super().async_added_to_hass()
        self.async_on_remove(self.hub.async_add_listener(self.vin, self._on_trip))

    @callback
    def _on_trip(self, kind: str, _trip: Trip | OpenTrip | None) -> None:
        if kind == ENDED or (
            kind == MONTH and self.entity_description.source == "month"
        ):
            self.async_write_ha_state()


class TripEventEntity(_TripEntity, EventEntity):
    """Fires ``started`` and ``ended`` with the trip's figures."""

    _attr_event_types = [STARTED, ENDED]  # noqa: RUF012 - Home Assistant's shape

    def __init__(self, hub: TripHub, vin: str) -> None:
        """Bind to one vehicle."""
        super().__init__(hub, vin, EVENT_SUFFIX)

    async def async_added_to_hass(self) -> None:
        """Follow the vehicle's trips."""
        await super().async_added_to_hass()
        self.async_on_remove(self.hub.async_add_listener(self.vin, self._on_trip))

    @callback
    def _on_trip(self, kind: str, trip: Trip | OpenTrip | None) -> None:
        if trip is not None and kind in (STARTED, ENDED):
            self._trigger_event(kind, trip_attributes(trip, self.hub.units))
            self.async_write_ha_state()


def trip_attributes(trip: Trip | OpenTrip, units: Units) -> dict[str, Any]:
    """An event's attributes: the trip's figures and zones (no coordinates)."""
    if isinstance(trip, OpenTrip):
        return {"start": trip.start.isoformat(), "start_zone": trip.start_zone}
    return figures(trip, units) | {
        "start_zone": trip.start_zone,
        "end_zone": trip.end_zone,
        "at_home": trip.at_home,
    }
