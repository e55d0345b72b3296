"""Turn a value from the stream or the REST API into an entity's native value.

``convert(info, raw)`` follows the descriptor's ``ValueKind`` (see
``catalogue.describe``) and returns ``None`` for anything that is not a valid
value of the descriptor; it never makes up a default.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
import math
from typing import Final

from .descriptors import (
    MAX_STATE_LENGTH,
    DescriptorInfo,
    NativeValue,
    RawValue,
    ValueKind,
    enum_state,
)
from .overrides import DATE_FORMATS, NO_VALUE_WORDS


def _word(raw: bool | float | str) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return enum_state(str(raw))


def _number(info: DescriptorInfo, raw: bool | float | str) -> int | float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if "," in text and "." not in text:
            text = text.replace(",", ".")
        try:
            value: float = float(text)
        except ValueError:
            return None
    else:
        value = raw
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if value.is_integer() and _integer_type(info.bmw_data_type):
            return int(value)
    return value


@cache
def _integer_type(bmw_data_type: str | None) -> bool:
    """Whether BMW's data type is an integer one (a handful of names)."""
    return (bmw_data_type or "").startswith(("int", "uint"))


_EPOCH_MS_THRESHOLD: Final = 100_000_000_000


def _from_epoch(seconds: float) -> datetime | None:
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    if seconds > _EPOCH_MS_THRESHOLD:
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except OverflowError, OSError, ValueError:
        return None


def _timestamp(raw: bool | float | str) -> datetime | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return _from_epoch(float(raw))
    text = raw.strip()
    try:
        return _from_epoch(float(text))
    except ValueError:
        pass
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        bare = text.removesuffix("UTC").strip()
        for fmt in DATE_FORMATS:
            try:
                parsed = datetime.strptime(bare, fmt)  # noqa: DTZ007
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _boolean(info: DescriptorInfo, raw: bool | float | str) -> bool | None:
    word = _word(raw)
    if word in info.true_values:
        return True
    return False if word in info.false_values else None


def _enum(info: DescriptorInfo, raw: bool | float | str) -> str | None:
    """A listed option (also spelled without separators), else the word itself.

    BMW's "ASN_" prefix (``ASN_unlocked``, ``ASN_unknown``) is no part of it.
    """
    state = _word(raw).removeprefix("asn_")
    if not state or state in NO_VALUE_WORDS or len(state) > MAX_STATE_LENGTH:
        return None
    if state in (options := info.options or ()):
        return state
    compact = {option.replace("_", ""): option for option in options}
    return compact.get(state.replace("_", ""), state)


def _text(_info: DescriptorInfo, raw: bool | float | str) -> NativeValue:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, int | float):
        return raw if math.isfinite(raw) else None
    text = raw.strip()
    return text if 0 < len(text) <= MAX_STATE_LENGTH else None


_CONVERTERS: Final[
    dict[ValueKind, Callable[[DescriptorInfo, bool | float | str], NativeValue]]
] = {
    ValueKind.BOOLEAN: _boolean,
    ValueKind.NUMBER: _number,
    ValueKind.ENUM: _enum,
    ValueKind.TIMESTAMP: lambda _info, raw: _timestamp(raw),
    ValueKind.TEXT: _text,
}


def convert(info: DescriptorInfo, raw: RawValue) -> NativeValue:
    """Convert a raw stream/REST value to the entity's native value.

    Returns ``None`` for anything that is not a valid value of the
    descriptor (unknown, invalid, unparseable); never a made-up default.
    """
    if raw is None:
        return None
    return _CONVERTERS[info.data_type](info, raw)
