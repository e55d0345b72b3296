"""Opens and closes one vehicle's charging sessions (pure; no Home Assistant).

The recorder is told what the car says now (:class:`Reading`), one change at
a time, and keeps at most one open session. A session opens when charging
starts; a pause while the plug stays in keeps it open (a timed charge that
waits for cheap hours is one session); it closes when the plug comes out, the
car drives, or charging stops on a car that sends no plug state. Its end is
the last moment it charged. While it charges, the charging power the car
sends is integrated; a car that sends none gets the charge level change x
the battery's capacity instead (with :data:`.model.GRID_FACTOR` for losses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from .model import (
    GRID_FACTOR,
    GRID_FACTOR_DC,
    Block,
    Session,
    Source,
    stored_number,
    stored_time,
)

RUNNING_BLOCK_FIELDS: Final = 2
"""A kept block of the open session: start, end (its power comes at the end)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What one vehicle says now, as far as sessions go."""

    at: datetime
    charging: bool
    plugged: bool | None
    """None: the car sends no plug state."""
    moving: bool = False
    level: float | None = None
    watts: float | None = None
    latitude: float | None = None
    longitude: float | None = None
    capacity_kwh: float | None = None
    dc: bool = False


class SessionRecorder:
    """One vehicle's open session (see the module docstring)."""

    def __init__(self, state: Any = None) -> None:
        """Start idle, or with the running state :meth:`state` gave."""
        self.session: Session | None = None
        self._charging = False
        self._power_at: datetime | None = None
        self._watts = 0.0
        self._power_kwh = 0.0
        self._stopped_at: datetime | None = None
        self._block_start: datetime | None = None
        self._blocks: list[Block] = []
        self._capacity: float | None = None
        self._was: bool | None = None
        self._dc = False
        self.level_factor = 1.0
        """Learned from BMW's history (:func:`.history.level_factor`)."""
        """Charging as the last reading said; None before the first."""
        if isinstance(state, dict):
            self._load(state)

    def baseline(self, reading: Reading) -> None:
        """Take what the car said before now: it opens and closes nothing."""
        if reading.capacity_kwh is not None:
            self._capacity = reading.capacity_kwh
        self._was = reading.charging and not reading.moving

    def observe(self, reading: Reading) -> Session | None:
        """Take what the car says now; return the session it closed, if any.

        Only a change to charging opens a session: a car that was charging
        already when it was first heard (no open session kept) is left to
        BMW's history.
        """
        was = self._was
        self.baseline(reading)
        session = self.session
        if session is None:
            if reading.charging and not reading.moving and was is False:
                self._open(reading)
            return None
        self._integrate(reading.at)
        if reading.level is not None:
            session = self.session = session.with_changes(end_level=reading.level)
        if reading.charging and not reading.moving:
            self._dc = self._dc or reading.dc
            if not self._charging:
                self._charging = True
                self._stopped_at = None
                self._block_start = reading.at
            if reading.watts is not None:
                self._watts = max(0.0, reading.watts)
            return None
        if self._charging:
            self._charging = False
            self._stopped_at = reading.at
            self._close_block(reading.at)
        if reading.moving or reading.plugged is not True:
            return self._close(session)
        return None

    def _open(self, reading: Reading) -> None:
        self.session = Session(
            start=reading.at,
            start_level=reading.level,
            end_level=reading.level,
            latitude=reading.latitude,
            longitude=reading.longitude,
        )
        self._charging = True
        self._power_at = reading.at
        self._watts = max(0.0, reading.watts or 0.0)
        self._power_kwh = 0.0
        self._stopped_at = None
        self._block_start = reading.at
        self._blocks = []
        self._dc = reading.dc

    def _integrate(self, at: datetime) -> None:
        """Add the energy of the power held since the last change."""
        last = self._power_at
        self._power_at = at
        if last is None or not self._charging:
            return
        seconds = (at - last).total_seconds()
        if seconds > 0:  # a car sends its power when it changes: it held
            self._power_kwh += self._watts * seconds / 3_600_000

    def _close_block(self, at: datetime) -> None:
        start = self._block_start
        self._block_start = None
        if start is not None and at > start:
            self._blocks.append(Block(start, at, 0.0))

    def _close(self, session: Session) -> Session:
        end = self._stopped_at or self._power_at or session.start
        energy, source = self._energy(session)
        blocks = self._blocks or [Block(session.start, end, 0.0)]
        hours = sum((b.end - b.start).total_seconds() for b in blocks) / 3600
        kw = energy / hours if energy is not None and hours > 0 else 0.0
        closed = session.with_changes(
            end=end,
            energy_kwh=energy,
            source=source,
            blocks=tuple(Block(b.start, b.end, kw) for b in blocks if b.end > b.start),
        )
        self.session = None
        self._charging = False
        self._stopped_at = None
        self._blocks = []
        return closed

    def _energy(self, session: Session) -> tuple[float | None, Source]:
        """Integrated power, else charge level change x capacity, else none."""
        if self._power_kwh > 0:
            return round(self._power_kwh, 3), Source.POWER
        start, end, capacity = session.start_level, session.end_level, self._capacity
        if start is None or end is None or capacity is None or end < start:
            return None, Source.NONE
        losses = GRID_FACTOR_DC if self._dc else GRID_FACTOR
        kwh = (end - start) / 100 * capacity * losses * self.level_factor
        return round(kwh, 3), Source.LEVEL

    # ----- running state, kept across a restart ------------------------------

    def state(self) -> dict[str, Any] | None:
        """The open session and what it has counted so far, or None."""
        if self.session is None:
            return None
        return {
            "session": self.session.to_dict(),
            "charging": self._charging,
            "power_at": _iso(self._power_at),
            "watts": self._watts,
            "power_kwh": self._power_kwh,
            "stopped_at": _iso(self._stopped_at),
            "block_start": _iso(self._block_start),
            "blocks": [[b.start.isoformat(), b.end.isoformat()] for b in self._blocks],
            "capacity": self._capacity,
            "dc": self._dc,
        }

    def _load(self, state: dict[str, Any]) -> None:
        self.session = Session.from_dict(state.get("session"))
        if self.session is None:
            return
        self._charging = state.get("charging") is True
        self._power_at = stored_time(state.get("power_at"))
        self._watts = stored_number(state.get("watts")) or 0.0
        self._power_kwh = stored_number(state.get("power_kwh")) or 0.0
        self._stopped_at = stored_time(state.get("stopped_at"))
        self._block_start = stored_time(state.get("block_start"))
        self._capacity = stored_number(state.get("capacity"))
        self._dc = state.get("dc") is True
        for row in state.get("blocks") or ():
            if isinstance(row, list) and len(row) == RUNNING_BLOCK_FIELDS:
                start, end = stored_time(row[0]), stored_time(row[1])
                if start is not None and end is not None:
                    self._blocks.append(Block(start, end, 0.0))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
