"""Diagnostic sensors: per vehicle "last data received", per account stream/tokens.

The account-level sensors (stream state, token expiry) live on their own
service device per config entry, identifiers ``{(cardata, <entry_id>)}``, named
after the entry. They describe the account's single MQTT connection and login,
not any one car, and they must not move when the first vehicle changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EntityCategory
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from ..api import StreamState
from ..auth.token_manager import TokenManager
from ..const import DOMAIN
from ..data.coordinator import MANUFACTURER, CarDataCoordinator
from ..stream.owner import StreamOwner
from .base import CarDataEntity

STREAM_STATES = [state.value for state in StreamState]
ATTR_LAST_REFRESH_ERROR = "last_refresh_error"
ATTR_NEXT_RETRY = "next_retry"
ATTR_NEXT_ATTEMPT = "next_attempt"
# The token manager's error names, as shown to the user (short, never a secret).
_REFRESH_ERRORS = {"CarDataConnectionError": "connection_error"}
LAST_DATA_EVERY: Final = timedelta(minutes=5)
"""At most one state of "last data received" per vehicle in this time.

A driving car sends several messages a minute; a state per message flooded
the Activity log and the database. The newest time is written at the end of
each window, so once the car is silent the shown time is exact again.
"""


def vehicle_diagnostic_entities(
    coordinator: CarDataCoordinator, vin: str
) -> list[Entity]:
    """Return the per-vehicle diagnostic sensors (access: shared cars only)."""
    entities: list[Entity] = [LastDataReceivedSensor(coordinator, vin)]
    if coordinator.shared(vin):
        entities.append(AccessSensor(coordinator, vin))
    return entities


def account_entities(
    entry: ConfigEntry, stream: StreamOwner, tokens: TokenManager
) -> list[Entity]:
    """Return the per-account diagnostic sensors."""
    return [StreamStateSensor(entry, stream), TokenExpirySensor(entry, tokens)]


class AccessSensor(CarDataEntity, SensorEntity):
    """How the account has the vehicle: shared with it (a SECONDARY mapping).

    The note on a shared car's device page (a diagnostic sensor, translated):
    its values come from its stream only; BMW answers no REST call for it.
    The device's own fields (model, hardware) are BMW's facts and a name is
    the owner's to change, so none of them carries the note.
    """

    _attr_translation_key = "access"
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, coordinator: CarDataCoordinator, vin: str) -> None:
        """Bind to the vehicle."""
        super().__init__(coordinator, vin)
        self._attr_unique_id = f"{vin}_access"
        self._attr_options = ["primary_user", "shared"]

    @property
    def native_value(self) -> str:
        """Shared, or the account's own car (the mappings changed since)."""
        return "shared" if self.coordinator.shared(self.vin) else "primary_user"


class LastDataReceivedSensor(CarDataEntity, RestoreSensor):
    """BMW's timestamp of the newest value received from the vehicle.

    Written at most once per :data:`LAST_DATA_EVERY` (see there).
    """

    _attr_translation_key = "last_data_received"
    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, coordinator: CarDataCoordinator, vin: str) -> None:
        """Bind to the vehicle."""
        super().__init__(coordinator, vin)
        self._attr_unique_id = f"{vin}_last_data_received"
        self._attr_native_value = None
        self._written_at: datetime | None = None
        self._cancel_write: CALLBACK_TYPE | None = None

    async def async_added_to_hass(self) -> None:
        """Take the live timestamp, else the restored one, then follow it."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_vehicle_data_listener(self.vin, self._update)
        )
        self.async_on_remove(self._cancel_pending)
        if self.coordinator.last_received(self.vin) is None and (
            data := await self.async_get_last_sensor_data()
        ):
            value = data.native_value
            if isinstance(value, datetime) and value.tzinfo is not None:
                self._attr_native_value = value
        if (live := self.coordinator.last_received(self.vin)) is not None:
            self._attr_native_value = live

    @callback
    def _update(self) -> None:
        live = self.coordinator.last_received(self.vin)
        if live is None or live == self._attr_native_value:
            return
        if self._cancel_write is not None:
            return  # the pending write takes the newest time
        now = dt_util.utcnow()
        if self._written_at is None or now >= (
            due := self._written_at + LAST_DATA_EVERY
        ):
            self._write()
            return
        self._cancel_write = async_call_later(
            self.hass, (due - now).total_seconds(), self._write_later
        )

    @callback
    def _write_later(self, _now: datetime) -> None:
        self._cancel_write = None
        self._write()

    @callback
    def _write(self) -> None:
        live = self.coordinator.last_received(self.vin)
        if live is None or live == self._attr_native_value:
            return
        self._attr_native_value = live
        self._written_at = dt_util.utcnow()
        self.async_write_ha_state()

    @callback
    def _cancel_pending(self) -> None:
        if self._cancel_write is not None:
            self._cancel_write()
            self._cancel_write = None


class AccountEntity(SensorEntity):
    """A diagnostic sensor of the account (service device per config entry)."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, entry: ConfigEntry, key: str) -> None:
        """Bind to the account device."""
        self._attr_translation_key = key
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            entry_type=DeviceEntryType.SERVICE,
            manufacturer=MANUFACTURER,
            model="CarData",
            name=entry.title,
        )


