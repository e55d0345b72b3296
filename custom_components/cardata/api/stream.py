"""The CarData MQTT stream: one connection, an explicit state machine.

:class:`CarDataStream` keeps exactly one connection per account open. Ahead
of the id token's expiry it swaps to a fresh one (only to a newer token),
closing the old connection first and waiting a moment, as BMW's broker still
holds the old session. It backs off with jitter after failures, tells another
client on the account from a flapping connection (:mod:`.stream_contest`; a
flapping one is retried within 20 s) and never offers an id token a session
already used (:mod:`.stream_tokens`); a refusal names the token it refused.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import logging
import ssl
import time
from typing import Any

from .auth import IdTokenProvider
from .connection import MqttConnection
from .endpoints import StreamTls
from .exceptions import CarDataError, InvalidGrantError
from .parser import MessageParser, StreamMessage
from .stream_attempt import (
    AttemptFailedError,
    Ended,
    StreamState,
    build_ssl_context,
    check_ca_file,
    establish,
    load_ssl_context,
)
from .stream_config import StreamConfig
from .stream_contest import (
    EVICTED_MESSAGE,
    UNSTABLE_MESSAGE,
    StreamContest,
    SwapWatch,
    Verdict,
    backoff,
    evicted_delay,
    swap_delay,
)
from .stream_tokens import UnspentTokens

__all__ = [
    "EVICTED_MESSAGE",
    "CarDataStream",
    "StreamConfig",
    "StreamState",
    "build_ssl_context",
    "check_ca_file",
]

_LOGGER = logging.getLogger(__name__)

MIN_SESSION = 1.0
"""Shortest time a connection is kept before a planned swap, in seconds."""
MAX_SESSION = 86400.0
"""Longest time a connection is kept before a planned swap, in seconds."""
HISTORY_LENGTH = 20
TOKEN_WAIT_NOTICE = 0.5
"""Seconds a token request may take before the state says it waits for one."""


class CarDataStream:
    """Owns one account's MQTT stream until :meth:`run` is cancelled.

    Attributes:
        parser: the message parser (its ``dropped`` counts bad payloads).
        history: recent connection events as (UTC time, reason).
        last_error: the latest failure, without secrets; ``None`` when fine.
        tls_reason: why TLS failed last (the broker's certificate not
            trusted: ``certificate has expired``, ``self-signed certificate``,
            a host name mismatch; or the CA file not usable), since the last
            connection; ``None`` once connected.
        messages: messages delivered to ``on_message``.
        last_message_at: UTC time of the latest delivered message.
        next_attempt: UTC time of the next connection attempt while waiting.
        swapping: True from a planned disconnect until the next connection.
    """

    def __init__(
        self,
        config: StreamConfig,
        tokens: IdTokenProvider,
        on_message: Callable[[StreamMessage], None],
        on_state: Callable[[StreamState], None] | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """Prepare the stream; nothing connects before :meth:`run`.

        Args:
            config: where and as whom to connect.
            tokens: source of the id token (the MQTT password).
            on_message: receives every parsed message, on the event loop.
            on_state: receives every state change, on the event loop.
            ssl_context: TLS context to use instead of building one. Else
                it is built in an executor (it reads files): once for the
                system's CAs, and for every connection attempt with a CA file,
                so a file replaced in place is read at the next connection.
        """
        self._config = config
        self._tokens = UnspentTokens(tokens)
        self._on_message = on_message
        self._on_state = on_state
        self._ssl_context = ssl_context
        self._system_context: ssl.SSLContext | None = None
        self.parser = MessageParser()
        self.history: deque[tuple[datetime, str]] = deque(maxlen=HISTORY_LENGTH)
        self.last_error: str | None = None
        self.tls_reason: str | None = None
        self.messages = 0
        self.last_message_at: datetime | None = None
        self._state = StreamState.STOPPED
        self._running = False
        self._failures = 0
        self._contest = StreamContest(
            grace=config.own_disconnect_grace,
            refusals_for_eviction=config.evicted_after,
            drops_for_eviction=config.evicted_drops,
            kick_window=config.kick_window,
        )
        self._unstable_logged = False
        self._wake: asyncio.Future[None] | None = None
        self._token_event: asyncio.Future[None] | None = None
        self._offered = ""  # the id token of the last attempt (a refusal's)
        self._connection: MqttConnection | None = None
        self.next_attempt: datetime | None = None
        self.swapping = False

    @property
    def state(self) -> StreamState:
        """Return the current state."""
        return self._state

    @property
    def config(self) -> StreamConfig:
        """Return the configuration."""
        return self._config

    def request_reconnect(self) -> None:
        """Swap the connection now (after a forced token refresh); retry now."""
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    def notify_new_token(self) -> None:
        """Look for a newer id token now (the provider's tokens changed)."""
        if self._token_event is not None and not self._token_event.done():
            self._token_event.set_result(None)
        if self._state is StreamState.WAITING_FOR_TOKEN:
            self.request_reconnect()

    # --- state helpers ------------------------------------------------------

    def _set_state(self, state: StreamState) -> None:
        if state is self._state:
            return
        self._state = state
        _LOGGER.debug("Stream state: %s", state)
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                _LOGGER.exception("Error in the stream state callback")

    def _note(self, reason: str) -> None:
        self.history.append((datetime.now(UTC), reason))

    def _new_wake(self) -> asyncio.Future[None]:
        self._wake = asyncio.get_running_loop().create_future()
        return self._wake

    def _backoff(self, failures: int) -> float:
        cfg = self._config
        longest = cfg.backoff_max
        if self._contest.unstable:
            longest = min(longest, cfg.unstable_backoff_max)
        return backoff(cfg.backoff_min, longest, failures)

    def _retrying(self, kind: StreamState) -> StreamState:
        """The state to wait in: a flapping connection says so."""
        if kind is not StreamState.WAITING_TO_RETRY or not self._contest.unstable:
            return kind
        if not self._unstable_logged:
            self._unstable_logged = True
            limit = min(self._config.backoff_max, self._config.unstable_backoff_max)
            _LOGGER.info("Stream: %s", UNSTABLE_MESSAGE.format(delay=limit))
            self._note("unstable connection")
        return StreamState.UNSTABLE

    async def _pause(self, state: StreamState, delay: float) -> None:
        """Wait ``delay`` seconds in ``state`` unless woken."""
        self.next_attempt = datetime.now(UTC) + timedelta(seconds=delay)
        self._set_state(state)
        _LOGGER.debug("Stream retries in %.1f s", delay)
        wake = self._new_wake()
        try:
            await asyncio.wait_for(asyncio.shield(wake), delay)
        except TimeoutError:
            pass
        finally:
            wake.cancel()
            self.next_attempt = None

    # --- main loop ----------------------------------------------------------

    async def run(self) -> None:
        """Keep the stream connected until cancelled.

        Cancellation closes the connection and leaves nothing running.
        """
        if self._running:
            raise RuntimeError("the stream is already running")
        self._running = True
        self._failures = 0
        self._contest.stable()
        token: tuple[str, datetime] | None = None
        try:
            while True:
                try:
                    ended = await self._session(token)
                except AttemptFailedError as fail:
                    token = None
                    self.swapping = False
                    await self._after_failure(fail)
                    continue
                token = self._tokens.unspent(ended.token)
                if ended.stable:
                    self._failures = 0
                    self._contest.stable()
                    self._unstable_logged = False
                self._note(ended.reason)
                if ended.planned:
                    await self._after_own_disconnect()
                    continue
                await self._after_drop(ended)
        finally:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            if self._wake is not None:
                self._wake.cancel()
                self._wake = None
            if self._token_event is not None:
                self._token_event.cancel()
                self._token_event = None
            self._running = False
            self._set_state(StreamState.STOPPED)

    async def _after_own_disconnect(self) -> None:
        """Wait a moment after a planned swap: BMW still holds the session."""
        self.swapping = True
        self._contest.own_disconnect(time.monotonic())
        self._set_state(StreamState.CONNECTING)
        await asyncio.sleep(self._config.reconnect_pause)

    async def _after_drop(self, ended: Ended) -> None:
        """An established connection ended without us: retry or evicted."""
        self._failures += 1
        self.last_error = ended.reason
        _LOGGER.debug(
            "Stream connection ended after %.1f s: %s", ended.lasted, ended.reason
        )
        await self._after_end(self._contest.drop(ended.lasted, stable=ended.stable))

    async def _after_end(self, verdict: Verdict) -> None:
        if verdict is Verdict.EVICTED:
            await self._evicted()
            return
        await self._pause(
            self._retrying(StreamState.WAITING_TO_RETRY),
            self._backoff(self._failures),
        )

    async def _after_failure(self, fail: AttemptFailedError) -> None:
        """Record a failed attempt and wait before the next one."""
        self._failures += 1
        self._note(fail.message)
        if fail.tls_reason is not None:
            self.tls_reason = fail.tls_reason
        if fail.kicked:  # accepted, then closed at once: a drop after 0 s
            self.last_error = fail.message
            _LOGGER.debug("Stream attempt ended: %s", fail.message)
            await self._after_end(self._contest.drop(0.0, stable=False))
            return
        if fail.not_authorized:
            verdict = self._contest.refusal(time.monotonic())
        elif fail.bad_credentials:
            verdict = self._contest.bad_credentials()
        else:
            self._contest.failure(unreachable=fail.unreachable)
            self.last_error = fail.message
            _LOGGER.debug("Stream attempt failed: %s", fail.message)
            await self._pause(self._retrying(fail.kind), self._backoff(self._failures))
            return
        if verdict is Verdict.EVICTED:
            await self._evicted()
            return
        if self.last_error != EVICTED_MESSAGE or verdict is Verdict.REFUSED:
            self.last_error = fail.message
        if verdict is Verdict.TRANSIENT:
            _LOGGER.debug("Stream: broker still holds our previous session")
            delay = self._config.backoff_min
        elif verdict is Verdict.REFRESH:
            await self._refresh_token()
            delay = self._config.backoff_min
        else:
            delay = self._backoff(self._failures)
        kind = (
            StreamState.REFUSED
            if verdict is Verdict.REFUSED
            else self._retrying(StreamState.WAITING_TO_RETRY)
        )
        await self._pause(kind, delay)

    async def _evicted(self) -> None:
        # Refusals and drops in the pattern of another client on the account:
        # BMW's broker lets one connection per account in. Say so and retry
        # slowly instead of evicting each other.
        if self.last_error != EVICTED_MESSAGE:
            _LOGGER.warning("Stream: %s", EVICTED_MESSAGE)
        self.last_error = EVICTED_MESSAGE
        self._note("evicted")
        await self._pause(StreamState.EVICTED, evicted_delay(self._config.backoff_max))

    async def _refresh_token(self) -> None:
        """Refresh the id token once before concluding from refusals."""
        self._note("refreshing the id token")
        try:
            await self._tokens.async_refresh_id_token(self._offered)
        except CarDataError as err:
            self._note(f"no id token: {err}")

    async def _get_token(self) -> tuple[str, datetime]:
        try:
            return await self._tokens.async_get_id_token()
        except InvalidGrantError as err:
            raise AttemptFailedError(
                StreamState.REFUSED, f"no id token: log in again ({err})"
            ) from None
        except CarDataError as err:
            raise AttemptFailedError(
                StreamState.WAITING_FOR_TOKEN, f"no id token: {err}"
            ) from None

    async def _await_token(self) -> tuple[str, datetime]:
        """Get an id token; the state says so when that takes a while."""
        task = asyncio.ensure_future(self._get_token())
        # When this wait is cancelled just as the token request fails (a
        # refused refresh while the stream stops), nobody awaits the task:
        # read its outcome so asyncio does not report it as never retrieved.
        task.add_done_callback(_retrieve)
        try:
            done, _ = await asyncio.wait({task}, timeout=TOKEN_WAIT_NOTICE)
            if not done:
                self._set_state(StreamState.WAITING_FOR_TOKEN)
            return await task
        finally:
            if not task.done():
                task.cancel()

    async def _context(self) -> ssl.SSLContext | None:
        """The TLS context of the next connection attempt (None: plain TCP).

        A CA file is read for every attempt, not kept: an owner who replaces
        it in place (a renewed CA) is heard at the next connection.
        """
        cfg = self._config
        if cfg.tls is StreamTls.NONE:
            return None
        if self._ssl_context is not None:
            return self._ssl_context
        if cfg.tls is StreamTls.CUSTOM_CA:
            return await load_ssl_context(cfg.tls, cfg.ca_file)
        if self._system_context is None:
            self._system_context = await load_ssl_context(cfg.tls, None)
        return self._system_context

    def _deliver(self, topic: str, payload: bytes) -> None:
        message = self.parser.parse(payload, topic)
        if message is None:
            return
        self.messages += 1
        self.last_message_at = datetime.now(UTC)
        self._on_message(message)

    async def _session(self, token: tuple[str, datetime] | None) -> Ended:
        """Connect, subscribe and stay connected until the connection ends."""
        wake = self._new_wake()
        cfg = self._config
        if token is None and cfg.password is not None:
            token = ("", datetime.now(UTC) + timedelta(seconds=MAX_SESSION))
        if token is None:
            token = await self._await_token()
        self._offered = token[0]
        self._set_state(StreamState.CONNECTING)
        context = await self._context()
        connection = MqttConnection(
            client_id=cfg.client_id or cfg.username,
            username=cfg.username,
            password=cfg.password if cfg.password is not None else token[0],
            keepalive=cfg.keepalive,
            on_message=self._deliver,
        )
        self._connection = connection
        try:
            await establish(
                connection,
                host=cfg.host,
                port=cfg.port,
                topic=cfg.topic,
                context=context,
                limit=cfg.connect_timeout,
            )
            ended = await self._connected(connection, token, wake)
            if ended.planned:
                connection.drain()
            return ended
        finally:
            connection.close()
            self._connection = None

    async def _connected(
        self,
        connection: MqttConnection,
        token: tuple[str, datetime],
        wake: asyncio.Future[None],
    ) -> Ended:
        started = time.monotonic()
        self.last_error = None
        self.tls_reason = None
        self.swapping = False
        self._note("connected")
        self._set_state(StreamState.CONNECTED)
        watch = SwapWatch(
            token,
            started
            + swap_delay(token[1], self._config.swap_margin, MIN_SESSION, MAX_SESSION),
            self._config.token_recheck,
            self._tokens.peek_id_token,
            self._get_token,
        )
        try:
            while True:
                event = self._new_token_event()
                waiting: set[asyncio.Future[Any]] = {connection.closed, wake, event}
                done, _ = await asyncio.wait(
                    waiting | watch.pending(),
                    timeout=watch.timeout(),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                lasted = time.monotonic() - started
                stable = lasted >= self._config.stable_after
                if connection.closed in done:
                    return Ended(
                        planned=False,
                        stable=stable,
                        reason=connection.closed.result(),
                        lasted=lasted,
                    )
                if wake in done:
                    try:
                        fresh = await self._get_token()
                    except AttemptFailedError as fail:
                        self._note(fail.message)
                        self.last_error = fail.message
                        wake = self._new_wake()
                        continue
                    return Ended(
                        planned=True,
                        stable=stable,
                        reason="reconnect requested",
                        token=fresh,
                    )
                if (newer := watch.check(self._note)) is not None:
                    _LOGGER.debug("Stream: swapping to a new id token")
                    return Ended(
                        planned=True, stable=stable, reason="id token swap", token=newer
                    )
        finally:
            watch.close()
            self._tokens.spend(token[0])

    def _new_token_event(self) -> asyncio.Future[None]:
        if self._token_event is not None:
            self._token_event.cancel()
        self._token_event = asyncio.get_running_loop().create_future()
        return self._token_event


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a finished task's exception as seen (its caller has the outcome)."""
    if not task.cancelled():
        task.exception()
