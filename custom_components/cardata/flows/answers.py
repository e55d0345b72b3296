"""BMW's answers in a form an owner reads: the Fetch now result, the responses.

Fetch now names each car as its device is named and shows each value as its
entity shows it: the entity's name, the state in the owner's units (display
unit and precision) and words in Home Assistant's language.

A telematicData answer names every descriptor of the container, and most of
them carry no data (the vehicle does not support them): values with data come
first, the empty ones last (service responses) or only counted (Fetch now).
The Fetch now text is bounded: the dialog shows at most :data:`SHOWN_VALUES`
values per vehicle; the service action returns the whole answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.translation import async_get_translations

from ..api import (
    ApiError,
    BasicData,
    CarDataError,
    TelematicValue,
    VehicleMapping,
)
from ..const import DOMAIN

SHOWN_VALUES: Final = 15


def short_vin(vin: str) -> str:
    """The last seven characters of a VIN, as BMW's apps show it."""
    return f"…{vin[-7:]}"


def has_data(value: TelematicValue) -> bool:
    """Whether BMW sent a value or a time (else: unsupported by the vehicle)."""
    return value.value is not None or value.timestamp is not None


def telematic_response(values: Mapping[str, TelematicValue]) -> dict[str, Any]:
    """Return a telematicData answer in JSON form: values with data first."""
    ordered = sorted(values.items(), key=lambda item: (not has_data(item[1]), item[0]))
    return {
        name: {
            "value": v.value,
            "unit": v.unit,
            "timestamp": v.timestamp.isoformat() if v.timestamp else None,
        }
        for name, v in ordered
    }


@dataclass(frozen=True, slots=True)
class Shown:
    """How Home Assistant shows one of a vehicle's values: name and text."""

    name: str
    text: str


def car_name(hass: HomeAssistant, entry_id: str, vin: str) -> str:
    """The vehicle's device name as the owner sees it (their own name first)."""
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry_id):
        if (DOMAIN, vin) in device.identifiers and (
            name := device.name_by_user or device.name
        ):
            return name
    return short_vin(vin)


def _number_text(value: float, precision: int | None) -> str:
    if precision is None:
        return f"{value:g}"
    return f"{value:.{precision}f}"


def _display_precision(entry: er.RegistryEntry) -> int | None:
    options: Mapping[str, Any] = entry.options.get("sensor") or {}
    for key in ("display_precision", "suggested_display_precision"):
        if isinstance(precision := options.get(key), int):
            return precision
    return None


async def async_shown_values(
    hass: HomeAssistant, vin: str, descriptors: Iterable[str]
) -> dict[str, Shown]:
    """The vehicle's values of ``descriptors`` as its entities show them.

    Name: the entity's (the owner's own first); text: the state in the
    owner's units, with the entity's display precision, and enum words and
    on/off in Home Assistant's language. Descriptors without an entity or a
    state are left out.
    """
    registry = er.async_get(hass)
    language = hass.config.language
    ours = await async_get_translations(hass, language, "entity", {DOMAIN})
    shown: dict[str, Shown] = {}
    for descriptor in descriptors:
        for platform in ("sensor", "binary_sensor", "device_tracker"):
            entity_id = registry.async_get_entity_id(
                platform, DOMAIN, f"{vin}_{descriptor}"
            )
            entry = registry.async_get(entity_id) if entity_id else None
            state = hass.states.get(entity_id) if entity_id else None
            if entry is None or state is None:
                continue
            if state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
                break
            name = entry.name or entry.original_name or descriptor
            text = await _async_state_text(hass, entry, state, ours)
            shown[descriptor] = Shown(name, text)
            break
    return shown


async def _async_state_text(
    hass: HomeAssistant,
    entry: er.RegistryEntry,
    state: State,
    ours: Mapping[str, str],
) -> str:
    value = state.state
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    if entry.domain == "binary_sensor":
        words = await async_get_translations(
            hass, hass.config.language, "entity_component", {"binary_sensor"}
        )
        device_class = entry.device_class or entry.original_device_class or "_"
        prefix = "component.binary_sensor.entity_component"
        return (
            words.get(f"{prefix}.{device_class}.state.{value}")
            or words.get(f"{prefix}._.state.{value}")
            or value
        )
    try:
        number = float(value)
    except ValueError:
        key = entry.translation_key
        word = ours.get(f"component.{DOMAIN}.entity.{entry.domain}.{key}.state.{value}")
        return word or value
    text = _number_text(number, _display_precision(entry))
    return f"{text} {unit}" if unit else text


def telematic_lines(
    car: str,
    values: Mapping[str, TelematicValue],
    shown: Mapping[str, Shown] | None = None,
) -> list[str]:
    """Lines of one vehicle's answer: a header, then up to SHOWN_VALUES values.

    A value is shown as its entity shows it where ``shown`` has it (name,
    state in the owner's units and language), else with BMW's descriptor,
    value and unit, as the car sent them.
    """
    shown = shown or {}
    rows: list[tuple[str, str]] = []
    for descriptor, value in values.items():
        if value.value is None:
            continue
        if (known := shown.get(descriptor)) is not None:
            rows.append((known.name, known.text))
            continue
        unit = f" {value.unit}" if value.unit else ""
        rows.append((descriptor.removeprefix("vehicle."), f"{value.value}{unit}"))
    rows.sort(key=lambda row: row[0])  # two entities may share a name the owner gave
    lines = [f"**{car}** · telematicData: {len(rows)}"]
    lines.extend(f"- {label}: {text}" for label, text in rows[:SHOWN_VALUES])
    if len(rows) > SHOWN_VALUES:
        lines.append(f"- … (+{len(rows) - SHOWN_VALUES})")
    return lines


def basic_lines(car: str, basic: BasicData) -> list[str]:
    """One line of a vehicle's basic data: brand, model, year, drive."""
    facts = (
        " ".join(p for p in (basic.brand, basic.model_name) if p),
        str(basic.model_year) if basic.model_year else None,
        basic.series,
        basic.propulsion_type,
        basic.drive_train,
    )
    text = ", ".join(fact for fact in facts if fact) or "-"
    return [f"**{car}** · basicData: {text}"]


def mapping_lines(
    hass: HomeAssistant, entry_id: str, mappings: Iterable[VehicleMapping]
) -> list[str]:
    """One line per mapped vehicle: how, and since when, it is mapped."""
    return [
        f"**{car_name(hass, entry_id, m.vin)}** · mappings: {m.mapping_type}"
        + (f" ({m.mapped_since.date().isoformat()})" if m.mapped_since else "")
        for m in mappings
    ]


def describe_error(err: CarDataError) -> str:
    """Return BMW's error code and HTTP status, the same in every language.

    Nothing secret (no BMW note). An unreachable BMW has its own translated
    text at each caller, not a code.
    """
    if isinstance(err, ApiError):
        return f"{err.error_id or type(err).__name__} (HTTP {err.status})"
    return type(err).__name__
