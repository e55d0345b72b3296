"""An entry's energy ledger, wired to Home Assistant.

The hub keeps one :class:`.recorder.SessionRecorder` per vehicle, fed by the
stream adapter (:mod:`.feed`), the closed sessions of the last two years
(:mod:`.store`), classes each session home or elsewhere (:mod:`.classify`)
and answers queries for a period. Entities subscribe per vehicle. With a
price entity, it reads the entity's price of each ended hour the sessions
drew in (:mod:`.tariff`), one read at a time, and of a session's hour that
has not ended yet when that hour is over; what it read prices the sessions
and rewrites the cost statistics from the first hour it priced.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.event import (
    async_track_point_in_utc_time,
    async_track_time_change,
)
from homeassistant.util import dt as dt_util

from ..api.rest import ChargingHistory
from ..common.listeners import KeyedListeners
from ..const import DOMAIN
from ..rest.bootstrap import RestContext
from ..rest.extras import CHARGING, ExtrasHub
from .classify import Classifier
from .daily import DailyHistoryRead
from .feed import LedgerFeed
from .history import (
    KEPT_RATIOS,
    level_factor,
    level_ratios,
    merge,
    read_history,
    same_session,
)
from .hours import HOUR, first_hour, session_hours
from .model import Session, SessionClass
from .price import Pricing
from .reading import ReadState
from .recorder import Reading, SessionRecorder
from .series import hourly
from .statistics import LedgerStatistics
from .store import LedgerStore, VehicleData, bounded, vehicle_key
from .tariff import async_read_prices

MATCH_S: Final = 60.0
"""A session is found by its start to the minute (as the owner reads it)."""
PRICE_DELAY: Final = timedelta(minutes=1)
"""After an hour ends, the wait before its price is read (the recorder commits)."""


class UnknownSessionError(LookupError):
    """No session of the vehicle starts at that time."""


class EnergyLedger:
    """Every charging session of an entry's vehicles (see the module docstring)."""

    def __init__(
        self,
        rest: RestContext,
        extras: ExtrasHub,
        *,
        vehicles: Callable[[], list[str]],
        capacity: Callable[[str], float | None],
        classifier: Classifier,
        pricing: Pricing,
    ) -> None:
        """Prepare; :meth:`async_load` reads the kept ledger.

        ``vehicles`` are the electrified vehicles (whose history is read).
        """
        hass = self.hass = rest.hass
        coordinator = self.coordinator = rest.coordinator
        self.extras = extras
        entry_id = self.entry_id = rest.entry.entry_id
        self.classifier = classifier
        self.pricing = pricing
        self.store = LedgerStore(hass, entry_id)
        self.store.bind(self._data)
        self.feed = LedgerFeed(
            coordinator, capacity, self._on_reading, self._on_baseline
        )
        self.recorders: dict[str, SessionRecorder] = {}
        self.sessions: dict[str, list[Session]] = {}
        self._stored: dict[str, VehicleData] = {}
        self._listeners: KeyedListeners[str] = KeyedListeners()
        self._unsubs: list[CALLBACK_TYPE] = []
        self._followed: set[str] = set()
        self.statistics = LedgerStatistics(hass, entry_id)
        self.ratios: dict[str, list[float]] = {}
        """BMW's energy over the level-based one, per vehicle (the newest)."""
        self.stats_until: dict[str, datetime | None] = {}
        """The last hour of each vehicle's statistics written."""
        self.reads: dict[str, ReadState] = {}
        """How far each vehicle's history was read (:mod:`.reading`)."""
        self.daily = DailyHistoryRead(
            rest, vehicles, self._read_state, self._keep_read, self._on_answer
        )
        self._price_task: asyncio.Task[None] | None = None
        self._price_again = False
        self._price_timer: CALLBACK_TYPE | None = None

    # ----- lifecycle --------------------------------------------------------

    async def async_load(self) -> None:
        """Read what was kept before a restart."""
        self._stored, prices = await self.store.async_load()
        hours = prices.get("hours")
        if prices.get("entity") == self.pricing.entity and isinstance(hours, dict):
            self.pricing = self.pricing.with_hours(
                {
                    hour: float(price) if isinstance(price, int | float) else None
                    for key, price in hours.items()
                    if (hour := _parse(key)) is not None
                }
            )

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Follow the stream and BMW's histories; return the stop callback."""
        self._unsubs.append(self.feed.async_start())
        self._unsubs.append(self.daily.async_start())
        # BMW's history of each vehicle: the daily extra, or the service (it
        # may come before the stream said anything of the vehicle).
        for vin in list(self.coordinator.vehicles):
            self._follow(vin)
        self._unsubs.append(self.coordinator.async_add_vehicle_listener(self._follow))
        # The month sensors' figures turn with the local date.
        self._unsubs.append(
            async_track_time_change(
                self.hass, self._on_midnight, hour=0, minute=0, second=1
            )
        )
        return self._stop

    @callback
    def _follow(self, vin: str) -> None:
        if vin in self._followed:
            return
        self._followed.add(vin)
        self._unsubs.append(
            self.extras.listen(CHARGING, vin, partial(self._on_history, vin))
        )

    @callback
    def _on_midnight(self, _now: datetime) -> None:
        for vin in list(self.recorders):
            self._listeners.notify(vin)

    @callback
    def _stop(self) -> None:
        while self._unsubs:
            self._unsubs.pop()()
        if self._price_timer is not None:
            self._price_timer()
            self._price_timer = None
        if self._price_task is not None:
            self._price_task.cancel()

    async def async_flush(self) -> None:
        """Write what is pending now (the entry unloads)."""
        await self.store.async_flush()

    def _data(self) -> dict[str, Any]:
        data: dict[str, VehicleData] = dict(self._stored)
        now = dt_util.utcnow()
        for vin in set(self.sessions) | set(self.recorders):
            data[vehicle_key(self.entry_id, vin)] = {
                "sessions": [s.to_dict() for s in bounded(self.sessions[vin], now)],
                "open": self.recorders[vin].state(),
                "stats_until": _iso(self.stats_until.get(vin)),
                "level_ratios": self.ratios.get(vin, []),
                "history_read": self.reads.get(vin, ReadState()).to_dict(),
            }
        drawn = self._drawn_hours()
        prices = {
            hour.isoformat(): price
            for hour, price in self.pricing.hours.items()
            if hour in drawn
        }
        return {
            "vehicles": data,
            "prices": {"entity": self.pricing.entity, "hours": prices},
        }

    def _vehicle(self, vin: str) -> SessionRecorder:
        """The vehicle's recorder, with what was kept for it."""
        if (recorder := self.recorders.get(vin)) is None:
            stored = self._stored.pop(vehicle_key(self.entry_id, vin), {})
            recorder = self.recorders[vin] = SessionRecorder(stored.get("open"))
            self.stats_until[vin] = _parse(stored.get("stats_until"))
            self.reads[vin] = ReadState.from_dict(stored.get("history_read"))
            ratios = stored.get("level_ratios")
            self.ratios[vin] = [
                float(r) for r in ratios or () if isinstance(r, int | float)
            ][-KEPT_RATIOS:]
            recorder.level_factor = level_factor(self.ratios[vin])
            # Classed again: the owner may have picked another zone since.
            self.sessions[vin] = sorted(
                (
                    self._classed(session)
                    for row in stored.get("sessions") or ()
                    if (session := Session.from_dict(row)) is not None
                ),
                key=_started,
            )
            self._read_prices()
        return recorder

    def _classed(self, session: Session) -> Session:
        """The session with the rule's class now (kept when the rule has none)."""
        cls = self.classifier.classify(session)
        return session.with_changes(auto_class=cls or session.auto_class)

    # ----- the stream ---------------------------------------------------------

    @callback
    def _on_baseline(self, vin: str, reading: Reading) -> None:
        self._vehicle(vin).baseline(reading)

    @callback
    def _on_reading(self, vin: str, reading: Reading) -> None:
        recorder = self._vehicle(vin)
        before = recorder.session
        closed = recorder.observe(reading)
        if closed is not None:
            self.add(vin, [closed])
        elif recorder.session is not before:
            # Kept for a restart; no sensor shows a running session, so its
            # every new level wakes none of them.
            self.store.schedule()

    # ----- BMW's history ------------------------------------------------------

    def _read_state(self, vin: str) -> ReadState:
        self._vehicle(vin)
        return self.reads[vin]

    def _keep_read(self, vin: str, state: ReadState) -> None:
        self._vehicle(vin)
        self.reads[vin] = state
        self.store.schedule()

    @callback
    def _on_history(self, vin: str) -> None:
        """The extra's (or a service's) answer: merged, and maybe today's read."""
        data = self.extras.data.get((CHARGING, vin))
        if not isinstance(data, ChargingHistory):
            return
        self.daily.served(vin, data)
        self._on_answer(vin, data)

    def _on_answer(self, vin: str, data: ChargingHistory) -> None:
        """BMW's history replaces provisional figures and adds missed sessions."""
        self._vehicle(vin)
        running = self.recorders[vin].session
        found = [
            s
            for s in read_history(data.sessions)
            if running is None or not same_session(running, s)
        ]
        if ratios := level_ratios(self.sessions[vin], found):
            kept = self.ratios[vin] = [*self.ratios[vin], *ratios][-KEPT_RATIOS:]
            self.recorders[vin].level_factor = level_factor(kept)
        merged = merge(self.sessions[vin], found)
        self._replace(vin, [self._classed(s) for s in merged])

    # ----- the ledger ---------------------------------------------------------

    def add(self, vin: str, sessions: Iterable[Session]) -> None:
        """Add or replace sessions (by start), class them, keep them, tell."""
        self._vehicle(vin)
        held = {s.key: s for s in self.sessions[vin]}
        for session in sessions:
            old = held.get(session.key)
            owner = old.owner_class if old is not None else None
            held[session.key] = self._classed(
                session.with_changes(owner_class=session.owner_class or owner)
            )
        self._replace(vin, list(held.values()))

    def _replace(self, vin: str, sessions: list[Session]) -> None:
        """The vehicle's sessions are now these: keep, tell, and write the hours."""
        old = self.sessions[vin]
        new = self.sessions[vin] = bounded(sessions, dt_util.utcnow())
        self.store.schedule()
        self._listeners.notify(vin)
        changed = set(old).symmetric_difference(new)
        if (since := first_hour(changed)) is not None:
            self._write_statistics(vin, since)
        self._read_prices()

    def _write_statistics(self, vin: str, since: datetime) -> None:
        """Write the vehicle's hourly series again from ``since`` on."""
        self.stats_until[vin] = self.statistics.write(
            vin,
            self.coordinator.device_info(vin).get("name") or vin[-4:],
            hourly(self.sessions[vin], self.pricing),
            since,
            self.stats_until.get(vin),
        )

    # ----- the price entity ---------------------------------------------------

    def _drawn_hours(self) -> set[datetime]:
        """Every hour a held session drew energy in."""
        return {
            hour
            for sessions in self.sessions.values()
            for session in sessions
            for hour in session_hours(session)
        }

    @callback
    def _read_prices(self) -> None:
        """Read the hours the sessions still need a price of (one read at a time)."""
        if self.pricing.entity is None:
            return
        if self._price_task is not None and not self._price_task.done():
            self._price_again = True
            return
        # In the background: Home Assistant's start does not wait for it.
        self._price_task = self.hass.async_create_background_task(
            self._async_read_prices(self.pricing.entity),
            f"{DOMAIN} ledger prices",
            eager_start=False,
        )

    async def _async_read_prices(self, entity_id: str) -> None:
        self._price_again = True
        while self._price_again:
            self._price_again = False
            now = dt_util.utcnow()
            needed = self._drawn_hours().difference(self.pricing.hours)
            ended = {hour for hour in needed if hour + HOUR + PRICE_DELAY <= now}
            if ended:
                self._priced(await async_read_prices(self.hass, entity_id, ended))
            if later := needed - ended:
                self._price_later(max(later) + HOUR + PRICE_DELAY)

    def _price_later(self, at: datetime) -> None:
        """Read again once the last hour still running has ended."""
        if self._price_timer is not None:
            self._price_timer()

        @callback
        def _due(_now: datetime) -> None:
            self._price_timer = None
            self._read_prices()

        self._price_timer = async_track_point_in_utc_time(self.hass, _due, at)

    def _priced(self, prices: Mapping[datetime, float | None]) -> None:
        """Take the hours read: sessions, statistics and sensors follow."""
        if not prices:
            return
        self.pricing = self.pricing.with_hours(prices)
        self.store.schedule()
        for vin, sessions in self.sessions.items():
            touched = [
                hour
                for session in sessions
                for hour in session_hours(session)
                if hour in prices
            ]
            if touched:
                self._write_statistics(vin, min(touched))
                self._listeners.notify(vin)

    def vehicle_sessions(
        self, vin: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[Session]:
        """Closed sessions of a vehicle that started in [start, end), oldest first.

        Found by bisection (the sessions are kept in start order): a month's
        sensors cost the same after two years of sessions as after one.
        """
        self._vehicle(vin)
        sessions = self.sessions[vin]
        low = 0 if start is None else bisect_left(sessions, start, key=_started)
        high = (
            len(sessions) if end is None else bisect_left(sessions, end, key=_started)
        )
        return sessions[low:high]

    def knows(self, vin: str) -> bool:
        """Whether the ledger follows the vehicle (or kept sessions of it)."""
        return vin in self.recorders or vehicle_key(self.entry_id, vin) in self._stored

    def set_class(self, vin: str, start: datetime, cls: SessionClass | None) -> Session:
        """The owner's class of the session started then (None: the rule's again).

        Raises:
            UnknownSessionError: no session of the vehicle starts within
                :data:`MATCH_S` of ``start``.
        """
        self._vehicle(vin)
        sessions = self.sessions[vin]
        near = [
            (abs((s.start - start).total_seconds()), index)
            for index, s in enumerate(sessions)
        ]
        gap, index = min(near, default=(MATCH_S + 1, -1))
        if gap <= MATCH_S:
            changed = sessions[index].with_changes(owner_class=cls)
            self._replace(vin, [*sessions[:index], changed, *sessions[index + 1 :]])
            return changed
        raise UnknownSessionError(start.isoformat())

    def diagnostics(self) -> dict[str, Any]:
        """Every vehicle's sessions without places, by VIN (the dump masks it)."""
        return {
            vin: {
                "sessions": [s.to_dict(places=False) for s in sessions],
                "open": (
                    s.to_dict(places=False)
                    if (s := self.recorders[vin].session) is not None
                    else None
                ),
            }
            for vin, sessions in self.sessions.items()
        }

    @callback
    def async_add_listener(self, vin: str, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` when the vehicle's ledger changed."""
        return self._listeners.add(vin, listener)


def _started(session: Session) -> datetime:
    """What the held sessions are ordered by."""
    return session.start


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: Any) -> datetime | None:
    return dt_util.parse_datetime(value) if isinstance(value, str) else None
