"""First set-up over REST: vehicles, device details, the telematic container.

Runs once per config entry, on its first set-up: the vehicle mappings
(PRIMARY vehicles become devices; a SECONDARY one gets a repair issue),
basicData per vehicle (device brand, model, ...; a car BMW has none of
keeps its maker's name), the integration's telematic container (stored id
reused; an existing one with our name and purpose reused before creating
one) and one telematicData call per vehicle that has no restored state.
Whether it ran is kept in a Store per entry, so a restart, a token refresh or
a stream reconnect calls nothing.

The module also holds the pieces every other REST user shares: the container
(with the CU-105 "create again once" rule) and a telematic fetch that applies
what came back to the coordinator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from http import HTTPStatus
import re
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..api import (
    ApiError,
    BasicData,
    CarDataApi,
    CarDataConnectionError,
    ContainerInvalidError,
    ContainerLimitError,
    TelematicValue,
    VehicleMapping,
    VehicleNotPermittedError,
)
from ..api.parser import convert_value
from ..catalogue.descriptors import catalogue_descriptors
from ..common.issues import (
    async_clear_container_limit,
    async_report_container_limit,
    async_sync_secondary_vehicles,
    container_limit_reported,
)
from ..common.listeners import Listeners
from ..const import CONF_CONTAINER_ID, DOMAIN, LOGGER
from ..data.coordinator import CarDataCoordinator
from ..data.state import DescriptorState
from .quota import QuotaPlanner, QuotaSpentError
from .quota_policy import PRIORITY_KINDS, CallKind

CONTAINER_NAME: Final = "Home Assistant BMW CarData"
CONTAINER_PURPOSE: Final = "Telematic polling while the stream is silent"
#: Served by their own endpoints, not through a container.
DEDICATED_DESCRIPTORS: Final = frozenset(
    {
        "vehicle.chassis.axle.wheel.tire.diagnosis",
        "vehicle.look.image",
        "vehicle.powertrain.electric.battery.charging.history.sessionsList",
        "vehicle.powertrain.electric.battery.charging.settingsList",
        "vehicle.vehicleIdentification.basicVehicleData",
    }
)
STORAGE_VERSION: Final = 1
_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?\d+\.\d+$")


@dataclass(frozen=True, slots=True)
class RestContext:
    """What every REST read of one entry uses, handed over once at set-up."""

    hass: HomeAssistant
    entry: ConfigEntry
    api: CarDataApi
    planner: QuotaPlanner
    coordinator: CarDataCoordinator
    answers: Listeners[str, Mapping[str, TelematicValue]] = field(
        default_factory=Listeners
    )
    """Told ``(vin, answer)`` of every telematicData read (the coverage report)."""


def container_descriptors() -> list[str]:
    """Return the descriptors the integration's container asks for."""
    return [d for d in catalogue_descriptors() if d not in DEDICATED_DESCRIPTORS]


class VehicleRecord:
    """Whether the first set-up ran (in a Store; no VIN is written there)."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the Store of one entry; call :meth:`async_load`."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.vehicles.{entry_id}", private=True
        )
        self.done = False
        self.mappings: dict[str, str] = {}
        self.mappings_checked_at: datetime | None = None
        """When BMW's mappings were last read (see :mod:`.vehicle_sync`)."""
        self.watching_since: datetime | None = None
        """When the entry first watched its vehicles for silence."""

    async def async_load(self) -> None:
        """Read what an earlier set-up stored (whether it ran, and when)."""
        data = await self._store.async_load()
        if isinstance(data, dict):
            self.done = data.get("done") is True
            checked = data.get("mappings_checked_at")
            self.mappings_checked_at = _moment(checked)
            self.watching_since = _moment(data.get("watching_since"))

    @property
    def primary(self) -> list[str]:
        """VINs the account is the primary user of."""
        return [vin for vin, kind in self.mappings.items() if kind.upper() == "PRIMARY"]

    def set_mappings(self, mappings: list[VehicleMapping]) -> None:
        """Remember the mappings BMW returned."""
        self.mappings = {m.vin: m.mapping_type for m in mappings}

    async def async_save(self) -> None:
        """Write the record now."""
        checked, since = self.mappings_checked_at, self.watching_since
        await self._store.async_save(
            {
                "done": self.done,
                "vehicles": len(self.primary),
                "mappings_checked_at": checked.isoformat() if checked else None,
                "watching_since": since.isoformat() if since else None,
            }
        )

    async def async_remove(self) -> None:
        """Delete the record (the entry is being removed)."""
        await self._store.async_remove()


def _moment(text: object) -> datetime | None:
    return dt_util.parse_datetime(text) if isinstance(text, str) else None


def no_basic_data(err: ApiError) -> bool:
    """Whether BMW's error is about one car's basic data only (set-up goes on).

    CU-104: the VIN is not permitted. HTTP 404: BMW keeps no basic data of
    the car (the OpenAPI's "Not found"; no code for it in BMW's guide, so
    whatever code comes with it). Such a car is named after its VIN's maker
    (MINI, BMW, ...); other errors (quota, token, server) stop the set-up.
    """
    if isinstance(err, VehicleNotPermittedError):
        return True
    return err.status == HTTPStatus.NOT_FOUND


# BMW's brand values (OpenAPI) where the brand reads differently.
BRAND_NAMES: Final = {"BMWi": "BMW i", "Toyota-Supra": "Toyota"}


def device_fields(basic: BasicData) -> dict[str, str | None]:
    """Return device registry fields from basicData (absent facts skipped).

    The brand (BMW, MINI, ...) becomes the manufacturer, and with it the
    device's name (see ``CarDataCoordinator.device_info``); a name the owner
    gave the device is Home Assistant's own and stays.
    """
    brand = BRAND_NAMES.get(basic.brand or "", basic.brand)
    return {
        "manufacturer": brand,
        "model": basic.model_name or basic.series,
        "model_id": basic.model_key,
        "sw_version": basic.pu_step,
        "hw_version": basic.head_unit,
    }


