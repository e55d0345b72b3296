"""The MQTT stream against the simulator's TLS 1.3 broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
import ssl
import time
from typing import Any

import aiohttp
import pytest

from custom_components.cardata.api import (
    CarDataConnectionError,
    CarDataStream,
    InvalidGrantError,
    StreamConfig,
    StreamMessage,
    StreamState,
    StreamTls,
    check_ca_file,
)
from custom_components.cardata.api.connection import MqttConnection, open_socket
from custom_components.cardata.api.stream import build_ssl_context
from custom_components.cardata.api.stream_contest import EVICTED_MESSAGE
from tests.simulator import CLIENT_A, CLIENT_NO_STREAM, GCID_A, VIN_BEV, Simulator
from tests.simulator.broker import Session
from tests.waiting import wait_for

from .helpers import SimTokens, endpoints_of, issued


def _config(sim: Simulator, **changes: Any) -> StreamConfig:
    config = StreamConfig.for_endpoints(endpoints_of(sim), GCID_A)
    fast: dict[str, Any] = {
        "backoff_min": 0.05,
        "backoff_max": 0.5,
        "connect_timeout": 5.0,
    }
    return replace(config, **(fast | changes))


@dataclass
class Running:
    stream: CarDataStream
    tokens: SimTokens
    received: list[StreamMessage] = field(default_factory=list)
    states: list[StreamState] = field(default_factory=list)


@contextlib.asynccontextmanager
async def running(
    sim: Simulator,
    config: StreamConfig,
    *,
    client_id: str = CLIENT_A,
    refresh_before: float = 0.0,
    on_state: Callable[[StreamState], None] | None = None,
) -> AsyncIterator[Running]:
    async with aiohttp.ClientSession() as session:
        tokens = SimTokens(
            session,
            sim,
            client_id,
            issued(sim, GCID_A, client_id),
            refresh_before=refresh_before,
        )
        holder: list[Running] = []

        def state_cb(state: StreamState) -> None:
            holder[0].states.append(state)
            if on_state is not None:
                on_state(state)

        def message_cb(message: StreamMessage) -> None:
            holder[0].received.append(message)

        stream = CarDataStream(config, tokens, message_cb, state_cb)
        holder.append(Running(stream, tokens))
        task = asyncio.create_task(stream.run())
        try:
            yield holder[0]
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert stream.state is StreamState.STOPPED
    await wait_for(lambda: sim.broker.active_connections(GCID_A) == 0)


async def test_receives_messages_and_stops_cleanly(simulator: Simulator) -> None:
    async with running(simulator, _config(simulator)) as run:
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
        assert run.stream.last_error is None
        sent = await simulator.publish(
            VIN_BEV, {"vehicle.isMoving": "asn_istrue", "vehicle.speed": 12.5}
        )
        assert sent == 1
        await wait_for(lambda: len(run.received) == 1)
    message = run.received[0]
    assert message.vin == VIN_BEV
    assert message.data["vehicle.isMoving"].value is True
    assert message.data["vehicle.speed"].value == 12.5
    assert message.timestamp is not None
    assert run.states[:2] == [StreamState.CONNECTING, StreamState.CONNECTED]
    assert run.states[-1] is StreamState.STOPPED
    assert simulator.broker.max_concurrent(GCID_A) == 1
    assert run.stream.messages == 1


async def test_survives_two_id_token_expiries(short_sim: Simulator) -> None:
    """Swaps ahead of expiry: one connection at a time, nothing lost after."""
    sim = short_sim
    published: list[tuple[int, int]] = []
    tasks: set[asyncio.Task[None]] = set()
    counter = 0

    async def publish_one() -> None:
        nonlocal counter
        counter += 1
        seq = counter
        sent = await sim.publish(VIN_BEV, {"vehicle.speed": seq})
        published.append((seq, sent))

    def on_state(state: StreamState) -> None:
        if state is StreamState.CONNECTED:
            task = asyncio.create_task(publish_one())
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    config = _config(sim, swap_margin=4.0)
    started = time.monotonic()
    async with running(sim, config, refresh_before=5.0, on_state=on_state) as run:
        first_refresh = run.tokens.tokens.refresh_token
        # Two full id-token lifetimes (8 s each) and at least four connections.
        await wait_for(
            lambda: (
                time.monotonic() - started > 17.0
                and sim.broker.connect_count(GCID_A) >= 4
            ),
            timeout=80,
        )
        await wait_for(lambda: not tasks)
        delivered = {seq for seq, sent in published if sent}
        await wait_for(
            lambda: (
                delivered
                <= {int(m.data["vehicle.speed"].value or 0) for m in run.received}
            )
        )
    assert sim.broker.max_concurrent(GCID_A) == 1
    assert "id token expired" not in sim.broker.close_reasons(GCID_A)
    assert len(delivered) >= 3
    assert run.tokens.refreshes >= 2
    # Rotation: the first refresh token is spent.
    assert not sim.oauth.refresh_token_valid(first_refresh)
    assert StreamState.WAITING_TO_RETRY not in run.states
    assert any(reason == "id token swap" for _, reason in run.stream.history)


async def test_request_reconnect_swaps_without_overlap(simulator: Simulator) -> None:
    async with running(simulator, _config(simulator)) as run:
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
        run.stream.request_reconnect()
        await wait_for(lambda: simulator.broker.connect_count(GCID_A) == 2)
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
        assert await simulator.publish(VIN_BEV, {"vehicle.speed": 1}) == 1
        await wait_for(lambda: len(run.received) == 1)
    assert simulator.broker.max_concurrent(GCID_A) == 1
    assert "reconnect requested" in [r for _, r in run.stream.history]


async def test_eviction_is_detected_and_retried_slowly(simulator: Simulator) -> None:
    config = _config(simulator, backoff_max=2.0)
    async with running(simulator, config) as run:
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
        simulator.evict(GCID_A)
        await wait_for(
            lambda: (
                run.stream.state is StreamState.EVICTED
                and run.stream.next_attempt is not None
            )
        )
        assert run.stream.last_error == EVICTED_MESSAGE
        assert "another client" in (run.stream.last_error or "")
        # Evicted: the next attempt is about backoff_max away, no tight loop
        # (backoff_min is 0.05 s).
        next_attempt = run.stream.next_attempt
        assert next_attempt is not None
        wait = (next_attempt - datetime.now(UTC)).total_seconds()
        assert 1.0 < wait <= 2.0
        simulator.release(GCID_A)
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
        assert run.stream.last_error is None
    assert simulator.broker.max_concurrent(GCID_A) == 1


async def test_single_not_authorized_is_retried(simulator: Simulator) -> None:
    simulator.faults.stream_refusals = 1
    async with running(simulator, _config(simulator)) as run:
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
    assert StreamState.WAITING_TO_RETRY in run.states
    assert StreamState.EVICTED not in run.states


async def test_dropped_connection_reconnects(simulator: Simulator) -> None:
    async with running(simulator, _config(simulator)) as run:
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
        await simulator.broker.drop(GCID_A)
        await wait_for(lambda: simulator.broker.connect_count(GCID_A) == 2)
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
    assert StreamState.WAITING_TO_RETRY in run.states


async def test_silent_broker_fault_is_retried(simulator: Simulator) -> None:
    simulator.faults.stream_connect_timeouts = 1
    async with running(simulator, _config(simulator)) as run:
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
    assert StreamState.WAITING_TO_RETRY in run.states


async def test_refused_subscription_is_a_failure(simulator: Simulator) -> None:
    config = _config(simulator, topic="someone-else/+")
    async with running(simulator, config) as run:
        await wait_for(lambda: run.stream.state is StreamState.REFUSED)
        assert "subscription" in (run.stream.last_error or "")


async def test_bad_password_is_refused(simulator: Simulator) -> None:
    config = _config(simulator, password="not-a-token")
    async with running(simulator, config) as run:
        await wait_for(lambda: run.stream.state is StreamState.REFUSED)
        assert "Bad user name or password" in (run.stream.last_error or "")


async def test_missing_streaming_scope_leads_to_eviction_message(
    simulator: Simulator,
) -> None:
    """rc 5 on every attempt (no streaming scope) ends in slow retries."""
    async with running(
        simulator, _config(simulator), client_id=CLIENT_NO_STREAM
    ) as run:
        await wait_for(
            lambda: run.stream.state in (StreamState.EVICTED, StreamState.REFUSED)
        )


async def test_run_twice_is_refused(simulator: Simulator) -> None:
    async with running(simulator, _config(simulator)) as run:
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
        with pytest.raises(RuntimeError):
            await run.stream.run()


async def test_keepalive_pings_keep_the_connection(simulator: Simulator) -> None:
    """paho's housekeeping runs on the loop: pings stop the broker's timeout."""
    # keepalive 2 s: the broker drops after 3 s of silence. A ping a second
    # late (both cores busy) must not fail the test. The broker's record of
    # the session's last packet moving 6 s past the first spans two of its
    # windows: without pings the connection would have dropped before.
    async with running(simulator, _config(simulator, keepalive=2)) as run:
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
        session = next(
            s for s in simulator.broker.sessions if s.gcid == GCID_A and not s.closed
        )
        first_seen = session.last_seen
        await wait_for(lambda: session.last_seen - first_seen > 6.0)
        assert not session.closed
        assert run.stream.state is StreamState.CONNECTED
        assert simulator.broker.connect_count(GCID_A) == 1
    assert "keep-alive timeout" not in simulator.broker.close_reasons(GCID_A)


async def test_burst_of_messages_is_read_completely(simulator: Simulator) -> None:
    """Many packets in one TLS record: nothing stays stuck in the TLS buffer."""
    async with running(simulator, _config(simulator)) as run:
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
        sent = await asyncio.gather(
            *(simulator.publish(VIN_BEV, {"vehicle.speed": seq}) for seq in range(300))
        )
        assert sum(sent) == 300
        await wait_for(lambda: len(run.received) == 300)
        big = {f"vehicle.custom.{i}": "x" * 100 for i in range(200)}
        assert await simulator.publish(VIN_BEV, big) == 1
        await wait_for(lambda: len(run.received) == 301)
    speeds = [m.data["vehicle.speed"].value for m in run.received[:300]]
    assert speeds == list(range(300))
    assert len(run.received[300].data) == 200


def _broker_session(sim: Simulator) -> Session:
    """The simulator broker's record of our open connection."""
    return next(s for s in sim.broker.sessions if s.gcid == GCID_A and not s.closed)


