"""One MQTT connection driven by paho-mqtt on the running asyncio loop.

Nothing here blocks the loop or starts a thread: the TCP connect and the TLS
handshake are done with non-blocking sockets awaited through the loop, then
the connected socket is handed to paho, whose reads, writes and keepalive are
driven by ``loop.add_reader`` / ``loop.add_writer`` and a one-second timer
(the same division of work as Home Assistant's own MQTT client).

This module is internal to the stream; its API may change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
import ipaddress
import logging
import select
import socket
import ssl
from typing import TYPE_CHECKING, Any

from paho.mqtt.client import (
    Client,
    ConnectFlags,
    DisconnectFlags,
    MQTTMessage,
    MQTTv311,
)
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

if TYPE_CHECKING:
    from paho.mqtt.client import SocketLike

_LOGGER = logging.getLogger(__name__)

MISC_INTERVAL = 1.0
"""Longest time between paho's housekeeping calls (keepalive pings)."""
MAX_DRAIN_READS = 1000
"""Most packets read from TLS-buffered data in one reader callback."""

type MessageHandler = Callable[[str, bytes], None]


class MqttConnectionError(Exception):
    """The connection attempt or the connection failed."""


class ConnectRefusedError(MqttConnectionError):
    """The broker answered CONNACK with a refusal.

    Attributes:
        reason: paho's name of the reason (for example ``Not authorized``).
    """

    def __init__(self, reason: str) -> None:
        """Store the broker's reason."""
        super().__init__(f"broker refused the connection: {reason}")
        self.reason = reason

    @property
    def not_authorized(self) -> bool:
        """Return whether the refusal was MQTT 3.1.1 return code 5."""
        return self.reason == "Not authorized"

    @property
    def bad_credentials(self) -> bool:
        """Return whether the refusal was MQTT 3.1.1 return code 4."""
        return self.reason == "Bad user name or password"


class SubscribeRefusedError(MqttConnectionError):
    """The broker refused the subscription (SUBACK 0x80)."""


class _PahoClient(Client):
    """paho client that uses a socket connected beforehand, without blocking.

    paho-mqtt 2.1 offers no public way to hand over such a socket (``connect``
    always opens its own, blocking), so this overrides the private
    ``_create_socket``; tests/api/test_paho_contract.py fails, naming paho's
    version, when paho changes that method or stops calling it.
    """

    _prepared_socket: SocketLike | None = None

    def _create_socket(self) -> SocketLike:
        sock = self._prepared_socket
        self._prepared_socket = None
        if sock is None:
            raise OSError("no connected socket prepared")
        return sock


