"""Each session's energy placed in the hours it was drawn (pure).

From the session's charging blocks (BMW's, else the stream's), each block's
energy spread evenly over its own time; a session without blocks spreads its
energy evenly from start to end. What an hour's energy cost is
:mod:`.price`'s; the hourly series of a vehicle are :mod:`.series`'.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final

from .model import Block, Session

HOUR: Final = timedelta(hours=1)


def hour_of(at: datetime) -> datetime:
    """The start of ``at``'s hour."""
    return at.replace(minute=0, second=0, microsecond=0)


def _spread(start: datetime, end: datetime, kwh: float) -> dict[datetime, float]:
    """``kwh`` drawn evenly from ``start`` to ``end``, per hour."""
    if end <= start:
        return {hour_of(start): kwh}
    seconds = (end - start).total_seconds()
    parts: dict[datetime, float] = {}
    hour = hour_of(start)
    while hour < end:
        lo, hi = max(start, hour), min(end, hour + HOUR)
        if hi > lo:
            parts[hour] = kwh * (hi - lo).total_seconds() / seconds
        hour += HOUR
    return parts


def session_hours(session: Session) -> dict[datetime, float]:
    """The session's energy per hour (nothing without an energy)."""
    energy = session.energy_kwh
    if energy is None or energy <= 0:
        return {}
    blocks: tuple[Block, ...] = session.blocks
    drawn = sum(b.kwh for b in blocks)
    if not blocks or drawn <= 0:
        return _spread(session.start, session.end or session.start, energy)
    hours: dict[datetime, float] = defaultdict(float)
    for block in blocks:
        for hour, kwh in _spread(
            block.start, block.end, energy * block.kwh / drawn
        ).items():
            hours[hour] += kwh
    return dict(hours)


def first_hour(sessions: Iterable[Session]) -> datetime | None:
    """The first hour any of ``sessions`` drew energy in."""
    hours = [min(h) for s in sessions if (h := session_hours(s))]
    return min(hours, default=None)
