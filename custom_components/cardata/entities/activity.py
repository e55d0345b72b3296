"""Entities of a vehicle's charging and plug transitions (:mod:`..activity`).

Per electrified vehicle: a charging event entity (``started``, ``ended``
with the reason), a plug event entity (``plugged``, ``unplugged``) and a
``battery_charging`` binary sensor, so Home Assistant's battery triggers and
conditions offer the car. Unique ids carry no dot after the VIN
(``{VIN}_charging_event``, ``{VIN}_plug_event``, ``{VIN}_charging``), so
they never parse as descriptors.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined]
    BinarySensorDeviceClass,
    BinarySensorEntity,
)
from homeassistant.components.event import EventEntity
from homeassistant.core import callback

from ..activity.transitions import ActivityHub, Transition, TransitionKind
from .base import CarDataEntity

CHARGING_EVENT_SUFFIX: Final = "charging_event"
PLUG_EVENT_SUFFIX: Final = "plug_event"
CHARGING_SUFFIX: Final = "charging"

ATTR_CHARGE_LEVEL: Final = "charge_level"
ATTR_REASON: Final = "reason"
ATTR_REASON_GROUP: Final = "reason_group"

EVENT_TYPES: Final[dict[TransitionKind, str]] = {
    TransitionKind.CHARGING_STARTED: "started",
    TransitionKind.CHARGING_ENDED: "ended",
    TransitionKind.PLUGGED: "plugged",
    TransitionKind.UNPLUGGED: "unplugged",
}
"""The event type each transition fires on its entity."""


class _ActivityEntity(CarDataEntity):
    def __init__(self, hub: ActivityHub, vin: str, suffix: str) -> None:
        super().__init__(hub.coordinator, vin)
        self.hub = hub
        self._attr_unique_id = f"{vin}_{suffix}"
        self._attr_translation_key = suffix


class _TransitionEvent(_ActivityEntity, EventEntity):
    """An event entity fired by some of the vehicle's transitions."""

    _kinds: frozenset[TransitionKind]

    def __init__(self, hub: ActivityHub, vin: str, suffix: str) -> None:
        super().__init__(hub, vin, suffix)
        self._attr_event_types = [
            event for kind, event in EVENT_TYPES.items() if kind in self._kinds
        ]

    async def async_added_to_hass(self) -> None:
        """Follow the vehicle's transitions."""
        await super().async_added_to_hass()
        self.async_on_remove(self.hub.async_add_listener(self.vin, self._on_transition))

    @callback
    def _on_transition(self, transition: Transition) -> None:
        if transition.kind in self._kinds:
            self._trigger_event(
                EVENT_TYPES[transition.kind], self._attributes(transition)
            )
            self.async_write_ha_state()

    def _attributes(self, transition: Transition) -> dict[str, Any]:
        return {ATTR_CHARGE_LEVEL: transition.charge_level}


class ChargingEvent(_TransitionEvent):
    """Charging started or ended (with BMW's reason and its group)."""

    _kinds = frozenset({TransitionKind.CHARGING_STARTED, TransitionKind.CHARGING_ENDED})

    def __init__(self, hub: ActivityHub, vin: str) -> None:
        """The vehicle's charging events."""
        super().__init__(hub, vin, CHARGING_EVENT_SUFFIX)

    def _attributes(self, transition: Transition) -> dict[str, Any]:
        attributes = super()._attributes(transition)
        if transition.kind is TransitionKind.CHARGING_ENDED:
            group = transition.reason_group
            attributes[ATTR_REASON_GROUP] = str(group) if group is not None else None
            attributes[ATTR_REASON] = transition.reason
        return attributes


class PlugEvent(_TransitionEvent):
    """A charging cable plugged in or unplugged."""

    _kinds = frozenset({TransitionKind.PLUGGED, TransitionKind.UNPLUGGED})

    def __init__(self, hub: ActivityHub, vin: str) -> None:
        """The vehicle's plug events."""
        super().__init__(hub, vin, PLUG_EVENT_SUFFIX)


class ChargingBinarySensor(_ActivityEntity, BinarySensorEntity):
    """Whether the car charges: the rule of the charging events, as a state."""

    _attr_device_class = BinarySensorDeviceClass.BATTERY_CHARGING

    def __init__(self, hub: ActivityHub, vin: str) -> None:
        """The vehicle's charging state."""
        super().__init__(hub, vin, CHARGING_SUFFIX)

    @property
    def is_on(self) -> bool | None:
        """On while the car charges; unknown until it said."""
        return self.hub.charging(self.vin)

    async def async_added_to_hass(self) -> None:
        """Follow the vehicle's charging answer."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.hub.async_add_state_listener(self.vin, self.async_write_ha_state)
        )
