"""The usable battery capacity measured from charging sessions (pure).

One session measures the capacity as the energy that reached the battery
over the share of the battery it filled: grid energy x charging efficiency
/ (charge level change / 100). Only sessions whose grid energy was measured
count: BMW's (the charging history) or the stream's integrated charging
power; a provisional energy made from the charge level change x the
configured capacity would only give that capacity back. The charge level
must have moved at least :data:`MIN_LEVEL_CHANGE` points: over a few points
the whole-percent rounding of the levels outweighs the rest.

The efficiency is the prediction's starting value for AC and DC (its
learned one is fitted against the configured capacity, so it would carry
that capacity's error in). A session is taken for DC when any block drew
more than AC charging can (:data:`AC_MAX_KW`).

The estimate is the median of the newest :data:`KEPT_SESSIONS` usable
sessions (one odd session, a cold battery or a missed level, does not move
it), with a 95 % interval from their spread (median absolute deviation,
the median's standard error); it needs :data:`MIN_SESSIONS` of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
import math
from statistics import median
from typing import Final

from ..ledger.model import Session, Source
from ..prediction.inputs import usable_capacity
from ..prediction.model import DEFAULT_EFFICIENCY

MIN_LEVEL_CHANGE: Final = 20.0
"""Charge level points a session must add to count."""
MIN_SESSIONS: Final = 3
"""Usable sessions the estimate needs."""
KEPT_SESSIONS: Final = 20
"""The newest usable sessions the estimate is made of (it follows ageing)."""
AC_MAX_KW: Final = 22.0
"""The most AC charging draws (three phases, 32 A); above it the car was on DC."""
MEASURED: Final = frozenset({Source.BMW, Source.POWER})
"""Sources whose energy was measured, not made from the capacity."""
Z_95: Final = 1.96
MAD_SIGMA: Final = 1.4826
"""Median absolute deviation to standard deviation (normal spread)."""
MEDIAN_SE: Final = math.sqrt(math.pi / 2)
"""The median's standard error over the mean's (normal spread)."""


@dataclass(frozen=True, slots=True)
class CapacityEstimate:
    """The measured usable capacity, its 95 % interval and its sessions."""

    kwh: float
    low: float
    high: float
    sessions: int


def is_dc(session: Session) -> bool:
    """Whether the session charged on DC (a block above AC's most)."""
    return any(block.kw > AC_MAX_KW for block in session.blocks)


def session_capacity(session: Session) -> float | None:
    """The capacity one session measures in kWh; None when it cannot tell."""
    start, end, energy = session.start_level, session.end_level, session.energy_kwh
    if (
        session.source not in MEASURED
        or start is None
        or end is None
        or energy is None
        or end - start < MIN_LEVEL_CHANGE
    ):
        return None
    efficiency = DEFAULT_EFFICIENCY["dc" if is_dc(session) else "ac"]
    return usable_capacity(energy * efficiency / ((end - start) / 100))


def measured_sessions(sessions: Iterable[Session]) -> list[float]:
    """What the newest usable sessions (given oldest first) measure, in kWh."""
    return [
        kwh for session in sessions if (kwh := session_capacity(session)) is not None
    ][-KEPT_SESSIONS:]


def estimate(sessions: Iterable[Session]) -> CapacityEstimate | None:
    """The capacity the sessions (oldest first) measure; None with too few."""
    return estimate_measured(measured_sessions(sessions))


def estimate_measured(measured: list[float]) -> CapacityEstimate | None:
    """The estimate of what :func:`measured_sessions` gave; None with too few."""
    count = len(measured)
    if count < MIN_SESSIONS:
        return None
    centre = median(measured)
    spread = MAD_SIGMA * median(abs(kwh - centre) for kwh in measured)
    half = Z_95 * MEDIAN_SE * spread / math.sqrt(count)
    return CapacityEstimate(
        kwh=round(centre, 2),
        low=round(centre - half, 2),
        high=round(centre + half, 2),
        sessions=count,
    )
