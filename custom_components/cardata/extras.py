"""Extra sensors of the REST side: calls left, charging history, tyres.

- "API calls left today" per account, with the day's call log as attributes.
- Charging history per vehicle (opt-in): the last session as the state's
  source and the sessions of the last 30 days as attributes; fetched at most
  once a day.
- Tyre diagnosis per vehicle (opt-in): the mounted set's overall status with
  per-wheel data as attributes; fetched at most once a day.

The sensor platform calls :func:`async_setup_extra_sensors`. Service actions
hand their answers to :func:`publish_extra`, so a fetch by hand shows here too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.const import EntityCategory
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import STORAGE_DIR
from homeassistant.util import dt as dt_util

from .api import ApiError, CarDataConnectionError
from .const import DOMAIN, LOGGER
from .coordinator import VIN_RE
from .quota import QuotaPlanner, QuotaSpentError, planner_of
from .quota_policy import CallKind
from .runtime import CarDataConfigEntry
from .settings import OPT_CHARGING_HISTORY, OPT_TYRE_DIAGNOSIS, extra_enabled

CHARGING: Final = "charging_history"
TYRES: Final = "tyre_diagnosis"
HISTORY_DAYS: Final = 30
CHECK_EVERY: Final = timedelta(minutes=30)
_WHEELS: Final = ("frontLeft", "frontRight", "rearLeft", "rearRight")

type Listener = Callable[[], None]


class ExtrasHub:
    """Latest extra data per (kind, VIN) of one entry, and their listeners."""

    def __init__(self) -> None:
        """Start empty."""
        self.data: dict[tuple[str, str], Any] = {}
        self.fetched_at: dict[tuple[str, str], datetime] = {}
        self._listeners: dict[tuple[str, str], list[Listener]] = {}

    def publish(self, kind: str, vin: str, data: Any) -> None:
        """Keep new data and wake its entity."""
        key = (kind, vin)
        self.data[key] = data
        self.fetched_at[key] = dt_util.utcnow()
        for listener in list(self._listeners.get(key, ())):
            listener()

    @callback
    def listen(self, kind: str, vin: str, listener: Listener) -> CALLBACK_TYPE:
        """Call ``listener`` when data of (kind, VIN) arrives."""
        bucket = self._listeners.setdefault((kind, vin), [])
        bucket.append(listener)

        @callback
        def _remove() -> None:
            if listener in bucket:
                bucket.remove(listener)

        return _remove


def hub_of(entry: CarDataConfigEntry) -> ExtrasHub:
    """Return the entry's extras hub (kept with its quota planner)."""
    planner = planner_of(entry)
    hub = getattr(planner, "extras", None)
    if not isinstance(hub, ExtrasHub):
        hub = ExtrasHub()
        planner.extras = hub
    return hub


def publish_extra(entry: CarDataConfigEntry, kind: str, vin: str, data: Any) -> None:
    """Show data fetched elsewhere (a service action) in the extra sensors."""
    hub_of(entry).publish(kind, vin, data)


def image_path(hass: HomeAssistant, planner: QuotaPlanner, vin: str) -> Path:
    """Return where the vehicle image is cached (file named by a masked VIN)."""
    return Path(
        hass.config.path(STORAGE_DIR, DOMAIN, f"{planner.vehicle_ref(vin)}.png")
    )


async def async_store_image(
    hass: HomeAssistant, entry: CarDataConfigEntry, vin: str, image: bytes
) -> None:
    """Cache a vehicle image on disk and wake the image entity."""
    path = image_path(hass, planner_of(entry), vin)

    def _write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(image)

    await hass.async_add_executor_job(_write)
    hub_of(entry).publish("image", vin, len(image))


def _account_device(entry: CarDataConfigEntry) -> DeviceInfo:
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
    _attr_native_unit_of_measurement = "calls"
    _unrecorded_attributes = frozenset({"calls_today"})

    def __init__(self, entry: CarDataConfigEntry) -> None:
        """Bind to the entry's quota planner."""
        self._planner = planner_of(entry)
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


