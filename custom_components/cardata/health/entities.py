"""The battery health sensors of every electrified vehicle.

*Measured battery capacity* (kWh): the usable capacity the charging
sessions of the energy ledger measure (:mod:`.estimate`), with the number of
sessions behind it and its 95 % interval as attributes; unknown until
enough sessions count. *Battery health* (%): BMW's own state of health when
the car sends one (the catalogue's state of health descriptors of the
high-voltage battery), else the measured capacity over the configured one
(the prediction's: the owner's number, else what the car or basicData
says); the ``source`` attribute says which. Both keep long-term statistics,
so the trend shows over months. Unique ids carry no dot after the VIN
(``{VIN}_measured_capacity``, ``{VIN}_battery_health``), so they never parse
as descriptors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, UnitOfEnergy
from homeassistant.core import callback
from homeassistant.helpers.entity import Entity

from ..catalogue.conversion import convert
from ..catalogue.descriptors import catalogue_category, catalogue_descriptors, describe
from ..ledger.entities import LedgerSensor
from ..ledger.hub import EnergyLedger
from ..prediction.entities import async_setup_prediction_entities
from ..prediction.hub import PredictionHub
from .estimate import (
    estimate,
    estimate_measured,
    measured_sessions,
)

CAPACITY_KEY: Final = "measured_capacity"
HEALTH_KEY: Final = "battery_health"
SOURCE_BMW: Final = "bmw"
SOURCE_ESTIMATE: Final = "estimate"
HV_BATTERY: Final = "Battery EV"
"""BMW's catalogue category of the high-voltage battery."""
STATE_OF_HEALTH: Final = tuple(
    descriptor
    for descriptor in catalogue_descriptors()
    if catalogue_category(descriptor) == HV_BATTERY and ".stateOfHealth." in descriptor
)
"""The high-voltage battery's state of health, as the catalogue lists it."""
STATE_OF_HEALTH_NAMES: Final = frozenset(STATE_OF_HEALTH)
"""The same, for the check of every message's changed names."""
MAX_HEALTH: Final = 120.0
"""A state of health above this is no reading (a new battery may show > 100)."""


def async_setup_health_sensors(
    ledger: EnergyLedger,
    prediction: PredictionHub,
    add: Callable[[list[Entity]], None],
) -> None:
    """Add the health sensors for every electrified vehicle, now and later."""

    def capacity(_hub: PredictionHub, vin: str) -> Entity:
        return MeasuredCapacitySensor(ledger, prediction, vin)

    def health(_hub: PredictionHub, vin: str) -> Entity:
        return BatteryHealthSensor(ledger, prediction, vin)

    async_setup_prediction_entities(prediction, add, capacity)
    async_setup_prediction_entities(prediction, add, health)


class _HealthSensor(LedgerSensor):
    """Follows the vehicle's ledger (written when what it shows changed)."""

    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_suggested_display_precision = 1

    def __init__(
        self, ledger: EnergyLedger, prediction: PredictionHub, vin: str, key: str
    ) -> None:
        self.prediction = prediction
        super().__init__(ledger, vin, key)


class MeasuredCapacitySensor(_HealthSensor):
    """The usable capacity the charging sessions measure."""

    _attr_device_class = SensorDeviceClass.ENERGY_STORAGE
    _attr_native_unit_of_measurement = UnitOfEnergy.KILO_WATT_HOUR

    def __init__(
        self, ledger: EnergyLedger, prediction: PredictionHub, vin: str
    ) -> None:
        """Bind to one vehicle."""
        super().__init__(ledger, prediction, vin, CAPACITY_KEY)

    def _refresh(self) -> None:
        measured = measured_sessions(self.ledger.vehicle_sessions(self.vin))
        found = estimate_measured(measured)
        self._attr_native_value = found.kwh if found is not None else None
        self._attr_extra_state_attributes = {
            "sessions": len(measured),
            "interval_low": found.low if found is not None else None,
            "interval_high": found.high if found is not None else None,
        }


class BatteryHealthSensor(_HealthSensor):
    """BMW's state of health, else the measured over the configured capacity."""

    _attr_native_unit_of_measurement = PERCENTAGE

    def __init__(
        self, ledger: EnergyLedger, prediction: PredictionHub, vin: str
    ) -> None:
        """Bind to one vehicle."""
        super().__init__(ledger, prediction, vin, HEALTH_KEY)

    async def async_added_to_hass(self) -> None:
        """Also follow BMW's state of health and the configured capacity."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_changes_listener(self.vin, self._on_values)
        )
        self.async_on_remove(
            self.prediction.async_add_listener(self.vin, self._handle_update)
        )

    @callback
    def _on_values(self, names: Sequence[str]) -> None:
        if not STATE_OF_HEALTH_NAMES.isdisjoint(names):
            self._handle_update()

    def _bmw(self) -> float | None:
        """BMW's state of health of the high-voltage battery, if the car sent one."""
        for descriptor in STATE_OF_HEALTH:
            state = self.coordinator.get(self.vin, descriptor)
            if state is None:
                continue
            value = convert(describe(descriptor), state.value)
            if (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and 0 < value <= MAX_HEALTH
            ):
                return float(value)
        return None

    def _refresh(self) -> None:
        attributes: dict[str, Any] = {"source": None}
        value: float | None = None
        if (bmw := self._bmw()) is not None:
            value, attributes["source"] = bmw, SOURCE_BMW
        elif (
            found := estimate(self.ledger.vehicle_sessions(self.vin))
        ) is not None and (nominal := self.prediction.capacity(self.vin)[0]):
            value = round(found.kwh / nominal * 100, 1)
            attributes["source"] = SOURCE_ESTIMATE
        self._attr_native_value = value
        self._attr_extra_state_attributes = attributes
