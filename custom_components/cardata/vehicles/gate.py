"""Which stream messages may reach the coordinator: the account's cars only.

The stream owner hands every parsed message to :meth:`VinGate.async_route`
(the parser has already routed it by the VIN of its MQTT topic and dropped a
body naming another car). The gate passes it on only when BMW's vehicle
mappings list the VIN for the account:

* a PRIMARY vehicle is the account's own;
* a SECONDARY vehicle (shared with the account) that streams to it is shown
  from what it sends, marked as shared in the coordinator, so nothing asks
  BMW's REST API about it (BMW refuses); its "secondary user" repair goes;
* a VIN the mappings do not list creates nothing; its latest messages are
  held (bounded) while the mappings are read again, at most once a day for
  this and through the quota planner, and are applied if BMW confirms it;
* until the mappings were read once (an entry set up by an earlier version),
  cars that already have a device keep receiving values.

Whenever the mappings are known, devices of VINs the mappings never listed
(phantoms created by earlier versions from foreign or unknown VINs) are
removed with their entities. A vehicle that was once
confirmed and is no longer mapped stays: :mod:`.vehicle_sync` raises a repair
issue for it, and the owner decides.

Only salted hashes of the VINs are stored (``cardata.vins.<entry id>``).
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..api import ApiError, CarDataApi, CarDataConnectionError, VehicleMapping
from ..api.parser import DropLog
from ..api.vin import VIN_RE
from ..common.issues import async_clear_secondary_vehicle
from ..const import DOMAIN, LOGGER
from ..data.coordinator import CarDataCoordinator
from ..data.value_store import vin_key
from ..rest.bootstrap import VehicleRecord
from ..rest.quota import QuotaPlanner, QuotaSpentError
from ..rest.quota_policy import CallKind
from .devices import async_remove_entry_device, async_vehicle_devices

if TYPE_CHECKING:
    from ..api import StreamMessage

STORAGE_VERSION: Final = 1
READ_INTERVAL: Final = timedelta(days=1)
"""The gate reads the mappings for an unknown VIN at most this often."""
RETRY_INTERVAL: Final = timedelta(hours=1)
"""After a read that failed (quota, network), wait this long."""
HELD_VINS: Final = 5
HELD_PER_VIN: Final = 20
KEYS_KEPT: Final = 32
"""VIN hashes the gate remembers (an account has a few cars)."""


class VinGate:
    """Let only the account's vehicles through (see the module docstring)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        coordinator: CarDataCoordinator,
        api: CarDataApi,
        planner: QuotaPlanner,
    ) -> None:
        """Prepare the gate; call :meth:`async_load` before messages arrive."""
        self.hass = hass
        self.entry = entry
        self.coordinator = coordinator
        self.api = api
        self.planner = planner
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.vins.{entry.entry_id}", private=True
        )
        self.primary: set[str] | None = None
        """Hashes of the primary VINs; ``None`` until the mappings were read."""
        self.secondary: set[str] = set()
        self.confirmed: set[str] = set()
        """Hashes of every VIN the mappings ever listed as primary."""
        self.read_at: datetime | None = None
        """When the gate itself last read the mappings (for an unknown VIN)."""
        self.attempted_at: datetime | None = None
        self.dropped: Counter[str] = Counter()
        self.held: dict[str, deque[StreamMessage]] = {}
        self._bootstrap_pending = False
        self._dirty = False
        self._reading: asyncio.Task[None] | None = None
        self._log = DropLog(LOGGER, "Stream message")
        self._keys: dict[str, str] = {}
        """VIN -> its hash, for the VINs seen most (one hash per message cost
        a SHA-256 for every message); bounded by :data:`KEYS_KEPT`."""

    def _key(self, vin: str) -> str:
        if (key := self._keys.get(vin)) is None:
            key = vin_key(self.entry.entry_id, vin)
            if len(self._keys) < KEYS_KEPT:
                self._keys[vin] = key
        return key

    # ------------------------------------------------------------------ store
    async def async_load(self) -> None:
        """Read what an earlier run learnt; remove phantom devices right away."""
        data = await self._store.async_load()
        if isinstance(data, dict) and isinstance(data.get("primary"), list):
            self.primary = {str(k) for k in data["primary"]}
            self.secondary = {str(k) for k in data.get("secondary", [])}
            self.read_at = _time(data.get("read_at"))
            confirmed = data.get("confirmed", [])
            self.confirmed = {str(k) for k in confirmed} | self.primary
        if self.primary is not None:
            self._mark_shared()
            self._remove_phantoms()
            return
        record = VehicleRecord(self.hass, self.entry.entry_id)
        await record.async_load()
        # A first set-up still to run reads the mappings and tells the gate.
        self._bootstrap_pending = not record.done

    def _data(self) -> dict[str, Any]:
        self._dirty = False
        return {
            "primary": sorted(self.primary or ()),
            "secondary": sorted(self.secondary),
            "confirmed": sorted(self.confirmed),
            "read_at": self.read_at.isoformat() if self.read_at else None,
        }

    async def async_flush(self) -> None:
        """Write now what is still to be written (the entry unloads)."""
        if self._dirty:
            await self._store.async_save(self._data())

    # ---------------------------------------------------------------- routing
    @callback
    def async_start(self) -> None:
        """Read the mappings once now if an earlier version never stored them."""
        if self.primary is None and not self._bootstrap_pending:
            self._schedule_read()

    @callback
    def async_route(self, message: StreamMessage) -> None:
        """Apply ``message`` if its VIN is a vehicle of the account."""
        vin = message.vin
        key = self._key(vin)
        if self.primary is not None and key in self.primary:
            self.coordinator.async_apply_message(message)
            return
        if key in self.secondary:
            self._apply_shared(message)
            return
        if self.primary is None and vin in self.coordinator.vehicles:
            # Not read yet; a car with a device keeps its values meanwhile.
            self.coordinator.async_apply_message(message)
            return
        self._hold(message)
        self._schedule_read()

    def _apply_shared(self, message: StreamMessage) -> None:
        """A vehicle shared with the account streams: show it, marked shared."""
        vin = message.vin
        if not self.coordinator.shared(vin):
            self.coordinator.set_shared(vin, shared=True)
            async_clear_secondary_vehicle(self.hass, self.entry, vin)
        self.coordinator.async_apply_message(message)

    def _mark_shared(self) -> None:
        """Mark the vehicles with a device by what the mappings said."""
        for vin in self.coordinator.vehicles:
            self.coordinator.set_shared(vin, shared=self._key(vin) in self.secondary)

    def _drop(self, reason: str) -> None:
        self.dropped[reason] += 1
        self._log(reason)

    def _hold(self, message: StreamMessage) -> None:
        self._drop("unconfirmed_vehicle")
        queue = self.held.get(message.vin)
        if queue is None:
            if len(self.held) >= HELD_VINS:
                return
            queue = self.held[message.vin] = deque(maxlen=HELD_PER_VIN)
        queue.append(message)

    # --------------------------------------------------------------- mappings
    @callback
    def async_set_mappings(self, mappings: Iterable[VehicleMapping]) -> None:
        """Take BMW's mappings (from the first set-up or the gate's own read)."""
        self._bootstrap_pending = False
        primary: set[str] = set()
        secondary: set[str] = set()
        for mapping in mappings:
            (primary if mapping.is_primary else secondary).add(self._key(mapping.vin))
        self.primary, self.secondary = primary, secondary - primary
        self.confirmed |= primary
        self._dirty = True
        self._store.async_delay_save(self._data, 1)
        self._mark_shared()
        self._remove_phantoms()
        held, self.held = self.held, {}
        for vin, queue in held.items():
            key = self._key(vin)
            for message in queue:
                if key in primary:
                    self.coordinator.async_apply_message(message)
                elif key in self.secondary:
                    self._apply_shared(message)

    def _schedule_read(self) -> None:
        if self._bootstrap_pending or (
            self._reading is not None and not self._reading.done()
        ):
            return
        now = dt_util.utcnow()
        if self.read_at is not None and now - self.read_at < READ_INTERVAL:
            return
        if self.attempted_at is not None and now - self.attempted_at < RETRY_INTERVAL:
            return
        self.attempted_at = now
        self._reading = self.entry.async_create_background_task(
            self.hass, self._async_read(), f"{DOMAIN} vehicle mappings"
        )

    async def _async_read(self) -> None:
        try:
            mappings = await self.planner.async_call(
                CallKind.SCHEDULED, self.api.get_mappings
            )
        except (
            ApiError,
            CarDataConnectionError,
            ConfigEntryAuthFailed,
            QuotaSpentError,
        ) as err:
            LOGGER.debug("Vehicle mappings not read: %s", type(err).__name__)
            return
        self.read_at = dt_util.utcnow()
        self.async_set_mappings(mappings)

    # ---------------------------------------------------------------- cleanup
    def _remove_phantoms(self) -> None:
        """Remove devices (and their entities) of VINs never confirmed or shared.

        A vehicle the mappings once listed and no longer do is left to
        :mod:`.vehicle_sync`, which asks the owner with a repair issue.
        """
        if self.primary is None:  # pragma: no cover - callers check
            return
        primary = self.primary | self.confirmed | self.secondary
        entry_id = self.entry.entry_id
        for device in async_vehicle_devices(self.hass, entry_id):
            vins = [
                ident
                for domain, ident in device.identifiers
                if domain == DOMAIN and VIN_RE.match(ident)
            ]
            if vins and not any(self._key(vin) in primary for vin in vins):
                LOGGER.info("Removing a device of a vehicle not on the account")
                async_remove_entry_device(self.hass, entry_id, device)
                for vin in vins:
                    self.coordinator.vehicles.pop(vin, None)
        for vin in list(self.coordinator.vehicles):
            if self._key(vin) not in primary:
                self.coordinator.vehicles.pop(vin, None)


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the gate's store (the entry is being removed)."""
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, f"{DOMAIN}.vins.{entry_id}"
    ).async_remove()


def _time(raw: object) -> datetime | None:
    return dt_util.parse_datetime(raw) if isinstance(raw, str) else None
