"""Time-stamped samples of one quantity, read as a step function (pure)."""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime
from typing import Final

MAX_SAMPLES: Final = 2000
"""Newest samples a series keeps when it trims its oldest."""
TRIM_STEP: Final = 250
"""A series trims once it holds this many more than :data:`MAX_SAMPLES`, not
with every sample (each trim moves every sample it keeps)."""


class Series:
    """Time-stamped samples of one quantity, read as a step function.

    Reading costs a bisection, not a scan: ``at`` looks the moment up in the
    sorted times, and ``integral_hours`` subtracts two running sums (the
    integral from the first sample to each sample). A sample that arrives in
    order, as the stream delivers them, costs one append; one that arrives
    late re-sums only the samples after it. Past :data:`MAX_SAMPLES` the
    oldest go :data:`TRIM_STEP` at a time.
    """

    def __init__(self) -> None:
        """Start empty."""
        self.points: list[tuple[datetime, float]] = []
        self._times: list[datetime] = []
        self._sums: list[float] = []
        """Value-seconds from the first sample up to each sample."""

    def add(self, at: datetime, value: float) -> None:
        """One sample (in any order)."""
        points = self.points
        index = bisect_right(points, (at, value))
        points.insert(index, (at, value))
        self._times.insert(index, at)
        self._sums.insert(index, 0.0)
        self._resum(index)
        if len(points) >= MAX_SAMPLES + TRIM_STEP:
            cut = len(points) - MAX_SAMPLES
            del points[:cut], self._times[:cut], self._sums[:cut]

    def _resum(self, start: int) -> None:
        """Recompute the running sums from ``start`` to the end."""
        points, sums = self.points, self._sums
        if start == 0:
            sums[0] = 0.0
            start = 1
        for i in range(start, len(points)):
            (before, level), (when, _value) = points[i - 1], points[i]
            sums[i] = sums[i - 1] + level * (when - before).total_seconds()

    def at(self, moment: datetime) -> float | None:
        """The value held at ``moment`` (the latest sample not after it)."""
        index = bisect_right(self._times, moment) - 1
        return self.points[index][1] if index >= 0 else None

    def sample(self, moment: datetime) -> tuple[datetime, float] | None:
        """The latest sample not after ``moment``, with its time."""
        index = bisect_right(self._times, moment) - 1
        return self.points[index] if index >= 0 else None

    def _running(self, moment: datetime) -> float:
        """Value-seconds from the first sample up to ``moment`` (0 before it)."""
        index = bisect_right(self._times, moment) - 1
        if index < 0:
            return self._sums[0] if self._sums else 0.0
        when, level = self.points[index]
        return self._sums[index] + level * (moment - when).total_seconds()

    def integral_hours(self, start: datetime, end: datetime) -> float:
        """Integral of the step function from ``start`` to ``end`` in value-hours."""
        if end <= start:
            return 0.0
        return (self._running(end) - self._running(start)) / 3600
