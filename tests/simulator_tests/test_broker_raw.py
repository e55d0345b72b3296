"""Protocol-level strictness of the broker, with hand-made MQTT packets."""

from __future__ import annotations

import asyncio
import ssl
import struct

import pytest

from tests.simulator import CLIENT_A, GCID_A, Simulator


def _str(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack(">H", len(raw)) + raw


def _packet(first: int, body: bytes) -> bytes:
    length, out = len(body), bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            break
    return bytes([first]) + bytes(out) + body


def connect_packet(
    user: str, password: str, *, level: int = 4, keepalive: int = 30, flags: int = 0xC2
) -> bytes:
    body = _str("MQTT") + bytes([level, flags]) + struct.pack(">H", keepalive)
    body += _str("probe") + _str(user) + _str(password)
    return _packet(0x10, body)


async def _open(sim: Simulator) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    context = ssl.create_default_context(cafile=sim.ca_file)
    return await asyncio.open_connection(
        sim.endpoints["stream_host"], sim.endpoints["stream_port"], ssl=context
    )


async def _closed(reader: asyncio.StreamReader) -> bool:
    try:
        async with asyncio.timeout(5):
            data = await reader.read(100)
    except ConnectionError, ssl.SSLError:
        return True
    return data == b""


@pytest.fixture
def id_token(simulator: Simulator) -> str:
    return simulator.oauth.issue_tokens(GCID_A, CLIENT_A)["id_token"]


async def test_wrong_protocol_level(simulator: Simulator, id_token: str) -> None:
    reader, writer = await _open(simulator)
    writer.write(connect_packet(GCID_A, id_token, level=3))
    assert await reader.readexactly(4) == b"\x20\x02\x00\x01"
    writer.close()


async def test_keepalive_lapse_closes(simulator: Simulator, id_token: str) -> None:
    reader, writer = await _open(simulator)
    writer.write(connect_packet(GCID_A, id_token, keepalive=1))
    assert await reader.readexactly(4) == b"\x20\x02\x00\x00"
    writer.write(_packet(0xC0, b""))  # PINGREQ
    assert await reader.readexactly(2) == b"\xd0\x00"  # PINGRESP
    assert await _closed(reader)
    assert simulator.broker.close_reasons(GCID_A) == ["keep-alive timeout"]
    writer.close()


async def test_client_publish_is_a_protocol_error(
    simulator: Simulator, id_token: str
) -> None:
    reader, writer = await _open(simulator)
    writer.write(connect_packet(GCID_A, id_token))
    assert await reader.readexactly(4) == b"\x20\x02\x00\x00"
    writer.write(_packet(0x30, _str(f"{GCID_A}/x") + b"{}"))
    assert await _closed(reader)
    assert simulator.broker.close_reasons(GCID_A)[0].startswith("protocol error")
    writer.close()


async def test_first_packet_must_be_connect(simulator: Simulator) -> None:
    reader, writer = await _open(simulator)
    writer.write(_packet(0xC0, b""))
    assert await _closed(reader)
    writer.close()


async def test_refusal_faults(simulator: Simulator, id_token: str) -> None:
    simulator.faults.stream_refusals = 1
    reader, writer = await _open(simulator)
    writer.write(connect_packet(GCID_A, id_token))
    assert await reader.readexactly(4) == b"\x20\x02\x00\x05"
    writer.close()
    simulator.faults.stream_connect_timeouts = 1
    reader, writer = await _open(simulator)
    writer.write(connect_packet(GCID_A, id_token))
    with pytest.raises(TimeoutError):  # no CONNACK at all
        async with asyncio.timeout(0.5):
            await reader.read(1)
    writer.close()
    assert simulator.broker.refused_count(GCID_A) == 1


async def test_foreign_hold_expires(simulator: Simulator, id_token: str) -> None:
    simulator.evict(GCID_A, hold_for=60)
    reader, writer = await _open(simulator)
    writer.write(connect_packet(GCID_A, id_token))
    assert await reader.readexactly(4) == b"\x20\x02\x00\x05"
    writer.close()
    simulator.advance(61)
    token = simulator.oauth.issue_tokens(GCID_A, CLIENT_A)["id_token"]
    reader, writer = await _open(simulator)
    writer.write(connect_packet(GCID_A, token))
    assert await reader.readexactly(4) == b"\x20\x02\x00\x00"
    writer.write(_packet(0xE0, b""))  # DISCONNECT
    assert await _closed(reader)
    writer.close()
