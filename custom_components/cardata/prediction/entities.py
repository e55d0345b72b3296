"""Entities of the prediction: the predicted charge level, reset, capacity.

Unique ids carry no dot after the VIN (``{VIN}_predicted_soc``,
``{VIN}_reset_soc_learning``, ``{VIN}_usable_capacity``), so they never parse
as descriptors.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any, Final

from homeassistant.components.button import ButtonEntity
from homeassistant.components.number import NumberDeviceClass, NumberMode, RestoreNumber
from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy
from homeassistant.core import callback
from homeassistant.helpers.entity import Entity

from ..entities.base import CarDataEntity
from .hub import PredictionHub
from .inputs import MAX_CAPACITY_KWH, MIN_CAPACITY_KWH

PREDICTED_SOC_SUFFIX: Final = "predicted_soc"
RESET_SUFFIX: Final = "reset_soc_learning"
CAPACITY_SUFFIX: Final = "usable_capacity"


def async_setup_prediction_entities(
    hub: PredictionHub,
    add: Callable[[list[Entity]], None],
    factory: Callable[[PredictionHub, str], Entity],
) -> None:
    """Add one entity per electrified vehicle, now and when one appears."""
    entry = hub.entry
    done: set[str] = set()

    @callback
    def for_vin(vin: str) -> None:
        if vin not in done:
            done.add(vin)
            add([factory(hub, vin)])

    for vin in hub.electric_vins():
        for_vin(vin)
    entry.async_on_unload(hub.async_add_electric_listener(for_vin))


class _PredictionEntity(CarDataEntity):
    def __init__(self, hub: PredictionHub, vin: str, suffix: str) -> None:
        super().__init__(hub.coordinator, vin)
        self.hub = hub
        self._attr_unique_id = f"{vin}_{suffix}"
        self._attr_translation_key = suffix


class PredictedSocSensor(_PredictionEntity, RestoreSensor):
    """The vehicle's charge level, predicted between the car's readings."""

    _attr_device_class = SensorDeviceClass.BATTERY
    _attr_native_unit_of_measurement = PERCENTAGE
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_suggested_display_precision = 0
    # Shown, not recorded: the reading and its age move with every update (the
    # age every minute while charging or driving), the efficiencies with
    # every learned step; each new set would be a new row in the database.
    # What the value stands on, its data point and the capacity stay.
    _unrecorded_attributes = frozenset(
        {
            "last_reading",
            "last_reading_at",
            "last_reading_age_min",
            "efficiency_ac",
            "efficiency_dc",
        }
    )

    def __init__(self, hub: PredictionHub, vin: str) -> None:
        """Bind to one vehicle."""
        super().__init__(hub, vin, PREDICTED_SOC_SUFFIX)
        self._attr_native_value = None
        self._attr_extra_state_attributes = {}
        self._shown: tuple[Any, ...] | None = None
        """What the state and attributes were made of (see :meth:`_refresh`)."""

    async def async_added_to_hass(self) -> None:
        """Restore the last value until the car speaks, then follow the hub."""
        await super().async_added_to_hass()
        if (data := await self.async_get_last_sensor_data()) is not None:
            self._attr_native_value = data.native_value
        self.async_on_remove(self.hub.async_add_listener(self.vin, self._handle_update))
        self._refresh()

    @callback
    def _handle_update(self) -> None:
        if self._refresh():
            self.async_write_ha_state()

    def _refresh(self) -> bool:
        """Compute the shown value; return whether the state changed.

        The attributes are built only when what they show moved.
        """
        feed = self.hub.feed(self.vin)
        predictor = feed.predictor
        now = self.hub.now()
        value, basis = predictor.estimate(now)
        last = predictor.last_reading
        shown = self._attr_native_value if value is None else round(value, 1)
        age = round((now - last.at).total_seconds() / 60) if last else None
        learning = predictor.learning
        ac, dc = round(learning.ac.value, 3), round(learning.dc.value, 3)
        power = feed.power_source
        made_of = (
            shown,
            basis,
            feed.source,
            last,
            age,
            ac,
            dc,
            predictor.capacity_kwh,
            power,
        )
        if made_of == self._shown:
            return False
        self._shown = made_of
        attributes: dict[str, Any] = {
            "source": basis.value,
            "charge_level_descriptor": feed.source,
            "last_reading": last.value if last else None,
            "last_reading_at": last.at.isoformat() if last else None,
            "last_reading_age_min": age,
            "efficiency_ac": ac,
            "efficiency_dc": dc,
            "capacity_kwh": predictor.capacity_kwh,
        }
        if power is not None:
            # Only with a wallbox named: which power feeds the estimate now.
            attributes["power_source"] = power.value
        changed = (
            shown != self._attr_native_value
            or attributes != self._attr_extra_state_attributes
        )
        self._attr_native_value = shown
        self._attr_extra_state_attributes = attributes
        return changed


class ResetLearningButton(_PredictionEntity, ButtonEntity):
    """Forget the learned charging efficiency and consumption of a vehicle."""

    _attr_entity_category = EntityCategory.CONFIG

    def __init__(self, hub: PredictionHub, vin: str) -> None:
        """Bind to one vehicle."""
        super().__init__(hub, vin, RESET_SUFFIX)

    async def async_press(self) -> None:
        """Reset what was learned."""
        self.hub.reset_learning(self.vin)


class UsableCapacityNumber(_PredictionEntity, RestoreNumber):
    """Usable battery capacity: BMW's until the owner sets their own.

    It shows what the prediction uses: the owner's value once set (kept in
    the hub's store), else what the car streams (``batterySizeMax``,
    ``hvsMaxEnergyAbsolute``), else basicData's nominal capacity; "unknown"
    only when BMW gives none.
    """

    _attr_entity_category = EntityCategory.CONFIG
    _attr_device_class = NumberDeviceClass.ENERGY_STORAGE
    _attr_native_unit_of_measurement = UnitOfEnergy.KILO_WATT_HOUR
    _attr_native_min_value = MIN_CAPACITY_KWH
    _attr_native_max_value = MAX_CAPACITY_KWH
    _attr_native_step = 0.1
    _attr_mode = NumberMode.BOX

    def __init__(self, hub: PredictionHub, vin: str) -> None:
        """Bind to one vehicle."""
        super().__init__(hub, vin, CAPACITY_SUFFIX)
        self._attr_native_value = None

    async def async_added_to_hass(self) -> None:
        """Show the capacity in use, then follow the hub.

        Before this version the number held only the owner's value and the
        hub's store did not: a restored value is the owner's then (unless it
        is BMW's value anyway). kvanbiesen/bmw-cardata-ha's capacity number,
        taken over as this one, left only a plain saved state (0: not set).
        """
        await super().async_added_to_hass()
        hub, vin = self.hub, self.vin
        if (
            not hub.owner_known(vin)
            and (value := await self._async_restored_value()) is not None
            and value != hub.capacity(vin)[0]
        ):
            hub.set_owner_capacity(vin, value)
        self.async_on_remove(hub.async_add_listener(vin, self._handle_update))
        self._attr_native_value = hub.capacity(vin)[0]

    async def _async_restored_value(self) -> float | None:
        """The value this number (or the other integration's) last showed."""
        if (data := await self.async_get_last_number_data()) is not None:
            return data.native_value
        value: float | None = None
        if (state := await self.async_get_last_state()) is not None:
            with suppress(ValueError):
                value = float(state.state)
        if value is None or not MIN_CAPACITY_KWH <= value <= MAX_CAPACITY_KWH:
            return None
        return value

    @callback
    def _handle_update(self) -> None:
        value = self.hub.capacity(self.vin)[0]
        if value != self._attr_native_value:
            self._attr_native_value = value
            self.async_write_ha_state()

    async def async_set_native_value(self, value: float) -> None:
        """Take the owner's value (it wins over BMW's from now on)."""
        self.hub.set_owner_capacity(self.vin, value)
        self._attr_native_value = self.hub.capacity(self.vin)[0]
        self.async_write_ha_state()
