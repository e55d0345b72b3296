"""Follows what the stream and the container reads bring, per car; kept.

The stream's part comes from the coordinator's accepted messages (only the
VIN gate applies stream messages), the container's part from every
telematicData answer (:attr:`..rest.bootstrap.RestContext.answers`); no
call of its own. What was seen is kept in a ``Store`` per entry (cars by a
salted hash, names only, no value), so a restart does not forget that a
field came once. A container answer without a field the core roles need
raises the ``container_lacks_fields`` repair issue; one that holds them all
clears it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..api import StreamMessage, TelematicValue
from ..common.issues import async_report_container_lacks
from ..common.listeners import KeyedListeners
from ..common.redact import vin_hash
from ..const import DOMAIN
from ..rest.bootstrap import RestContext, container_descriptors
from .report import CoverageReport, lacking

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 60.0


def _store_key(entry_id: str) -> str:
    return f"{DOMAIN}.coverage.{entry_id}"


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete what was kept (the entry is being removed)."""
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, _store_key(entry_id)
    ).async_remove()


class _Seen:
    """The fields one car sent, by way."""

    def __init__(self, stored: Mapping[str, Any]) -> None:
        self.stream: set[str] = set(_names(stored.get("stream")))
        self.rest: set[str] = set(_names(stored.get("rest")))
        read_at = stored.get("read_at")
        self.read_at: datetime | None = (
            dt_util.parse_datetime(read_at) if isinstance(read_at, str) else None
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": sorted(self.stream),
            "rest": sorted(self.rest),
            "read_at": self.read_at.isoformat() if self.read_at else None,
        }


def _names(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


class CoverageHub:
    """Per car: which fields came by stream, by container read, or never."""

    def __init__(self, rest: RestContext) -> None:
        """Prepare; :meth:`async_load` reads what was kept."""
        self.hass: HomeAssistant = rest.hass
        self.entry = rest.entry
        self.rest = rest
        self._asked = frozenset(container_descriptors())
        self._store: Store[dict[str, Any]] = Store(
            self.hass, STORAGE_VERSION, _store_key(self.entry.entry_id), private=True
        )
        self._stored: dict[str, Any] = {}
        self._seen: dict[str, _Seen] = {}
        self._lacking: list[str] = []
        self._pending = False
        self._listeners: KeyedListeners[str] = KeyedListeners()

    def _key(self, vin: str) -> str:
        return vin_hash(vin, 24, salt=self.entry.entry_id)

    async def async_load(self) -> None:
        """Read what an earlier run kept."""
        data = await self._store.async_load()
        data = data if isinstance(data, dict) else {}
        vehicles = data.get("vehicles")
        self._stored = vehicles if isinstance(vehicles, dict) else {}
        self._lacking = _names(data.get("lacking"))

    @callback
    def async_start(self) -> None:
        """Follow the stream and the container reads (stopped with the entry)."""
        on_unload = self.entry.async_on_unload
        on_unload(self.rest.coordinator.async_add_accepted_listener(self._on_stream))
        on_unload(self.rest.answers.add(self._on_answer))
        # Issues that are not persistent are gone after a restart.
        async_report_container_lacks(self.hass, self.entry, self._lacking)

    async def async_shutdown(self) -> None:
        """Write what was seen now (the entry unloads)."""
        await self._store.async_save(self._data())

    def report(self, vin: str) -> CoverageReport:
        """The coverage report of one car."""
        seen = self._vehicle(vin)
        return CoverageReport.build(seen.stream, seen.rest, self._asked, seen.read_at)

    def diagnostics(self, vin: str) -> dict[str, Any]:
        """The report's counts and names; no value, no VIN."""
        return {
            **self.report(vin).diagnostics(),
            "container_lacks_core_fields": list(self._lacking),
        }

    @callback
    def async_add_listener(
        self, vin: str, changed: Callable[[], None]
    ) -> CALLBACK_TYPE:
        """Call ``changed()`` when the report of ``vin`` changed."""
        return self._listeners.add(vin, changed)

    def _vehicle(self, vin: str) -> _Seen:
        if (seen := self._seen.get(vin)) is None:
            stored = self._stored.get(self._key(vin))
            seen = self._seen[vin] = _Seen(stored if isinstance(stored, dict) else {})
        return seen

    @callback
    def _on_stream(self, msg: StreamMessage, names: tuple[str, ...]) -> None:
        seen = self._vehicle(msg.vin)
        if not seen.stream.issuperset(names):
            seen.stream.update(names)
            self._changed(msg.vin)

    @callback
    def _on_answer(self, vin: str, answer: Mapping[str, TelematicValue]) -> None:
        seen = self._vehicle(vin)
        seen.rest.update(name for name, v in answer.items() if v.value is not None)
        seen.read_at = dt_util.utcnow()
        missing = lacking(answer.keys())
        if answer and missing != self._lacking:
            self._lacking = missing
            async_report_container_lacks(self.hass, self.entry, missing)
        self._changed(vin)

    def _changed(self, vin: str) -> None:
        self._listeners.notify(vin)
        if not self._pending:
            self._pending = True
            self._store.async_delay_save(self._data, SAVE_DELAY)

    def _data(self) -> dict[str, Any]:
        self._pending = False
        vehicles = dict(self._stored)
        for vin, seen in self._seen.items():
            vehicles[self._key(vin)] = seen.to_dict()
        return {"vehicles": vehicles, "lacking": list(self._lacking)}
