"""Parser for the messages of the CarData MQTT stream.

:meth:`MessageParser.parse` never raises: a payload it cannot use is dropped
and counted by reason in :attr:`MessageParser.dropped`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
import json
import logging
import math
import time
from typing import Any

from .models import parse_timestamp
from .vin import VIN_RE

_LOGGER = logging.getLogger(__name__)

Value = bool | int | float | str | None

MAX_PAYLOAD_BYTES = 256 * 1024
MAX_DESCRIPTOR_LENGTH = 256
MAX_STRING_VALUE_LENGTH = 4096
MAX_DEPTH = 16
"""Nesting a payload may have (BMW's messages have 3 levels)."""
DROP_LOG_INTERVAL = 60.0
NAMES_KEPT = 2048
"""Cleaned descriptor names the parser remembers (a car sends a few hundred)."""
"""Seconds between two debug lines about drops of the same reason."""

_BOOL_WORDS: dict[str, bool | None] = {
    "asn_istrue": True,
    "asn_isfalse": False,
    "asn_isunknown": None,
}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_UNSET: Any = object()


# Not frozen: one is built for every value of every message, and a frozen
# dataclass's __init__ costs three times as much. Never changed once built
# (hashable as a frozen one would be).
@dataclass(slots=True, unsafe_hash=True)
class DescriptorValue:
    """One descriptor's value in a stream message."""

    value: Value
    unit: str | None
    timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """A parsed stream message: one vehicle, one or more descriptors."""

    vin: str
    data: dict[str, DescriptorValue]
    timestamp: datetime | None
    payload: bytes = field(default=b"", repr=False, compare=False)
    """BMW's message as it came (account id, VIN, positions: never log it)."""


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
"""One decoder for every message (``json.loads`` with a hook builds one per call)."""


def _load(payload: bytes) -> tuple[dict[str, Any] | None, str]:
    try:
        # What json.loads does with bytes, without a new decoder each time.
        raw = bytes(payload)
        document = _DECODER.decode(
            raw.decode(json.detect_encoding(raw), "surrogatepass")
        )
    except UnicodeDecodeError:
        return None, "not_utf8"
    except RecursionError:
        return None, "too_deep"
    except ValueError, TypeError:
        return None, "invalid_json"
    if not isinstance(document, dict):
        return None, "not_object"
    if _deeper_than(document, MAX_DEPTH):
        return None, "too_deep"
    return document, ""


def _deeper_than(document: dict[str, Any], limit: int) -> bool:
    """Whether objects and lists nest more than ``limit`` levels (no recursion).

    One level at a time, nothing built per value: it runs on every message
    (a tuple in ``isinstance`` is checked faster than a union).
    """
    level: list[Any] = [document]
    for _depth in range(limit):
        nested = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, (dict, list))
        ]
        if not nested:
            return False
        level = nested
    return True


def normalize_vin(raw: Any) -> str | None:
    """Return ``raw`` as a valid VIN (upper case), or ``None``."""
    if not isinstance(raw, str):
        return None
    candidate = raw.strip().rsplit("/", 1)[-1].strip().upper()
    return candidate if VIN_RE.fullmatch(candidate) else None


def descriptor_name(raw: Any) -> str:
    """Return a data point's name as the parser keys it (no invisible marks)."""
    return str(raw).translate(_INVISIBLE).strip()


def convert_value(raw: Any) -> tuple[bool, Value]:
    """Return ``(usable, value)`` for a raw descriptor value.

    JSON booleans and numbers stay as they are; BMW's ``asn_istrue`` /
    ``asn_isfalse`` / ``asn_isunknown`` (any case) become ``True`` / ``False``
    / ``None``; other strings are kept; lists and objects are not usable.
    """
    if raw is None or isinstance(raw, (bool, int)):  # a tuple checks faster
        return True, raw
    if isinstance(raw, float):
        return (True, raw) if math.isfinite(raw) else (False, None)
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _BOOL_WORDS:
            return True, _BOOL_WORDS[word]
        return True, raw[:MAX_STRING_VALUE_LENGTH]
    return False, None


class DropLog:
    """One debug line per reason, then at most one a :data:`DROP_LOG_INTERVAL`.

    The line names the reason and how many drops it covers, never content.
    """

    def __init__(self, logger: logging.Logger, what: str) -> None:
        """Log through ``logger``; ``what`` names the dropped thing."""
        self._logger = logger
        self._what = what
        self._next: dict[str, float] = {}
        self._pending: dict[str, int] = {}

    def __call__(self, reason: str) -> None:
        """Count one drop; log when this reason's interval has passed."""
        pending = self._pending.get(reason, 0) + 1
        now = time.monotonic()
        if now < self._next.get(reason, 0.0):
            self._pending[reason] = pending
            return
        self._pending[reason] = 0
        self._next[reason] = now + DROP_LOG_INTERVAL
        if self._logger.isEnabledFor(logging.DEBUG):
            self._logger.debug("%s dropped (%s): %d", self._what, reason, pending)


