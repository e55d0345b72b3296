"""One charging session and its stored form (pure; no Home Assistant).

A session is first *provisional*: what the stream told (start and end time,
charge levels, place, an energy from integrated charging power or from the
charge level change x the battery's capacity). BMW's charging history may
later *confirm* it with its grid energy and charging blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

GRID_FACTOR: Final = 1.1
"""Grid energy per kWh that reached the battery on AC (losses about 9 %)."""
GRID_FACTOR_DC: Final = 1.05
"""The same on DC (the station converts; the car loses less)."""


BLOCK_FIELDS: Final = 3
"""A stored block: start, end, kW."""


class SessionClass(StrEnum):
    """Where a session charged, for the owner's account."""

    HOME = "home"
    ELSEWHERE = "elsewhere"


class Source(StrEnum):
    """Where a session's energy figure came from."""

    POWER = "power"
    """Integrated charging power from the stream."""
    LEVEL = "level"
    """Charge level change x battery capacity."""
    BMW = "bmw"
    """BMW's grid energy from the charging history."""
    NONE = "none"
    """No figure yet."""


@dataclass(frozen=True, slots=True)
class Block:
    """A stretch of a session with its average grid power (BMW's, else ours)."""

    start: datetime
    end: datetime
    kw: float

    @property
    def kwh(self) -> float:
        """Energy drawn in this block."""
        return self.kw * max(0.0, (self.end - self.start).total_seconds()) / 3600


@dataclass(frozen=True, slots=True)
class Session:
    """One charging session of one vehicle (see the module docstring)."""

    start: datetime
    end: datetime | None = None
    start_level: float | None = None
    end_level: float | None = None
    latitude: float | None = None
    longitude: float | None = None
    energy_kwh: float | None = None
    source: Source = Source.NONE
    blocks: tuple[Block, ...] = ()
    public: bool = False
    """BMW matched a public charging point."""
    owner_class: SessionClass | None = None
    """The owner's correction; it beats any rule."""
    auto_class: SessionClass | None = None
    address: str | None = None

    @property
    def key(self) -> str:
        """The session's id: its start, in UTC to the second."""
        return self.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    @property
    def session_class(self) -> SessionClass | None:
        """Home or elsewhere: the owner's word, else the rule's."""
        return self.owner_class or self.auto_class

    @property
    def confirmed(self) -> bool:
        """Whether BMW's history gave the energy."""
        return self.source is Source.BMW

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to end (None while it runs)."""
        if self.end is None:
            return None
        return max(0.0, (self.end - self.start).total_seconds())

    def with_changes(self, **changes: Any) -> Session:
        """A copy with ``changes``."""
        return replace(self, **changes)

    def to_dict(self, *, places: bool = True) -> dict[str, Any]:
        """The stored (or shown) form; ``places=False`` leaves every place out."""
        data: dict[str, Any] = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "start_level": self.start_level,
            "end_level": self.end_level,
            "energy_kwh": self.energy_kwh,
            "source": self.source.value,
            "blocks": [
                [b.start.isoformat(), b.end.isoformat(), b.kw] for b in self.blocks
            ],
            "public": self.public,
            "owner_class": self.owner_class,
            "auto_class": self.auto_class,
        }
        if places:
            data |= {
                "latitude": self.latitude,
                "longitude": self.longitude,
                "address": self.address,
            }
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Session | None:
        """A session from its stored form; None when it does not read."""
        if not isinstance(data, dict):
            return None
        start = stored_time(data.get("start"))
        if start is None:
            return None
        blocks = [
            Block(b_start, b_end, kw)
            for row in data.get("blocks") or ()
            if isinstance(row, list)
            and len(row) == BLOCK_FIELDS
            and (b_start := stored_time(row[0])) is not None
            and (b_end := stored_time(row[1])) is not None
            and (kw := stored_number(row[2])) is not None
        ]
        return cls(
            start=start,
            end=stored_time(data.get("end")),
            start_level=stored_number(data.get("start_level")),
            end_level=stored_number(data.get("end_level")),
            latitude=stored_number(data.get("latitude")),
            longitude=stored_number(data.get("longitude")),
            energy_kwh=stored_number(data.get("energy_kwh")),
            source=_enum(Source, data.get("source")) or Source.NONE,
            blocks=tuple(blocks),
            public=data.get("public") is True,
            owner_class=_enum(SessionClass, data.get("owner_class")),
            auto_class=_enum(SessionClass, data.get("auto_class")),
            address=a if isinstance(a := data.get("address"), str) else None,
        )


def stored_time(value: Any) -> datetime | None:
    """A time the store wrote (ISO 8601 with its zone), else None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def stored_number(value: Any) -> float | None:
    """A number the store wrote, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _enum[E: StrEnum](kind: type[E], value: Any) -> E | None:
    try:
        return kind(value) if isinstance(value, str) else None
    except ValueError:
        return None
