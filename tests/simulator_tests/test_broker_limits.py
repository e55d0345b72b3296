"""BMW's stream rules of today: QoS 0 only, used tokens refused, a per-address
connection limit, shared cars that stream (checked with paho-mqtt over TLS)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.simulator import CLIENT_A, GCID_A, VIN_BEV, Simulator
from tests.waiting import wait_for

from .mqtt_probe import Probe

NOT_AUTHORIZED = 135  # paho's reason code for CONNACK 5


@pytest.fixture
def probes() -> Iterator[list[Probe]]:
    made: list[Probe] = []
    yield made
    for probe in made:
        probe.stop()


def _probe(sim: Simulator, made: list[Probe], password: str) -> Probe:
    probe = Probe(sim.endpoints, GCID_A, password)
    made.append(probe)
    probe.start()
    return probe


def _id_token(sim: Simulator) -> str:
    return sim.oauth.issue_tokens(GCID_A, CLIENT_A)["id_token"]


async def test_qos_1_is_granted_as_0_and_nothing_is_kept(
    simulator: Simulator, probes: list[Probe]
) -> None:
    probe = _probe(simulator, probes, _id_token(simulator))
    await wait_for(lambda: probe.connack_codes == [0])
    probe.subscribe(f"{GCID_A}/+", qos=1)
    await wait_for(lambda: probe.suback == [[0]])
    assert simulator.broker.requested_qos(GCID_A) == [1]
    probe.stop()
    await wait_for(lambda: simulator.broker.active_connections(GCID_A) == 0)
    # Sent while nobody listens: gone, not kept for the next session.
    assert await simulator.publish(VIN_BEV, {"vehicle.isMoving": "asn_istrue"}) == 0
    again = _probe(simulator, probes, _id_token(simulator))
    await wait_for(lambda: again.connack_codes == [0])
    again.subscribe(f"{GCID_A}/+")
    await wait_for(lambda: again.suback == [[0]])
    assert await simulator.publish(VIN_BEV, {"vehicle.isMoving": "asn_isfalse"}) == 1
    await wait_for(lambda: len(again.messages) == 1)
    assert b"asn_isfalse" in again.messages[0][1]


async def test_a_used_token_is_refused_a_fresh_one_accepted(
    simulator: Simulator, probes: list[Probe]
) -> None:
    simulator.faults.stream_used_token_refused = True
    token = _id_token(simulator)
    first = _probe(simulator, probes, token)
    await wait_for(lambda: first.connack_codes == [0])
    await simulator.broker.drop(GCID_A)
    await wait_for(lambda: simulator.broker.active_connections(GCID_A) == 0)
    first.stop()
    again = _probe(simulator, probes, token)
    await wait_for(lambda: again.connack_codes[:1] == [NOT_AUTHORIZED])
    again.stop()
    assert simulator.broker.used_token_refusals(GCID_A) == 1
    fresh = _probe(simulator, probes, _id_token(simulator))
    await wait_for(lambda: fresh.connack_codes == [0])
    # The switch: with it off, the old token works again.
    fresh.stop()
    await wait_for(lambda: simulator.broker.active_connections(GCID_A) == 0)
    simulator.faults.stream_used_token_refused = False
    last = _probe(simulator, probes, token)
    await wait_for(lambda: last.connack_codes == [0])


async def test_connections_per_address_are_limited(
    simulator: Simulator, probes: list[Probe]
) -> None:
    simulator.faults.stream_connects_per_minute = 2
    simulator.faults.stream_lockout_seconds = 1.0
    for _ in range(2):
        probe = _probe(simulator, probes, _id_token(simulator))
        await wait_for(lambda probe=probe: probe.connack_codes == [0])  # type: ignore[misc]
        probe.stop()
    locked = _probe(simulator, probes, _id_token(simulator))
    await wait_for(lambda: simulator.broker.rate_limited_count() >= 1)
    assert locked.connack_codes == []
    locked.stop()
    # After the lock-out the address may connect again.
    loop = asyncio.get_running_loop()
    until = max(simulator.broker.locked_until.values())
    await wait_for(lambda: loop.time() > until)
    after = _probe(simulator, probes, _id_token(simulator))
    await wait_for(lambda: after.connack_codes == [0])