class MessageParser:
    """Turns stream payloads into :class:`StreamMessage` values.

    Attributes:
        dropped: how many payloads or descriptors were dropped, by reason.
        parsed: how many messages were produced.
    """

    def __init__(self, max_payload_bytes: int = MAX_PAYLOAD_BYTES) -> None:
        """Create a parser that drops payloads above ``max_payload_bytes``."""
        self.max_payload_bytes = max_payload_bytes
        self.dropped: Counter[str] = Counter()
        self.parsed = 0
        self._log = DropLog(_LOGGER, "Stream payload")
        self._names: dict[str, str] = {}
        """Descriptor keys as sent -> cleaned (see :data:`NAMES_KEPT`)."""

    def parse(self, payload: bytes, topic: str | None = None) -> StreamMessage | None:
        """Parse one payload; ``None`` (and a counted reason) when unusable.

        Args:
            payload: the raw MQTT payload.
            topic: the MQTT topic, used for the VIN when the payload has none.
        """
        try:
            return self._parse(payload, topic)
        except Exception:  # noqa: BLE001 - the parser must never raise
            self._drop("error")
            return None

    def _drop(self, reason: str) -> None:
        self.dropped[reason] += 1
        self._log(reason)

    def _parse(self, payload: bytes, topic: str | None) -> StreamMessage | None:
        reason = "oversized"
        if len(payload) <= self.max_payload_bytes:
            document, reason = _load(payload)
            if document is not None:
                message, reason = self._message(document, bytes(payload), topic)
                if message is not None:
                    self.parsed += 1
                    return message
        self._drop(reason)
        return None

    def _message(
        self, document: dict[str, Any], payload: bytes, topic: str | None
    ) -> tuple[StreamMessage | None, str]:
        # The MQTT topic names the vehicle (BMW routes by it); a body that
        # names another one is not trusted at all.
        body_vin = normalize_vin(document.get("vin")) or normalize_vin(
            document.get("topic")
        )
        topic_vin = normalize_vin(topic)
        if topic_vin is not None and body_vin not in (None, topic_vin):
            return None, "vin_mismatch"
        vin = topic_vin or body_vin
        if vin is None:
            return None, "invalid_vin"
        raw_data = document.get("data")
        if not isinstance(raw_data, dict):
            return None, "no_data"
        # One message usually repeats one timestamp for every descriptor
        # and for itself: each spelling is parsed once.
        timestamps: dict[str, datetime | None] = {}
        data = self._descriptors(raw_data, timestamps)
        if not data:
            return None, "no_data"
        raw_time = document.get("timestamp")
        timestamp = (
            timestamps[raw_time]
            if isinstance(raw_time, str) and raw_time in timestamps
            else parse_timestamp(raw_time)
        )
        return StreamMessage(vin, data, timestamp, payload), ""

    def _descriptors(
        self, raw_data: Mapping[str, Any], timestamps: dict[str, datetime | None]
    ) -> dict[str, DescriptorValue]:
        """The message's usable values; ``timestamps``: spellings parsed so far."""
        data: dict[str, DescriptorValue] = {}
        names = self._names
        for raw_name, entry in raw_data.items():
            if (name := names.get(raw_name)) is None:
                name = descriptor_name(raw_name)
                if not name or len(name) > MAX_DESCRIPTOR_LENGTH:
                    self._drop("bad_descriptor")
                    continue
                if len(names) < NAMES_KEPT:
                    names[raw_name] = name
            if not isinstance(entry, dict) or "value" not in entry:
                self._drop("bad_descriptor")
                continue
            usable, value = convert_value(entry["value"])
            if not usable:
                self._drop("bad_value")
                continue
            unit = entry.get("unit")
            raw_time = entry.get("timestamp")
            if isinstance(raw_time, str):
                timestamp = timestamps.get(raw_time, _UNSET)
                if timestamp is _UNSET:
                    timestamp = timestamps[raw_time] = parse_timestamp(raw_time)
            else:
                timestamp = parse_timestamp(raw_time)
            # Positional: this runs for every value of every message.
            data[name] = DescriptorValue(
                value, unit if isinstance(unit, str) and unit else None, timestamp
            )
        return data
