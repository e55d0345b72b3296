"""Service actions: ask BMW now and return the answer.

Each action targets a vehicle (a device or a VIN) or an account (a config
entry), goes through the account's quota planner as a user action (it may use
the reserve, never more than the budget) and returns BMW's answer as the
action's response, so it shows in the developer tools.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import VolSchemaType
from homeassistant.util import dt as dt_util

from .api import (
    CarDataConnectionError,
    CarDataError,
    QuotaExceededError,
)
from .api.rest import MAX_PAGES
from .api.vin import VIN_RE
from .common.display import local_time
from .common.schema import int_range, vol
from .const import DOMAIN
from .flows.answers import describe_error, telematic_response
from .ledger.hub import UnknownSessionError
from .ledger.model import SessionClass
from .ledger.report import session_row, summary
from .rest.bootstrap import async_fetch_telematic, device_fields
from .rest.extras import CHARGING, TYRES, async_store_image
from .rest.quota import QuotaSpentError
from .rest.quota_policy import CallKind
from .runtime.data import CarDataConfigEntry

ATTR_DEVICE_ID: Final = "device_id"
ATTR_VIN: Final = "vin"
ATTR_ENTRY: Final = "config_entry_id"
ATTR_DAYS: Final = "days"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_SESSION: Final = "session_start"
ATTR_CLASS: Final = "class"
AUTOMATIC: Final = "automatic"

SERVICE_TELEMATIC: Final = "fetch_telematic_data"
SERVICE_MAPPINGS: Final = "fetch_vehicle_mappings"
SERVICE_BASIC: Final = "fetch_basic_data"
SERVICE_CHARGING: Final = "fetch_charging_history"
SERVICE_TYRES: Final = "fetch_tyre_diagnosis"
SERVICE_IMAGE: Final = "fetch_vehicle_image"
SERVICE_TRIPS: Final = "get_trips"
SERVICE_SESSIONS: Final = "get_charging_sessions"
SERVICE_SESSION_CLASS: Final = "set_charging_session_class"

_TARGET = {
    vol.Optional(ATTR_DEVICE_ID): vol.All(cv.ensure_list, [cv.string]),
    vol.Optional(ATTR_VIN): cv.string,
    vol.Optional(ATTR_ENTRY): cv.string,
}
SCHEMA: Final = vol.Schema(_TARGET)
SCHEMA_CHARGING: Final = vol.Schema(
    {
        **_TARGET,
        vol.Optional(ATTR_DAYS, default=30): int_range(1, 90),
    }
)
SCHEMA_PERIOD: Final = vol.Schema(
    {
        **_TARGET,
        vol.Optional(ATTR_START): cv.datetime,
        vol.Optional(ATTR_END): cv.datetime,
    }
)
SCHEMA_SESSION_CLASS: Final = vol.Schema(
    {
        **_TARGET,
        vol.Required(ATTR_SESSION): cv.datetime,
        vol.Required(ATTR_CLASS): vol.In([*SessionClass, AUTOMATIC]),
    }
)

type Target = list[tuple[CarDataConfigEntry, str | None]]


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def _loaded(hass: HomeAssistant) -> list[CarDataConfigEntry]:
    return [
        entry
        for entry in hass.config_entries.async_entries(DOMAIN)
        if entry.state is ConfigEntryState.LOADED
    ]


def _vehicles(entry: CarDataConfigEntry) -> list[str]:
    return [vin for vin in entry.runtime_data.coordinator.vehicles if VIN_RE.match(vin)]


def resolve_targets(hass: HomeAssistant, data: dict[str, Any]) -> Target:
    """Return (entry, VIN or None for the account) pairs the call is about.

    Raises:
        ServiceValidationError: nothing or two kinds of target chosen, a
            malformed VIN, or a vehicle/account no loaded entry knows.
    """
    devices: list[str] = data.get(ATTR_DEVICE_ID) or []
    vin_raw: str | None = data.get(ATTR_VIN)
    entry_id: str | None = data.get(ATTR_ENTRY)
    chosen = sum(1 for item in (devices, vin_raw, entry_id) if item)
    if chosen == 0:
        raise _invalid("target_missing")
    if chosen > 1:
        raise _invalid("target_ambiguous")
    loaded = _loaded(hass)
    if entry_id:
        for entry in loaded:
            if entry.entry_id == entry_id:
                return [(entry, None)]
        raise _invalid("account_unknown")
    if vin_raw:
        vin = vin_raw.strip()
        if not VIN_RE.match(vin):
            raise _invalid("vin_invalid", vin=vin[:20])
        return [(_entry_of(loaded, vin), vin)]
    registry = dr.async_get(hass)
    return [
        (_entry_of(loaded, vin), vin)
        for vin in (_device_vin(registry, device_id) for device_id in devices)
    ]


def _device_vin(registry: dr.DeviceRegistry, device_id: str) -> str:
    """The VIN of a vehicle device; the account's own device is refused."""
    device = registry.async_get(device_id)
    idents = device.identifiers if device else set()
    for domain, ident in idents:
        if domain == DOMAIN and VIN_RE.match(ident):
            return ident
    if any(domain == DOMAIN for domain, _ in idents):
        raise _invalid("device_is_account")
    raise _invalid("device_unknown")


