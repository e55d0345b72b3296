"""What each BMW descriptor is: platform, device class, unit, name key, options.

``describe(descriptor)`` combines BMW's facts (``generated/catalogue.py``) with
our corrections (``catalogue_overrides.py``). Turning a value into an
entity's native value is ``conversion.convert``.

Rules worth knowing:

* Binary sensors: ``true_values``/``false_values`` hold normalised words
  (see ``enum_state``) for which the entity is on/off. For lock descriptors
  Home Assistant's meaning applies (on = unlocked), so BMW's "locked" words
  sit in ``false_values``.
* Enum sensors: ``options`` are BMW's words as lower-case snake keys (from
  the row's description or value range, see ``options_source``; overrides on
  top). BMW's "no value" words (INVALID, UNKNOWN, -NA-, ...) become ``None``;
  every other word is shown, also one the catalogue does not list.
* Text longer than Home Assistant's 255 characters becomes ``None``.
* Descriptors missing from the catalogue become enabled plain sensors with
  ``translation_key=None`` and a readable ``fallback_name``.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import cache, lru_cache
import re
from typing import Final

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined]
    BinarySensorDeviceClass,
)
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    EntityCategory,
    Platform,
)

from .generated import CATALOGUE, CatalogueRow
from .overrides import (
    BINARY_CLASSES,
    DIAGNOSTIC,
    DIAGNOSTIC_CATEGORIES,
    ENABLED_BY_DEFAULT,
    EXTRA_ROWS,
    FALSE_WORDS,
    KEY_SHORTENINGS,
    NAME_FILLER_SEGMENTS,
    NAME_UPPER_WORDS,
    NO_VALUE_WORDS,
    OVERRIDES,
    TRACKER_ROLES,
    TRUE_WORDS,
    UNIT_ALIASES,
    UNIT_DEVICE_CLASSES,
    UNIT_PRECISION,
    Override,
    TrackerRole,
)

__all__ = [
    "DescriptorInfo",
    "NativeValue",
    "RawValue",
    "TrackerRole",
    "ValueKind",
    "catalogue_category",
    "catalogue_descriptors",
    "describe",
    "enum_state",
    "fallback_name",
    "map_unit",
    "translation_key_for",
]

type RawValue = bool | int | float | str | None
type NativeValue = bool | int | float | str | datetime | None
type DeviceClass = SensorDeviceClass | BinarySensorDeviceClass

MAX_STATE_LENGTH: Final = 255


class ValueKind(StrEnum):
    """How a descriptor's values are interpreted."""

    NUMBER = "number"
    ENUM = "enum"
    TEXT = "text"
    TIMESTAMP = "timestamp"
    BOOLEAN = "boolean"


@dataclass(frozen=True, slots=True)
class DescriptorInfo:
    """Everything an entity needs to know about one descriptor."""

    descriptor: str
    platform: Platform  # Platform.SENSOR or Platform.BINARY_SENSOR
    translation_key: str | None
    device_class: DeviceClass | None
    native_unit: str | None
    state_class: SensorStateClass | None
    suggested_display_precision: int | None
    options: tuple[str, ...] | None
    entity_category: EntityCategory | None
    enabled_default: bool
    data_type: ValueKind
    true_values: frozenset[str] = frozenset()
    false_values: frozenset[str] = frozenset()
    tracker_role: TrackerRole | None = None
    fallback_name: str = ""
    bmw_data_type: str | None = None
    in_catalogue: bool = True
    options_source: str | None = None
    """Where enum options come from: range, description, both, override."""


_ROWS: Final[dict[str, CatalogueRow]] = {
    row.descriptor: row for row in (*CATALOGUE, *EXTRA_ROWS)
}

