"""One BMW stream for the whole house, against a real MQTT broker (mosquitto).

- Shared: every BMW message reaches Home Assistant's MQTT broker on
  ``bmw/<VIN>``, exactly as BMW sent it but without the account id; none is
  lost over a burst; per-descriptor values are retained.
- Only what the entities accept: another account's car, the car of which
  the account is a secondary user, a value that does not fit its data point
  and a value older than the one held never reach the broker; a message goes
  out with its accepted values only; a held message of a car BMW then
  confirms goes out once the car is confirmed.
- Read from a bridge: a broker carrying BMW's messages in the bridges' layout
  (``bmw/<VIN>``, bmw-cardata-ha's layout) feeds the integration; an entry
  reading from a custom broker does not republish.
- A broker that is not BMW's never gets BMW's login: without configured
  credentials, CONNECT carries none.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
import logging
from pathlib import Path
from typing import Any, Self

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from paho.mqtt import client as paho
from paho.mqtt.enums import CallbackAPIVersion
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata.api import StreamState
from tests.entity_helpers import (
    MILEAGE,
    SOC,
    entity_id,
    make_entry,
    setup_entry,
)
from tests.mosquitto import Broker, free_port, mosquitto
from tests.simulator import GCID_A, VIN_BEV, VIN_ID6, Simulator
from tests.waiting import wait_for

BURST = 1000
TOPIC = f"bmw/{VIN_BEV}"
TYRE = "vehicle.chassis.axle.row1.wheel.left.tire.pressure"
UNMAPPED_VIN = "WBY00000000UNK001"


@pytest.fixture(autouse=True)
def quiet_mqtt_debug(caplog: pytest.LogCaptureFixture) -> None:
    """Home Assistant's MQTT client logs each topic (with the VIN) at debug."""
    for name in ("homeassistant.components.mqtt", "paho"):
        caplog.set_level(logging.INFO, logger=name)


@pytest.fixture
async def broker(tmp_path: Path, socket_enabled: None) -> AsyncIterator[Broker]:
    """A mosquitto on a free loopback port (skips when not installed)."""
    async with mosquitto(tmp_path) as running:
        yield running


