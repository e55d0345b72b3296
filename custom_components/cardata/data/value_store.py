"""Each vehicle's last descriptor values, kept across a crash.

Home Assistant writes its restore snapshot every 15 minutes; after a
``kill -9`` entities would come back with values that old. This store keeps
every vehicle's last values with BMW's timestamps in the integration's own
file (``cardata.values.<entry id>``). The whole file is rewritten on each
write, so it is written at most once per :data:`SAVE_DELAY` while values
flow (a moving car sends several a minute; an SD card wears with every
write): the first change schedules the write, later changes ride along and
never postpone it, so a steady stream is still written once a minute. A
``kill -9`` loses at most that minute. On Home Assistant's stop the store
writes what is pending at its final write; an unloading entry writes at once
(:meth:`ValueStore.async_flush`).

At set-up :meth:`ValueStore.async_restore` hands the stored values to the
coordinator before the platforms start: entities show them as their state
and the coordinator's "older value" check compares new values with them. A
stored value that does not fit its descriptor's type is not restored.

Only vehicles the coordinator knows from the device registry are restored;
keys are salted hashes of the VINs, so the file names no vehicle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..api import format_timestamp
from ..common.redact import vin_hash
from ..const import DOMAIN
from .state import DescriptorState

if TYPE_CHECKING:
    from .coordinator import CarDataCoordinator

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 60.0
"""Seconds between a change and its write (a kill -9 loses at most these)."""


def vin_key(entry_id: str, vin: str) -> str:
    """Salted hash of a VIN: stored instead of the VIN itself."""
    return vin_hash(vin, 24, salt=entry_id)


class ValueStore:
    """Persist and restore one entry's descriptor values."""

    def __init__(
        self, hass: HomeAssistant, entry_id: str, coordinator: CarDataCoordinator
    ) -> None:
        """Prepare the store; :meth:`async_restore` loads, then it follows changes."""
        self._entry_id = entry_id
        self._coordinator = coordinator
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.values.{entry_id}", private=True
        )
        self._pending = False
        self.restored = 0

    async def async_restore(self) -> int:
        """Give the coordinator the stored values; return how many it took."""
        data = await self._store.async_load()
        vehicles = data.get("vehicles") if isinstance(data, dict) else None
        if isinstance(vehicles, dict):
            coordinator = self._coordinator
            by_key = {vin_key(self._entry_id, vin): vin for vin in coordinator.vehicles}
            for key, rows in vehicles.items():
                if (vin := by_key.get(key)) is None or not isinstance(rows, dict):
                    continue
                states = {
                    str(name): state
                    for name, row in rows.items()
                    if (state := _state(row)) is not None
                }
                before = len(coordinator.vehicles[vin].descriptors)
                coordinator.async_apply_values(vin, states)
                self.restored += len(coordinator.vehicles[vin].descriptors) - before
        return self.restored

    @callback
    def async_follow(self) -> None:
        """Write (delayed) whenever the coordinator stored new values."""
        self._coordinator.async_add_change_listener(self._on_change)

    @callback
    def _on_change(self, _vin: str) -> None:
        if self._pending:
            # The write already scheduled takes this change too. Asking the
            # Store again would move that write back by SAVE_DELAY each time,
            # and a steady stream would never be written.
            return
        self._pending = True
        self._store.async_delay_save(self._data, SAVE_DELAY)

    def _data(self) -> dict[str, Any]:
        self._pending = False
        return {
            "vehicles": {
                vin_key(self._entry_id, vin): {
                    name: [
                        state.value,
                        state.unit,
                        format_timestamp(state.timestamp),
                        format_timestamp(state.received_at),
                    ]
                    for name, state in vehicle.descriptors.items()
                }
                for vin, vehicle in self._coordinator.vehicles.items()
                if vehicle.descriptors
            }
        }

    async def async_flush(self) -> None:
        """Write now if a write is pending (the entry unloads)."""
        if self._pending:
            await self.async_save_now()

    async def async_save_now(self) -> None:
        """Write the values now."""
        await self._store.async_save(self._data())


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the stored values (the entry is being removed)."""
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, f"{DOMAIN}.values.{entry_id}"
    ).async_remove()


def _state(row: object) -> DescriptorState | None:
    """A stored row back as a DescriptorState; ``None`` when unreadable."""
    if not isinstance(row, list) or len(row) != 4:  # noqa: PLR2004
        return None
    value, unit, stamp, received = row
    if not isinstance(value, bool | int | float | str | None):
        return None
    received_at = (
        dt_util.parse_datetime(received) if isinstance(received, str) else None
    )
    if received_at is None:
        return None
    return DescriptorState(
        value,
        unit if isinstance(unit, str) else None,
        dt_util.parse_datetime(stamp) if isinstance(stamp, str) else None,
        received_at,
    )
