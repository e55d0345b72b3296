"""MQTT 3.1.1 on the wire: packet types, return codes and the framing the
simulator's broker reads and writes (the few packets BMW's stream uses)."""

from __future__ import annotations

import asyncio
import struct

CONNECT, CONNACK, PUBLISH, SUBSCRIBE, SUBACK = 1, 2, 3, 8, 9
UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT = 10, 11, 12, 13, 14
RC_ACCEPTED, RC_PROTOCOL, RC_BAD_CREDENTIALS, RC_NOT_AUTHORIZED = 0, 1, 4, 5
MAX_PACKET = 65_536


class ProtocolError(Exception):
    """The client broke the MQTT 3.1.1 rules: drop the connection."""


def read_utf8(data: bytes, pos: int) -> tuple[str, int]:
    if pos + 2 > len(data):
        raise ProtocolError("truncated string")
    (length,) = struct.unpack_from(">H", data, pos)
    end = pos + 2 + length
    if end > len(data):
        raise ProtocolError("truncated string")
    try:
        text = data[pos + 2 : end].decode()
    except UnicodeDecodeError as err:
        raise ProtocolError("invalid UTF-8") from err
    if "\x00" in text:
        raise ProtocolError("NUL in string")
    return text, end


def read_binary(data: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 2 > len(data):
        raise ProtocolError("truncated field")
    (length,) = struct.unpack_from(">H", data, pos)
    end = pos + 2 + length
    if end > len(data):
        raise ProtocolError("truncated field")
    return data[pos + 2 : end], end


def _remaining_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def encode(first: int, body: bytes) -> bytes:
    """Frame one packet."""
    return bytes([first]) + _remaining_length(len(body)) + body


def publish_packet(topic: str, payload: bytes) -> bytes:
    """A QoS 0 PUBLISH."""
    raw = topic.encode()
    return encode(PUBLISH << 4, struct.pack(">H", len(raw)) + raw + payload)


async def read_packet(reader: asyncio.StreamReader) -> tuple[int, int, bytes]:
    """Read one packet: (type, flags, body)."""
    first = (await reader.readexactly(1))[0]
    length, multiplier = 0, 1
    for _ in range(4):
        byte = (await reader.readexactly(1))[0]
        length += (byte & 0x7F) * multiplier
        if not byte & 0x80:
            break
        multiplier *= 128
    else:
        raise ProtocolError("malformed remaining length")
    if length > MAX_PACKET:
        raise ProtocolError("packet too large")
    body = await reader.readexactly(length) if length else b""
    return first >> 4, first & 0x0F, body