class StreamStateSensor(AccountEntity):
    """State of the account's MQTT stream (connected, evicted, refused, ...)."""

    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = STREAM_STATES
    # A new time with every wait; the state says that it waits.
    _unrecorded_attributes = frozenset({ATTR_NEXT_ATTEMPT})

    def __init__(self, entry: ConfigEntry, stream: StreamOwner) -> None:
        """Bind to the entry's stream owner."""
        super().__init__(entry, "stream_state")
        self.stream = stream
        self._attr_native_value = str(stream.state)
        self._written: dict[str, Any] = {}

    async def async_added_to_hass(self) -> None:
        """Follow the stream owner."""
        await super().async_added_to_hass()
        self.async_on_remove(self.stream.async_add_listener(self._update))
        self._attr_native_value = str(self.stream.state)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """When the stream tries again while it waits (else None)."""
        at = self.stream.next_attempt
        return {ATTR_NEXT_ATTEMPT: at.isoformat() if at else None}

    @callback
    def _update(self) -> None:
        value = str(self.stream.state)
        attributes = self.extra_state_attributes
        if value != self._attr_native_value or attributes != self._written:
            self._attr_native_value = value
            self._written = attributes
            self.async_write_ha_state()


class TokenExpirySensor(AccountEntity):
    """When the current access and id token expire (refreshed ahead of time).

    Its attributes show a failing refresh while it is retried:
    ``last_refresh_error`` (``connection_error``: BMW unreachable or failing;
    ``invalid_grant``: BMW refused the login, a new one is needed; never a
    token or a message text) and ``next_retry``. Both are None while
    refreshes succeed.
    """

    _attr_device_class = SensorDeviceClass.TIMESTAMP
    # A new time with every retry; the error stays recorded.
    _unrecorded_attributes = frozenset({ATTR_NEXT_RETRY})

    def __init__(self, entry: ConfigEntry, tokens: TokenManager) -> None:
        """Bind to the entry's token manager."""
        super().__init__(entry, "token_expiry")
        self.tokens = tokens
        self._read()

    async def async_added_to_hass(self) -> None:
        """Follow the token manager."""
        await super().async_added_to_hass()
        self.async_on_remove(self.tokens.async_add_listener(self._update))
        self._read()

    def _read(self) -> None:
        tokens = self.tokens
        self._attr_native_value = tokens.expires_at
        next_retry = tokens.next_retry
        error = tokens.last_error
        reason = _REFRESH_ERRORS.get(error, error) if error else None
        self._attr_extra_state_attributes = {
            ATTR_LAST_REFRESH_ERROR: reason,
            ATTR_NEXT_RETRY: next_retry.isoformat() if next_retry else None,
        }

    @callback
    def _update(self) -> None:
        # Every call: a failed refresh changes the attributes, not the expiry.
        self._read()
        self.async_write_ha_state()
