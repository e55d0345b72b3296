"""Pure prediction of a vehicle's charge level between the car's readings.

Nothing here imports Home Assistant or reads a clock: every input carries
BMW's timestamp and :meth:`VehiclePredictor.estimate` takes ``now``, so the
same code runs in the integration, in tests and in ``scripts/benchmark_soc.py``.

While charging, the level rises by the integrated charging power times the
vehicle's learned efficiency (AC and DC apart) over its usable capacity; it
stops at the target and at 100 %. While driving, it falls by the distance
times a rate in percent per kilometre (this trip's observed rate, else the
learned one, else the range the car showed, else the prior of the car's kind
from :mod:`.prior`, scaled to the trip's speed). Every real reading snaps the
prediction into the reading's rounding interval; a car that reports every
step of its level (one step from the last reading, none skipped in this
charge or drive) crossed into it since its last message: the estimate starts
in the half it came from (near the edge, unless the level moves more than
half a step between the car's messages) and stays within that interval until
the car says otherwise. BMW's odometer counts whole kilometres: between its
steps the car moves on at the trip's average speed. Without a basis the last
real reading is shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
import math
from typing import Any, Final

from ..const import LEARNING_EFFICIENCY_BOUNDS, LEARNING_MAX_WEIGHT
from .prior import PRIORS, DrivingPrior, classify
from .series import Series

DEFAULT_EFFICIENCY: Final = {"ac": 0.90, "dc": 0.95}
EFFICIENCY_BOUNDS: Final = LEARNING_EFFICIENCY_BOUNDS
"""Wide on purpose: a usable capacity that is a bit off is learned along."""
DRIVE_BOUNDS: Final = (0.05, 2.0)
"""Percent per kilometre (a small PHEV battery drains fast)."""
MIN_LEARN_PP: Final = 4.0
"""Smallest change of the level (percentage points) that teaches anything."""
FULL_WEIGHT_PP: Final = 20.0
"""A change this large counts as one whole session of evidence."""
MAX_WEIGHT: Final = LEARNING_MAX_WEIGHT
"""Evidence is capped, so the learned value still follows a changing car."""
OUTLIER: Final = 0.2
"""Relative deviation from a well-learned value that is ignored as an outlier."""
ODOMETER_STEP_KM: Final = 0.99
"""Farthest the car is taken to have moved past the odometer's reading."""
STEP_TOLERANCE: Final = 1e-6
"""How close a change of the level must be to one rounding step to be one."""
TRUSTED_WEIGHT: Final = 2.0
"""Evidence from which an observation far off the learned value is an outlier."""


class Basis(StrEnum):
    """What the shown charge level stands on."""

    MEASURED = "measured"
    CHARGING = "predicted_charging"
    DRIVING = "predicted_driving"


@dataclass(slots=True)
class Learned:
    """A learned value with the weight of evidence behind it."""

    value: float
    weight: float = 0.0
    bounds: tuple[float, float] = EFFICIENCY_BOUNDS

    def learn(self, observed: float, weight: float) -> bool:
        """Blend in one observation; return False when it was rejected."""
        low, high = self.bounds
        if not low <= observed <= high or weight <= 0:
            return False
        if (
            self.weight >= TRUSTED_WEIGHT
            and abs(observed - self.value) > OUTLIER * self.value
        ):
            return False
        held = min(self.weight, MAX_WEIGHT)
        self.value = (self.value * held + observed * weight) / (held + weight)
        self.weight = min(held + weight, MAX_WEIGHT)
        return True

    def blended(self, observed: float | None, weight: float) -> float:
        """The value with a running observation of this session blended in."""
        low, high = self.bounds
        if observed is None or weight <= 0 or not low <= observed <= high:
            return self.value
        held = max(self.weight, 0.5)
        return (self.value * held + observed * weight) / (held + weight)

    def rounded(self) -> tuple[float, float]:
        """Value and weight as stored."""
        return round(self.value, 5), round(self.weight, 3)

    def to_dict(self) -> dict[str, float]:
        """Stored form."""
        value, weight = self.rounded()
        return {"value": value, "weight": weight}

    @classmethod
    def load(cls, data: Any, default: float, bounds: tuple[float, float]) -> Learned:
        """Read the stored form (broken or out of bounds: the default)."""
        learned = cls(default, 0.0, bounds)
        if isinstance(data, dict):
            value, weight = data.get("value"), data.get("weight")
            if (
                isinstance(value, int | float)
                and isinstance(weight, int | float)
                and bounds[0] <= value <= bounds[1]
                and weight >= 0
            ):
                learned.value, learned.weight = float(value), min(weight, MAX_WEIGHT)
        return learned


