"""Pure quota policy: which REST calls fit into BMW's 50 calls a day.

Nothing here imports Home Assistant or reads a clock: every decision takes
``now`` as an argument, so the same code runs inside the integration, in unit
tests with a frozen clock and in ``scripts/benchmark_quota.py`` with a
simulated one.

When BMW resets the quota is not documented. Observed behaviour fits a reset
at midnight UTC; older reports describe a rolling 24 hour window. The policy
counts both (calls in the last 24 hours and calls since midnight UTC) and
uses the larger number. A call made in the last 24 hours is also counted
until it is 24 hours old, so the budget is never exceeded under either
rule: the code assumes the rolling window, which is the stricter of the two.
A call frees its slot 24 hours after it was made, never at midnight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from ..api import format_timestamp
from ..common.settings import PollSettings

DAILY_LIMIT = 50
WINDOW = timedelta(hours=24)
EXTRA_INTERVAL = timedelta(hours=24)
_KEEP = timedelta(hours=48)


class CallKind(StrEnum):
    """Why a call is made; decides which part of the budget it may use."""

    USER = "user"
    SETUP = "setup"
    SCHEDULED = "scheduled"
    EXTRA = "extra"
    LEDGER = "ledger"
    DAILY = "daily"
    """The daily container read of the fields BMW does not stream."""
    OTHER = "other"


#: Kinds that may use the reserve (an owner is waiting for the answer).
PRIORITY_KINDS = frozenset({CallKind.USER, CallKind.SETUP})


@dataclass(frozen=True, slots=True)
class LoggedCall:
    """One HTTP request that counted against the quota."""

    at: datetime
    endpoint: str
    vin: str | None
    outcome: str
    kind: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-friendly form for the store."""
        return {
            "at": self.at.isoformat(),
            "endpoint": self.endpoint,
            "vin": self.vin,
            "outcome": self.outcome,
            "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoggedCall:
        """Build from the stored form."""
        return cls(
            at=_parse_time(str(data["at"])),
            endpoint=str(data.get("endpoint", "")),
            vin=data.get("vin"),
            outcome=str(data.get("outcome", "")),
            kind=str(data.get("kind", CallKind.OTHER)),
        )


@dataclass(frozen=True, slots=True)
class VehicleActivity:
    """What the policy needs to know about one vehicle."""

    last_message: datetime | None = None


@dataclass(slots=True)
class QuotaPolicy:
    """The call log of one account and the decisions derived from it."""

    settings: PollSettings = field(default_factory=PollSettings)
    limit: int = DAILY_LIMIT
    calls: list[LoggedCall] = field(default_factory=list)
    blocked_until: datetime | None = None
    block_reason: str | None = None
    last_poll: dict[str, datetime] = field(default_factory=dict)
    last_fetch: dict[str, datetime] = field(default_factory=dict)
    last_extra: dict[str, datetime] = field(default_factory=dict)
    pending: int = 0
    started_at: datetime | None = None

    # ----- counting -------------------------------------------------------

    def prune(self, now: datetime) -> None:
        """Forget calls too old to matter for any reset rule."""
        cutoff = now - _KEEP
        self.calls = [call for call in self.calls if call.at > cutoff]

    def used_rolling(self, now: datetime) -> int:
        """Return the calls made in the last 24 hours."""
        cutoff = now - WINDOW
        return sum(1 for call in self.calls if cutoff < call.at <= now)

    def used_since_midnight(self, now: datetime) -> int:
        """Return the calls made since the last midnight UTC."""
        midnight = start_of_day(now)
        return sum(1 for call in self.calls if midnight <= call.at <= now)

    def used(self, now: datetime) -> int:
        """Return the stricter count of both reset rules (plus calls under way)."""
        return max(self.used_rolling(now), self.used_since_midnight(now)) + self.pending

    def is_blocked(self, now: datetime) -> bool:
        """Return whether BMW told us to stop and the wait is not over."""
        return self.blocked_until is not None and now < self.blocked_until

    def remaining(self, now: datetime, kind: CallKind = CallKind.USER) -> int:
        """Return how many calls of this kind may be made now."""
        if self.is_blocked(now):
            return 0
        ceiling = self.limit if kind in PRIORITY_KINDS else self.limit - self.reserve
        return max(0, ceiling - self.used(now))

    @property
    def reserve(self) -> int:
        """Calls kept back for actions an owner starts by hand."""
        return max(0, min(self.settings.reserve, self.limit))

    def can_call(self, now: datetime, kind: CallKind, calls: int = 1) -> bool:
        """Return whether ``calls`` more calls of ``kind`` fit now."""
        return self.remaining(now, kind) >= calls

    def next_slot_at(self, now: datetime) -> datetime | None:
        """Return when the next call of any kind becomes possible.

        ``None`` means a call is possible now.
        """
        if self.is_blocked(now):
            return self.blocked_until
        if self.used(now) < self.limit:
            return None
        in_window = sorted(call.at for call in self.calls if call.at > now - WINDOW)
        excess = self.used(now) - self.limit
        index = min(excess, len(in_window) - 1)
        return in_window[index] + WINDOW if in_window else None

    # ----- recording ------------------------------------------------------

    def record(self, call: LoggedCall) -> None:
        """Add one call that BMW counted."""
        self.calls.append(call)
        if call.vin and call.outcome == "ok" and "telematic" in call.endpoint.lower():
            self.last_fetch[call.vin] = call.at

    def block(self, now: datetime, retry_after: float | None, reason: str) -> None:
        """Stop every call until BMW's wait is over.

        With a ``Retry-After`` that wait is honoured as given. Without one,
        the calls stop until the later of the next midnight UTC and the
        moment our oldest call of the last 24 hours leaves the window, which
        is safe under both reset rules.
        """
        if retry_after is not None and retry_after >= 0:
            until = now + timedelta(seconds=retry_after)
        else:
            until = start_of_day(now) + timedelta(days=1)
            in_window = [call.at for call in self.calls if call.at > now - WINDOW]
            if in_window:
                until = max(until, min(in_window) + WINDOW)
        if self.blocked_until is None or until > self.blocked_until:
            self.blocked_until = until
        self.block_reason = reason

    def clear_block(self, now: datetime) -> bool:
        """Forget a block whose time is over; return whether one was cleared."""
        if self.blocked_until is not None and now >= self.blocked_until:
            self.blocked_until = None
            self.block_reason = None
            return True
        return False

    # ----- scheduled polls and daily extras -------------------------------

    def effective_poll_interval(
        self, vehicles: int, extras_per_day: int = 0
    ) -> timedelta:
        """Return the poll interval stretched so a day of polls fits the budget."""
        share = (self.limit - self.reserve - extras_per_day) // max(1, vehicles)
        if share < 1:
            return WINDOW
        return max(self.settings.poll_interval, WINDOW / share)

    def due_polls(
        self,
        now: datetime,
        vehicles: Mapping[str, VehicleActivity],
        stream_down_since: datetime | None,
        extras_per_day: int = 0,
    ) -> list[str]:
        """Return the vehicles to poll now, most out of date first.

        A vehicle is polled only when the stream has been silent for it
        longer than ``stream_silence`` and its data is older than a
        threshold: ``max_data_age`` while the stream is connected (a parked
        car is quiet, that is no fault), ``poll_interval`` once the stream
        has been down for ``stream_silence``. At most one scheduled poll per
        vehicle per (budget-stretched) interval, and never into the reserve.
        """
        settings = self.settings
        floor = self.started_at
        stream_down = (
            stream_down_since is not None
            and now - stream_down_since >= settings.stream_silence
        )
        threshold = settings.poll_interval if stream_down else settings.max_data_age
        interval = self.effective_poll_interval(len(vehicles), extras_per_day)
        candidates: list[tuple[datetime, str]] = []
        for vin, activity in vehicles.items():
            heard = _latest(activity.last_message, floor)
            if heard is not None and now - heard < settings.stream_silence:
                continue
            fresh = _latest(activity.last_message, self.last_fetch.get(vin), floor)
            if fresh is not None and now - fresh < threshold:
                continue
            last = self.last_poll.get(vin)
            if last is not None and now - last < interval:
                continue
            candidates.append((fresh or datetime.min.replace(tzinfo=UTC), vin))
        candidates.sort()
        allowed = self.remaining(now, CallKind.SCHEDULED)
        return [vin for _, vin in candidates[:allowed]]

    def mark_polled(self, vin: str, now: datetime) -> None:
        """Remember a scheduled poll (made or attempted) of ``vin``."""
        self.last_poll[vin] = now

    def extra_due(self, now: datetime, name: str, vin: str) -> bool:
        """Return whether a daily extra for ``vin`` may be fetched now."""
        last = self.last_extra.get(f"{name}:{vin}")
        if last is not None and now - last < EXTRA_INTERVAL:
            return False
        return self.can_call(now, CallKind.EXTRA)

    def mark_extra(self, now: datetime, name: str, vin: str) -> None:
        """Remember that a daily extra was fetched (or attempted)."""
        self.last_extra[f"{name}:{vin}"] = now

    # ----- persistence ----------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the state worth keeping across restarts."""
        return {
            "calls": [call.to_dict() for call in self.calls],
            "blocked_until": format_timestamp(self.blocked_until),
            "block_reason": self.block_reason,
            "last_poll": {vin: at.isoformat() for vin, at in self.last_poll.items()},
            "last_fetch": {vin: at.isoformat() for vin, at in self.last_fetch.items()},
            "last_extra": {key: at.isoformat() for key, at in self.last_extra.items()},
        }

    def load_dict(self, data: Mapping[str, Any]) -> None:
        """Restore what :meth:`to_dict` wrote (unknown or broken parts skipped)."""
        self.calls = list(_load_calls(data.get("calls", ())))
        blocked = data.get("blocked_until")
        self.blocked_until = _parse_time(blocked) if isinstance(blocked, str) else None
        reason = data.get("block_reason")
        self.block_reason = reason if isinstance(reason, str) else None
        self.last_poll = _load_times(data.get("last_poll"))
        self.last_fetch = _load_times(data.get("last_fetch"))
        self.last_extra = _load_times(data.get("last_extra"))


def start_of_day(now: datetime) -> datetime:
    """Return the midnight UTC that began the day of ``now``."""
    utc = now.astimezone(UTC)
    return utc.replace(hour=0, minute=0, second=0, microsecond=0)


def _latest(*times: datetime | None) -> datetime | None:
    known = [time for time in times if time is not None]
    return max(known) if known else None


def _parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _load_calls(raw: Any) -> Iterable[LoggedCall]:
    if not isinstance(raw, list):
        return
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        try:
            yield LoggedCall.from_dict(item)
        except KeyError, TypeError, ValueError:
            continue


def _load_times(raw: Any) -> dict[str, datetime]:
    if not isinstance(raw, Mapping):
        return {}
    result: dict[str, datetime] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            try:
                result[str(key)] = _parse_time(value)
            except ValueError:
                continue
    return result
