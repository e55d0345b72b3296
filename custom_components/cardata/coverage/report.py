"""The coverage report of one car, and the fields the core roles need.

Pure: no Home Assistant here. A car's fields fall in one column each:

- ``stream``: seen on the stream (whatever else brought them too);
- ``rest_only``: seen only in a telematic container read;
- ``never_arrived``: the integration's container asks for them, nothing
  brought a value.

``not_streamed`` lists the catalogue's fields BMW does not stream at all
(:data:`..catalogue.streaming.NOT_STREAMED`); they can only be in
``rest_only`` or ``never_arrived``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ..api import format_timestamp
from ..catalogue.charging import CHARGE_STATUS, HV_STATUS, SOC_SOURCES
from ..catalogue.overrides import TRACKER_ROLES
from ..catalogue.streaming import NOT_STREAMED
from ..prediction.inputs import RANGES

CORE_ROLES: Final[dict[str, tuple[str, ...]]] = {
    "charge_level": SOC_SOURCES,
    "range": RANGES,
    "charging_status": (HV_STATUS, CHARGE_STATUS),
    "position": tuple(
        name
        for name, role in TRACKER_ROLES.items()
        if role in ("latitude", "longitude")
    ),
}
"""The fields the core roles read, taken from the code that reads them: the
charge level (:mod:`..catalogue.charging`, best first), the electric range
(:mod:`..prediction.inputs`), the charging rule's status fields and the
tracker's position (:mod:`..catalogue.overrides`)."""
CORE_FIELDS: Final = frozenset(name for names in CORE_ROLES.values() for name in names)
COLUMNS: Final = ("stream", "rest_only", "never_arrived", "not_streamed")


def lacking(answer_keys: Collection[str]) -> list[str]:
    """The core fields a container's answer does not hold (sorted).

    BMW answers every field of the container, ``null`` where the car has no
    value, so the answer's keys are what the container holds.
    """
    return sorted(CORE_FIELDS.difference(answer_keys)) if answer_keys else []


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """Which fields of one car arrived, and how."""

    stream: tuple[str, ...]
    rest_only: tuple[str, ...]
    never_arrived: tuple[str, ...]
    not_streamed: tuple[str, ...]
    read_at: datetime | None
    """When a container read last answered for the car."""

    @classmethod
    def build(
        cls,
        streamed: Iterable[str],
        read: Iterable[str],
        asked: Iterable[str],
        read_at: datetime | None,
    ) -> CoverageReport:
        """Sort the fields into their columns (see the module docstring)."""
        stream = set(streamed)
        rest_only = set(read) - stream
        never = set(asked) - stream - rest_only
        return cls(
            tuple(sorted(stream)),
            tuple(sorted(rest_only)),
            tuple(sorted(never)),
            tuple(sorted(NOT_STREAMED)),
            read_at,
        )

    @property
    def received(self) -> int:
        """How many fields arrived at all."""
        return len(self.stream) + len(self.rest_only)

    def counts(self) -> dict[str, int]:
        """The number of fields per column."""
        return {column: len(self.column(column)) for column in COLUMNS}

    def column(self, name: str) -> tuple[str, ...]:
        """The fields of one column (one of :data:`COLUMNS`)."""
        columns = {
            "stream": self.stream,
            "rest_only": self.rest_only,
            "never_arrived": self.never_arrived,
            "not_streamed": self.not_streamed,
        }
        return columns[name]

    def diagnostics(self) -> dict[str, Any]:
        """Counts and names per column; no value, no VIN."""
        return {
            "received": self.received,
            "counts": self.counts(),
            "last_container_read": format_timestamp(self.read_at),
            **{column: list(self.column(column)) for column in COLUMNS},
        }
