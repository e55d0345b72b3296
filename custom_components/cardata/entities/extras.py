"""The extra sensors: API calls left, and the opt-in daily extras per vehicle.

- "API calls left today" per account, with the day's call log as attributes.
- Charging history per vehicle (opt-in): the last session as the state's
  source and a summary of the sessions of the last 30 days (no location) as
  attributes (``complete`` says whether BMW had more).
- Tyre diagnosis per vehicle (opt-in): the mounted set's overall status with
  per-wheel data as attributes.

Both restore their last state at start: the data is fetched at most once a
day (:mod:`..rest.extras`). The sensor platform calls
:func:`async_setup_extra_sensors`.
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
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from ..api.rest import ChargingHistory
from ..api.vin import VIN_RE
from ..common.settings import OPT_CHARGING_HISTORY, OPT_TYRE_DIAGNOSIS, extra_enabled
from ..const import DOMAIN
from ..data.coordinator import CarDataCoordinator
from ..rest.bootstrap import RestContext
from ..rest.extras import (
    CHARGING,
    CHECK_EVERY,
    TYRES,
    ExtrasHub,
    async_fetch_daily_extras,
)
from ..rest.quota import QuotaPlanner
from ..rest.quota_policy import CallKind

_WHEELS: Final = ("frontLeft", "frontRight", "rearLeft", "rearRight")
_SESSION_KEYS: Final = (
    "startTime",
    "endTime",
    "timeZone",
    "displayedStartSoc",
    "displayedSoc",
    "totalChargingDurationSec",
    "energyConsumedFromPowerGridKwh",
    "isPreconditioningActivated",
    "mileage",
    "mileageUnits",
    "chargingCostInformation",
)


def _account_device(entry: ConfigEntry) -> DeviceInfo:
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="BMW",
        model="CarData",
        name=entry.title,
    )


class ApiCallsLeftSensor(SensorEntity):
    """How many API calls are left today; the day's log as attributes."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    _attr_translation_key = "api_calls_left"
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    # The call log grows with each call and the next possible call moves with
    # the rolling window; the counters and a block stay recorded.
    _unrecorded_attributes = frozenset({"calls_today", "next_call_possible_at"})

    def __init__(self, entry: ConfigEntry, planner: QuotaPlanner) -> None:
        """Bind to the entry's quota planner."""
        self._planner = planner
        self._attr_unique_id = f"{entry.entry_id}_api_calls_left"
        self._attr_device_info = _account_device(entry)

    async def async_added_to_hass(self) -> None:
        """Follow the planner; re-evaluate hourly as old calls leave the window."""
        self.async_on_remove(self._planner.async_add_listener(self._update))
        self.async_on_remove(
            async_track_time_interval(self.hass, self._tick, timedelta(minutes=10))
        )

    @callback
    def _tick(self, _now: datetime) -> None:
        self.async_write_ha_state()

    @callback
    def _update(self) -> None:
        self.async_write_ha_state()

    @property
    def native_value(self) -> int:
        """Calls an owner can still make today (0 while BMW blocks)."""
        return self._planner.remaining(CallKind.USER)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Counters, the assumed reset rule and today's calls (VINs masked)."""
        return {**self._planner.summary(), "calls_today": self._planner.day_log()}


