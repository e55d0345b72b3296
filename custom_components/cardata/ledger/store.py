"""The kept ledger: every vehicle's sessions in one ``Store`` file per entry.

The file (``cardata.ledger.<entry id>``) names no vehicle: keys are salted
hashes of the VINs. It is written at most once per :data:`SAVE_DELAY` while
sessions change (the first change schedules the write, later ones ride
along), at Home Assistant's stop (the ``Store``'s final write) and at once
when the entry unloads. It is bounded: sessions older than :data:`KEEP` go,
and never more than :data:`MAX_SESSIONS` per vehicle are kept. Beside the
vehicles it keeps the price entity's price of the hours the sessions drew
in (the recorder forgets its history after days; the ledger keeps years).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from ..common.redact import vin_hash
from ..const import DOMAIN
from .model import Session

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 60.0
KEEP: Final = timedelta(days=800)
"""Two years and a bit: the same month two years back is still there."""
MAX_SESSIONS: Final = 4000
"""Per vehicle: five sessions a day for two years, and more."""

type VehicleData = dict[str, Any]


def storage_key(entry_id: str) -> str:
    """The ledger's ``Store`` key of an entry."""
    return f"{DOMAIN}.ledger.{entry_id}"


def vehicle_key(entry_id: str, vin: str) -> str:
    """Salted hash of a VIN: stored instead of the VIN itself."""
    return vin_hash(vin, 24, salt=entry_id)


def bounded(sessions: list[Session], now: datetime) -> list[Session]:
    """Sessions in start order, without those past :data:`KEEP` or the cap."""
    kept = sorted((s for s in sessions if s.start >= now - KEEP), key=lambda s: s.start)
    return kept[-MAX_SESSIONS:]


class LedgerStore:
    """Reads and (debounced) writes one entry's ledger."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the file; :meth:`async_load` reads it."""
        self.entry_id = entry_id
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, storage_key(entry_id), private=True
        )
        self._pending = False
        self._data: Callable[[], dict[str, Any]] = dict

    async def async_load(self) -> tuple[dict[str, VehicleData], dict[str, Any]]:
        """What was kept: the vehicles by key, and the prices read."""
        data = await self._store.async_load()
        if not isinstance(data, dict):
            return {}, {}
        vehicles = data.get("vehicles")
        prices = data.get("prices")
        return (
            {str(k): v for k, v in vehicles.items() if isinstance(v, dict)}
            if isinstance(vehicles, dict)
            else {},
            prices if isinstance(prices, dict) else {},
        )

    def bind(self, data: Callable[[], dict[str, Any]]) -> None:
        """Where the data to write comes from (``vehicles`` and ``prices``)."""
        self._data = data

    def schedule(self) -> None:
        """Write soon (at most once per :data:`SAVE_DELAY`)."""
        if self._pending:
            return  # the write scheduled takes this change too
        self._pending = True
        self._store.async_delay_save(self._collect, SAVE_DELAY)

    def _collect(self) -> dict[str, Any]:
        self._pending = False
        return self._data()

    async def async_flush(self) -> None:
        """Write now if a write is pending (the entry unloads)."""
        if self._pending:
            await self._store.async_save(self._collect())


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the ledger (the entry is being removed)."""
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, storage_key(entry_id)
    ).async_remove()
