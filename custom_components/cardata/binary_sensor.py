"""Binary sensors: one per boolean descriptor (doors, locks, charging flags...)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined]
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import STATE_OFF, STATE_ON, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity

from .catalogue.conversion import convert
from .catalogue.descriptors import DescriptorInfo, fallback_name
from .data.coordinator import CarDataCoordinator
from .data.state import DescriptorState
from .entities.activity import ChargingBinarySensor
from .entities.base import CarDataDescriptorEntity, async_setup_descriptor_entities
from .prediction.entities import async_setup_prediction_entities
from .runtime.data import CarDataConfigEntry

PARALLEL_UPDATES = 0

_DESCRIPTIONS: dict[str, BinarySensorEntityDescription] = {}


def binary_sensor_description(info: DescriptorInfo) -> BinarySensorEntityDescription:
    """Return the (cached) entity description of a boolean descriptor."""
    if (description := _DESCRIPTIONS.get(info.descriptor)) is None:
        description = _DESCRIPTIONS[info.descriptor] = BinarySensorEntityDescription(
            key=info.descriptor,
            translation_key=info.translation_key,
            name=fallback_name(info.descriptor),
            device_class=BinarySensorDeviceClass(info.device_class)
            if info.device_class
            else None,
            entity_category=EntityCategory(info.entity_category)
            if info.entity_category
            else None,
            entity_registry_enabled_default=info.enabled_default,
        )
    return description


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: CarDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up binary sensors now and whenever descriptors appear.

    Each electrified vehicle also gets its ``battery_charging`` sensor.
    """
    runtime = entry.runtime_data
    async_setup_descriptor_entities(
        entry,
        runtime.coordinator,
        "binary_sensor",
        CarDataBinarySensor,
        async_add_entities,
    )
    activity = runtime.activity
    async_setup_prediction_entities(
        runtime.prediction,
        async_add_entities,
        lambda _hub, vin: ChargingBinarySensor(activity, vin),
    )


@dataclass(frozen=True, slots=True)
class HeldBinaryState(ExtraStoredData):
    """What a binary sensor held, kept for the restore.

    Home Assistant's restore keeps the state as last shown, which is
    "unavailable" once the entry was unloaded (a reload after the new login);
    this keeps the held value, so the entity shows it again after the new
    login or a restart.
    """

    is_on: bool | None

    def as_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {"is_on": self.is_on}

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> Self | None:
        """Read the stored form back; None when it is not one."""
        if "is_on" not in stored or not isinstance(stored["is_on"], bool | None):
            return None
        return cls(stored["is_on"])


class CarDataBinarySensor(CarDataDescriptorEntity, BinarySensorEntity, RestoreEntity):
    """A boolean descriptor; BMW's words (OPEN, asn_istrue...) via the catalogue."""

    entity_description: BinarySensorEntityDescription

    def __init__(
        self, coordinator: CarDataCoordinator, vin: str, info: DescriptorInfo
    ) -> None:
        """Describe the binary sensor from the catalogue facts."""
        super().__init__(coordinator, vin, info)
        self.entity_description = binary_sensor_description(info)
        self._attr_is_on = None

    def _apply(self, state: DescriptorState) -> bool:
        value = convert(self.info, state.value)
        is_on = value if isinstance(value, bool) else None
        if is_on is self._attr_is_on:
            return False
        self._attr_is_on = is_on
        return True

    @property
    def extra_restore_state_data(self) -> HeldBinaryState:
        """The held value, also while the entity is unavailable."""
        return HeldBinaryState(self._attr_is_on)

    async def _async_restore(self) -> None:
        if (extra := await self.async_get_last_extra_data()) is not None and (
            held := HeldBinaryState.from_dict(extra.as_dict())
        ) is not None:
            self._attr_is_on = held.is_on
        elif (last := await self.async_get_last_state()) is not None:
            # Saved before this version, or by the integration this one
            # replaces: the state as shown.
            self._attr_is_on = {STATE_ON: True, STATE_OFF: False}.get(last.state)
