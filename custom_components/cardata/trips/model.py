"""A trip, a trip in progress and their stored form (pure; no Home Assistant).

Everything is kept in metric units (km, kWh, litres) with BMW's times; the
owner's units are applied when a trip is shown (:mod:`.figures`).
Coordinates are kept only when the owner allows it; zone names always.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.util import dt as dt_util

type Position = tuple[float, float]

RETENTION: Final = timedelta(days=800)
"""Trips are kept at least this long (a little over two years) ..."""
MAX_TRIPS: Final = 10_000
"""... and at most this many per vehicle (about 13 trips a day for two years)."""

MILEAGE: Final = "mileage"
PATH: Final = "path"


@dataclass(slots=True)
class OpenTrip:
    """A trip in progress: what it started with and the path so far."""

    start: datetime
    start_odometer_km: float | None = None
    start_soc: float | None = None
    start_fuel_l: float | None = None
    start_zone: str | None = None
    start_position: Position | None = None
    path_km: float = 0.0
    last_position: Position | None = None
    last_move: datetime | None = None
    """BMW's time of the last sign of movement (the gap rule's clock)."""

    def to_dict(self, *, positions: bool) -> dict[str, Any]:
        """Stored form; coordinates only with ``positions``."""
        data: dict[str, Any] = {
            "start": self.start.isoformat(),
            "start_odometer_km": self.start_odometer_km,
            "start_soc": self.start_soc,
            "start_fuel_l": self.start_fuel_l,
            "start_zone": self.start_zone,
            "path_km": self.path_km,
            "last_move": self.last_move.isoformat() if self.last_move else None,
        }
        if positions:
            data["start_position"] = self.start_position
            data["last_position"] = self.last_position
        return data

    @classmethod
    def from_dict(cls, data: object) -> OpenTrip | None:
        """Read a stored trip in progress; None when it is unreadable."""
        if not isinstance(data, dict) or (start := _time(data.get("start"))) is None:
            return None
        return cls(
            start=start,
            start_odometer_km=_float(data.get("start_odometer_km")),
            start_soc=_float(data.get("start_soc")),
            start_fuel_l=_float(data.get("start_fuel_l")),
            start_zone=_text(data.get("start_zone")),
            start_position=_position(data.get("start_position")),
            path_km=_float(data.get("path_km")) or 0.0,
            last_position=_position(data.get("last_position")),
            last_move=_time(data.get("last_move")),
        )


@dataclass(frozen=True, slots=True)
class Trip:
    """One finished trip."""

    start: datetime
    end: datetime
    distance_km: float
    distance_from: str
    """``mileage`` (the odometer's difference) or ``path`` (from positions)."""
    energy_kwh: float | None = None
    fuel_l: float | None = None
    start_zone: str | None = None
    end_zone: str | None = None
    at_home: bool = False
    """The trip ended in Home Assistant's home zone."""
    range_km: float | None = None
    """The remaining range the car showed when the trip ended."""
    start_position: Position | None = None
    end_position: Position | None = None

    @property
    def duration(self) -> timedelta:
        """How long the trip took."""
        return self.end - self.start

    def to_dict(self, *, places: bool = True) -> dict[str, Any]:
        """Stored form (metric); without zones and coordinates unless ``places``."""
        data: dict[str, Any] = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "distance_km": round(self.distance_km, 3),
            "distance_from": self.distance_from,
            "energy_kwh": _round(self.energy_kwh, 3),
            "fuel_l": _round(self.fuel_l, 3),
            "range_km": _round(self.range_km, 1),
        }
        if places:
            data |= self.places()
        return data

    @classmethod
    def from_dict(cls, data: object) -> Trip | None:
        """Read a stored trip; None when it is unreadable."""
        if not isinstance(data, dict):
            return None
        start, end = _time(data.get("start")), _time(data.get("end"))
        distance = _float(data.get("distance_km"))
        if start is None or end is None or distance is None:
            return None
        return cls(
            start=start,
            end=end,
            distance_km=distance,
            distance_from=PATH if data.get("distance_from") == PATH else MILEAGE,
            energy_kwh=_float(data.get("energy_kwh")),
            fuel_l=_float(data.get("fuel_l")),
            start_zone=_text(data.get("start_zone")),
            end_zone=_text(data.get("end_zone")),
            at_home=data.get("at_home") is True,
            range_km=_float(data.get("range_km")),
            start_position=_position(data.get("start_position")),
            end_position=_position(data.get("end_position")),
        )

    def places(self) -> dict[str, Any]:
        """Zones, whether it ended at home, and coordinates when kept."""
        data: dict[str, Any] = {
            "start_zone": self.start_zone,
            "end_zone": self.end_zone,
            "at_home": self.at_home,
        }
        if self.start_position is not None or self.end_position is not None:
            data["start_position"] = self.start_position
            data["end_position"] = self.end_position
        return data

    def without_positions(self) -> Trip:
        """The same trip without coordinates."""
        return replace(self, start_position=None, end_position=None)


@dataclass(slots=True)
class Journal:
    """One vehicle's trips, oldest first, and the trip in progress."""

    trips: list[Trip] = field(default_factory=list)
    open: OpenTrip | None = None

    def add(self, trip: Trip, now: datetime) -> None:
        """Add a finished trip; drop what is past the bounds."""
        self.trips.append(trip)
        self.trips.sort(key=lambda item: item.start)
        self.prune(now)

    def prune(self, now: datetime) -> None:
        """Keep :data:`RETENTION` and at most :data:`MAX_TRIPS`."""
        oldest = now - RETENTION
        trips = [trip for trip in self.trips if trip.end >= oldest]
        self.trips = trips[-MAX_TRIPS:]

    def between(self, start: datetime | None, end: datetime | None) -> list[Trip]:
        """Trips that started in ``[start, end)`` (open bounds: all)."""
        return [
            trip
            for trip in self.trips
            if (start is None or trip.start >= start)
            and (end is None or trip.start < end)
        ]


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    parsed = dt_util.parse_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed


def _position(value: object) -> Position | None:
    if not isinstance(value, list | tuple) or len(value) != 2:  # noqa: PLR2004
        return None
    lat, lon = _float(value[0]), _float(value[1])
    if lat is None or lon is None:
        return None
    return (lat, lon)
