"""Sensors: one per non-boolean descriptor, plus the diagnostic sensors."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    EntityCategory,
    UnitOfLength,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .catalogue.conversion import convert
from .catalogue.descriptors import DescriptorInfo, fallback_name, map_unit
from .checkcontrol.entities import CheckControlSensor
from .checkcontrol.messages import DESCRIPTOR as CHECK_CONTROL
from .coverage.entities import async_setup_coverage_sensors
from .data.coordinator import CarDataCoordinator
from .data.state import DescriptorState
from .entities.base import CarDataDescriptorEntity, async_setup_descriptor_entities
from .entities.diagnostic import account_entities, vehicle_diagnostic_entities
from .entities.extras import async_setup_extra_sensors
from .entities.units import converter_for, suggested_unit, value_unit
from .health.entities import async_setup_health_sensors
from .ledger.entities import async_setup_ledger_sensors
from .prediction.entities import PredictedSocSensor, async_setup_prediction_entities
from .runtime.data import CarDataConfigEntry
from .trips.entities import async_setup_trip_sensors

PARALLEL_UPDATES = 0

MAX_STATE_LENGTH: Final = 255

# What a sensor's state must be (CarDataSensor._sanitize).
_NUMBER: Final = "number"
_ENUM: Final = "enum"
_TIMESTAMP: Final = "timestamp"
_TEXT: Final = "text"


_DESCRIPTIONS: dict[str, SensorEntityDescription] = {}


def sensor_description(info: DescriptorInfo) -> SensorEntityDescription:
    """Return the (cached) entity description of a descriptor."""
    if (description := _DESCRIPTIONS.get(info.descriptor)) is None:
        description = _DESCRIPTIONS[info.descriptor] = SensorEntityDescription(
            key=info.descriptor,
            translation_key=info.translation_key,
            name=fallback_name(info.descriptor),
            device_class=SensorDeviceClass(info.device_class)
            if info.device_class
            else None,
            native_unit_of_measurement=info.native_unit,
            state_class=SensorStateClass(info.state_class)
            if info.state_class
            else None,
            suggested_display_precision=info.suggested_display_precision,
            options=list(info.options) if info.options else None,
            entity_category=EntityCategory(info.entity_category)
            if info.entity_category
            else None,
            entity_registry_enabled_default=info.enabled_default,
        )
    return description


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CarDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up sensors now and whenever vehicles or descriptors appear."""
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    async_add_entities(account_entities(entry, runtime.stream, runtime.tokens))

    def per_vehicle(vin: str) -> list[Entity]:
        return vehicle_diagnostic_entities(coordinator, vin)

    async_setup_descriptor_entities(
        entry,
        coordinator,
        "sensor",
        _descriptor_sensor,
        async_add_entities,
        extra_for_vehicle=per_vehicle,
    )
    async_setup_prediction_entities(
        runtime.prediction, async_add_entities, PredictedSocSensor
    )
    async_setup_trip_sensors(runtime.trips, async_add_entities)
    async_setup_coverage_sensors(runtime.coverage, async_add_entities)
    async_setup_ledger_sensors(runtime.ledger, runtime.prediction, async_add_entities)
    async_setup_health_sensors(runtime.ledger, runtime.prediction, async_add_entities)
    # The REST side's sensors: API calls left, charging history, tyres.
    await async_setup_extra_sensors(
        hass, entry, runtime.rest, runtime.extras, async_add_entities
    )


def _descriptor_sensor(
    coordinator: CarDataCoordinator, vin: str, info: DescriptorInfo
) -> CarDataDescriptorEntity:
    """The sensor of a descriptor; the check-control messages have their own."""
    if info.descriptor == CHECK_CONTROL:
        return CheckControlSensor(coordinator, vin, info)
    return CarDataSensor(coordinator, vin, info)