def _resolved(host: str, port: int) -> list[tuple[Any, ...]] | None:
    """Return the address info of an IP literal without a lookup."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET  # noqa: PLR2004
    return [(family, socket.SOCK_STREAM, 0, "", (host, port))]


async def _wait_fd(loop: asyncio.AbstractEventLoop, fd: int, *, write: bool) -> None:
    future: asyncio.Future[None] = loop.create_future()

    def ready() -> None:
        if not future.done():
            future.set_result(None)

    if write:
        loop.add_writer(fd, ready)
    else:
        loop.add_reader(fd, ready)
    try:
        await future
    finally:
        if write:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)


async def _tls_handshake(loop: asyncio.AbstractEventLoop, sock: ssl.SSLSocket) -> None:
    while True:
        try:
            sock.do_handshake()
        except ssl.SSLWantReadError:
            await _wait_fd(loop, sock.fileno(), write=False)
        except ssl.SSLWantWriteError:
            await _wait_fd(loop, sock.fileno(), write=True)
        else:
            return


async def open_socket(
    host: str, port: int, ssl_context: ssl.SSLContext | None
) -> socket.socket:
    """Connect to ``host:port`` (and do the TLS handshake) without blocking.

    The caller bounds the time with ``asyncio.timeout``. On any failure or
    cancellation no socket is left open.

    Raises:
        OSError: resolution, connection or TLS failure (``ssl.SSLError`` for
            TLS, ``ssl.SSLCertVerificationError`` for an untrusted server).
    """
    loop = asyncio.get_running_loop()
    infos = _resolved(host, port) or await loop.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    )
    last_error: OSError | None = None
    sock: socket.socket | None = None
    for family, kind, proto, _name, address in infos:
        candidate = socket.socket(family, kind, proto)
        try:
            candidate.setblocking(False)  # noqa: FBT003
            await loop.sock_connect(candidate, address)
        except OSError as err:
            candidate.close()
            last_error = err
            continue
        except BaseException:
            candidate.close()
            raise
        sock = candidate
        break
    if sock is None:
        raise last_error or OSError(f"no address for the stream host (port {port})")
    if ssl_context is None:
        return sock
    try:
        tls = ssl_context.wrap_socket(
            sock, server_hostname=host, do_handshake_on_connect=False
        )
    except BaseException:
        sock.close()
        raise
    try:
        await _tls_handshake(loop, tls)
    except BaseException:
        tls.close()
        raise
    return tls


class MqttConnection:
    """One MQTT 3.1.1 session (clean session, QoS 0) on the running loop.

    Use once: :meth:`connect`, :meth:`subscribe`, await :attr:`closed`,
    :meth:`close`. ``on_message`` receives (topic, payload) on the loop.
    """

    def __init__(
        self,
        *,
        client_id: str,
        username: str | None,
        password: str | None,
        keepalive: int,
        on_message: MessageHandler,
    ) -> None:
        """Prepare a paho client; nothing is opened yet."""
        self._loop = asyncio.get_running_loop()
        self._keepalive = keepalive
        self._misc_interval = min(MISC_INTERVAL, max(keepalive, 1) / 4)
        self._on_message = on_message
        client = _PahoClient(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=True,
            protocol=MQTTv311,
            reconnect_on_failure=False,
        )
        client.username_pw_set(username or None, password or None)  # "": none
        client.suppress_exceptions = True
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._handle_message
        client.on_socket_open = self._on_socket_open
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_socket_register_write
        client.on_socket_unregister_write = self._on_socket_unregister_write
        self._client = client
        self._sock: socket.socket | None = None
        self._fd = -1
        self._reading = False
        self._writing = False
        self._misc: asyncio.TimerHandle | None = None
        self._connack: asyncio.Future[ReasonCode] = self._loop.create_future()
        self._subacks: dict[int, asyncio.Future[list[ReasonCode]]] = {}
        self.closed: asyncio.Future[str] = self._loop.create_future()
        """Resolves with a reason once the connection has ended."""

    # --- life cycle ---------------------------------------------------------

    async def connect(self, sock: socket.socket, host: str, port: int) -> None:
        """Send CONNECT over ``sock`` (already connected) and await CONNACK.

        Raises:
            ConnectRefusedError: the broker refused (rc 1-5).
            MqttConnectionError: the connection closed before CONNACK.
        """
        self._sock = sock
        self._fd = sock.fileno()
        self._client._prepared_socket = sock  # noqa: SLF001 - our own subclass
        rc = self._client.connect(host, port, self._keepalive)
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self._finish(f"connect failed ({rc.name})")
        self._misc = self._loop.call_later(self._misc_interval, self._housekeeping)
        reason = await self._first(self._connack)
        if reason.is_failure:
            raise ConnectRefusedError(str(reason))

    async def subscribe(self, topic: str) -> None:
        """Subscribe with QoS 0 and await SUBACK.

        Raises:
            SubscribeRefusedError: SUBACK carried a failure (0x80).
            MqttConnectionError: the connection closed before SUBACK.
        """
        result, mid = self._client.subscribe(topic, qos=0)
        if result != MQTTErrorCode.MQTT_ERR_SUCCESS or mid is None:
            raise MqttConnectionError(f"subscribe failed ({result.name})")
        future = self._subacks.setdefault(mid, self._loop.create_future())
        codes = await self._first(future)
        if not codes or any(code.is_failure for code in codes):
            raise SubscribeRefusedError("broker refused the subscription")

    async def _first[T](self, future: asyncio.Future[T]) -> T:
        """Await ``future`` unless the connection ends first."""
        await asyncio.wait((future, self.closed), return_when=asyncio.FIRST_COMPLETED)
        if future.done():
            return future.result()
        raise MqttConnectionError(self.closed.result())

    def drain(self) -> None:
        """Read what has already arrived (before a planned close); no waiting."""
        sock = self._sock
        for _ in range(MAX_DRAIN_READS):
            if sock is None or self._sock is not sock or self.closed.done():
                return
            buffered = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
            if not buffered:
                try:
                    readable, _, _ = select.select([sock], [], [], 0)
                except OSError, ValueError:
                    return
                if not readable:
                    return
            if self._client.loop_read() != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return

    def close(self) -> None:
        """Send DISCONNECT if possible and close the socket; idempotent."""
        if self._misc is not None:
            self._misc.cancel()
            self._misc = None
        if self._sock is not None and self._client.is_connected():
            with contextlib.suppress(OSError, ValueError):
                self._client.disconnect()
                self._client.loop_write()
        self._unwatch()
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._finish("closed by us")
        self._connack.cancel()
        for future in self._subacks.values():
            future.cancel()

    # --- loop integration ---------------------------------------------------

    def _finish(self, reason: str) -> None:
        if not self.closed.done():
            self.closed.set_result(reason)

    def _unwatch(self) -> None:
        if self._reading:
            self._loop.remove_reader(self._fd)
            self._reading = False
        if self._writing:
            self._loop.remove_writer(self._fd)
            self._writing = False

    def _on_socket_open(self, _client: Client, _userdata: Any, _sock: Any) -> None:
        if self._fd >= 0 and not self._reading:
            self._loop.add_reader(self._fd, self._readable)
            self._reading = True

    def _on_socket_close(self, _client: Client, _userdata: Any, _sock: Any) -> None:
        self._unwatch()
        self._finish("connection closed")

    def _on_socket_register_write(
        self, _client: Client, _userdata: Any, _sock: Any
    ) -> None:
        if self._fd >= 0 and not self._writing and self._sock is not None:
            self._loop.add_writer(self._fd, self._writable)
            self._writing = True

    def _on_socket_unregister_write(
        self, _client: Client, _userdata: Any, _sock: Any
    ) -> None:
        if self._writing:
            self._loop.remove_writer(self._fd)
            self._writing = False

    def _readable(self) -> None:
        rc = self._client.loop_read()
        # TLS may hold whole packets in its buffer that the selector cannot see.
        sock = self._sock
        reads = 0
        while (
            rc == MQTTErrorCode.MQTT_ERR_SUCCESS
            and isinstance(sock, ssl.SSLSocket)
            and self._sock is sock
            and reads < MAX_DRAIN_READS
            and sock.pending() > 0
        ):
            rc = self._client.loop_read()
            reads += 1
        if reads >= MAX_DRAIN_READS:
            self._loop.call_soon(self._readable)
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self._lost(rc)

    def _writable(self) -> None:
        rc = self._client.loop_write()
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self._lost(rc)

    def _housekeeping(self) -> None:
        self._misc = None
        rc = self._client.loop_misc()
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            self._lost(rc)
            return
        self._misc = self._loop.call_later(self._misc_interval, self._housekeeping)

    def _lost(self, rc: MQTTErrorCode) -> None:
        self._unwatch()
        self._finish(f"connection lost ({rc.name})")

    # --- paho callbacks (called on the loop, inside loop_read/loop_write) ----

    def _on_connect(
        self,
        _client: Client,
        _userdata: Any,
        _flags: ConnectFlags,
        reason: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        if not self._connack.done():
            self._connack.set_result(reason)

    def _on_disconnect(
        self,
        _client: Client,
        _userdata: Any,
        _flags: DisconnectFlags,
        reason: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        self._finish(f"disconnected ({reason!s})")

    def _on_subscribe(
        self,
        _client: Client,
        _userdata: Any,
        mid: int,
        codes: list[ReasonCode],
        _properties: Properties | None,
    ) -> None:
        future = self._subacks.setdefault(mid, self._loop.create_future())
        if not future.done():
            future.set_result(list(codes))

    def _handle_message(
        self, _client: Client, _userdata: Any, message: MQTTMessage
    ) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = ""
        try:
            self._on_message(topic, bytes(message.payload))
        except Exception:
            _LOGGER.exception("Error handling a stream message")