async def test_connects_without_threads(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No executor thread: the stream connects and receives on the loop
    alone, and BMW's broker sees TLS 1.3."""
    loop = asyncio.get_running_loop()

    def no_executor(*_args: object) -> None:
        raise AssertionError("the stream must not use an executor thread")

    context = build_ssl_context(StreamTls.CUSTOM_CA, simulator.ca_file)
    received: list[StreamMessage] = []
    async with aiohttp.ClientSession() as session:
        tokens = SimTokens(
            session, simulator, CLIENT_A, issued(simulator, GCID_A, CLIENT_A)
        )
        stream = CarDataStream(
            _config(simulator), tokens, received.append, ssl_context=context
        )
        monkeypatch.setattr(loop, "run_in_executor", no_executor)
        task = asyncio.create_task(stream.run())
        try:
            await wait_for(lambda: stream.state is StreamState.CONNECTED)
            tls = _broker_session(simulator).writer.get_extra_info("ssl_object")
            assert tls.version() == "TLSv1.3"
            assert await simulator.publish(VIN_BEV, {"vehicle.speed": 3}) == 1
            await wait_for(lambda: len(received) == 1)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            monkeypatch.undo()


async def test_paho_gets_a_connected_non_blocking_socket(simulator: Simulator) -> None:
    """paho never opens (or blocks on) a socket itself: it is handed one that
    is connected, TLS 1.3 and non-blocking, and the broker sees exactly it."""
    config = _config(simulator)
    context = build_ssl_context(StreamTls.CUSTOM_CA, simulator.ca_file)
    sock = await open_socket(config.host, config.port, context)
    assert isinstance(sock, ssl.SSLSocket)
    assert sock.gettimeout() == 0.0
    assert sock.version() == "TLSv1.3"
    connection = MqttConnection(
        client_id=config.client_id,
        username=GCID_A,
        password=issued(simulator, GCID_A, CLIENT_A).id_token,
        keepalive=30,
        on_message=lambda _topic, _payload: None,
    )
    try:
        await connection.connect(sock, config.host, config.port)
        peer = _broker_session(simulator).writer.get_extra_info("peername")
        assert peer == sock.getsockname()
        assert sock.gettimeout() == 0.0
    finally:
        connection.close()


class FlakyTokens:
    """Wraps a token source; raises queued errors first."""

    def __init__(self, inner: SimTokens, errors: list[Exception]) -> None:
        self.inner = inner
        self.errors = errors
        self.calls = 0

    async def async_get_id_token(self) -> tuple[str, Any]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return await self.inner.async_get_id_token()

    def peek_id_token(self) -> tuple[str, Any]:
        return self.inner.peek_id_token()

    async def async_refresh_id_token(self, refused: str) -> tuple[str, Any]:
        return await self.inner.async_refresh_id_token(refused)


async def test_token_errors_are_retried_and_refused(simulator: Simulator) -> None:
    async with aiohttp.ClientSession() as session:
        inner = SimTokens(
            session, simulator, CLIENT_A, issued(simulator, GCID_A, CLIENT_A)
        )
        flaky = FlakyTokens(
            inner,
            [CarDataConnectionError("offline"), InvalidGrantError("gone")],
        )
        states: list[StreamState] = []
        stream = CarDataStream(
            _config(simulator), flaky, lambda _m: None, states.append
        )
        task = asyncio.create_task(stream.run())
        try:
            await wait_for(lambda: stream.state is StreamState.CONNECTED)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    # Without a token the state says so (not "waiting to retry").
    assert StreamState.WAITING_FOR_TOKEN in states
    assert StreamState.WAITING_TO_RETRY not in states
    assert StreamState.REFUSED in states
    reasons = [reason for _, reason in stream.history]
    assert "no id token: offline" in reasons
    assert any(r.startswith("no id token: log in again") for r in reasons)


async def test_failed_swap_token_keeps_the_connection(simulator: Simulator) -> None:
    async with aiohttp.ClientSession() as session:
        inner = SimTokens(
            session, simulator, CLIENT_A, issued(simulator, GCID_A, CLIENT_A)
        )
        flaky = FlakyTokens(inner, [])
        received: list[StreamMessage] = []
        # The failed swap is retried after a long backoff: not within the test.
        config = _config(simulator, backoff_min=60.0, backoff_max=120.0)
        stream = CarDataStream(config, flaky, received.append)
        task = asyncio.create_task(stream.run())
        try:
            await wait_for(lambda: stream.state is StreamState.CONNECTED)
            flaky.errors.append(CarDataConnectionError("offline"))
            stream.request_reconnect()
            await wait_for(lambda: flaky.calls == 2)
            assert stream.state is StreamState.CONNECTED
            assert stream.last_error == "no id token: offline"
            assert await simulator.publish(VIN_BEV, {"vehicle.speed": 1}) == 1
            await wait_for(lambda: len(received) == 1)
            stream.request_reconnect()
            await wait_for(lambda: simulator.broker.connect_count(GCID_A) == 2)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert simulator.broker.max_concurrent(GCID_A) == 1


async def test_request_reconnect_cuts_the_wait_short(simulator: Simulator) -> None:
    simulator.evict(GCID_A)
    config = _config(simulator, backoff_min=60.0, backoff_max=600.0)
    async with running(simulator, config) as run:
        await wait_for(lambda: run.stream.state is StreamState.WAITING_TO_RETRY)
        run.stream.request_reconnect()
        # A refusal that persists gets one forced token refresh first.
        await wait_for(
            lambda: (
                any(r == "refreshing the id token" for _, r in run.stream.history)
                and run.stream.next_attempt is not None
            )
        )
        assert run.stream.state is StreamState.WAITING_TO_RETRY
        run.stream.request_reconnect()
        await wait_for(lambda: run.stream.state is StreamState.EVICTED)
        assert simulator.broker.refused_count(GCID_A) == 3
        simulator.release(GCID_A)
        run.stream.request_reconnect()
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)