class CarDataSensor(CarDataDescriptorEntity, RestoreSensor):
    """A descriptor shown as a sensor, typed from BMW's catalogue.

    Units: a sensor whose device class Home Assistant can convert keeps the
    unit of the first value it shows (a miles car's odometer stays in miles)
    and converts later values that come in another unit; before any value it
    has the catalogue's unit. Enum sensors show every word BMW sends: a word
    the catalogue does not list is added to the options, which Home
    Assistant keeps in the entity registry, so it survives restarts.
    """

    entity_description: SensorEntityDescription

    def __init__(
        self, coordinator: CarDataCoordinator, vin: str, info: DescriptorInfo
    ) -> None:
        """Describe the sensor from the catalogue facts."""
        super().__init__(coordinator, vin, info)
        self.entity_description = sensor_description(info)
        self._attr_native_value = None
        desc = self.entity_description
        # A descriptor without any typing may carry its unit in the stream.
        self._free_unit = (
            desc.native_unit_of_measurement is None
            and desc.device_class is None
            and desc.state_class is None
        )
        self._numeric = not self._free_unit and (
            desc.native_unit_of_measurement is not None
            or desc.state_class is not None
            or desc.suggested_display_precision is not None
            or desc.device_class
            not in (None, SensorDeviceClass.ENUM, SensorDeviceClass.TIMESTAMP)
        )
        # What _sanitize checks, decided once (it runs for every value).
        self._shape = (
            _ENUM
            if desc.device_class is SensorDeviceClass.ENUM
            else _TIMESTAMP
            if desc.device_class is SensorDeviceClass.TIMESTAMP
            else _NUMBER
            if self._numeric
            else _TEXT
        )
        self._converter = converter_for(
            desc.device_class, desc.native_unit_of_measurement
        )
        # See value_unit: a road distance without a unit takes the car's.
        self._unitless_by_vehicle = (
            self._converter is not None
            and desc.native_unit_of_measurement == UnitOfLength.KILOMETERS
        )
        self._unit_settled = False
        # Registered with the unit of the value that created it, so Home
        # Assistant's display unit is chosen from what the car really sends.
        if (state := coordinator.get(vin, info.descriptor)) is not None:
            self._settle_unit(self._unit_of(state))

    @property
    def suggested_unit_of_measurement(self) -> str | None:
        """The unit owners of Home Assistant's country read (tyre pressure)."""
        return suggested_unit(
            self.hass.config.country,
            self.entity_description.device_class,
            self.native_unit_of_measurement,
        )

    def _unit_of(self, state: DescriptorState) -> str | None:
        """The value's unit when the sensor can convert it, else None."""
        if self._converter is None:
            return None
        unit = value_unit(
            self.coordinator,
            self.vin,
            state,
            self.entity_description.native_unit_of_measurement,
        )
        return unit if unit in self._converter.VALID_UNITS else None

    def _settle_unit(self, unit: str | None) -> None:
        if unit is not None and not self._unit_settled:
            self._attr_native_unit_of_measurement = unit
            self._unit_settled = True

    def _in_native_unit(self, value: Any, state: DescriptorState) -> Any:
        """Convert a number that came in another unit to the native one."""
        if self._converter is None or not _is_number(value):
            return value
        unit = self._unit_of(state)
        self._settle_unit(unit)
        native = self.native_unit_of_measurement
        if unit is None or unit == native:
            return value
        return self._converter.convert(float(value), unit, native)

    async def async_added_to_hass(self) -> None:
        """Bring back the words seen before a restart, then the value."""
        if self.entity_description.device_class is SensorDeviceClass.ENUM:
            entry = self.registry_entry
            saved = (entry.capabilities or {}).get("options") if entry else None
            known = list(self.entity_description.options or ())
            seen = [o for o in saved or () if isinstance(o, str) and o not in known]
            if seen:
                self._attr_options = known + seen
        await super().async_added_to_hass()

    def _apply(self, state: DescriptorState) -> bool:
        value = self._sanitize(
            self._in_native_unit(convert(self.info, state.value), state)
        )
        unit = None
        if self._free_unit and state.unit and _is_number(value):
            unit = map_unit(state.unit)
        if (
            value == self._attr_native_value
            and type(value) is type(self._attr_native_value)
            and (not self._free_unit or unit == self._attr_native_unit_of_measurement)
        ):
            return False
        self._attr_native_value = value
        if self._free_unit:
            self._attr_native_unit_of_measurement = unit
        return True

    async def _async_restore(self) -> None:
        if (data := await self.async_get_last_sensor_data()) is not None:
            value: Any = data.native_value
            unit = data.native_unit_of_measurement
            if self._shape == _ENUM and isinstance(value, str):
                # Saved by a version that read the word otherwise (ASN_...).
                value = convert(self.info, value)
        elif (
            state := await self.async_get_last_state()
        ) is not None and state.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE):
            # A plain saved state, as the integration this one replaces kept
            # them: read it back through the catalogue like a stream value.
            value = convert(self.info, state.state)
            unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
        else:
            return
        if self._free_unit and _is_number(value):
            self._attr_native_unit_of_measurement = unit
        if self._converter is not None and unit in self._converter.VALID_UNITS:
            self._settle_unit(unit)
        self._attr_native_value = self._sanitize(value)

    def _sanitize(self, value: Any) -> StateType | datetime | Decimal:
        """Keep Home Assistant from rejecting an odd value: unknown beats a crash."""
        shape = self._shape
        result: StateType | datetime | Decimal = None
        if value is None:
            pass
        elif shape == _NUMBER:
            if _is_number(value):
                result = value
        elif shape == _ENUM:
            result = text = str(value)[:MAX_STATE_LENGTH]
            options = self.options
            if options is not None and text not in options:
                # A word the catalogue does not list: shown, and remembered.
                self._attr_options = [*options, text]
        elif shape == _TIMESTAMP:
            if isinstance(value, datetime) and value.tzinfo is not None:
                result = value
        elif isinstance(value, str):
            result = value[:MAX_STATE_LENGTH]
        elif isinstance(value, (int, float, Decimal, datetime)):
            result = value
        else:
            result = str(value)[:MAX_STATE_LENGTH]
        return result


def _is_number(value: object) -> bool:
    kind = type(value)
    if kind is float or kind is int:  # the usual ones, without isinstance
        return True
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