@dataclass(slots=True)
class VehicleLearning:
    """What is learned about one vehicle (persisted by the integration)."""

    ac: Learned = field(default_factory=lambda: Learned(DEFAULT_EFFICIENCY["ac"]))
    dc: Learned = field(default_factory=lambda: Learned(DEFAULT_EFFICIENCY["dc"]))
    drive: Learned | None = None
    """Percent per kilometre; ``None`` until a trip taught it."""
    kind: str | None = None
    """Key of :data:`.prior.PRIORS` from the car's basic data, if it was read."""

    def efficiency(self, dc: bool) -> Learned:
        """The learned efficiency of one kind of charging."""
        return self.dc if dc else self.ac

    def stored(self) -> tuple[Any, ...]:
        """What :meth:`to_dict` stores, as a tuple: cheap to build and compare."""
        drive = self.drive.rounded() if self.drive else None
        return self.ac.rounded(), self.dc.rounded(), drive, self.kind

    def to_dict(self) -> dict[str, Any]:
        """Stored form."""
        return {
            "ac": self.ac.to_dict(),
            "dc": self.dc.to_dict(),
            "drive": self.drive.to_dict() if self.drive else None,
            "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, data: Any) -> VehicleLearning:
        """Read the stored form."""
        data = data if isinstance(data, dict) else {}
        drive = data.get("drive")
        kind = data.get("kind")
        return cls(
            ac=Learned.load(
                data.get("ac"), DEFAULT_EFFICIENCY["ac"], EFFICIENCY_BOUNDS
            ),
            dc=Learned.load(
                data.get("dc"), DEFAULT_EFFICIENCY["dc"], EFFICIENCY_BOUNDS
            ),
            drive=Learned.load(drive, 0.3, DRIVE_BOUNDS) if drive else None,
            kind=kind if kind in PRIORS else None,
        )


@dataclass(frozen=True, slots=True)
class Reading:
    """A real charge level reported by the car."""

    value: float
    at: datetime


def _half_step(value: float) -> float:
    """Half the rounding step of a reading (whole percent or one decimal)."""
    return 0.5 if float(value).is_integer() else 0.05


@dataclass(slots=True)
class _Session:
    """One charge, from the reading it started from."""

    start: Reading
    dc: bool
    observed: float | None = None
    weight: float = 0.0
    ended_at: datetime | None = None


@dataclass(slots=True)
class _Trip:
    """One drive, from the reading it started from."""

    start: Reading
    start_km: float
    observed: float | None = None
    weight: float = 0.0
    ended_at: datetime | None = None


class VehiclePredictor:
    """Charge level of one vehicle between its real readings."""

    def __init__(self, learning: VehicleLearning | None = None) -> None:
        """Start with nothing known but what was learned before."""
        self.learning = learning or VehicleLearning()
        self.capacity_kwh: float | None = None
        self.target: float | None = None
        self.last_reading: Reading | None = None
        self.anchor: Reading | None = None
        self.charging = False
        self.moving = False
        self.dc = False
        self.range_km: float | None = None
        self._power = Series()  # watts
        self._odometer = Series()  # km
        self._session: _Session | None = None
        self._trip: _Trip | None = None
        self._range_rate: float | None = None
        self._moving_since: datetime | None = None
        self._every_step = False
        self._steps_only = True
        """No reading of this charge or drive skipped a step."""
        """The last reading was one rounding step from the one before while
        charging or driving, and none of this charge or drive skipped one:
        the car reports every step as the level crosses into it."""

    # ----- inputs -----------------------------------------------------------

    def set_power(self, watts: float, at: datetime) -> None:
        """Charging power at the charging inlet."""
        self._power.add(at, max(float(watts), 0.0))

    def set_odometer(self, km: float, at: datetime) -> None:
        """The odometer reading."""
        self._odometer.add(at, float(km))

    def set_range(self, km: float) -> None:
        """The electric range the car shows (a driving basis of last resort)."""
        self.range_km = float(km) if km > 0 else None

    def set_charging(self, active: bool, at: datetime, *, dc: bool = False) -> None:
        """A charge started or ended (``dc``: direct current)."""
        if active and not self.charging:
            self._close_session()
            self._steps_only = True
            self.dc = dc
            if self.anchor is not None:
                self._session = _Session(self.anchor, dc)
        elif not active and self.charging:
            self.set_power(0.0, at)
            if self._session is not None:
                self._session.ended_at = at
        elif active:
            self.dc = dc
        self.charging = active

    def set_moving(self, moving: bool, at: datetime) -> None:
        """A drive started or ended."""
        if moving and not self.moving:
            self._close_trip()
            self._moving_since = at
            self._steps_only = True
            start_km = self._odometer.at(at)
            if self.anchor is not None and start_km is not None:
                self._trip = _Trip(self.anchor, start_km)
            if self.anchor is not None and self.range_km:
                self._range_rate = self.anchor.value / self.range_km
        elif not moving and self.moving and self._trip is not None:
            self._trip.ended_at = at
        self.moving = moving

    def add_reading(self, value: float, at: datetime) -> bool:
        """A real charge level; return False when it is older than the held one."""
        if self.anchor is not None and at < self.anchor.at:
            return False  # late: the prediction already moved past it
        reading = Reading(float(value), at)
        # Not held within the last reading's interval: a new one says it left.
        predicted, basis = self._raw(at, hold=False)
        previous, self.last_reading = self.last_reading, reading
        half = _half_step(reading.value)
        active = self.moving or self.charging
        change = abs(reading.value - previous.value) if previous else 0.0
        one_step = abs(change - 2 * half) < STEP_TOLERANCE
        if active and change > 2 * half + STEP_TOLERANCE:
            self._steps_only = False  # it skips steps: sent by the clock
        self._every_step = active and one_step and self._steps_only
        low, high = reading.value - half, reading.value + half
        if previous is not None and self._every_step:
            # BMW sends a level when it changes: one step from the last one
            # and no step skipped, it crossed into this step's interval since
            # the car's last message, so it is in the half it came from. When
            # it crossed is unknown: halfway between the model's own estimate
            # and the edge (just crossed), or the half's middle when the level
            # moved more than half a step since that message (a small battery
            # in town: it may have crossed anywhere since).
            edge = reading.value + math.copysign(half, previous.value - reading.value)
            low, high = min(edge, reading.value), max(edge, reading.value)
            moved = self._moved_since_message(previous.at, at)
            guess = (edge + reading.value) / 2 if moved > half else edge
            if predicted is None or basis is Basis.MEASURED:
                predicted = guess
            else:
                predicted = (guess + min(max(predicted, low), high)) / 2
        elif predicted is None or basis is Basis.MEASURED:
            predicted = reading.value
        anchor_value = min(max(predicted, low), high)
        self.anchor = Reading(anchor_value, at)
        self._learn_charge(reading)
        self._learn_drive(reading)
        if self._session is None and self.charging:
            self._session = _Session(reading, self.dc)
        if self._trip is None and self.moving:
            start_km = self._odometer.at(at)
            if start_km is not None:
                self._trip = _Trip(reading, start_km)
        return True

    # ----- learning ---------------------------------------------------------

    def _learn_charge(self, reading: Reading) -> None:
        session = self._session
        if session is None or self.capacity_kwh is None:
            return
        rise = reading.value - session.start.value
        energy = self._power.integral_hours(session.start.at, reading.at) / 1000
        if rise >= MIN_LEARN_PP and energy > 0:
            session.observed = rise / 100 * self.capacity_kwh / energy
            session.weight = rise / FULL_WEIGHT_PP
        if session.ended_at is not None and reading.at >= session.ended_at:
            self._close_session()

    def _close_session(self) -> None:
        session, self._session = self._session, None
        if session is not None and session.observed is not None:
            self.learning.efficiency(session.dc).learn(
                session.observed, min(session.weight, TRUSTED_WEIGHT)
            )

    def _learn_drive(self, reading: Reading) -> None:
        trip = self._trip
        if trip is None:
            return
        km_now = self._odometer.at(reading.at)
        if km_now is None:
            return
        drop = trip.start.value - reading.value
        km = km_now - trip.start_km
        if drop >= MIN_LEARN_PP / 2 and km > 0:
            trip.observed = drop / km
            trip.weight = drop / FULL_WEIGHT_PP
        if trip.ended_at is not None and reading.at >= trip.ended_at:
            self._close_trip()

    def _close_trip(self) -> None:
        trip, self._trip = self._trip, None
        if trip is None or trip.observed is None:
            return
        if self.learning.drive is None:
            self.learning.drive = Learned(trip.observed, 0.0, DRIVE_BOUNDS)
        self.learning.drive.learn(trip.observed, min(trip.weight, TRUSTED_WEIGHT))

    def reset_learning(self) -> None:
        """Forget what was learned (the running session teaches nothing either).

        The car's kind stays: it is what the car is, not what it taught.
        """
        self.learning = VehicleLearning(kind=self.learning.kind)
        if self._session is not None:
            self._session.observed = None
        if self._trip is not None:
            self._trip.observed = None

    # ----- output -----------------------------------------------------------

    def efficiency(self) -> float:
        """Efficiency used now: the learned one, this session's blended in."""
        learned = self.learning.efficiency(self.dc)
        session = self._session
        if session is None or session.dc != self.dc:
            return learned.value
        return learned.blended(session.observed, session.weight)

    def set_kind(self, model_name: str | None, drive_train: str | None) -> None:
        """What basic data says the car is (picks its driving prior)."""
        self.learning.kind = classify(model_name, drive_train, self.capacity_kwh)

    def prior(self) -> DrivingPrior | None:
        """The driving prior of the car's kind (from its battery without basic data)."""
        kind = self.learning.kind or classify(None, None, self.capacity_kwh)
        return PRIORS[kind] if kind is not None else None

    def drive_rate(self, now: datetime | None = None) -> float | None:
        """Percent per kilometre used now, or ``None`` without a basis.

        The car's own figures first (learned, this trip's), then the range it
        showed when the trip began, then the prior of its kind at the trip's
        average speed so far (up to ``now``).
        """
        trip = self._trip
        learned = self.learning.drive
        observed = trip.observed if trip is not None else None
        weight = trip.weight if trip is not None else 0.0
        if learned is not None:
            return learned.blended(observed, weight)
        if observed is not None:
            return observed
        if self._range_rate is not None:
            return self._range_rate
        prior = self.prior()
        if prior is None:
            return None
        capacity = self.capacity_kwh or prior.usable_kwh
        return prior.kwh_per_km(self._speed(now)) / capacity * 100

    def _speed(self, now: datetime | None) -> float | None:
        """Average speed of the running trip in km/h, once it is measurable."""
        since = self._moving_since
        if now is None or since is None or not self.moving:
            return None
        start_km, km_now = self._odometer.at(since), self._odometer.at(now)
        hours = (now - since).total_seconds() / 3600
        if start_km is None or km_now is None or km_now - start_km < 1 or hours <= 0:
            return None
        return (km_now - start_km) / hours

    def _km(self, at: datetime) -> float | None:
        """The distance travelled at ``at``.

        BMW's odometer counts whole kilometres: while the car drives, it has
        moved on since the odometer's last step at the trip's average speed
        (never a whole step: the odometer would have said).
        """
        sample = self._odometer.sample(at)
        since = self._moving_since
        speed = self._speed(at)
        if sample is None or since is None or speed is None:
            return sample[1] if sample else None
        stepped, km = sample
        hours = (at - max(stepped, since)).total_seconds() / 3600
        return km + min(speed * hours, ODOMETER_STEP_KM)

    def estimate(self, now: datetime) -> tuple[float | None, Basis]:
        """The charge level to show at ``now`` and what it stands on."""
        value, basis = self._raw(now)
        if value is None:
            return None, Basis.MEASURED
        return round(min(max(value, 0.0), 100.0), 2), basis

    def _raw(self, now: datetime, *, hold: bool = True) -> tuple[float | None, Basis]:
        anchor = self.anchor
        if anchor is None:
            return None, Basis.MEASURED
        if self.capacity_kwh and self._power.points:
            energy = self._power.integral_hours(anchor.at, now) / 1000
            if energy > 0:
                rise = self.efficiency() * energy / self.capacity_kwh * 100
                ceiling = max(min(self.target or 100.0, 100.0), anchor.value)
                value = min(anchor.value + rise, ceiling)
                return self._held(value) if hold else value, Basis.CHARGING
        rate = self.drive_rate(now)
        start_km = self._km(anchor.at)
        km_now = self._km(now)
        if rate is not None and start_km is not None and km_now is not None:
            km = km_now - start_km
            if km > 0:
                value = max(anchor.value - km * rate, 0.0)
                return self._held(value) if hold else value, Basis.DRIVING
        return anchor.value, Basis.MEASURED

    def _moved_since_message(self, since: datetime, at: datetime) -> float:
        """How far a drive moved the level since the car's last message before ``at``.

        That message is the reading ``since``, the drive's start or a later
        step of the odometer (none came with a new level); a charge's power is
        sent only when it changes, so it tells nothing of the car's messages
        in between: 0.
        """
        rate, speed = self.drive_rate(at), self._speed(at)
        if self.charging or rate is None or speed is None:
            return 0.0
        last = max(since, self._moving_since or since)
        if (stepped := self._odometer.sample(at - timedelta.resolution)) is not None:
            last = max(last, stepped[0])
        return rate * speed * (at - last).total_seconds() / 3600

    def _held(self, value: float) -> float:
        """``value`` kept within the last reading's interval.

        Only while the car reports every step: the level has not left the
        interval, or the car would have said so.
        """
        last = self.last_reading
        if not self._every_step or last is None:
            return value
        half = _half_step(last.value)
        return min(max(value, last.value - half), last.value + half)