async def test_callback_errors_do_not_stop_the_stream(
    simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[StreamMessage] = []

    def on_message(message: StreamMessage) -> None:
        seen.append(message)
        raise RuntimeError("consumer bug")

    def on_state(_state: StreamState) -> None:
        raise RuntimeError("state consumer bug")

    async with aiohttp.ClientSession() as session:
        tokens = SimTokens(
            session, simulator, CLIENT_A, issued(simulator, GCID_A, CLIENT_A)
        )
        stream = CarDataStream(_config(simulator), tokens, on_message, on_state)
        task = asyncio.create_task(stream.run())
        try:
            await wait_for(lambda: stream.state is StreamState.CONNECTED)
            for speed in (1, 2):
                await simulator.publish(VIN_BEV, {"vehicle.speed": speed})
            await simulator.publish_raw(GCID_A, VIN_BEV, b"not json")
            await wait_for(lambda: len(seen) == 2)
            assert stream.state is StreamState.CONNECTED
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert stream.parser.dropped["invalid_json"] == 1
    assert "Error handling a stream message" in caplog.text
    assert "Error in the stream state callback" in caplog.text


# --- TLS ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("untrusted", "unable to get local issuer certificate"),
        ("expired", "certificate has expired"),
        ("wrong_host", "mismatch"),
    ],
)
async def test_untrusted_certificate_is_a_tls_failure(
    simulator: Simulator, kind: str, reason: str
) -> None:
    simulator.present_certificate(kind)
    async with running(simulator, _config(simulator, backoff_min=60.0)) as run:
        await wait_for(lambda: run.stream.state is StreamState.TLS_FAILED)
        assert run.stream.tls_reason is not None
        assert reason in run.stream.tls_reason
        assert (run.stream.last_error or "").startswith(
            "stream certificate not trusted: "
        )
        assert StreamState.REFUSED not in run.states
        assert simulator.broker.connect_count(GCID_A) == 0
        # The broker's certificate is fixed: the next attempt connects.
        simulator.present_certificate("trusted")
        run.stream.request_reconnect()
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
        assert run.stream.tls_reason is None
        assert run.stream.last_error is None