async def _ha_mqtt(hass: HomeAssistant, broker: Broker) -> MockConfigEntry:
    """Home Assistant's MQTT integration, configured to ``broker``."""
    # It reads configuration.yaml; the test instance has none of its own.
    hass.config.config_dir = str(broker.log.parent)
    (broker.log.parent / "configuration.yaml").write_text("", encoding="utf-8")
    entry = MockConfigEntry(
        domain="mqtt",
        data={"broker": broker.host, "port": broker.port},
        version=2,
        minor_version=1,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await mqtt.async_wait_for_mqtt_client(hass)
    return entry


class _Reader:
    """A separate MQTT client (paho, own thread) that collects one topic."""

    def __init__(self, broker: Broker, topic: str) -> None:
        self.received: list[bytes] = []
        self.messages: list[tuple[str, bytes]] = []
        self._client = paho.Client(CallbackAPIVersion.VERSION2)
        self.subscribed = False
        self._client.on_message = lambda _c, _u, msg: self._take(msg)
        self._client.on_subscribe = lambda *_args: setattr(self, "subscribed", True)
        self._client.connect(broker.host, broker.port)
        self._client.subscribe(topic, qos=0)
        self._client.loop_start()

    def _take(self, msg: paho.MQTTMessage) -> None:
        self.received.append(msg.payload)
        self.messages.append((msg.topic, msg.payload))  # one append: never half

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def shared(self) -> list[tuple[str, bytes]]:
        """What arrived so far, as (topic, payload), in order."""
        return list(self.messages)

    def topics(self) -> list[str]:
        return [topic for topic, _ in self.shared()]


def _without_account(payload: bytes) -> dict[str, Any]:
    document = json.loads(payload)
    document.pop("entityId")
    return document  # type: ignore[no-any-return]


async def test_stream_shared_unchanged_and_complete(
    hass: HomeAssistant, simulator: Simulator, broker: Broker
) -> None:
    await _ha_mqtt(hass, broker)
    reader = _Reader(broker, TOPIC)  # an independent reader, like evcc
    try:
        await _share_burst(hass, simulator, reader)
    finally:
        reader.stop()


async def _share_burst(
    hass: HomeAssistant, simulator: Simulator, reader: _Reader
) -> None:
    received = reader.received
    await wait_for(lambda: reader.subscribed)
    entry = make_entry(
        simulator, options={"share_stream": True, "share_descriptors": True}
    )
    await setup_entry(hass, entry)
    sharing = entry.runtime_data.sharing
    assert sharing is not None
    await wait_for(lambda: sharing.handled >= sharing.offered)
    received.clear()
    first = len(simulator.messages)

    for step in range(BURST):
        await simulator.publish(VIN_BEV, {SOC: step % 100})
    sent = [payload for _topic, payload in simulator.messages[first:]]
    assert len(sent) == BURST
    await wait_for(lambda: len(received) >= BURST, timeout=60)
    assert len(received) == BURST
    assert sharing.dropped == 0
    assert [json.loads(p) for p in received] == [_without_account(p) for p in sent]
    assert not any(GCID_A.encode() in payload for payload in received)
    # Each value also on its own retained topic: a late reader gets the last.
    late: list[str] = []
    unsub_late = await mqtt.async_subscribe(
        hass, f"{TOPIC}/{SOC}", lambda m: late.append(str(m.payload))
    )
    await wait_for(lambda: bool(late))
    assert late[-1] == str((BURST - 1) % 100)

    unsub_late()
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert sharing.offered == sharing.handled  # nothing left behind


async def test_nothing_shared_without_mqtt(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    entry = make_entry(simulator, options={"share_stream": True})
    await setup_entry(hass, entry)
    sharing = entry.runtime_data.sharing
    assert sharing is not None
    await simulator.publish(VIN_BEV, {SOC: 42})
    await wait_for(lambda: entry.runtime_data.stream.messages_received > 0)
    assert sharing.offered == sharing.published == 0
    assert sharing.diagnostics()["mqtt_loaded"] is False
    assert await hass.config_entries.async_unload(entry.entry_id)


def _bridge_options(broker: Broker, **extra: Any) -> dict[str, Any]:
    """The previous integration's broker options as our migration writes them."""
    return {
        "broker_enabled": True,
        "broker_host": broker.host,
        "broker_port": broker.port,
        "broker_tls": "none",
        "broker_topic_layout": "bridge",
        "broker_topic_prefix": "bmw/",
        **extra,
    }


async def test_bridge_broker_feeds_the_integration(
    hass: HomeAssistant, simulator: Simulator, broker: Broker
) -> None:
    """A bridge republishing BMW's messages on bmw/<VIN> (bmw-cardata-ha's layout)."""
    await _ha_mqtt(hass, broker)  # stands in for the owner's bridge
    entry = make_entry(simulator, options=_bridge_options(broker, share_stream=True))
    await setup_entry(hass, entry)
    assert entry.runtime_data.sharing is None  # no echo of the bridge's topics
    message = simulator.message(VIN_BEV, GCID_A, {SOC: 77})
    message.pop("entityId")
    await mqtt.async_publish(hass, TOPIC, json.dumps(message))
    await mqtt.async_publish(hass, f"{TOPIC}/{SOC}", "12")  # not a message topic
    sensor = entity_id(hass, "sensor", f"{VIN_BEV}_{SOC}")
    await wait_for(
        lambda: (s := hass.states.get(sensor)) is not None and s.state == "77"
    )
    assert entry.runtime_data.stream.stream.parser.dropped.total() == 0
    # Anonymous: mosquitto saw neither a user name nor the account id.
    log = broker.log_text()
    ours = [line for line in log.splitlines() if "as cardata-" in line]
    assert ours
    assert not any("u'" in line for line in ours)
    assert GCID_A not in log
    assert await hass.config_entries.async_unload(entry.entry_id)


class _ConnectRecorder:
    """A loopback server that records CONNECT packets and refuses them."""

    def __init__(self) -> None:
        self.packets: list[bytes] = []
        self.port = free_port()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            async with asyncio.timeout(5):
                await reader.readexactly(1)
                length, shift = 0, 0
                while True:
                    byte = (await reader.readexactly(1))[0]
                    length |= (byte & 0x7F) << shift
                    shift += 7
                    if not byte & 0x80:
                        break
                self.packets.append(await reader.readexactly(length))
            writer.write(b"\x20\x02\x00\x05")  # CONNACK: not authorized
            await writer.drain()
        except TimeoutError, asyncio.IncompleteReadError, OSError:
            pass
        finally:
            writer.close()

    def flags(self) -> int:
        """Connect flags of the first CONNECT (byte after 'MQTT' and level)."""
        return self.packets[0][7]


@pytest.mark.parametrize(
    ("credentials", "flags"),
    [({}, 0x00), ({"broker_username": "car", "broker_password": "pw"}, 0xC0)],
)
async def test_no_bmw_login_sent_to_another_broker(
    hass: HomeAssistant,
    simulator: Simulator,
    socket_enabled: None,
    credentials: dict[str, str],
    flags: int,
) -> None:
    async with _ConnectRecorder() as recorder:
        options = {
            "broker_enabled": True,
            "broker_host": "127.0.0.1",
            "broker_port": recorder.port,
            "broker_tls": "none",
            **credentials,
        }
        entry = make_entry(simulator, options=options)
        await setup_entry(hass, entry, connected=False)
        await wait_for(lambda: bool(recorder.packets))
        assert recorder.flags() & 0xC0 == flags
        tokens = entry.runtime_data.tokens.tokens
        packet = recorder.packets[0]
        for secret in (tokens.id_token, tokens.access_token, GCID_A):
            assert secret.encode() not in packet
        assert entry.runtime_data.stream.state is not StreamState.CONNECTED
        assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.fixture
async def house(
    hass: HomeAssistant, simulator: Simulator, broker: Broker
) -> AsyncIterator[tuple[MockConfigEntry, _Reader]]:
    """A sharing entry and a reader of everything under ``bmw/``, like evcc."""
    await _ha_mqtt(hass, broker)
    reader = _Reader(broker, "bmw/#")
    try:
        await wait_for(lambda: reader.subscribed)
        entry = make_entry(
            simulator, options={"share_stream": True, "share_descriptors": True}
        )
        await setup_entry(hass, entry)
        yield entry, reader
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        reader.stop()


async def _on_broker(hass: HomeAssistant, reader: _Reader, topic: str) -> bytes:
    """Wait until ``topic`` reached the broker; its last payload."""
    await wait_for(lambda: topic in reader.topics())
    return [payload for name, payload in reader.shared() if name == topic][-1]


def _sent(simulator: Simulator, vin: str, values: dict[str, Any]) -> bytes:
    return json.dumps(simulator.message(vin, GCID_A, values)).encode()


async def test_only_what_home_assistant_accepts_is_shared(
    hass: HomeAssistant,
    simulator: Simulator,
    house: tuple[MockConfigEntry, _Reader],
) -> None:
    entry, reader = house
    tyre = entity_id(hass, "sensor", f"{VIN_BEV}_{TYRE}")
    tyre_before = hass.states.get(tyre)
    assert tyre_before is not None  # from the first set-up's REST read
    await simulator.publish(VIN_BEV, {SOC: 81})  # the good value
    good = simulator.messages[-1][1]
    assert await _on_broker(hass, reader, f"{TOPIC}/{SOC}") == b"81"

    # Refused by the VIN gate: another account's car on our topics (held
    # while BMW's mappings are read, then dropped).
    await simulator.publish_raw(GCID_A, VIN_ID6, _sent(simulator, VIN_ID6, {SOC: 5}))
    # Refused by the coordinator: a tyre pressure that is no number, and a
    # charge level whose BMW timestamp is decades older than the held one
    # (the coordinator takes a timestamp it cannot read as "no timestamp",
    # and one far ahead as a clock glitch: those values are kept, and shared).
    await simulator.publish(VIN_BEV, {TYRE: "abc"})
    await simulator.publish(VIN_BEV, {SOC: 12}, timestamp="2001-01-01T00:00:00Z")
    gate = entry.runtime_data.vin_gate
    await wait_for(lambda: gate.read_at is not None)  # the foreign car decided

    # A marker: once it is on the broker, everything before it was handled.
    await simulator.publish(VIN_BEV, {MILEAGE: 4321})
    marker = simulator.messages[-1][1]
    assert await _on_broker(hass, reader, f"{TOPIC}/{MILEAGE}") == b"4321"
    await hass.async_block_till_done()
    shared = reader.shared()
    assert [topic for topic, _ in shared] == [
        TOPIC,
        f"{TOPIC}/{SOC}",
        TOPIC,
        f"{TOPIC}/{MILEAGE}",
    ]
    assert [json.loads(p) for t, p in shared if t == TOPIC] == [
        _without_account(good),
        _without_account(marker),
    ]
    # The entities refused the same.
    soc = hass.states.get(entity_id(hass, "sensor", f"{VIN_BEV}_{SOC}"))
    assert soc is not None
    assert soc.state == "81"
    tyre_after = hass.states.get(tyre)
    assert tyre_after is not None
    assert tyre_after.state == tyre_before.state


async def test_a_message_goes_out_with_its_accepted_values(
    hass: HomeAssistant,
    simulator: Simulator,
    house: tuple[MockConfigEntry, _Reader],
) -> None:
    _entry, reader = house
    await simulator.publish(VIN_BEV, {SOC: 64, TYRE: "abc", MILEAGE: 99})
    await simulator.publish(VIN_BEV, {SOC: 65})  # the marker
    await wait_for(lambda: reader.received.count(b"65") == 1)
    await hass.async_block_till_done()
    sent = json.loads(simulator.messages[-2][1])
    del sent["entityId"]
    del sent["data"][TYRE]
    shared = [json.loads(p) for t, p in reader.shared() if t == TOPIC]
    assert len(shared) == 2
    assert shared[0] == sent  # BMW's message, less the refused value
    assert {topic for topic, _ in reader.shared()} == {
        TOPIC,
        f"{TOPIC}/{SOC}",
        f"{TOPIC}/{MILEAGE}",
    }


async def test_a_held_message_is_shared_once_its_car_is_confirmed(
    hass: HomeAssistant,
    simulator: Simulator,
    house: tuple[MockConfigEntry, _Reader],
) -> None:
    """A car added to the account after the set-up: held, then released."""
    _entry, reader = house
    simulator.add_vehicle(GCID_A, UNMAPPED_VIN, "BEV")
    await simulator.publish(UNMAPPED_VIN, {SOC: 33})
    # Right behind it, a known car's message: it is applied (and shared) while
    # the gate still waits for BMW's mappings, a REST round trip away.
    await simulator.publish(VIN_BEV, {MILEAGE: 4321})
    held = f"bmw/{UNMAPPED_VIN}/{SOC}"
    assert await _on_broker(hass, reader, held) == b"33"
    topics = reader.topics()
    assert topics.index(f"{TOPIC}/{MILEAGE}") < topics.index(f"bmw/{UNMAPPED_VIN}")
    # Shared only as a vehicle Home Assistant shows.
    sensor = entity_id(hass, "sensor", f"{UNMAPPED_VIN}_{SOC}")
    assert (state := hass.states.get(sensor)) is not None
    assert state.state == "33"