def _entry_of(loaded: list[CarDataConfigEntry], vin: str) -> CarDataConfigEntry:
    for entry in loaded:
        if vin in _vehicles(entry):
            return entry
    raise _invalid("vehicle_unknown")


def _per_vehicle(targets: Target) -> list[tuple[CarDataConfigEntry, str]]:
    """Expand account targets to every vehicle of the account."""
    result: list[tuple[CarDataConfigEntry, str]] = []
    for entry, vin in targets:
        if vin is None:
            result.extend((entry, v) for v in _vehicles(entry))
        else:
            result.append((entry, vin))
    return result


def _check_budget(pairs: list[tuple[CarDataConfigEntry, Any]]) -> None:
    """Refuse before the first call when the calls do not fit."""
    needed: dict[str, int] = {}
    entries: dict[str, CarDataConfigEntry] = {}
    for entry, _ in pairs:
        needed[entry.entry_id] = needed.get(entry.entry_id, 0) + 1
        entries[entry.entry_id] = entry
    for entry_id, calls in needed.items():
        planner = entries[entry_id].runtime_data.quota
        left = planner.remaining(CallKind.USER)
        if left == 0:
            raise _spent(
                planner.blocked_until or planner.policy.next_slot_at(dt_util.utcnow())
            )
        if left < calls:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="too_many_vehicles",
                translation_placeholders={"calls": str(calls), "left": str(left)},
            )


def _spent(until: Any) -> HomeAssistantError:
    if until is None:
        return HomeAssistantError(
            translation_domain=DOMAIN, translation_key="quota_spent_unknown"
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="quota_spent",
        translation_placeholders={"until": local_time(until, round_up=True)},
    )


async def _guarded[T](call: Callable[[], Awaitable[T]]) -> T:
    """Run one BMW request, turning failures into translated errors."""
    try:
        return await call()
    except QuotaSpentError as err:
        raise _spent(err.until) from err
    except QuotaExceededError as err:
        wait = err.retry_after
        until = dt_util.utcnow() + timedelta(seconds=wait) if wait is not None else None
        raise _spent(until) from err
    except CarDataConnectionError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="api_unreachable"
        ) from err
    except CarDataError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="api_failed",
            translation_placeholders={"error": describe_error(err)},
        ) from err


type VehicleFetch = Callable[[CarDataConfigEntry, str], Awaitable[Any]]


async def _for_each_vehicle(call: ServiceCall, fetch: VehicleFetch) -> ServiceResponse:
    """Check the budget for every target vehicle, then ask BMW for each."""
    pairs = _per_vehicle(resolve_targets(call.hass, dict(call.data)))
    _check_budget(pairs)
    return {"vehicles": {vin: await fetch(entry, vin) for entry, vin in pairs}}