class _VehicleExtraSensor(RestoreSensor):
    """Base of the per-vehicle daily extras.

    The data is fetched at most once a day, so the last state and its
    attributes are restored at start: a restart or a reload (an options
    change) shows the last answer instead of nothing until the next fetch.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False
    kind: str = ""

    def __init__(
        self, hub: ExtrasHub, coordinator: CarDataCoordinator, vin: str
    ) -> None:
        """Bind to one vehicle."""
        self.hub = hub
        self.vin = vin
        self._attr_unique_id = f"{vin}_{self.kind}"
        self._attr_translation_key = self.kind
        self._attr_device_info = coordinator.device_info(vin)

    async def async_added_to_hass(self) -> None:
        """Take what the hub holds, else the restored state; then follow it."""
        hub = self.hub
        key = (self.kind, self.vin)
        self.async_on_remove(hub.listen(self.kind, self.vin, self._update))
        if (data := hub.data.get(key)) is not None:
            self._take(data)
            return
        stored = await self.async_get_last_sensor_data()
        last = await self.async_get_last_state()
        if key in hub.data or stored is None or last is None:
            return  # fresh data arrived meanwhile, or nothing to restore
        self._restore(stored.native_value, dict(last.attributes))

    @callback
    def _update(self) -> None:
        data = self.hub.data.get((self.kind, self.vin))
        if data is not None:
            self._take(data)
            self.async_write_ha_state()

    def _take(self, data: Any) -> None:
        raise NotImplementedError

    def _restore(self, value: Any, attributes: dict[str, Any]) -> None:
        raise NotImplementedError


class ChargingHistorySensor(_VehicleExtraSensor):
    """End of the last charging session; the last 30 days as attributes.

    The attributes keep a summary of each session (times, energy, charge
    levels, mileage, cost), never where the car charged: the full answer,
    with the charging location, is what the ``fetch_charging_history``
    action returns.
    """

    kind = CHARGING
    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _unrecorded_attributes = frozenset({"sessions"})

    def _take(self, data: Any) -> None:
        complete = True
        if isinstance(data, ChargingHistory):
            data, complete = data.sessions, data.complete
        sessions = (
            [s for s in data if isinstance(s, dict)] if isinstance(data, list) else []
        )
        sessions.sort(key=lambda s: s.get("endTime") or s.get("startTime") or 0)
        last = sessions[-1] if sessions else None
        self._attr_native_value = _epoch(last.get("endTime")) if last else None
        self._set_attributes([_summary(s) for s in sessions], complete)

    def _restore(self, value: Any, attributes: dict[str, Any]) -> None:
        if isinstance(value, datetime) and value.tzinfo is not None:
            self._attr_native_value = value
        raw = attributes.get("sessions")
        sessions = (
            [_summary(s) for s in raw if isinstance(s, dict)]
            if isinstance(raw, list)
            else []
        )
        self._set_attributes(sessions, attributes.get("complete") is not False)

    def _set_attributes(self, sessions: list[dict[str, Any]], complete: bool) -> None:
        self._attr_extra_state_attributes = {
            "last_session": sessions[-1] if sessions else None,
            "sessions": sessions,
            "session_count": len(sessions),
            "complete": complete,
        }


class TyreDiagnosisSensor(_VehicleExtraSensor):
    """Overall status of the mounted tyres; per-wheel data as attributes."""

    kind = TYRES

    def _take(self, data: Any) -> None:
        car = data.get("passengerCar") if isinstance(data, dict) else None
        mounted = car.get("mountedTyres") if isinstance(car, dict) else None
        mounted = mounted if isinstance(mounted, dict) else {}
        status = mounted.get("aggregatedQualityStatus")
        if isinstance(status, dict):
            status = status.get("qualityStatus") or status.get("status")
        self._attr_native_value = str(status) if status is not None else None
        self._attr_extra_state_attributes = _tyre_attributes(mounted)

    def _restore(self, value: Any, attributes: dict[str, Any]) -> None:
        self._attr_native_value = str(value) if value is not None else None
        self._attr_extra_state_attributes = _tyre_attributes(attributes)


def _tyre_attributes(mounted: dict[str, Any]) -> dict[str, Any]:
    return {wheel: mounted.get(wheel) for wheel in _WHEELS if wheel in mounted} | {
        "label": mounted.get("label")
    }


def _summary(session: dict[str, Any]) -> dict[str, Any]:
    """Return the parts of a session kept as attributes (no location)."""
    return {key: session[key] for key in _SESSION_KEYS if key in session}


def _epoch(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = value / 1000 if value > 100_000_000_000 else value  # noqa: PLR2004
    return dt_util.utc_from_timestamp(seconds)


async def async_setup_extra_sensors(
    hass: HomeAssistant,
    entry: ConfigEntry,
    rest: RestContext,
    hub: ExtrasHub,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the extra sensors now and for vehicles that appear later."""
    async_add_entities([ApiCallsLeftSensor(entry, rest.planner)])
    options = entry.options
    charging = extra_enabled(options, OPT_CHARGING_HISTORY)
    tyres = extra_enabled(options, OPT_TYRE_DIAGNOSIS)
    if not (charging or tyres):
        return
    coordinator = rest.coordinator
    added: set[str] = set()

    @callback
    def _check(_now: datetime | None = None) -> None:
        entry.async_create_background_task(
            hass,
            async_fetch_daily_extras(rest, hub, entry.options),
            f"{DOMAIN} daily extras",
        )

    @callback
    def _add_vehicle(vin: str) -> None:
        if vin in added or not VIN_RE.match(vin):
            return
        added.add(vin)
        entities: list[Entity] = []
        if charging:
            entities.append(ChargingHistorySensor(hub, coordinator, vin))
        if tyres:
            entities.append(TyreDiagnosisSensor(hub, coordinator, vin))
        async_add_entities(entities)

    for vin in list(coordinator.vehicles):
        _add_vehicle(vin)

    @callback
    def _new_vehicle(vin: str) -> None:
        _add_vehicle(vin)
        _check()  # a new vehicle's extras are due at once

    entry.async_on_unload(coordinator.async_add_vehicle_listener(_new_vehicle))
    entry.async_on_unload(async_track_time_interval(hass, _check, CHECK_EVERY))
    _check()  # only what is due: never fetched, or more than a day ago
