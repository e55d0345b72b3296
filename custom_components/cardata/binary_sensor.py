"""Binary sensors: one per boolean descriptor (doors, locks, charging flags...)."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined]
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import STATE_OFF, STATE_ON, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .catalogue.conversion import convert
from .catalogue.descriptors import DescriptorInfo, fallback_name
from .data.coordinator import CarDataCoordinator, DescriptorState
from .entities.base import CarDataDescriptorEntity, async_setup_descriptor_entities
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
    """Set up binary sensors now and whenever descriptors appear."""
    async_setup_descriptor_entities(
        entry,
        entry.runtime_data.coordinator,
        "binary_sensor",
        CarDataBinarySensor,
        async_add_entities,
    )


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

    async def _async_restore(self) -> None:
        if (last := await self.async_get_last_state()) is not None:
            self._attr_is_on = {STATE_ON: True, STATE_OFF: False}.get(last.state)