async def test_ca_file_replaced_in_place_is_read_at_the_next_connection(
    make_simulator: Callable[..., Any], tmp_path: Any
) -> None:
    sim: Simulator = await make_simulator(cert_dir=str(tmp_path / "ca"))
    async with running(sim, _config(sim)) as run:
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
        sim.rotate_ca()  # same path, a new CA; the broker presents its certificate
        await sim.broker.drop(GCID_A)
        await wait_for(lambda: sim.broker.connect_count(GCID_A) == 2)
        await wait_for(lambda: run.stream.state is StreamState.CONNECTED)
        assert StreamState.TLS_FAILED not in run.states


async def test_unusable_ca_file_is_a_tls_failure(
    simulator: Simulator, tmp_path: Any
) -> None:
    missing = str(tmp_path / "nowhere.pem")
    config = _config(simulator, ca_file=missing, backoff_min=60.0)
    async with running(simulator, config) as run:
        await wait_for(lambda: run.stream.state is StreamState.TLS_FAILED)
        assert run.stream.tls_reason == "CA file not usable (No such file or directory)"
        assert missing not in (run.stream.last_error or "")


def test_check_ca_file(simulator: Simulator, tmp_path: Any) -> None:
    text = tmp_path / "text.pem"
    text.write_text("not a certificate\n")
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    assert check_ca_file(simulator.ca_file) is None
    assert check_ca_file(str(tmp_path / "nowhere.pem")) == "missing"
    assert check_ca_file("") == "missing"
    assert check_ca_file(str(tmp_path)) == "missing"  # a folder
    assert check_ca_file(str(text)) == "invalid"
    assert check_ca_file(str(key)) == "invalid"
