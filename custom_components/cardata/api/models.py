"""Typed models of the CarData REST answers, parsed defensively.

Every ``from_dict`` ignores unknown fields and turns values of the wrong type
into ``None`` rather than raising.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import math
import re
from typing import Any, overload

_OFFSET_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")
_MAX_TIMESTAMP_LEN = 64


def parse_timestamp(value: Any) -> datetime | None:
    """Parse BMW's timestamp spellings into an aware UTC datetime.

    Accepts ``2025-07-28T05:16:53.000Z``, ``...53Z``, ``...53+0000``,
    ``...53+00:00`` and epoch seconds or milliseconds as numbers. Anything
    else yields ``None``; never raises.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str) or not value or len(value) > _MAX_TIMESTAMP_LEN:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    else:
        text = _OFFSET_NO_COLON.sub(r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError, ValueError:
        return None


@overload
def format_timestamp(value: datetime, *, for_bmw: bool = False) -> str: ...
@overload
def format_timestamp(value: None, *, for_bmw: bool = False) -> None: ...
@overload
def format_timestamp(
    value: datetime | None, *, for_bmw: bool = False
) -> str | None: ...
def format_timestamp(value: datetime | None, *, for_bmw: bool = False) -> str | None:
    """Return ``value`` as ISO 8601 text; ``None`` stays ``None``.

    Args:
        value: the time; written with its own offset (``isoformat``).
        for_bmw: the spelling BMW's query parameters take instead:
            ``2025-07-28T05:16:53.000Z``, in UTC (a naive time counts as UTC).

    """
    if value is None:
        return None
    if not for_bmw:
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _from_epoch(seconds: float) -> datetime | None:
    if not math.isfinite(seconds) or seconds < 0:
        return None
    if seconds > 1e11:  # milliseconds  # noqa: PLR2004
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except OverflowError, OSError, ValueError:
        return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _str_tuple(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(item for item in value if isinstance(item, str))


@dataclass(frozen=True, slots=True)
class VehicleMapping:
    """A vehicle mapped to the account."""

    vin: str
    mapped_since: datetime | None
    mapping_type: str

    @property
    def is_primary(self) -> bool:
        """Return whether the account is the vehicle's primary user."""
        return self.mapping_type.upper() == "PRIMARY"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VehicleMapping | None:
        """Parse one mapping entry; ``None`` when it has no VIN."""
        vin = _str(data.get("vin"))
        if vin is None:
            return None
        return cls(
            vin=vin.strip().upper(),
            mapped_since=parse_timestamp(data.get("mappedSince")),
            mapping_type=_str(data.get("mappingType")) or "UNKNOWN",
        )


@dataclass(frozen=True, slots=True)
class BasicData:
    """Static facts about a vehicle (basicData endpoint).

    Fields can contradict each other (a petrol car reported with propulsion
    type ``BE``); do not decide the drive type from one field alone.
    """

    vin: str | None = None
    brand: str | None = None
    model_name: str | None = None
    model_range: str | None = None
    model_key: str | None = None
    series: str | None = None
    body_type: str | None = None
    construction_date: datetime | None = None
    model_year: int | None = None
    propulsion_type: str | None = None
    drive_train: str | None = None
    engine: str | None = None
    charging_modes: tuple[str, ...] = ()
    hvs_max_energy_kwh: float | None = None
    head_unit: str | None = None
    pu_step: str | None = None
    has_navi: bool | None = None
    has_sun_roof: bool | None = None
    number_of_doors: int | None = None
    steering: str | None = None
    colour_code: str | None = None
    country_code: str | None = None
    sim_status: str | None = None
    is_telematics_capable: bool | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BasicData:
        """Parse a basicData answer."""
        construction = parse_timestamp(data.get("constructionDate"))
        model_year = _int(data.get("modelYear"))
        return cls(
            vin=_str(data.get("vin")),
            brand=_str(data.get("brand")),
            model_name=_str(data.get("modelName")),
            model_range=_str(data.get("modelRange")),
            model_key=_str(data.get("modelKey")),
            series=_str(data.get("series")),
            body_type=_str(data.get("bodyType")),
            construction_date=construction,
            model_year=model_year,
            propulsion_type=_str(data.get("propulsionType")),
            drive_train=_str(data.get("driveTrain")),
            engine=_str(data.get("engine")),
            charging_modes=_str_tuple(data.get("chargingModes")),
            hvs_max_energy_kwh=_float(data.get("hvsMaxEnergyAbsolute")),
            head_unit=_str(data.get("headUnit")),
            pu_step=_str(data.get("puStep")),
            has_navi=_bool(data.get("hasNavi")),
            has_sun_roof=_bool(data.get("hasSunRoof")),
            number_of_doors=_int(data.get("numberOfDoors")),
            steering=_str(data.get("steering")),
            # Real answers spell these colourCodeRaw / countryCode.
            colour_code=_str(data.get("colourCode") or data.get("colourCodeRaw")),
            country_code=_str(data.get("countryCodeISO") or data.get("countryCode")),
            sim_status=_str(data.get("simStatus")),
            is_telematics_capable=_bool(data.get("isTelematicsCapable")),
            raw=dict(data),
        )


@dataclass(frozen=True, slots=True)
class Container:
    """A telematic data container."""

    container_id: str
    name: str | None
    purpose: str | None
    state: str | None
    created: datetime | None
    descriptors: tuple[str, ...] = ()

    @property
    def is_active(self) -> bool:
        """Return whether data can be read through this container."""
        return (self.state or "").upper() == "ACTIVE"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Container | None:
        """Parse a container; ``None`` when it has no id."""
        container_id = _str(data.get("containerId"))
        if container_id is None:
            return None
        return cls(
            container_id=container_id,
            name=_str(data.get("name")),
            purpose=_str(data.get("purpose")),
            state=_str(data.get("state")),
            created=parse_timestamp(data.get("created")),
            descriptors=_str_tuple(data.get("technicalDescriptors")),
        )


@dataclass(frozen=True, slots=True)
class TelematicValue:
    """One descriptor value read over REST (values arrive as strings).

    A list or an object (the check-control messages) is kept as its JSON
    text; what reads it parses that text.
    """

    value: str | None
    unit: str | None
    timestamp: datetime | None

    @classmethod
    def from_dict(cls, data: Any) -> TelematicValue:
        """Parse one telematicData entry; anything unusable becomes ``None``."""
        if not isinstance(data, Mapping):
            return cls(None, None, None)
        raw = data.get("value")
        value: str | None
        if isinstance(raw, bool):
            value = "true" if raw else "false"
        elif isinstance(raw, int | float):
            value = str(raw)
        elif isinstance(raw, list | dict):
            value = json.dumps(raw, separators=(",", ":"))
        else:
            value = raw if isinstance(raw, str) else None
        return cls(
            value, _str(data.get("unit")), parse_timestamp(data.get("timestamp"))
        )
