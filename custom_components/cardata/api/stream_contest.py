"""Reading the broker's refusals and drops, and the stream's waiting times.

BMW's broker lets one connection per account in. Three things look alike from
the client's side and need different answers:

- right after our own disconnect (the planned swap to a fresh id token) the
  broker still holds the old session for a moment and answers "not
  authorized" (rc 5): transient, retry shortly;
- a refusal that persists may be a token the broker no longer takes: refresh
  the token once before concluding anything;
- another client on the same account (another integration, a bridge, a test
  tool): the broker drops whoever was connected when the other one tries, so
  connections end unplanned within seconds, again and again, and reconnects
  meet rc 5. That pattern is eviction, reported as such.

Our own echo, a stale token, or another client on the account: this module
only decides; :mod:`.stream` acts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
import logging
import secrets
import time
from typing import Any

type Token = tuple[str, datetime]

_LOGGER = logging.getLogger(__name__)

_RANDOM = secrets.SystemRandom()


def backoff(minimum: float, maximum: float, failures: int) -> float:
    """Return the wait after ``failures`` failures in a row (with jitter)."""
    base = minimum * 2.0 ** min(max(failures - 1, 0), 20)
    delay = min(maximum, base) * float(_RANDOM.uniform(0.75, 1.25))
    return min(maximum, max(minimum, delay))


def evicted_delay(maximum: float) -> float:
    """Return the slow retry while another client holds the stream."""
    return maximum * float(_RANDOM.uniform(0.8, 1.0))


def swap_delay(
    expires_at: datetime, margin: float, shortest: float, longest: float
) -> float:
    """Return the seconds until a connection is swapped for a fresh token."""
    remaining = (expires_at - datetime.now(UTC)).total_seconds()
    delay = max(remaining - margin, remaining / 2)
    return min(max(delay, shortest), longest)


class Verdict(StrEnum):
    """What the stream does after a refusal or a drop."""

    TRANSIENT = "transient"
    """Our own previous session is still held: retry shortly."""
    RETRY = "retry"
    """Retry with the usual backoff."""
    REFRESH = "refresh"
    """Refresh the id token once, then retry shortly."""
    EVICTED = "evicted"
    """Another client holds the account's stream."""
    REFUSED = "refused"
    """The broker refuses even a fresh token."""


@dataclass(slots=True)
class StreamContest:
    """Counts refusals and drops since the last stable connection.

    Attributes:
        grace: seconds after our own disconnect in which rc 5 is our echo.
        refusals_for_eviction: rc 5 answers (plus drops) that mean eviction.
        drops_for_eviction: short unplanned drops (plus rc 5) that mean
            eviction.
    """

    grace: float = 10.0
    refusals_for_eviction: int = 2
    drops_for_eviction: int = 3
    own_disconnect_at: float | None = None
    refusals: int = 0
    drops: int = 0
    refreshed: bool = False

    @property
    def suspicion(self) -> int:
        """Refusals and drops counted towards eviction."""
        return self.refusals + self.drops

    def own_disconnect(self, now: float) -> None:
        """We closed the connection ourselves (a planned swap) at ``now``."""
        self.own_disconnect_at = now

    def stable(self) -> None:
        """A connection lasted: whatever happened before is over."""
        self.refusals = 0
        self.drops = 0
        self.refreshed = False

    def other_failure(self) -> None:
        """A failure that says nothing about other clients (network, TLS)."""
        self.refusals = 0

    def refusal(self, now: float) -> Verdict:
        """The broker answered rc 5 "not authorized" at ``now``."""
        if (
            self.own_disconnect_at is not None
            and now - self.own_disconnect_at < self.grace
        ):
            return Verdict.TRANSIENT
        self.refusals += 1
        if self.suspicion < self.refusals_for_eviction:
            return Verdict.RETRY
        if not self.refreshed:
            self.refreshed = True
            return Verdict.REFRESH
        return Verdict.EVICTED

    def bad_credentials(self) -> Verdict:
        """The broker answered rc 4: refresh once, then it is a refusal."""
        if not self.refreshed:
            self.refreshed = True
            return Verdict.REFRESH
        return Verdict.REFUSED

    def drop(self) -> Verdict:
        """An established connection ended without us closing it."""
        self.drops += 1
        if self.suspicion >= self.drops_for_eviction:
            return Verdict.EVICTED
        return Verdict.RETRY


class SwapWatch:
    """When a connection is swapped, and only ever to a newer id token.

    At the swap time the provider's current token is looked at; if it is not
    newer the provider is asked (it may refresh) while the connection keeps
    running. Without a newer token the connection is kept: looked at again
    every ``recheck`` seconds, or when the caller is told of new tokens.
    """

    def __init__(
        self,
        token: Token,
        swap_at: float,
        recheck: float,
        peek: Callable[[], Token],
        fetch: Callable[[], Awaitable[Token]],
    ) -> None:
        """Watch ``token`` (of the open connection), due at monotonic ``swap_at``."""
        self._token = token
        self._swap_at = swap_at
        self._recheck = recheck
        self._peek = peek
        self._fetch = fetch
        self._task: asyncio.Future[Token] | None = None
        self._kept = False

    def pending(self) -> set[asyncio.Future[Any]]:
        """Return the provider request in flight, if any (to wait on)."""
        return {self._task} if self._task is not None else set()

    def timeout(self) -> float:
        """Return the seconds until the next look."""
        if self._kept:
            return self._recheck
        return max(self._swap_at - time.monotonic(), 0.0)

    def check(self, note: Callable[[str], None]) -> Token | None:
        """Return a newer token to swap to, or None to keep the connection."""
        if time.monotonic() < self._swap_at:
            return None
        fresh = self._peek()
        task = self._task
        if task is not None and task.done():
            self._task = None
            if not task.cancelled() and task.exception() is None:
                fresh = max(fresh, task.result(), key=lambda t: t[1])
            elif (
                err := task.exception() if not task.cancelled() else None
            ) is not None:
                note(str(err))
        elif task is None:
            self._task = asyncio.ensure_future(self._fetch())
        if fresh[0] != self._token[0] and fresh[1] > self._token[1]:
            return fresh
        if not self._kept:
            # Reconnecting with the same token gains nothing: keep this
            # connection until a newer token arrives or BMW closes it.
            self._kept = True
            _LOGGER.debug("Stream: no newer id token yet; keeping the connection")
            note("swap due, no newer id token yet")
        return None

    def close(self) -> None:
        """Stop asking the provider."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
