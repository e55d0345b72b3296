"""The broker enforces BMW's stream rules; checked with paho-mqtt over TLS."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import datetime as dt
import json
import ssl

import pytest

from tests.simulator import (
    CLIENT_A,
    CLIENT_NO_STREAM,
    GCID_A,
    GCID_B,
    VIN_BEV,
    VIN_ID6,
    VIN_SECONDARY,
    Simulator,
)
from tests.waiting import wait_for

from .mqtt_probe import Probe

BAD_CREDENTIALS = 134  # paho's reason code for CONNACK 4
NOT_AUTHORIZED = 135  # CONNACK 5


@pytest.fixture
def probes() -> Iterator[list[Probe]]:
    made: list[Probe] = []
    yield made
    for probe in made:
        probe.stop()


def _probe(
    sim: Simulator, made: list[Probe], user: str, password: str | None, **kw: object
) -> Probe:
    probe = Probe(sim.endpoints, user, password, **kw)  # type: ignore[arg-type]
    made.append(probe)
    probe.start()
    return probe


def _id_token(sim: Simulator, gcid: str = GCID_A, client: str = CLIENT_A) -> str:
    return sim.oauth.issue_tokens(gcid, client)["id_token"]


async def test_valid_login_subscribes_and_receives(
    simulator: Simulator, probes: list[Probe]
) -> None:
    probe = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: probe.connack_codes == [0])
    probe.subscribe(f"{GCID_A}/+")
    await wait_for(lambda: probe.suback == [[0]])
    assert simulator.broker.active_connections(GCID_A) == 1
    sent = await simulator.publish(VIN_BEV, {"vehicle.isMoving": "asn_istrue"})
    assert sent == 1
    await wait_for(lambda: len(probe.messages) == 1)
    topic, payload = probe.messages[0]
    assert topic == f"{GCID_A}/{VIN_BEV}"
    message = json.loads(payload)
    assert message["vin"] == VIN_BEV
    assert message["entityId"] == GCID_A
    assert message["data"]["vehicle.isMoving"]["value"] == "asn_istrue"
    assert message["timestamp"].endswith("Z")
    assert "." in message["timestamp"]
    # The car shared to this account (SECONDARY) streams here too.
    assert (
        await simulator.publish(VIN_SECONDARY, {"vehicle.isMoving": "asn_istrue"}) == 1
    )
    await wait_for(lambda: len(probe.messages) == 2)
    assert probe.messages[1][0] == f"{GCID_A}/{VIN_SECONDARY}"


@pytest.mark.parametrize("password", ["not-a-token", None])
async def test_wrong_password_refused(
    simulator: Simulator, probes: list[Probe], password: str | None
) -> None:
    probe = _probe(simulator, probes, GCID_A, password)
    await wait_for(lambda: probe.connack_codes == [BAD_CREDENTIALS])
    assert simulator.broker.connect_count(GCID_A) == 0


async def test_token_of_other_account_refused(
    simulator: Simulator, probes: list[Probe]
) -> None:
    probe = _probe(
        simulator,
        probes,
        GCID_A,
        _id_token(simulator, GCID_B, "2c3d4e5f-6071-4b8c-9d0e-1f2a3b4c5d6e"),
    )
    await wait_for(lambda: probe.connack_codes == [BAD_CREDENTIALS])


async def test_expired_token_refused(simulator: Simulator, probes: list[Probe]) -> None:
    token = _id_token(simulator)
    simulator.advance(3601)
    probe = _probe(simulator, probes, GCID_A, token)
    await wait_for(lambda: probe.connack_codes == [BAD_CREDENTIALS])


async def test_client_without_stream_scope_not_authorized(
    simulator: Simulator, probes: list[Probe]
) -> None:
    probe = _probe(
        simulator, probes, GCID_A, _id_token(simulator, GCID_A, CLIENT_NO_STREAM)
    )
    await wait_for(lambda: probe.connack_codes == [NOT_AUTHORIZED])


async def test_persistent_session_refused(
    simulator: Simulator, probes: list[Probe]
) -> None:
    probe = _probe(simulator, probes, GCID_A, _id_token(simulator), clean_session=False)
    await wait_for(lambda: probe.connack_codes == [NOT_AUTHORIZED])


async def test_foreign_topic_refused(simulator: Simulator, probes: list[Probe]) -> None:
    probe = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: probe.connack_codes == [0])
    probe.client.subscribe(
        [(f"{GCID_B}/+", 0), (f"{GCID_A}/{VIN_BEV}", 0), ("#", 0), (f"{GCID_A}/#", 0)]
    )
    await wait_for(lambda: probe.suback == [[0x80, 0, 0x80, 0x80]])
    await simulator.publish(VIN_ID6, {"vehicle.isMoving": "asn_istrue"})
    await simulator.publish(VIN_BEV, {"vehicle.isMoving": "asn_istrue"})
    await wait_for(lambda: len(probe.messages) == 1)
    assert probe.messages[0][0] == f"{GCID_A}/{VIN_BEV}"


async def test_expiry_closes_connection(
    simulator: Simulator, probes: list[Probe]
) -> None:
    probe = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: probe.connack_codes == [0])
    simulator.advance(3600)
    await wait_for(lambda: probe.disconnects == 1)
    await wait_for(lambda: simulator.broker.active_connections(GCID_A) == 0)
    assert simulator.broker.close_reasons(GCID_A) == ["id token expired"]


async def test_second_connection_evicts_first(
    simulator: Simulator, probes: list[Probe]
) -> None:
    first = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: first.connack_codes == [0])
    second = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: second.connack_codes == [0])
    await wait_for(lambda: first.disconnects == 1)
    assert simulator.broker.active_connections(GCID_A) == 1
    assert simulator.broker.max_concurrent(GCID_A) == 2
    assert simulator.broker.eviction_count(GCID_A) == 1
    assert simulator.broker.connect_count(GCID_A) == 2


async def test_foreign_client_holds_stream(
    simulator: Simulator, probes: list[Probe]
) -> None:
    probe = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: probe.connack_codes == [0])
    simulator.evict(GCID_A)
    await wait_for(lambda: probe.disconnects == 1)
    probe.stop()
    again = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: again.connack_codes == [NOT_AUTHORIZED])
    simulator.release(GCID_A)
    third = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: third.connack_codes == [0])


async def test_drop(simulator: Simulator, probes: list[Probe]) -> None:
    # (PINGREQ/PINGRESP and the keep-alive limit: see test_broker_raw.)
    probe = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: probe.connack_codes == [0])
    await simulator.broker.drop(GCID_A)
    await wait_for(lambda: probe.disconnects == 1)
    assert simulator.broker.close_reasons(GCID_A) == ["dropped"]


async def test_tls_1_2_refused(simulator: Simulator) -> None:
    host, port = simulator.endpoints["stream_host"], simulator.endpoints["stream_port"]
    context = ssl.create_default_context(cafile=simulator.ca_file)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await asyncio.open_connection(host, port, ssl=context)
    # TLS 1.3 with the simulator's CA works, and the host name is verified.
    context = ssl.create_default_context(cafile=simulator.ca_file)
    _, writer = await asyncio.open_connection("localhost", port, ssl=context)
    writer.close()
    await writer.wait_closed()
    # A client that does not trust the CA fails; the broker shrugs it off.
    with pytest.raises(ssl.SSLError):
        await asyncio.open_connection(host, port, ssl=ssl.create_default_context())


async def test_raw_and_unknown_vin_payloads(
    simulator: Simulator, probes: list[Probe]
) -> None:
    probe = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: probe.connack_codes == [0])
    probe.subscribe(f"{GCID_A}/+")
    await wait_for(lambda: probe.suback == [[0]])
    big = b"{" + b" " * 40_000 + b"}"
    for payload in (b"not json", big):
        await simulator.publish_raw(GCID_A, "WBA00000000UNK999", payload)
    await wait_for(lambda: len(probe.messages) == 2)
    assert probe.messages[1][1] == big


async def test_old_session_held_after_own_disconnect(
    simulator: Simulator, probes: list[Probe]
) -> None:
    """After a client's own disconnect BMW's broker refuses the account (rc 5)
    for a moment; a drop by the broker holds nothing."""
    simulator.faults.stream_hold_after_disconnect = 1.0
    first = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: first.connack_codes == [0])
    first.stop()
    again = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: again.connack_codes[:1] == [NOT_AUTHORIZED])
    again.stop()
    assert simulator.broker.held_refusals(GCID_A) == 1
    # The broker's record says when the first session was released.
    released = simulator.broker.stats[GCID_A].released_at
    assert released is not None
    loop = asyncio.get_running_loop()
    await wait_for(
        lambda: loop.time() - released > simulator.faults.stream_hold_after_disconnect
    )
    third = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: third.connack_codes == [0])
    await simulator.broker.drop(GCID_A)
    await wait_for(lambda: third.disconnects >= 1)
    fourth = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: fourth.connack_codes == [0])
    assert simulator.broker.held_refusals(GCID_A) == 1


async def test_flapping_broker_drops_resets_then_is_stable(
    simulator: Simulator, probes: list[Probe]
) -> None:
    """A flapping connection: open connections dropped at once, new ones
    reset before TLS while it is down, accepted ones dropped after an
    interval; once the period is over it is stable."""
    first = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: first.connack_codes == [0])
    simulator.faults.stream_flap_down = 1.0
    simulator.faults.stream_flap_seconds = 4.0
    await wait_for(lambda: first.disconnects == 1)
    assert simulator.broker.flapping
    assert simulator.broker.close_reasons(GCID_A) == ["connection flapped"]
    host, port = simulator.endpoints["stream_host"], simulator.endpoints["stream_port"]
    context = ssl.create_default_context(cafile=simulator.ca_file)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await asyncio.open_connection(host, port, ssl=context)
    assert simulator.broker.flap_resets == 1
    # Up again: accepted, then dropped after the first interval (1 s).
    await wait_for(lambda: not simulator.broker.unreachable)
    second = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: second.connack_codes == [0])
    await wait_for(lambda: second.disconnects == 1)
    assert simulator.broker.flap_drops(GCID_A) == 2
    # The period ends (the fault counted down to 0): stable.
    await wait_for(lambda: not simulator.broker.flapping)
    assert simulator.faults.stream_flap_seconds == 0
    assert simulator.broker.stable_since is not None
    third = _probe(simulator, probes, GCID_A, _id_token(simulator))
    await wait_for(lambda: third.connack_codes == [0])
    third.subscribe(f"{GCID_A}/+")
    await wait_for(lambda: third.suback == [[0]])
    assert await simulator.publish(VIN_BEV, {"vehicle.isMoving": "asn_istrue"}) == 1
    await wait_for(lambda: len(third.messages) == 1)
    assert third.disconnects == 0
    assert simulator.broker.flap_drops(GCID_A) == 2


@pytest.mark.parametrize("hours", [-2.0, 2.0])
async def test_clock_skew_shifts_the_streams_timestamps(
    simulator: Simulator, hours: float
) -> None:
    """BMW's stream clock off by ``hours``: the message's own and the inner
    timestamps are shifted; the REST side keeps the true time."""
    simulator.faults.stream_clock_skew_hours = hours
    before = simulator.now()
    await simulator.publish(VIN_BEV, {"vehicle.speed": 3})
    after = simulator.now()
    message = json.loads(simulator.messages[-1][1])
    outer = dt.datetime.fromisoformat(message["timestamp"])
    inner = dt.datetime.fromisoformat(message["data"]["vehicle.speed"]["timestamp"])
    shift = dt.timedelta(hours=hours)
    assert before + shift - dt.timedelta(seconds=1) <= outer <= after + shift
    assert before + shift - dt.timedelta(seconds=1) <= inner <= after + shift
    held = simulator.vehicles[VIN_BEV].state["vehicle.speed"].timestamp
    assert before <= held <= after
