"""The account's vehicles kept in step with BMW's mappings, within the budget.

BMW's mappings say which vehicles the account may read. They are read again
rarely: at most once a day (:data:`CHECK_EVERY`, remembered over restarts), and
only when a vehicle has been silent for days (:data:`SILENT_FOR`, counted
over restarts from its last value, or from when the entry first watched a
vehicle never heard), which is how a vehicle that left the account shows;
or when the owner asks (Fetch now, the mappings action). What the mappings say:

- a vehicle of the integration that is no longer mapped to the account gets a
  repair issue; confirming it removes the vehicle with its entities
  (stale devices);
- a vehicle the account is only a secondary user of gets its own issue,
  unless it streams to the account (then it is shown, marked as shared, and
  never asked over REST: see :mod:`.gate`);
- a mapped vehicle without its model (first seen on the stream, or its
  basicData failed before) gets its basicData once (dynamic devices). A
  vehicle that appears at run time is asked for its basicData right away.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.util import dt as dt_util

from ..api import ApiError, CarDataConnectionError, VehicleMapping
from ..api.vin import VIN_RE
from ..common.issues import async_sync_removed_vehicles, async_sync_secondary_vehicles
from ..const import DOMAIN, LOGGER
from ..rest.bootstrap import RestContext, VehicleRecord, device_fields
from ..rest.quota import QuotaSpentError
from ..rest.quota_policy import CallKind
from .devices import async_remove_entry_device, async_vehicle_devices

CHECK_EVERY: Final = timedelta(days=1)
SILENT_FOR: Final = timedelta(days=3)
_FAILURES = (ApiError, CarDataConnectionError, ConfigEntryAuthFailed, QuotaSpentError)


def _needs_basic_data(rest: RestContext, vin: str) -> bool:
    vehicle = rest.coordinator.vehicles.get(vin)
    return vehicle is None or "model" not in vehicle.device_fields


async def async_fetch_basic_data(rest: RestContext, vin: str, kind: CallKind) -> bool:
    """Ask BMW for one vehicle's basicData and fill in its device."""
    try:
        basic = await rest.planner.async_call(
            kind, partial(rest.api.get_basic_data, vin)
        )
    except _FAILURES as err:
        LOGGER.debug("Basic data of a new vehicle not read: %s", type(err).__name__)
        return False
    rest.coordinator.set_device_info(vin, **device_fields(basic))
    return True


async def async_apply_mappings(
    rest: RestContext, mappings: Iterable[VehicleMapping], kind: CallKind
) -> None:
    """Act on what BMW's mappings say (see the module docstring)."""
    hass, entry = rest.hass, rest.entry
    mappings = list(mappings)
    primary = {m.vin for m in mappings if m.is_primary}
    secondary = {m.vin for m in mappings if not m.is_primary} - primary
    shown = rest.coordinator.vehicles
    async_sync_secondary_vehicles(
        hass, entry, sorted(vin for vin in secondary if vin not in shown)
    )
    known = [v for v in shown if VIN_RE.match(v)]
    async_sync_removed_vehicles(
        hass, entry, [vin for vin in known if vin not in primary | secondary]
    )
    for vin in sorted(primary):
        if _needs_basic_data(rest, vin):
            await async_fetch_basic_data(rest, vin, kind)


class VehicleSync:
    """Reads the mappings again when it is due (see the module docstring)."""

    def __init__(self, rest: RestContext, record: VehicleRecord) -> None:
        """Prepare; :meth:`async_start` loads when the mappings were last read."""
        self.rest = rest
        self.hass = rest.hass
        self.entry = rest.entry
        self.record = record
        self.started_at = dt_util.utcnow()
        self.checks = 0
        self._asked: set[str] = set()

    async def async_start(self) -> None:
        """Load the record and follow new vehicles (stopped on unload)."""
        await self.record.async_load()
        if self.record.watching_since is None:
            self.record.watching_since = self.started_at
            await self.record.async_save()
        coordinator = self.rest.coordinator
        self.entry.async_on_unload(
            coordinator.async_add_vehicle_listener(self._on_new_vehicle)
        )

    @callback
    def _on_new_vehicle(self, vin: str) -> None:
        """A vehicle appeared at run time: ask for its basicData once."""
        if not VIN_RE.match(vin) or vin in self._asked or not self.record.done:
            return  # the first set-up asks for every vehicle itself
        if self.rest.coordinator.shared(vin):
            return  # BMW refuses REST calls for a shared car
        if not _needs_basic_data(self.rest, vin):
            return
        self._asked.add(vin)
        self.entry.async_create_background_task(
            self.hass,
            async_fetch_basic_data(self.rest, vin, CallKind.SCHEDULED),
            f"{DOMAIN} basic data of a new vehicle",
        )

    def due(self, now: datetime) -> bool:
        """Whether the mappings should be read again now."""
        checked = self.record.mappings_checked_at
        if checked is not None and now - checked < CHECK_EVERY:
            return False
        vehicles = self.rest.coordinator.vehicles
        since = self.record.watching_since or self.started_at
        return any(
            now - (vehicle.last_received_at or since) >= SILENT_FOR
            for vin, vehicle in vehicles.items()
            if VIN_RE.match(vin) and not self.rest.coordinator.shared(vin)
        )

    async def async_check(self, kind: CallKind = CallKind.SCHEDULED) -> bool:
        """Read the mappings and act on them; return whether BMW answered."""
        try:
            mappings = await self.rest.planner.async_call(
                kind, self.rest.api.get_mappings
            )
        except _FAILURES as err:
            LOGGER.debug("Mappings not read: %s", type(err).__name__)
            return False
        await self.async_mappings_read(mappings, kind)
        return True

    async def async_mappings_read(
        self, mappings: Iterable[VehicleMapping], kind: CallKind
    ) -> None:
        """Remember the time, then act on the mappings (also for the owner's reads)."""
        mappings = list(mappings)
        self.checks += 1
        self.record.set_mappings(mappings)
        self.record.mappings_checked_at = dt_util.utcnow()
        await self.record.async_save()
        await async_apply_mappings(self.rest, mappings, kind)


@callback
def async_remove_vehicle(hass: HomeAssistant, entry: ConfigEntry, vin: str) -> None:
    """Remove a vehicle that left the account, with its entities; reload."""
    for device in async_vehicle_devices(hass, entry.entry_id, vin):
        async_remove_entry_device(hass, entry.entry_id, device)
    hass.config_entries.async_schedule_reload(entry.entry_id)