class _VehicleExtraSensor(SensorEntity):
    """Base of the per-vehicle daily extras."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    kind: str = ""

    def __init__(self, entry: CarDataConfigEntry, vin: str) -> None:
        """Bind to one vehicle."""
        self.entry = entry
        self.vin = vin
        self._attr_unique_id = f"{vin}_{self.kind}"
        self._attr_translation_key = self.kind
        self._attr_device_info = entry.runtime_data.coordinator.device_info(vin)

    async def async_added_to_hass(self) -> None:
        """Take what the hub holds and follow it."""
        hub = hub_of(self.entry)
        self.async_on_remove(hub.listen(self.kind, self.vin, self._update))
        if (data := hub.data.get((self.kind, self.vin))) is not None:
            self._take(data)

    @callback
    def _update(self) -> None:
        data = hub_of(self.entry).data.get((self.kind, self.vin))
        if data is not None:
            self._take(data)
            self.async_write_ha_state()

    def _take(self, data: Any) -> None:
        raise NotImplementedError


class ChargingHistorySensor(_VehicleExtraSensor):
    """End of the last charging session; the last 30 days as attributes."""

    kind = CHARGING
    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _unrecorded_attributes = frozenset({"sessions"})

    def _take(self, data: Any) -> None:
        sessions = (
            [s for s in data if isinstance(s, dict)] if isinstance(data, list) else []
        )
        sessions.sort(key=lambda s: s.get("endTime") or s.get("startTime") or 0)
        last = sessions[-1] if sessions else None
        self._attr_native_value = _epoch(last.get("endTime")) if last else None
        self._attr_extra_state_attributes = {
            "last_session": last,
            "sessions": sessions,
            "session_count": len(sessions),
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
        self._attr_extra_state_attributes = {
            wheel: mounted.get(wheel) for wheel in _WHEELS if wheel in mounted
        } | {"label": mounted.get("label")}


def _epoch(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    seconds = value / 1000 if value > 100_000_000_000 else value  # noqa: PLR2004
    return dt_util.utc_from_timestamp(seconds)


async def async_fetch_daily_extras(entry: CarDataConfigEntry) -> int:
    """Fetch the enabled extras that are due (at most once a day each)."""
    planner, api = planner_of(entry), entry.runtime_data.api
    hub = hub_of(entry)
    vins = [v for v in entry.runtime_data.coordinator.vehicles if VIN_RE.match(v)]
    fetched = 0
    for vin in vins:
        for kind, option in (
            (CHARGING, OPT_CHARGING_HISTORY),
            (TYRES, OPT_TYRE_DIAGNOSIS),
        ):
            if not extra_enabled(entry.options, option) or not planner.extra_due(
                kind, vin
            ):
                continue
            planner.mark_extra(kind, vin)
            try:
                if kind == CHARGING:
                    end = dt_util.utcnow()
                    start = end - timedelta(days=HISTORY_DAYS)
                    data: Any = await planner.async_call(
                        CallKind.EXTRA,
                        partial(api.get_charging_history, vin, start, end),
                    )
                else:
                    data = await planner.async_call(
                        CallKind.EXTRA, partial(api.get_tyre_diagnosis, vin)
                    )
            except QuotaSpentError:
                return fetched
            except (ApiError, CarDataConnectionError) as err:
                LOGGER.debug("Daily %s fetch failed: %s", kind, type(err).__name__)
                continue
            hub.publish(kind, vin, data)
            fetched += 1
    return fetched


async def async_setup_extra_sensors(
    hass: HomeAssistant,
    entry: CarDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the extra sensors now and for vehicles that appear later."""
    async_add_entities([ApiCallsLeftSensor(entry)])
    options = entry.options
    charging = extra_enabled(options, OPT_CHARGING_HISTORY)
    tyres = extra_enabled(options, OPT_TYRE_DIAGNOSIS)
    if not (charging or tyres):
        return
    coordinator = entry.runtime_data.coordinator
    added: set[str] = set()

    @callback
    def _check(_now: datetime | None = None) -> None:
        entry.async_create_background_task(
            hass, async_fetch_daily_extras(entry), f"{DOMAIN} daily extras"
        )

    @callback
    def _add_vehicle(vin: str) -> None:
        if vin in added or not VIN_RE.match(vin):
            return
        added.add(vin)
        entities: list[Entity] = []
        if charging:
            entities.append(ChargingHistorySensor(entry, vin))
        if tyres:
            entities.append(TyreDiagnosisSensor(entry, vin))
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