_NUMERIC_TYPES: Final = frozenset(
    {"float", "double", "int8", "int16", "int32", "uint8", "uint16", "uint32"}
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_KEY = re.compile(r"[^a-z0-9]+")


def _snake(text: str) -> str:
    """Turn camelCase / UPPER_CASE / dashed text into lower snake case."""
    if any(char.islower() for char in text):
        text = _CAMEL.sub("_", text)
    return _NOT_KEY.sub("_", text.lower()).strip("_")


def enum_state(word: str) -> str:
    """Normalise a BMW enum word to a Home Assistant state key.

    ``"CLOSED"`` -> ``"closed"``, ``"SELECTIVE-LOCKED"`` -> ``"selective_locked"``,
    ``"LowFuel"`` -> ``"low_fuel"``, ``"-NA-"`` -> ``"na"``.
    """
    return _snake(word.strip())


@lru_cache(maxsize=256)
def map_unit(unit: str | None) -> str | None:
    """Map a BMW unit spelling (catalogue, stream or REST) to a HA unit.

    Cached: a car sends a few spellings with every value.
    """
    if unit is None:
        return None
    cleaned = unit.strip()
    if cleaned in {"", "-"}:
        return None
    return UNIT_ALIASES.get(cleaned.lower().replace(" ", ""), cleaned)


def translation_key_for(descriptor: str) -> str:
    """Derive a valid, stable translation key from a descriptor path."""
    path = descriptor.removeprefix("vehicle.").removeprefix("vehicle.")
    key = "_".join(_snake(part.replace("SoC", "Soc")) for part in path.split("."))
    for prefix, short in KEY_SHORTENINGS:
        if key.startswith(prefix):
            key = short + key.removeprefix(prefix)
            break
    return re.sub(r"_+", "_", key).strip("_")


def fallback_name(descriptor: str) -> str:
    """Readable English name from a descriptor path (for unknown descriptors)."""
    parts = [part for part in descriptor.split(".") if part]
    kept = [part for part in parts if part.lower() not in NAME_FILLER_SEGMENTS] or parts
    words: list[str] = []
    for part in kept:
        snake = re.sub(r"([a-z])(\d)", r"\1_\2", _snake(part.replace("SoC", "Soc")))
        for word in snake.split("_"):
            if not word or (word == "is" and not words):
                continue
            words.append(word.upper() if word in NAME_UPPER_WORDS else word)
    if not words:
        return descriptor or "Value"
    text = " ".join(words)
    return text[0].upper() + text[1:]


def catalogue_descriptors() -> tuple[str, ...]:
    """All descriptors of BMW's catalogue, sorted."""
    return tuple(_ROWS)


def catalogue_category(descriptor: str) -> str | None:
    """BMW's category of a catalogue descriptor ("Battery EV" ...), else None."""
    row = _ROWS.get(descriptor)
    return row.category if row is not None else None


def _kind(row: CatalogueRow, override: Override) -> ValueKind:
    if "kind" in override:
        return ValueKind(override["kind"])
    if row.data_type == "boolean":
        return ValueKind.BOOLEAN
    if row.data_type in _NUMERIC_TYPES:
        return ValueKind.NUMBER
    if row.enum_values:
        return ValueKind.ENUM
    if row.data_type is None and map_unit(row.unit) is not None:
        return ValueKind.NUMBER
    return ValueKind.TEXT


def _classify_word(word: str) -> bool | None:
    """Guess whether an enum word of a boolean descriptor means true or false."""
    if word in NO_VALUE_WORDS or word == "no_action":
        return None
    if word in FALSE_WORDS or word == "closed":
        return False
    if word in TRUE_WORDS or word in {"open", "intermediate"}:
        return True
    negative = ("inactive", "not_active", "unlocked")
    if word.startswith("not") or any(token in word for token in negative):
        return False
    if word.endswith(("active", "locked", "chosen")):
        return True
    return None


_BINARY_RULES: Final = (
    (".isPlugged", "", BinarySensorDeviceClass.PLUG),
    (".isLocked", "", BinarySensorDeviceClass.LOCK),
    (".isOpen", ".cabin.door.", BinarySensorDeviceClass.DOOR),
    (".isOpen", ".window.", BinarySensorDeviceClass.WINDOW),
    (".isOpen", "", BinarySensorDeviceClass.OPENING),
)


def _binary_class(descriptor: str) -> BinarySensorDeviceClass | None:
    if descriptor in BINARY_CLASSES:
        return BINARY_CLASSES[descriptor]
    rules = _BINARY_RULES
    return next(
        (
            c
            for end, part, c in rules
            if descriptor.endswith(end) and part in descriptor
        ),
        None,
    )


def _boolean_words(
    row: CatalogueRow, override: Override
) -> tuple[frozenset[str], frozenset[str]]:
    """Words meaning the descriptor's predicate is true / false."""
    true_words = set(TRUE_WORDS)
    false_words = set(FALSE_WORDS)
    if "true_words" in override or "false_words" in override:
        true_words.update(enum_state(w) for w in override.get("true_words", ()))
        false_words.update(enum_state(w) for w in override.get("false_words", ()))
    else:
        for word in map(enum_state, row.enum_values or ()):
            meaning = _classify_word(word)
            if meaning is True:
                true_words.add(word)
            elif meaning is False:
                false_words.add(word)
    return frozenset(true_words), frozenset(false_words)


def _enum_options(
    row: CatalogueRow, override: Override
) -> tuple[tuple[str, ...] | None, str | None]:
    """Options of an enum descriptor and where they come from."""
    words = override.get("options", row.enum_values or ())
    source = "override" if "options" in override else row.enum_source
    if extra := override.get("extra_options", ()):
        words = (*words, *extra)
        source = f"{source}+override" if source else "override"
    states = (enum_state(word) for word in words)
    options = tuple(dict.fromkeys(s for s in states if s not in NO_VALUE_WORDS))
    return (options, source) if options else (None, None)


def _numeric_details(
    row: CatalogueRow, override: Override
) -> tuple[str | None, SensorDeviceClass | None, SensorStateClass | None, int | None]:
    unit = override["unit"] if "unit" in override else map_unit(row.unit)
    device_class: SensorDeviceClass | None = None
    if "device_class" in override:
        chosen = override["device_class"]
        device_class = chosen if isinstance(chosen, SensorDeviceClass) else None
    elif unit is not None:
        device_class = UNIT_DEVICE_CLASSES.get(unit)
    state_class = override.get("state_class", SensorStateClass.MEASUREMENT)
    default_precision = UNIT_PRECISION.get(unit) if unit is not None else None
    precision = override.get("precision", default_precision)
    return unit, device_class, state_class, precision


def _unknown(descriptor: str) -> DescriptorInfo:
    return DescriptorInfo(
        descriptor=descriptor,
        platform=Platform.SENSOR,
        translation_key=None,
        device_class=None,
        native_unit=None,
        state_class=None,
        suggested_display_precision=None,
        options=None,
        entity_category=None,
        enabled_default=True,
        data_type=ValueKind.TEXT,
        fallback_name=fallback_name(descriptor),
        in_catalogue=False,
    )


@cache
def describe(descriptor: str) -> DescriptorInfo:
    """Describe a descriptor; unknown ones become enabled plain text sensors."""
    row = _ROWS.get(descriptor)
    if row is None:
        return _unknown(descriptor)
    override = OVERRIDES.get(descriptor, {})
    kind = _kind(row, override)
    options, source = (
        _enum_options(row, override) if kind is ValueKind.ENUM else (None, None)
    )
    if kind is ValueKind.ENUM and options is None:
        kind = ValueKind.TEXT
    diagnostic = row.category in DIAGNOSTIC_CATEGORIES or descriptor in DIAGNOSTIC
    base = DescriptorInfo(
        descriptor=descriptor,
        platform=Platform.SENSOR,
        translation_key=translation_key_for(descriptor),
        device_class=None,
        native_unit=None,
        state_class=None,
        suggested_display_precision=None,
        options=options,
        entity_category=EntityCategory.DIAGNOSTIC if diagnostic else None,
        enabled_default=descriptor in ENABLED_BY_DEFAULT,
        data_type=kind,
        tracker_role=TRACKER_ROLES.get(descriptor),
        fallback_name=fallback_name(descriptor),
        bmw_data_type=row.data_type,
        options_source=source,
    )
    match kind:
        case ValueKind.BOOLEAN:
            return _binary(base, row, override)
        case ValueKind.NUMBER:
            unit, device_class, state_class, precision = _numeric_details(row, override)
            return replace(
                base,
                native_unit=unit,
                device_class=device_class,
                state_class=state_class,
                suggested_display_precision=precision,
            )
        case ValueKind.ENUM:
            return replace(base, device_class=SensorDeviceClass.ENUM)
        case ValueKind.TIMESTAMP:
            return replace(base, device_class=SensorDeviceClass.TIMESTAMP)
        case _:
            return base


def _binary(
    base: DescriptorInfo, row: CatalogueRow, override: Override
) -> DescriptorInfo:
    binary_class = _binary_class(base.descriptor)
    if "device_class" in override:
        chosen = override["device_class"]
        binary_class = chosen if isinstance(chosen, BinarySensorDeviceClass) else None
    true_words, false_words = _boolean_words(row, override)
    if binary_class is BinarySensorDeviceClass.LOCK:
        # Home Assistant: on means unlocked.
        true_words, false_words = false_words, true_words
    return replace(
        base,
        platform=Platform.BINARY_SENSOR,
        device_class=binary_class,
        true_values=true_words,
        false_values=false_words,
    )
