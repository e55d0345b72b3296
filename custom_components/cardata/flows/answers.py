"""BMW's answers in a form an owner reads: the Fetch now result, the responses.

A telematicData answer names every descriptor of the container, and most of
them carry no data (the vehicle does not support them): values with data come
first, the empty ones last (service responses) or only counted (Fetch now).
The Fetch now text is bounded: the dialog shows at most :data:`SHOWN_VALUES`
values per vehicle; the service action returns the whole answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from ..api import (
    ApiError,
    BasicData,
    CarDataConnectionError,
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


def entity_names(
    hass: HomeAssistant, vin: str, descriptors: Iterable[str]
) -> dict[str, str]:
    """Names of the vehicle's entities of ``descriptors`` (the owner's own first)."""
    registry = er.async_get(hass)
    names: dict[str, str] = {}
    for descriptor in descriptors:
        for platform in ("sensor", "binary_sensor", "device_tracker"):
            entity_id = registry.async_get_entity_id(
                platform, DOMAIN, f"{vin}_{descriptor}"
            )
            entry = registry.async_get(entity_id) if entity_id else None
            if entry is not None and (name := entry.name or entry.original_name):
                names[descriptor] = name
                break
    return names


def telematic_lines(
    vin: str,
    values: Mapping[str, TelematicValue],
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """Lines of one vehicle's answer: a header, then up to SHOWN_VALUES values.

    A value is labelled with its entity's name where ``names`` has one (in
    Home Assistant's language), else with BMW's descriptor; values are in
    BMW's words, as the car sent them.
    """
    names = names or {}
    shown = sorted(
        (
            (names.get(n) or n.removeprefix("vehicle."), v)
            for n, v in values.items()
            if v.value is not None
        ),
        key=lambda item: item[0],  # two entities may share a name the owner gave
    )
    lines = [f"**{short_vin(vin)}** · telematicData: {len(shown)}"]
    for label, value in shown[:SHOWN_VALUES]:
        unit = f" {value.unit}" if value.unit else ""
        lines.append(f"- {label}: {value.value}{unit}")
    if len(shown) > SHOWN_VALUES:
        lines.append(f"- … (+{len(shown) - SHOWN_VALUES})")
    return lines


def basic_lines(vin: str, basic: BasicData) -> list[str]:
    """One line of a vehicle's basic data: brand, model, year, drive."""
    facts = (
        " ".join(p for p in (basic.brand, basic.model_name) if p),
        str(basic.model_year) if basic.model_year else None,
        basic.series,
        basic.propulsion_type,
        basic.drive_train,
    )
    text = ", ".join(fact for fact in facts if fact) or "-"
    return [f"**{short_vin(vin)}** · basicData: {text}"]


def mapping_lines(mappings: Iterable[VehicleMapping]) -> list[str]:
    """One line per mapped vehicle: how, and since when, it is mapped."""
    return [
        f"**{short_vin(m.vin)}** · mappings: {m.mapping_type}"
        + (f" ({m.mapped_since.date().isoformat()})" if m.mapped_since else "")
        for m in mappings
    ]


def describe_error(err: CarDataError) -> str:
    """Return a short error text without anything secret (no BMW note)."""
    if isinstance(err, ApiError):
        return f"{err.error_id or type(err).__name__} (HTTP {err.status})"
    if isinstance(err, CarDataConnectionError):
        return "BMW unreachable"
    return type(err).__name__
