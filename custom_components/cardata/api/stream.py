"""The CarData MQTT stream: one connection, an explicit state machine.

:class:`CarDataStream` keeps exactly one connection per account open, swaps
it for a fresh one (new id token) ahead of the id token's expiry by closing
the old connection before opening the new one, backs off with jitter after
failures, and recognises another client taking the account's stream.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
import logging
import secrets
import ssl
import time

from .auth import IdTokenProvider
from .connection import (
    ConnectRefusedError,
    MqttConnection,
    MqttConnectionError,
    SubscribeRefusedError,
    open_socket,
)
from .endpoints import Endpoints, StreamTls
from .exceptions import CarDataError, InvalidGrantError
from .parser import MessageParser, StreamMessage

_LOGGER = logging.getLogger(__name__)
_RANDOM = secrets.SystemRandom()

EVICTED_MESSAGE = (
    "another client is using this account's stream (BMW allows one connection "
    "per account); stop the other client, this one retries slowly"
)
MIN_SESSION = 1.0
"""Shortest time a connection is kept before a planned swap, in seconds."""
MAX_SESSION = 86400.0
"""Longest time a connection is kept before a planned swap, in seconds."""
HISTORY_LENGTH = 20


class StreamState(StrEnum):
    """State of the stream connection."""

    STOPPED = "stopped"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    WAITING_TO_RETRY = "waiting_to_retry"
    EVICTED = "evicted"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class StreamConfig:
    """Settings of one account's stream.

    Attributes:
        host: broker host.
        port: broker port.
        tls: how the connection is secured.
        ca_file: PEM file of the trusted CA for ``StreamTls.CUSTOM_CA``.
        username: the account's GCID.
        topic: subscription topic, ``<GCID>/+`` for every vehicle.
        keepalive: MQTT keepalive in seconds.
        swap_margin: seconds before the id token expires to swap connections.
        backoff_min: first retry delay after a failure, in seconds.
        backoff_max: longest retry delay, also used when evicted.
        password: fixed password for a custom broker (the token provider is
            then not asked); ``None`` uses the id token.
        use_token: ``False`` for a broker that is not BMW's: the id token is
            never fetched nor sent; an empty user name or password is left
            out of CONNECT.
        client_id: MQTT client id; ``None`` uses the user name.
        connect_timeout: seconds allowed from TCP connect to SUBACK.
        evicted_after: "not authorized" refusals in a row that mean eviction.
        stable_after: seconds a connection must last to reset the backoff.
    """

    host: str
    port: int
    tls: StreamTls
    ca_file: str | None
    username: str = field(repr=False)
    topic: str = field(repr=False)
    keepalive: int = 30
    swap_margin: float = 300.0
    backoff_min: float = 2.0
    backoff_max: float = 300.0
    password: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    connect_timeout: float = 30.0
    evicted_after: int = 2
    stable_after: float = 60.0
    use_token: bool = True

    @classmethod
    def for_endpoints(cls, endpoints: Endpoints, gcid: str) -> StreamConfig:
        """Return the configuration for ``gcid`` on ``endpoints``."""
        return cls(
            host=endpoints.stream_host,
            port=endpoints.stream_port,
            tls=endpoints.stream_tls,
            ca_file=endpoints.stream_ca_file,
            username=gcid,
            topic=f"{gcid}/+",
        )


class _AttemptFailedError(Exception):
    """A connection attempt failed; ``kind`` picks the next state."""

    def __init__(
        self, kind: StreamState, message: str, *, not_authorized: bool = False
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.not_authorized = not_authorized


@dataclass(frozen=True, slots=True)
class _Ended:
    """How an established connection ended."""

    planned: bool
    stable: bool
    reason: str
    token: tuple[str, datetime] | None = None


def build_ssl_context(tls: StreamTls, ca_file: str | None) -> ssl.SSLContext | None:
    """Return the TLS context for ``tls`` (blocking: reads certificate files).

    Verification is on (hostname and chain); TLS 1.2 and 1.3 are allowed.
    """
    if tls is StreamTls.NONE:
        return None
    if tls is StreamTls.CUSTOM_CA:
        if not ca_file:
            raise ValueError("custom_ca needs a CA file")
        context = ssl.create_default_context(cafile=ca_file)
    else:
        context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class CarDataStream:
    """Owns one account's MQTT stream until :meth:`run` is cancelled.

    Attributes:
        parser: the message parser (its ``dropped`` counts bad payloads).
        history: recent connection events as (UTC time, reason).
        last_error: the latest failure, without secrets; ``None`` when fine.
        messages: messages delivered to ``on_message``.
        last_message_at: UTC time of the latest delivered message.
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
            ssl_context: TLS context to use instead of building one (the
                default is built once in an executor, as it reads files).
        """
        self._config = config
        self._tokens = tokens
        self._on_message = on_message
        self._on_state = on_state
        self._ssl_context = ssl_context
        self.parser = MessageParser()
        self.history: deque[tuple[datetime, str]] = deque(maxlen=HISTORY_LENGTH)
        self.last_error: str | None = None
        self.messages = 0
        self.last_message_at: datetime | None = None
        self._state = StreamState.STOPPED
        self._running = False
        self._failures = 0
        self._not_authorized = 0
        self._wake: asyncio.Future[None] | None = None
        self._connection: MqttConnection | None = None
        self.on_payload: Callable[[StreamMessage, bytes], None] | None = None
        """Also receives each delivered message's raw payload (must not block)."""

    @property
    def state(self) -> StreamState:
        """Return the current state."""
        return self._state

    @property
    def config(self) -> StreamConfig:
        """Return the configuration."""
        return self._config

    def request_reconnect(self) -> None:
        """Swap the connection now (e.g. after a forced token refresh).

        While waiting to retry, retries now.
        """
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

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
        base = cfg.backoff_min * 2.0 ** min(max(failures - 1, 0), 20)
        delay = min(cfg.backoff_max, base) * float(_RANDOM.uniform(0.75, 1.25))
        return min(cfg.backoff_max, max(cfg.backoff_min, delay))

    def _evicted_delay(self) -> float:
        return self._config.backoff_max * float(_RANDOM.uniform(0.8, 1.0))

    async def _pause(self, state: StreamState, delay: float) -> None:
        """Wait ``delay`` seconds in ``state`` unless woken."""
        self._set_state(state)
        _LOGGER.debug("Stream retries in %.1f s", delay)
        wake = self._new_wake()
        try:
            await asyncio.wait_for(asyncio.shield(wake), delay)
        except TimeoutError:
            pass
        finally:
            wake.cancel()

    # --- main loop ----------------------------------------------------------

    async def run(self) -> None:
        """Keep the stream connected until cancelled.

        Cancellation closes the connection and leaves nothing running.
        """
        if self._running:
            raise RuntimeError("the stream is already running")
        self._running = True
        self._failures = 0
        self._not_authorized = 0
        token: tuple[str, datetime] | None = None
        try:
            while True:
                try:
                    ended = await self._session(token)
                except _AttemptFailedError as fail:
                    token = None
                    await self._after_failure(fail)
                    continue
                token = ended.token
                if ended.stable:
                    self._failures = 0
                    self._not_authorized = 0
                self._note(ended.reason)
                if ended.planned:
                    continue
                self._failures += 1
                self.last_error = ended.reason
                _LOGGER.debug("Stream connection ended: %s", ended.reason)
                await self._pause(
                    StreamState.WAITING_TO_RETRY, self._backoff(self._failures)
                )
        finally:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            if self._wake is not None:
                self._wake.cancel()
                self._wake = None
            self._running = False
            self._set_state(StreamState.STOPPED)

    async def _after_failure(self, fail: _AttemptFailedError) -> None:
        """Record a failed attempt and wait before the next one."""
        self._failures += 1
        self._note(fail.message)
        if not fail.not_authorized:
            self._not_authorized = 0
            self.last_error = fail.message
            _LOGGER.debug("Stream attempt failed: %s", fail.message)
            await self._pause(fail.kind, self._backoff(self._failures))
            return
        self._not_authorized += 1
        if self._not_authorized < self._config.evicted_after:
            if self.last_error != EVICTED_MESSAGE:
                self.last_error = fail.message
            await self._pause(fail.kind, self._backoff(self._failures))
            return
        # "Not authorized" again and again right after connecting: BMW's
        # broker lets one connection per account in, and another client has
        # it. Say so and retry slowly instead of evicting each other.
        if self.last_error != EVICTED_MESSAGE:
            _LOGGER.warning("Stream: %s", EVICTED_MESSAGE)
        self.last_error = EVICTED_MESSAGE
        self._note("evicted")
        await self._pause(StreamState.EVICTED, self._evicted_delay())

    async def _get_token(self) -> tuple[str, datetime]:
        try:
            return await self._tokens.async_get_id_token()
        except InvalidGrantError as err:
            raise _AttemptFailedError(
                StreamState.REFUSED, f"no id token: log in again ({err})"
            ) from None
        except CarDataError as err:
            raise _AttemptFailedError(
                StreamState.WAITING_TO_RETRY, f"no id token: {err}"
            ) from None

    async def _context(self) -> ssl.SSLContext | None:
        cfg = self._config
        if cfg.tls is StreamTls.NONE:
            return None
        if self._ssl_context is None:
            loop = asyncio.get_running_loop()
            try:
                self._ssl_context = await loop.run_in_executor(
                    None, build_ssl_context, cfg.tls, cfg.ca_file
                )
            except (OSError, ValueError, ssl.SSLError) as err:
                raise _AttemptFailedError(
                    StreamState.REFUSED, f"cannot load the TLS settings: {err}"
                ) from None
        return self._ssl_context

    def _deliver(self, topic: str, payload: bytes) -> None:
        message = self.parser.parse(payload, topic)
        if message is None:
            return
        self.messages += 1
        self.last_message_at = datetime.now(UTC)
        self._on_message(message)
        if self.on_payload is not None:
            try:
                self.on_payload(message, payload)
            except Exception:
                _LOGGER.exception("Error in the stream payload listener")

    async def _session(self, token: tuple[str, datetime] | None) -> _Ended:
        """Connect, subscribe and stay connected until the connection ends."""
        self._set_state(StreamState.CONNECTING)
        wake = self._new_wake()
        cfg = self._config
        if token is None and (cfg.password is not None or not cfg.use_token):
            token = ("", datetime.now(UTC) + timedelta(seconds=MAX_SESSION))
        if token is None:
            token = await self._get_token()
        context = await self._context()
        username: str | None = cfg.username
        password: str | None = token[0] if cfg.password is None else cfg.password
        if not cfg.use_token:  # anonymous unless credentials were configured
            username, password = cfg.username or None, cfg.password or None
        connection = MqttConnection(
            client_id=cfg.client_id or cfg.username,
            username=username,
            password=password,
            keepalive=cfg.keepalive,
            on_message=self._deliver,
        )
        self._connection = connection
        try:
            await self._establish(connection, context)
            ended = await self._connected(connection, token[1], wake)
            if ended.planned:
                connection.drain()
            return ended
        finally:
            connection.close()
            self._connection = None

    async def _establish(
        self, connection: MqttConnection, context: ssl.SSLContext | None
    ) -> None:
        cfg = self._config
        try:
            async with asyncio.timeout(cfg.connect_timeout):
                sock = await open_socket(cfg.host, cfg.port, context)
                await connection.connect(sock, cfg.host, cfg.port)
                await connection.subscribe(cfg.topic)
        except ConnectRefusedError as err:
            if err.not_authorized:
                raise _AttemptFailedError(
                    StreamState.WAITING_TO_RETRY,
                    "broker answered not authorized (rc 5)",
                    not_authorized=True,
                ) from None
            kind = (
                StreamState.WAITING_TO_RETRY
                if err.reason == "Server unavailable"
                else StreamState.REFUSED
            )
            raise _AttemptFailedError(kind, str(err)) from None
        except SubscribeRefusedError as err:
            raise _AttemptFailedError(StreamState.REFUSED, str(err)) from None
        except ssl.SSLCertVerificationError as err:
            raise _AttemptFailedError(
                StreamState.REFUSED,
                f"stream certificate not trusted: {err.verify_message}",
            ) from None
        except TimeoutError:
            raise _AttemptFailedError(
                StreamState.WAITING_TO_RETRY, "connecting timed out"
            ) from None
        except (OSError, MqttConnectionError) as err:
            detail = (
                str(err) if isinstance(err, MqttConnectionError) else type(err).__name__
            )
            raise _AttemptFailedError(
                StreamState.WAITING_TO_RETRY, f"cannot connect: {detail}"
            ) from None

    async def _connected(
        self,
        connection: MqttConnection,
        expires_at: datetime,
        wake: asyncio.Future[None],
    ) -> _Ended:
        started = time.monotonic()
        self.last_error = None
        self._note("connected")
        self._set_state(StreamState.CONNECTED)
        swap_in = self._swap_delay(expires_at)
        while True:
            done, _ = await asyncio.wait(
                (connection.closed, wake),
                timeout=swap_in,
                return_when=asyncio.FIRST_COMPLETED,
            )
            stable = time.monotonic() - started >= self._config.stable_after
            if connection.closed in done:
                return _Ended(
                    planned=False, stable=stable, reason=connection.closed.result()
                )
            reason = "reconnect requested" if wake in done else "id token swap"
            try:
                token = (
                    await self._get_token()
                    if self._config.use_token
                    else ("", datetime.now(UTC) + timedelta(seconds=MAX_SESSION))
                )
            except _AttemptFailedError as fail:
                self._note(fail.message)
                self.last_error = fail.message
                wake = self._new_wake()
                swap_in = self._backoff(2)
                continue
            return _Ended(planned=True, stable=stable, reason=reason, token=token)

    def _swap_delay(self, expires_at: datetime) -> float:
        remaining = (expires_at - datetime.now(UTC)).total_seconds()
        delay = max(remaining - self._config.swap_margin, remaining / 2)
        return min(max(delay, MIN_SESSION), MAX_SESSION)