async def _user_call[T](
    entry: CarDataConfigEntry, request: Callable[[], Awaitable[T]]
) -> T:
    """One call the owner asked for, admitted by the account's planner."""
    return await _guarded(
        partial(entry.runtime_data.quota.async_call, CallKind.USER, request)
    )


async def _fetch_telematic(call: ServiceCall) -> ServiceResponse:
    async def one(entry: CarDataConfigEntry, vin: str) -> Any:
        values = await _guarded(
            partial(async_fetch_telematic, entry.runtime_data.rest, vin, CallKind.USER)
        )
        if values is None:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="no_container"
            )
        return telematic_response(values)

    return await _for_each_vehicle(call, one)


async def _fetch_mappings(call: ServiceCall) -> ServiceResponse:
    targets = resolve_targets(call.hass, dict(call.data))
    entries = {entry.entry_id: entry for entry, _ in targets}
    _check_budget([(entry, None) for entry in entries.values()])
    result: list[dict[str, Any]] = []
    for entry in entries.values():
        mappings = await _user_call(entry, entry.runtime_data.api.get_mappings)
        await entry.runtime_data.poller.sync.async_mappings_read(
            mappings, CallKind.USER
        )
        result.extend(
            {
                "vin": m.vin,
                "mappingType": m.mapping_type,
                "mappedSince": m.mapped_since.isoformat() if m.mapped_since else None,
            }
            for m in mappings
        )
    return {"mappings": cast("Any", result)}


async def _fetch_basic(call: ServiceCall) -> ServiceResponse:
    async def one(entry: CarDataConfigEntry, vin: str) -> Any:
        api = entry.runtime_data.api
        basic = await _user_call(entry, partial(api.get_basic_data, vin))
        entry.runtime_data.coordinator.set_device_info(vin, **device_fields(basic))
        return basic.raw

    return await _for_each_vehicle(call, one)


async def _fetch_charging(call: ServiceCall) -> ServiceResponse:
    """Return each vehicle's sessions; ``complete`` is false when cut short.

    Every page of the history is one call. A vehicle gets the pages the budget
    still allows after keeping one call for each vehicle still to come, so the
    budget is never exceeded and every vehicle is asked.
    """
    pairs = _per_vehicle(resolve_targets(call.hass, dict(call.data)))
    _check_budget(pairs)
    end = dt_util.utcnow()
    start = end - timedelta(days=int(call.data.get(ATTR_DAYS, 30)))
    result: dict[str, Any] = {}
    for index, (entry, vin) in enumerate(pairs):
        planner, api = entry.runtime_data.quota, entry.runtime_data.api
        later = sum(1 for other, _ in pairs[index + 1 :] if other is entry)
        pages = max(1, min(MAX_PAGES, planner.remaining(CallKind.USER) - later))
        history = await _guarded(
            partial(
                planner.async_call,
                CallKind.USER,
                partial(
                    api.get_charging_history_pages, vin, start, end, max_pages=pages
                ),
                calls=pages,
            )
        )
        entry.runtime_data.extras.publish(CHARGING, vin, history)
        result[vin] = {
            "sessions": history.sessions,
            "complete": history.complete,
            "pages": history.pages,
        }
    return {"vehicles": result}


async def _fetch_tyres(call: ServiceCall) -> ServiceResponse:
    async def one(entry: CarDataConfigEntry, vin: str) -> Any:
        api = entry.runtime_data.api
        diagnosis = await _user_call(entry, partial(api.get_tyre_diagnosis, vin))
        entry.runtime_data.extras.publish(TYRES, vin, diagnosis)
        return diagnosis

    return await _for_each_vehicle(call, one)


