"""A small, strict MQTT 3.1.1 broker over TLS that enforces BMW's rules.

- CONNECT: protocol MQTT level 4, clean session, username = GCID, password
  = a currently valid id token of that GCID (else CONNACK 4), streaming
  scope and no foreign client holding the stream (else CONNACK 5).
- One connection per GCID: a new one drops the older one.
- SUBSCRIBE only to ``<GCID>/+`` or ``<GCID>/<VIN>`` (else SUBACK 0x80).
- The connection is closed when its id token expires or keep-alive lapses.
- QoS 0 only: a subscription asking for more is granted QoS 0, the broker
  publishes QoS 0 and keeps nothing for a client that is away; clients may
  not publish (read-only stream).
- An id token a session already used is refused (rc 5) once that session
  ended; a freshly refreshed one is accepted (reported by peers; fault
  ``stream_used_token_refused``).
- New connections per source address are limited per minute (fault
  ``stream_connects_per_minute``, 0: no limit): past it the address is locked
  out for ``stream_lockout_seconds`` and its connections are reset before TLS.

Fault ``stream_flap_seconds``: for that long the connection flaps, as a
failing network or broker node does (unlike another client on the account,
which kicks us right after each accepted CONNECT and never makes a connect
fail): open connections are dropped at once, later ones after irregular
intervals (:data:`FLAP_INTERVALS`), and for ``stream_flap_down`` seconds
after each drop new connections are reset before TLS. Then it is stable.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
import datetime as dt
import logging
import ssl
import struct
from typing import TYPE_CHECKING

from .mqtt_wire import (
    CONNACK,
    CONNECT,
    DISCONNECT,
    PINGREQ,
    PINGRESP,
    RC_ACCEPTED,
    RC_BAD_CREDENTIALS,
    RC_NOT_AUTHORIZED,
    RC_PROTOCOL,
    SUBACK,
    SUBSCRIBE,
    UNSUBACK,
    UNSUBSCRIBE,
    ProtocolError,
    encode,
    publish_packet,
    read_binary,
    read_packet,
    read_utf8,
)
from .world import SCOPE_STREAM

if TYPE_CHECKING:
    from .core import Simulator

_LOGGER = logging.getLogger(__name__)
CONNECT_TIMEOUT = 10.0
FLAP_INTERVALS = (1.0, 2.5, 1.5, 12.0, 0.5, 4.0, 20.0, 3.0)
"""Seconds each accepted connection lasts while the broker flaps, in turn."""


@dataclass(eq=False)
class Session:
    """One accepted client connection."""

    gcid: str
    client_id: str
    writer: asyncio.StreamWriter
    token_expires: dt.datetime
    token: str = field(repr=False)
    keepalive: int
    last_seen: float
    subscriptions: set[str] = field(default_factory=set)
    closed: bool = False
    reason: str = ""
    flap_at: float | None = None
    """Loop time the flapping broker drops it at."""

    def close(self, reason: str) -> None:
        """Drop the connection (no packet: MQTT 3.1.1 has no server DISCONNECT)."""
        if not self.closed:
            self.closed = True
            self.reason = reason
            self.writer.transport.abort()


@dataclass
class GcidStats:
    """Counters per account."""

    connects: int = 0
    refused: int = 0
    max_concurrent: int = 0
    evictions: int = 0
    foreign: bool = False
    foreign_until: dt.datetime | None = None
    close_reasons: list[str] = field(default_factory=list)
    released_at: float | None = None
    held_refusals: int = 0
    flap_drops: int = 0
    used_token_refusals: int = 0
    requested_qos: list[int] = field(default_factory=list)
    """QoS each subscription asked for (every one is granted QoS 0)."""


class Broker:
    """The simulated BMW streaming endpoint."""

    def __init__(self, sim: Simulator) -> None:
        """Bind to the simulator (token registry, clock, faults)."""
        self._sim = sim
        self._server: asyncio.Server | None = None
        self._context: ssl.SSLContext | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._watchdog: asyncio.Task[None] | None = None
        self.sessions: list[Session] = []
        self.stats: dict[str, GcidStats] = {}
        self.port = 0
        self.published = 0
        self.check_interval = 0.2
        self.flapping = False
        """Whether the connection flaps now (fault ``stream_flap_seconds``)."""
        self.flap_resets = 0
        """Connections reset before TLS while the flapping broker was down."""
        self.stable_since: float | None = None
        """Loop time the last flapping period ended."""
        self._flap_turn = 0
        self._down_until = 0.0
        self.spent_tokens: set[str] = set()
        """Id tokens of sessions that ended (refused again, see the docstring)."""
        self.connects_by_address: dict[str, list[float]] = {}
        """Loop times of the new connections of each source address."""
        self.locked_until: dict[str, float] = {}
        self.rate_limited: dict[str, int] = {}
        """Connections reset per address while it was locked out."""

    # ----- lifecycle -----------------------------------------------------
    async def start(self, context: ssl.SSLContext, host: str, port: int) -> None:
        """Listen on ``host:port`` (0 = any free port)."""
        # TLS is started per connection so that failed handshakes end up in
        # this broker, not in the event loop's exception handler.
        self._context = context
        self._server = await asyncio.start_server(self._accept, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        self._watchdog = asyncio.create_task(
            self._watch(), name="cardata-sim-broker-watch"
        )

    def use_context(self, context: ssl.SSLContext) -> None:
        """Present this TLS context's certificate from the next connection on."""
        self._context = context

    async def stop(self) -> None:
        """Close every connection and the listener."""
        if self._watchdog:
            self._watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watchdog
            self._watchdog = None
        if self._server:
            await _stop_accepting(self._server)
            self._server.close()
        for session in list(self.sessions):
            session.close("broker stopped")
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        if self._server:
            self._server.close_clients()
            await self._server.wait_closed()
            self._server = None

    def _stat(self, gcid: str) -> GcidStats:
        return self.stats.setdefault(gcid, GcidStats())

    # ----- queries used by tests -----------------------------------------
    def active_connections(self, gcid: str) -> int:
        """Open connections of an account now."""
        return sum(1 for s in self.sessions if s.gcid == gcid and not s.closed)

    def open_token_expiries(self, gcid: str) -> list[dt.datetime]:
        """Expiry of the id token each open connection of an account used."""
        return [
            s.token_expires for s in self.sessions if s.gcid == gcid and not s.closed
        ]

    def connect_count(self, gcid: str) -> int:
        """Accepted connections of an account so far."""
        return self._stat(gcid).connects

    def refused_count(self, gcid: str) -> int:
        """Refused CONNECTs naming this account as user."""
        return self._stat(gcid).refused

    def max_concurrent(self, gcid: str) -> int:
        """Most connections of an account open at one moment.

        Counted when a new connection is accepted, before it evicts the
        older one: 2 means the client opened a second connection while its
        first was still up.
        """
        return self._stat(gcid).max_concurrent

    def eviction_count(self, gcid: str) -> int:
        """Connections dropped because another one took the stream."""
        return self._stat(gcid).evictions

    def close_reasons(self, gcid: str) -> list[str]:
        """Why connections of this account were closed by the broker."""
        return list(self._stat(gcid).close_reasons)

    def flap_drops(self, gcid: str) -> int:
        """Connections of an account the flapping broker dropped."""
        return self._stat(gcid).flap_drops

    # ----- control -------------------------------------------------------
    def _close(self, session: Session, reason: str) -> None:
        if not session.closed:
            self._stat(session.gcid).close_reasons.append(reason)
            session.close(reason)

    async def drop(self, gcid: str) -> None:
        """Drop the account's connections (a network failure)."""
        for session in self.sessions:
            if session.gcid == gcid:
                self._close(session, "dropped")
        await asyncio.sleep(0)

    def evict(self, gcid: str, hold_for: float | None = None) -> None:
        """A foreign client takes the stream: ours is dropped and refused.

        Args:
            gcid: the account.
            hold_for: seconds the foreign client keeps the stream; ``None``
                until :meth:`release`.
        """
        stat = self._stat(gcid)
        stat.foreign = True
        stat.foreign_until = (
            None
            if hold_for is None
            else self._sim.now() + dt.timedelta(seconds=hold_for)
        )
        for session in self.sessions:
            if session.gcid == gcid and not session.closed:
                stat.evictions += 1
                self._close(session, "evicted by a foreign client")

    def release(self, gcid: str) -> None:
        """The foreign client goes away."""
        stat = self._stat(gcid)
        stat.foreign = False
        stat.foreign_until = None

    def _foreign(self, gcid: str) -> bool:
        stat = self._stat(gcid)
        if (
            stat.foreign
            and stat.foreign_until
            and self._sim.now() >= stat.foreign_until
        ):
            self.release(gcid)
        return stat.foreign

    async def publish(self, topic: str, payload: bytes) -> int:
        """Send a QoS 0 message to every matching subscriber; returns count."""
        gcid, _, rest = topic.partition("/")
        packet = publish_packet(topic, payload)
        sent = 0
        for session in self.sessions:
            if session.closed or session.gcid != gcid:
                continue
            if any(f in {f"{gcid}/+", topic} for f in session.subscriptions) and rest:
                session.writer.write(packet)
                sent += 1
        self.published += sent
        await asyncio.sleep(0)
        return sent

    # ----- connection handling ---------------------------------------------
    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        while True:
            await asyncio.sleep(self.check_interval)
            now = self._sim.now()
            self._flap(loop.time(), loop.time() - last)
            last = loop.time()
            for session in list(self.sessions):
                if session.closed:
                    continue
                if now >= session.token_expires:
                    self._close(session, "id token expired")
                elif (
                    session.keepalive
                    and loop.time() - session.last_seen > 1.5 * session.keepalive
                ):
                    self._close(session, "keep-alive timeout")

    # ----- flapping ------------------------------------------------------
    def _flap(self, now: float, elapsed: float) -> None:
        """Run the flapping fault: count it down, drop connections when due."""
        faults = self._sim.faults
        if faults.stream_flap_seconds <= 0:
            if self.flapping:
                self.flapping = False
                self.stable_since = now
                self._down_until = 0.0
                for session in self.sessions:
                    session.flap_at = None
            return
        if not self.flapping:
            self.flapping = True
            self._flap_turn = 0
            for session in self.sessions:
                session.flap_at = now  # the link goes down at once
        else:
            faults.stream_flap_seconds = max(0.0, faults.stream_flap_seconds - elapsed)
        for session in list(self.sessions):
            if session.closed or session.flap_at is None or now < session.flap_at:
                continue
            self._stat(session.gcid).flap_drops += 1
            self._close(session, "connection flapped")
            self._down_until = now + faults.stream_flap_down

    @property
    def unreachable(self) -> bool:
        """Whether the flapping broker is down now (connections are reset)."""
        loop = asyncio.get_running_loop()
        return self.flapping and loop.time() < self._down_until

    def _next_flap(self) -> float | None:
        """When a connection accepted now is dropped (``None``: stable)."""
        if not self.flapping:
            return None
        interval = FLAP_INTERVALS[self._flap_turn % len(FLAP_INTERVALS)]
        self._flap_turn += 1
        return asyncio.get_running_loop().time() + interval

    async def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        if self.unreachable:
            self.flap_resets += 1
            writer.transport.abort()  # unreachable: no TLS, no CONNACK
            return
        if self._rate_limited(writer):
            writer.transport.abort()  # locked out: no TLS, no CONNACK
            return
        self._tasks.add(task)
        try:
            await writer.start_tls(self._context, ssl_handshake_timeout=5)  # type: ignore[arg-type]
            await self._serve(reader, writer)
        except ProtocolError as err:
            for session in self.sessions:
                if session.writer is writer:
                    self._close(session, f"protocol error: {err}")
        except asyncio.IncompleteReadError, ConnectionError, ssl.SSLError, TimeoutError:
            pass
        finally:
            self._tasks.discard(task)
            for session in [s for s in self.sessions if s.writer is writer]:
                self._released(session)  # unless the broker dropped it
                session.closed = True
                self.spent_tokens.add(session.token)
                self.sessions.remove(session)
            writer.transport.abort()

    def _rate_limited(self, writer: asyncio.StreamWriter) -> bool:
        """Count a new connection of its address; True while it is locked out."""
        limit = self._sim.faults.stream_connects_per_minute
        if limit <= 0:
            return False
        peer = writer.get_extra_info("peername")
        address = str(peer[0]) if peer else ""
        now = asyncio.get_running_loop().time()
        if now < self.locked_until.get(address, 0.0):
            self.rate_limited[address] = self.rate_limited.get(address, 0) + 1
            return True
        recent = [t for t in self.connects_by_address.get(address, []) if now - t < 60]
        recent.append(now)
        self.connects_by_address[address] = recent
        if len(recent) > limit:
            self.locked_until[address] = now + self._sim.faults.stream_lockout_seconds
            self.connects_by_address[address] = []
            self.rate_limited[address] = self.rate_limited.get(address, 0) + 1
            return True
        return False

    def rate_limited_count(self) -> int:
        """Connections reset because their address was locked out."""
        return sum(self.rate_limited.values())

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            kind, flags, body = await read_packet(reader)
        if kind != CONNECT or flags:
            raise ProtocolError("first packet must be CONNECT")
        result = self._check_connect(body, writer)
        if isinstance(result, int):
            if result >= 0:
                writer.write(encode(CONNACK << 4, bytes([0, result])))
                await writer.drain()
            else:  # connect-timeout fault: say nothing until the client gives up
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(60):
                        await reader.read()
            return
        session = result
        writer.write(encode(CONNACK << 4, bytes([0, RC_ACCEPTED])))
        await writer.drain()
        loop = asyncio.get_running_loop()
        while not session.closed:
            kind, flags, body = await read_packet(reader)
            session.last_seen = loop.time()
            if kind == SUBSCRIBE:
                self._subscribe(session, flags, body)
            elif kind == UNSUBSCRIBE:
                self._unsubscribe(session, flags, body)
            elif kind == PINGREQ:
                if flags or body:
                    raise ProtocolError("malformed PINGREQ")
                writer.write(encode(PINGRESP << 4, b""))
            elif kind == DISCONNECT:
                self._released(session)
                session.closed = True
                break
            else:  # PUBLISH (read-only stream), a second CONNECT, anything else
                raise ProtocolError(f"packet type {kind} not allowed")
            await writer.drain()

    def _check_connect(  # noqa: PLR0911
        self, body: bytes, writer: asyncio.StreamWriter
    ) -> Session | int:
        """A new session, or a CONNACK code to refuse with (-1: no answer)."""
        name, pos = read_utf8(body, 0)
        if pos + 4 > len(body):
            raise ProtocolError("truncated CONNECT")
        level, flags = body[pos], body[pos + 1]
        (keepalive,) = struct.unpack_from(">H", body, pos + 2)
        pos += 4
        if name != "MQTT" or level != 4:
            return RC_PROTOCOL
        if flags & 0x01:
            raise ProtocolError("reserved flag set")
        client_id, pos = read_utf8(body, pos)
        if flags & 0x04:  # will flag: read and ignore topic and message
            _, pos = read_utf8(body, pos)
            _, pos = read_binary(body, pos)
        username = password = None
        if flags & 0x80:
            username, pos = read_utf8(body, pos)
        if flags & 0x40:
            raw, pos = read_binary(body, pos)
            password = raw.decode(errors="replace")
        faults = self._sim.faults
        if faults.stream_connect_timeouts > 0:
            faults.stream_connect_timeouts -= 1
            return -1
        if username:
            self._stat(username)
        if not flags & 0x02:
            # BMW serves clean sessions only.
            return self._refuse(username, RC_NOT_AUTHORIZED)
        if not username or password is None:
            return self._refuse(username, RC_BAD_CREDENTIALS)
        record = self._sim.oauth.lookup(password, "id")
        now = self._sim.now()
        if record is None or record.gcid != username or record.expires_at <= now:
            return self._refuse(username, RC_BAD_CREDENTIALS)
        if SCOPE_STREAM not in record.scopes or faults.stream_refusals > 0:
            if faults.stream_refusals > 0:
                faults.stream_refusals -= 1
            return self._refuse(username, RC_NOT_AUTHORIZED)
        if self._foreign(username):
            return self._refuse(username, RC_NOT_AUTHORIZED)
        if self._still_held(username):
            self._stat(username).held_refusals += 1
            return self._refuse(username, RC_NOT_AUTHORIZED)
        if faults.stream_used_token_refused and password in self.spent_tokens:
            self._stat(username).used_token_refusals += 1
            return self._refuse(username, RC_NOT_AUTHORIZED)
        stat = self._stat(username)
        older = [s for s in self.sessions if s.gcid == username and not s.closed]
        stat.connects += 1
        stat.max_concurrent = max(stat.max_concurrent, len(older) + 1)
        for session in older:
            stat.evictions += 1
            self._close(session, "evicted by a newer connection")
        session = Session(
            gcid=username,
            client_id=client_id,
            writer=writer,
            token_expires=record.expires_at,
            token=password,
            keepalive=keepalive,
            last_seen=asyncio.get_running_loop().time(),
            flap_at=self._next_flap(),
        )
        self.sessions.append(session)
        return session

    def _released(self, session: Session) -> None:
        """The client ended its session itself (DISCONNECT or closing)."""
        if not session.closed:
            loop = asyncio.get_running_loop()
            self._stat(session.gcid).released_at = loop.time()

    def _still_held(self, gcid: str) -> bool:
        """Whether the broker still holds the account's previous session.

        BMW's broker refuses (rc 5) a reconnect for a moment after the
        client's own disconnect (fault ``stream_hold_after_disconnect``).
        """
        hold = self._sim.faults.stream_hold_after_disconnect
        released = self._stat(gcid).released_at
        if hold <= 0 or released is None:
            return False
        return asyncio.get_running_loop().time() - released < hold

    def used_token_refusals(self, gcid: str) -> int:
        """Connects refused because their id token's session had ended."""
        return self._stat(gcid).used_token_refusals

    def requested_qos(self, gcid: str) -> list[int]:
        """QoS every subscription of the account asked for."""
        return list(self._stat(gcid).requested_qos)

    def held_refusals(self, gcid: str) -> int:
        """Reconnects refused while the previous session was still held."""
        return self._stat(gcid).held_refusals

    def _refuse(self, username: str | None, code: int) -> int:
        if username:
            self._stat(username).refused += 1
        return code

    def _subscribe(self, session: Session, flags: int, body: bytes) -> None:
        if flags != 0x02 or len(body) < 2:
            raise ProtocolError("malformed SUBSCRIBE")
        packet_id = body[:2]
        pos, codes = 2, bytearray()
        while pos < len(body):
            topic, pos = read_utf8(body, pos)
            if pos >= len(body) or body[pos] & 0xFC or body[pos] > 2:
                raise ProtocolError("malformed SUBSCRIBE options")
            self._stat(session.gcid).requested_qos.append(body[pos])
            pos += 1
            parts = topic.split("/")
            allowed = (
                len(parts) == 2
                and parts[0] == session.gcid
                and parts[1]
                and (parts[1] == "+" or ("+" not in parts[1] and "#" not in parts[1]))
            )
            if allowed:
                session.subscriptions.add(topic)
                codes.append(0)  # QoS 0 granted, whatever was asked
            else:
                codes.append(0x80)
        if not codes:
            raise ProtocolError("SUBSCRIBE without topics")
        session.writer.write(encode(SUBACK << 4, packet_id + bytes(codes)))

    def _unsubscribe(self, session: Session, flags: int, body: bytes) -> None:
        if flags != 0x02 or len(body) < 4:
            raise ProtocolError("malformed UNSUBSCRIBE")
        pos = 2
        while pos < len(body):
            topic, pos = read_utf8(body, pos)
            session.subscriptions.discard(topic)
        session.writer.write(encode(UNSUBACK << 4, body[:2]))


async def _stop_accepting(server: asyncio.Server) -> None:
    """Stop taking connections, then let accepts already under way attach.

    ``Server.close()`` right after the loop accepted a socket, but before the
    transport for it was made, trips an assertion inside asyncio (the new
    transport finds the server already closed). That happens when a client
    reconnects just as the broker stops, more often on a busy machine.
    """
    loop = asyncio.get_running_loop()
    for sock in server.sockets:
        loop.remove_reader(sock.fileno())
    for _ in range(3):  # the accept task starts on the next loop turn
        await asyncio.sleep(0)
