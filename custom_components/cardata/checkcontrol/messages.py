"""BMW's check-control messages: from the container's value to a short list.

BMW's catalogue does not print the value's shape. BMW's own apps have sent
it as a list of objects such as ``{"type": "TIRE_PRESSURE", "severity":
"LOW"}``; a container read gives that list as such or as its JSON text
(:class:`..api.TelematicValue` keeps a list as JSON text). An empty list
means no message. Each message becomes its type as a lower snake key
(``tire_pressure``), also a type :data:`TYPES` does not know; the messages'
highest :data:`SEVERITIES` word is the severity. Anything else is no
reading: :func:`parse` raises :class:`MalformedError` with a short reason
(never the value).
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from typing import Final

from ..catalogue.descriptors import enum_state
from ..catalogue.overrides import NO_VALUE_WORDS

DESCRIPTOR: Final = "vehicle.status.checkControlMessages"
TYPES: Final = (
    "tire_pressure",
    "flat_tire",
    "engine_oil",
    "washing_fluid",
    "brake_fluid",
    "coolant",
    "brake_pads",
    "service",
    "vehicle_check",
    "battery_12v",
    "lights",
    "engine",
    "parking_brake",
    "airbag",
)
"""Message types BMW's apps have shown, with a translation; others keep their key."""
SEVERITIES: Final = ("low", "medium", "high", "critical")
"""BMW's severity words, lowest first."""
MAX_MESSAGES: Final = 50
"""More messages than this is no reading (a car shows a handful)."""
MAX_KEY_LENGTH: Final = 64
"""A type longer than this is no word of BMW's."""


class MalformedError(ValueError):
    """The value is not a list of messages; ``str()`` is the reason."""


@dataclass(frozen=True, slots=True)
class CheckControl:
    """The messages of one reading."""

    messages: tuple[str, ...]
    """Each message's type key, in BMW's order."""
    severity: str | None
    """The highest of the messages' severities, if any is one of BMW's words."""


def parse(raw: object) -> CheckControl | None:
    """Read a check-control value; ``None`` when BMW has no value.

    Raises :class:`MalformedError` for anything that is not a list of
    messages each with a type.
    """
    if isinstance(text := raw, str):
        try:
            raw = json.loads(text)
        except ValueError:
            if enum_state(text) in NO_VALUE_WORDS:  # INVALID, -NA-, ...
                return None
            raise MalformedError("not_json") from None
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise MalformedError("not_a_list")
    if len(raw) > MAX_MESSAGES:
        raise MalformedError("too_many")
    messages: list[str] = []
    rank = -1
    for item in raw:
        kind = item.get("type") if isinstance(item, dict) else None
        key = enum_state(kind) if isinstance(kind, str) else ""
        if not key or len(key) > MAX_KEY_LENGTH:
            raise MalformedError("message_without_type")
        messages.append(key)
        severity = item.get("severity")
        if isinstance(severity, str) and (word := enum_state(severity)) in SEVERITIES:
            rank = max(rank, SEVERITIES.index(word))
    return CheckControl(tuple(messages), SEVERITIES[rank] if rank >= 0 else None)