async def _fetch_image(call: ServiceCall) -> ServiceResponse:
    async def one(entry: CarDataConfigEntry, vin: str) -> Any:
        image = await _user_call(entry, partial(entry.runtime_data.api.get_image, vin))
        runtime = entry.runtime_data
        content_type = await async_store_image(
            call.hass, runtime.quota, runtime.extras, vin, image
        )
        return {
            "content_type": content_type or "application/octet-stream",
            "bytes": len(image),
        }

    return await _for_each_vehicle(call, one)


def _aware(value: datetime) -> datetime:
    """A time the owner typed, in Home Assistant's time zone when it has none."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt_util.get_default_time_zone())
    return dt_util.as_utc(value)


async def _get_sessions(call: ServiceCall) -> ServiceResponse:
    """The ledger's sessions of a period (this month by default); no BMW call."""
    now = dt_util.now()
    start = call.data.get(ATTR_START)
    end = call.data.get(ATTR_END)
    start = _aware(start) if start else dt_util.start_of_local_day(now.replace(day=1))
    end = _aware(end) if end else None
    result: dict[str, Any] = {}
    for entry, vin in _per_vehicle(resolve_targets(call.hass, dict(call.data))):
        ledger = entry.runtime_data.ledger
        sessions = ledger.vehicle_sessions(vin, start, end)
        currency = call.hass.config.currency
        result[vin] = {
            "sessions": [session_row(s, ledger.pricing, currency) for s in sessions],
            **summary(sessions, ledger.pricing),
            "currency": currency,
        }
    return {"vehicles": result}


async def _set_session_class(call: ServiceCall) -> ServiceResponse:
    """The owner's class of one session (``automatic``: the rule's again)."""
    targets = _per_vehicle(resolve_targets(call.hass, dict(call.data)))
    if len(targets) != 1:
        raise _invalid("session_vehicle_one")
    entry, vin = targets[0]
    ledger = entry.runtime_data.ledger
    word = call.data[ATTR_CLASS]
    cls = None if word == AUTOMATIC else SessionClass(word)
    try:
        session = ledger.set_class(vin, _aware(call.data[ATTR_SESSION]), cls)
    except UnknownSessionError as err:
        raise _invalid("session_unknown") from err
    return {"session": session_row(session, ledger.pricing, call.hass.config.currency)}


async def _get_trips(call: ServiceCall) -> ServiceResponse:
    """The trip journal of the period (no API call: the journal is local)."""
    pairs = _per_vehicle(resolve_targets(call.hass, dict(call.data)))
    start = _aware(value) if (value := call.data.get(ATTR_START)) else None
    end = _aware(value) if (value := call.data.get(ATTR_END)) else None
    if start is not None and end is not None and end <= start:
        raise _invalid("period_invalid")
    vehicles: dict[str, Any] = {
        vin: entry.runtime_data.trips.query(vin, start, end) for entry, vin in pairs
    }
    return {"vehicles": vehicles}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the service actions (from ``async_setup``)."""
    for name, handler, schema in (
        (SERVICE_TELEMATIC, _fetch_telematic, SCHEMA),
        (SERVICE_MAPPINGS, _fetch_mappings, SCHEMA),
        (SERVICE_BASIC, _fetch_basic, SCHEMA),
        (SERVICE_CHARGING, _fetch_charging, SCHEMA_CHARGING),
        (SERVICE_TYRES, _fetch_tyres, SCHEMA),
        (SERVICE_IMAGE, _fetch_image, SCHEMA),
        (SERVICE_SESSIONS, _get_sessions, SCHEMA_PERIOD),
        (SERVICE_SESSION_CLASS, _set_session_class, SCHEMA_SESSION_CLASS),
    ):
        hass.services.async_register(
            DOMAIN,
            name,
            handler,
            schema=cast("VolSchemaType", schema),
            supports_response=SupportsResponse.OPTIONAL,
        )
    hass.services.async_register(
        DOMAIN,
        SERVICE_TRIPS,
        _get_trips,
        schema=cast("VolSchemaType", SCHEMA_PERIOD),
        supports_response=SupportsResponse.ONLY,
    )
