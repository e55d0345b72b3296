"""One device tracker per vehicle, built from latitude and longitude.

BMW sends latitude and longitude as separate descriptors, often in separate
messages and sometimes one without the other. The tracker moves only when both
carry the same BMW timestamp, so a position is never made of a new latitude
and an old longitude. Heading and altitude are attributes (their newest value).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Self

# Home Assistant re-exports it without "as" (mypy's explicit-export rule).
from homeassistant.components.device_tracker import (  # type: ignore[attr-defined]
    TrackerEntity,
)
from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import ExtraStoredData, RestoreEntity

from .catalogue.conversion import convert
from .catalogue.descriptors import describe
from .data.coordinator import TRACKER_SUFFIX, CarDataCoordinator
from .entities.base import CarDataEntity
from .runtime.data import CarDataConfigEntry

PARALLEL_UPDATES = 0

LATITUDE: Final = "latitude"
LONGITUDE: Final = "longitude"
HEADING: Final = "heading"
ALTITUDE: Final = "altitude"
POSITION_ROLES: Final = frozenset({LATITUDE, LONGITUDE})
ATTRIBUTE_ROLES: Final = (HEADING, ALTITUDE)


def _roles(descriptors: set[str] | tuple[str, ...]) -> dict[str, str]:
    """Map tracker role -> descriptor for the descriptors that have one."""
    roles: dict[str, str] = {}
    for descriptor in sorted(descriptors):
        if (role := describe(descriptor).tracker_role) is not None:
            roles.setdefault(role, descriptor)
    return roles


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: CarDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a tracker per vehicle that has (or had) a position."""
    coordinator = entry.runtime_data.coordinator
    trackers: dict[str, CarDataTracker] = {}

    initial: list[CarDataTracker] = []
    for vin, vehicle in coordinator.vehicles.items():
        roles = _roles(vehicle.known_descriptors)
        if vehicle.has_restored_tracker or POSITION_ROLES & roles.keys():
            trackers[vin] = CarDataTracker(coordinator, vin, roles)
            initial.append(trackers[vin])
    async_add_entities(initial)

    @callback
    def on_new_descriptors(vin: str, descriptors: tuple[str, ...]) -> None:
        if not (roles := _roles(descriptors)):
            return
        if (tracker := trackers.get(vin)) is not None:
            tracker.async_watch(roles)
        elif POSITION_ROLES & roles.keys():
            trackers[vin] = CarDataTracker(coordinator, vin, roles)
            async_add_entities([trackers[vin]])

    entry.async_on_unload(coordinator.async_add_descriptor_listener(on_new_descriptors))


@dataclass(frozen=True, slots=True)
class HeldPosition(ExtraStoredData):
    """The position a tracker held, kept for the restore.

    Home Assistant's restore keeps the state as last shown; once the entry
    was unloaded (a reload after the new login) that is "unavailable" without
    a position. This keeps the held one, so the tracker shows it again after
    the new login or a restart.
    """

    latitude: float | None
    longitude: float | None
    attributes: dict[str, float] = field(default_factory=dict)
    """Heading and altitude, when known."""

    def as_dict(self) -> dict[str, Any]:
        """The stored form (flat, like the state's attributes)."""
        return {
            ATTR_LATITUDE: self.latitude,
            ATTR_LONGITUDE: self.longitude,
            **self.attributes,
        }

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> Self:
        """Read a stored form, or a state's attributes, back."""
        return cls(
            _number(stored.get(ATTR_LATITUDE)),
            _number(stored.get(ATTR_LONGITUDE)),
            {
                role: value
                for role in ATTRIBUTE_ROLES
                if (value := _number(stored.get(role))) is not None
            },
        )