def rest_value(raw: str | None) -> Any:
    """Turn a REST value (always a string) into the stream's value types."""
    if raw is None:
        return None
    text = raw.strip()
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    usable, value = convert_value(text)
    return value if usable else text


def apply_telematic(
    rest: RestContext, vin: str, values: Mapping[str, TelematicValue]
) -> int:
    """Hand a telematicData answer to the coordinator; return values applied."""
    received = dt_util.utcnow()
    states = {
        name: DescriptorState(rest_value(v.value), v.unit, v.timestamp, received)
        for name, v in values.items()
        if v.value is not None or v.timestamp is not None
    }
    if states:
        rest.coordinator.async_apply_values(vin, states)
    rest.answers.notify(vin, values)
    return len(states)


async def async_ensure_container(rest: RestContext, kind: CallKind) -> str | None:
    """Return the container id, reusing a stored or a matching one first.

    Creating may hit BMW's limit of 10 containers (CU-124): then a repair
    issue says how to free a slot and ``None`` is returned.
    """
    hass, entry = rest.hass, rest.entry
    if stored := entry.data.get(CONF_CONTAINER_ID):
        return str(stored)
    if kind not in PRIORITY_KINDS and container_limit_reported(hass, entry):
        return None  # the owner has to free a slot first (repair issue)
    api, planner = rest.api, rest.planner
    existing = await planner.async_call(kind, api.list_containers)
    for container in existing:
        if (
            container.name == CONTAINER_NAME
            and container.purpose == CONTAINER_PURPOSE
            and container.is_active
        ):
            _store_container(rest, container.container_id)
            return container.container_id
    try:
        created = await planner.async_call(
            kind,
            lambda: api.create_container(
                CONTAINER_NAME, CONTAINER_PURPOSE, container_descriptors()
            ),
        )
    except ContainerLimitError:
        LOGGER.warning("No free container slot at BMW; see the repair issue")
        async_report_container_limit(hass, entry)
        return None
    _store_container(rest, created.container_id)
    return created.container_id


def _store_container(rest: RestContext, container_id: str | None) -> None:
    entry = rest.entry
    data = {k: v for k, v in entry.data.items() if k != CONF_CONTAINER_ID}
    if container_id is not None:
        data[CONF_CONTAINER_ID] = container_id
        async_clear_container_limit(rest.hass, entry)
    rest.hass.config_entries.async_update_entry(entry, data=data)


def forget_container(rest: RestContext) -> None:
    """Drop the stored container id (it is gone at BMW)."""
    _store_container(rest, None)


async def async_fetch_telematic(
    rest: RestContext, vin: str, kind: CallKind
) -> dict[str, TelematicValue] | None:
    """Fetch telematicData for ``vin`` and apply it; ``None`` without container.

    An unknown container (CU-105) is created again once and the fetch
    repeated once.
    """
    for attempt in range(2):
        container_id = await async_ensure_container(rest, kind)
        if container_id is None:
            return None
        try:
            values = await rest.planner.async_call(
                kind, partial(rest.api.get_telematic_data, vin, container_id)
            )
        except ContainerInvalidError:
            forget_container(rest)
            if attempt:
                raise
            LOGGER.info("The telematic container is gone at BMW; creating it again")
            continue
        apply_telematic(rest, vin, values)
        return values
    return None  # pragma: no cover - the loop returns or raises


async def async_bootstrap(
    rest: RestContext,
    record: VehicleRecord,
    on_mappings: Callable[[list[VehicleMapping]], None],
    on_basic_data: Callable[[str, BasicData], None],
) -> None:
    """Run the first set-up calls, once per entry (see the module docstring).

    ``on_mappings`` hears the mappings read (the VIN gate), ``on_basic_data``
    each vehicle's basic data after its device was filled in (the prediction).
    """
    if record.done:
        return
    planner, api, coordinator = rest.planner, rest.api, rest.coordinator
    kind = CallKind.SETUP
    try:
        mappings = await planner.async_call(kind, api.get_mappings)
        record.set_mappings(mappings)
        record.mappings_checked_at = dt_util.utcnow()
        on_mappings(mappings)
        async_sync_secondary_vehicles(  # not for shared cars already streaming
            rest.hass,
            rest.entry,
            [
                m.vin
                for m in mappings
                if not m.is_primary and not coordinator.shared(m.vin)
            ],
        )
        for vin in record.primary:
            try:
                basic = await planner.async_call(kind, partial(api.get_basic_data, vin))
            except ApiError as err:
                if not no_basic_data(err):
                    raise
                LOGGER.warning(
                    "BMW gave no basic data of a vehicle (%s); it is named after"
                    " its VIN's maker",
                    err.error_id or err.status,
                )
                continue
            coordinator.set_device_info(vin, **device_fields(basic))
            on_basic_data(vin, basic)
        container_id = await async_ensure_container(rest, kind)
        if container_id is not None:
            for vin in record.primary:
                vehicle = coordinator.vehicles.get(vin)
                if vehicle is not None and (
                    vehicle.known_descriptors or vehicle.descriptors
                ):
                    continue  # restored or streamed state exists: no call
                await async_fetch_telematic(rest, vin, kind)
    except (
        ApiError,
        CarDataConnectionError,
        ConfigEntryAuthFailed,  # the token manager has started reauth
        QuotaSpentError,
    ) as err:
        LOGGER.warning(
            "First set-up over REST incomplete (%s); it continues at the next start",
            type(err).__name__,
        )
        return
    record.done = True
    await record.async_save()
