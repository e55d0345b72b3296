"""What the ledger's daily history read asks BMW for (pure).

Per vehicle the ledger remembers how far BMW's history was read
(:class:`ReadState`). :func:`plan_read` turns that into the next read:

- never read: the first import, the last :data:`FIRST_DAYS` days, and the
  pages that fit the day's budget (:attr:`ReadPlan.first`);
- a read BMW had more pages of: the same window again, from BMW's
  ``next_token`` (one page);
- else the days since the last complete read (less :data:`OVERLAP`, for a
  session that was still running then), one page.

:func:`after_read` is what a read's answer leaves behind; :func:`covers`
says whether an answer read by someone else (the opt-in extra) stands for
the read planned, so the ledger does not ask BMW twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from ..api.models import parse_timestamp

FIRST_DAYS: Final = 30
"""The history imported on the first read (BMW answers for at least this)."""
OVERLAP: Final = timedelta(days=1)
"""Read again before the last read's end: a session then running (BMW lists a
session by its start) is whole now, even a slow AC charge."""


@dataclass(frozen=True, slots=True)
class ReadState:
    """How far a vehicle's history was read.

    Attributes:
        until: the end of the last complete read (None: never read).
        start: the window of a read BMW had more pages of.
        end: its end.
        token: BMW's token for the next page of that window.
    """

    until: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    token: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "until": _iso(self.until),
            "start": _iso(self.start),
            "end": _iso(self.end),
            "token": self.token,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ReadState:
        """Read the stored form (anything broken counts as never read)."""
        if not isinstance(data, dict):
            return cls()
        token = data.get("token")
        start = parse_timestamp(data.get("start"))
        end = parse_timestamp(data.get("end"))
        pending = isinstance(token, str) and start is not None and end is not None
        return cls(
            until=parse_timestamp(data.get("until")),
            start=start if pending else None,
            end=end if pending else None,
            token=token if pending and isinstance(token, str) else None,
        )


@dataclass(frozen=True, slots=True)
class ReadPlan:
    """One read: its window, the page to begin at, whether it is the import."""

    start: datetime
    end: datetime
    token: str | None
    first: bool


def plan_read(state: ReadState, now: datetime) -> ReadPlan:
    """The next read of a vehicle's history (see the module docstring)."""
    if state.token is not None and state.start is not None and state.end is not None:
        return ReadPlan(state.start, state.end, state.token, first=False)
    if state.until is None:
        return ReadPlan(now - timedelta(days=FIRST_DAYS), now, None, first=True)
    return ReadPlan(min(state.until - OVERLAP, now), now, None, first=False)


def after_read(
    state: ReadState, plan: ReadPlan, complete: bool, token: str | None
) -> ReadState:
    """How far the history is read once ``plan`` was answered."""
    if not complete and token is not None:
        return ReadState(state.until, plan.start, plan.end, token)
    return ReadState(until=max(plan.end, state.until or plan.end))


def after_failure(state: ReadState) -> ReadState:
    """A refused read: a page token is not tried again (it may have expired)."""
    return ReadState(until=state.until)


def covers(
    state: ReadState,
    now: datetime,
    start: datetime | None,
    end: datetime | None,
    complete: bool,
) -> bool:
    """Whether an answer for [start, end] stands for the read planned now."""
    if not complete or start is None or end is None:
        return False
    plan = plan_read(ReadState(until=state.until), now)
    return start <= plan.start and end >= (state.until or plan.start)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
