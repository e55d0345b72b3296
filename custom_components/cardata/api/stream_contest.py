"""Reading the broker's refusals and drops, and the stream's waiting times.

BMW's broker lets one connection per account in. Connections that end and
attempts that fail look alike from the client's side, yet need different
answers:

- right after our own disconnect (the planned swap to a fresh id token) the
  broker still holds the old session for a moment and answers "not
  authorized" (rc 5): transient, retry shortly;
- a refusal that persists may be a token the broker no longer takes: refresh
  the token once before concluding anything;
- another client on the same account (another integration, a bridge, a test
  tool): eviction, reported as such (a repair asks the owner to stop it);
- a flapping connection (a failing network, a broker node going up and
  down): an unstable connection, retried soon; nothing for the owner to stop.

Since the last stable connection (one that lasted ``stable_after``), every
unplanned end is read as one :class:`Sign`:

``KICK``
    the broker accepted us (CONNACK 0) and closed the connection within
    ``kick_window`` seconds (10 s), also before it answered our SUBSCRIBE;
``REFUSAL``
    CONNACK rc 5 "not authorized", not within the grace after our own
    disconnect;
``DROP``
    the broker closed a connection that had been stable;
``LOST``
    a connection that lasted longer than ``kick_window``, but was not yet
    stable, ended;
``FAILURE``
    an attempt that got no MQTT answer: TCP or TLS failed, the connection
    closed before CONNACK, the broker did not answer in time, or answered
    rc 3 "server unavailable";
``OTHER``
    anything else (a refused certificate or subscription, no id token):
    says nothing either way.

**Eviction.** The broker lets the newer connection in and closes the older
one. While another client fights for the stream, every attempt of ours
reaches the broker and is answered at once: accepted and kicked within
seconds (as soon as the other client is back), or refused with rc 5. So
eviction is concluded when the latest ``drops_for_eviction`` (3) signs are
all KICK, REFUSAL or DROP, the newest is a KICK, and none of the latest
``memory`` (8) signs is LOST or FAILURE; or when the latest
``refusals_for_eviction`` (2) signs are KICK, REFUSAL or DROP with a REFUSAL
newest, and a REFUSAL follows one forced token refresh. A refusal is the
broker's own word, so the refusal rule holds after flapping too.

**Unstable connection (flapping).** The path to the broker fails, not the
account: connections drop at intervals no fighting client keeps (LOST),
and attempts fail without an MQTT answer (FAILURE), or, between them, end
early (KICK). So the connection is unstable when, among the latest
``memory`` signs, there are at least ``unstable_after`` (3), at least two of
them connections that had been established (KICK, LOST, DROP: it does come
back) and at least one LOST or FAILURE, and it is not eviction. Retries are
then capped at ``unstable_backoff_max`` (20 s), so the stream is back within
30 s of the broker being stable again. An outage, where attempts only fail
and the connection does not come back, keeps the ordinary backoff.

Our own echo, a stale token, another client or a flapping connection: this
module only decides; :mod:`.stream` acts.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
import logging
import secrets
import time
from typing import Any

type Token = tuple[str, datetime]

_LOGGER = logging.getLogger(__name__)

_RANDOM = secrets.SystemRandom()

EVICTED_MESSAGE = (
    "another client is using this account's stream (BMW allows one connection "
    "per account); stop the other client, this one retries slowly"
)
UNSTABLE_MESSAGE = (
    "the connection to the stream keeps dropping (network or broker), not "
    "another client; retrying within {delay:.0f} s at most"
)


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
    UNSTABLE = "unstable"
    """A flapping connection: retry soon, with a capped backoff."""


class Sign(StrEnum):
    """How one connection ended or one attempt failed (see the module)."""

    KICK = "kick"
    REFUSAL = "refusal"
    DROP = "drop"
    LOST = "lost"
    FAILURE = "failure"
    OTHER = "other"


_ANSWERED = frozenset({Sign.KICK, Sign.REFUSAL, Sign.DROP})
"""Signs of a broker that answered us: another client fits them."""
_FLAPPING = frozenset({Sign.LOST, Sign.FAILURE})
"""Signs another client does not cause."""
_ESTABLISHED = frozenset({Sign.KICK, Sign.LOST, Sign.DROP})


@dataclass(slots=True)
class StreamContest:
    """Reads the signs since the last stable connection (see the module).

    Attributes:
        grace: seconds after our own disconnect in which rc 5 is our echo.
        refusals_for_eviction: answered signs, the newest an rc 5, that mean
            eviction (after one forced token refresh).
        drops_for_eviction: answered signs, the newest a kick, that mean
            eviction.
        kick_window: seconds after CONNACK within which a close is a kick.
        unstable_after: signs (with two lost connections) for "unstable".
        memory: how many of the latest signs are looked at.
    """

    grace: float = 10.0
    refusals_for_eviction: int = 2
    drops_for_eviction: int = 3
    kick_window: float = 10.0
    unstable_after: int = 3
    memory: int = 8
    own_disconnect_at: float | None = None
    refreshed: bool = False
    signs: deque[Sign] = field(default_factory=deque)

    @property
    def unstable(self) -> bool:
        """Whether the latest signs are those of a flapping connection."""
        signs = self.signs
        return (
            len(signs) >= self.unstable_after
            and sum(sign in _ESTABLISHED for sign in signs) >= 2  # noqa: PLR2004
            and any(sign in _FLAPPING for sign in signs)
        )

    def _answered_run(self) -> int:
        """How many of the newest signs in a row a fighting client fits."""
        run = 0
        for sign in reversed(self.signs):
            if sign not in _ANSWERED:
                break
            run += 1
        return run

    def _add(self, sign: Sign) -> None:
        self.signs.append(sign)
        while len(self.signs) > self.memory:
            self.signs.popleft()

    def own_disconnect(self, now: float) -> None:
        """We closed the connection ourselves (a planned swap) at ``now``."""
        self.own_disconnect_at = now

    def stable(self) -> None:
        """A connection lasted: whatever happened before is over."""
        self.signs.clear()
        self.refreshed = False

    def failure(self, *, unreachable: bool) -> Verdict:
        """An attempt failed; ``unreachable``: without an MQTT answer."""
        self._add(Sign.FAILURE if unreachable else Sign.OTHER)
        return Verdict.UNSTABLE if self.unstable else Verdict.RETRY

    def refusal(self, now: float) -> Verdict:
        """The broker answered rc 5 "not authorized" at ``now``."""
        if (
            self.own_disconnect_at is not None
            and now - self.own_disconnect_at < self.grace
        ):
            return Verdict.TRANSIENT
        self._add(Sign.REFUSAL)
        if self._answered_run() < self.refusals_for_eviction:
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

    def drop(self, lasted: float, *, stable: bool) -> Verdict:
        """An established connection ended without us after ``lasted`` seconds.

        ``stable``: it lasted long enough to count as stable (call
        :meth:`stable` first).
        """
        if stable:
            sign = Sign.DROP
        elif lasted < self.kick_window:
            sign = Sign.KICK
        else:
            sign = Sign.LOST
        self._add(sign)
        if (
            sign is Sign.KICK
            and self._answered_run() >= self.drops_for_eviction
            and not any(s in _FLAPPING for s in self.signs)
        ):
            return Verdict.EVICTED
        return Verdict.UNSTABLE if self.unstable else Verdict.RETRY


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