class CarDataTracker(CarDataEntity, TrackerEntity, RestoreEntity):
    """The vehicle's position (GPS) with heading and altitude."""

    _attr_name = None
    _attr_entity_category = None  # type: ignore[assignment]  # a main entity
    # They change with every position while driving; the position itself is
    # recorded (the map's history), and the heading and altitude sensors keep
    # theirs for whoever enables them.
    _unrecorded_attributes = frozenset(ATTRIBUTE_ROLES)

    def __init__(
        self, coordinator: CarDataCoordinator, vin: str, roles: dict[str, str]
    ) -> None:
        """Bind to the vehicle's position descriptors."""
        super().__init__(coordinator, vin)
        self._attr_unique_id = f"{vin}_{TRACKER_SUFFIX}"
        self._roles: dict[str, str] = {}
        self._watched: frozenset[str] = frozenset()
        """The descriptors of :attr:`_roles`."""
        self._pending_roles = dict(roles)
        self._attributes: dict[str, float] = {}
        self._added = False

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return heading and altitude when known."""
        return self._attributes

    @property
    def extra_restore_state_data(self) -> HeldPosition:
        """The held position, also while the entity is unavailable."""
        return HeldPosition(
            self._attr_latitude, self._attr_longitude, dict(self._attributes)
        )

    async def async_added_to_hass(self) -> None:
        """Restore the last position, then follow the position descriptors."""
        await super().async_added_to_hass()
        held: HeldPosition | None = None
        if (extra := await self.async_get_last_extra_data()) is not None:
            held = HeldPosition.from_dict(extra.as_dict())
        elif (last := await self.async_get_last_state()) is not None:
            # Saved before this version, or by the integration this one
            # replaces: the position is in the state's attributes.
            held = HeldPosition.from_dict(dict(last.attributes))
        if held is not None:
            self._attr_latitude = held.latitude
            self._attr_longitude = held.longitude
            self._attributes = dict(held.attributes)
        roles, self._pending_roles = self._pending_roles, {}
        self._added = True
        self._watch(roles)
        self.async_on_remove(
            self.coordinator.async_add_changes_listener(self.vin, self._on_changes)
        )
        self._recompute()

    @callback
    def async_watch(self, roles: dict[str, str]) -> None:
        """Follow newly announced position descriptors."""
        if not self._added:
            self._pending_roles.update(roles)
            return
        self._watch(roles)
        self._handle_update()

    def _watch(self, roles: dict[str, str]) -> None:
        for role, descriptor in roles.items():
            self._roles.setdefault(role, descriptor)
        self._watched = frozenset(self._roles.values())

    @callback
    def _on_changes(self, names: tuple[str, ...]) -> None:
        """Recompute once per message that changed a position descriptor."""
        if not self._watched.isdisjoint(names):
            self._handle_update()

    @callback
    def _handle_update(self) -> None:
        if self._recompute():
            self.async_write_ha_state()

    def _recompute(self) -> bool:
        """Take a position only from a latitude/longitude pair of one timestamp."""
        changed = False
        lat = self._held(LATITUDE)
        lon = self._held(LONGITUDE)
        if (
            lat is not None
            and lon is not None
            and lat[1] == lon[1]
            and (latitude := lat[0]) is not None
            and (longitude := lon[0]) is not None
            and (latitude, longitude) != (self._attr_latitude, self._attr_longitude)
        ):
            self._attr_latitude = latitude
            self._attr_longitude = longitude
            changed = True
        for role in ATTRIBUTE_ROLES:
            if role not in self._roles:
                continue
            if (held := self._held(role)) is None or (value := held[0]) is None:
                continue
            if self._attributes.get(role) != value:
                self._attributes = {**self._attributes, role: value}
                changed = True
        return changed

    def _held(self, role: str) -> tuple[float | None, datetime] | None:
        """Return the held number of a role and its (effective) BMW timestamp."""
        if (descriptor := self._roles.get(role)) is None:
            return None
        if (state := self.coordinator.get(self.vin, descriptor)) is None:
            return None
        value = _number(convert(describe(descriptor), state.value))
        return value, state.effective_timestamp


def _number(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None
