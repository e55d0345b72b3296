"""When a trip starts and ends, from the values a car sends (pure).

The hub reads a :class:`Reading` of the car's held values after each batch
that brought news of a trip input and hands it to the vehicle's
:class:`TripDetector`, which answers with the transitions it caused.

Two ways to tell a drive:

- **Motion**: the car sends ``vehicle.isMoving`` (else the ignition). A trip
  starts when it turns to moving and ends when it turns back, at BMW's time
  of those values. The same value again (a resend, a restored value) is no
  transition. The rule reading a motion value is the prediction's
  (:func:`..prediction.inputs.is_moving`).
- **Gap**: a car that sends neither. A sign of movement is a higher odometer
  or a position at least :data:`MOVE_M` away from where the car was last
  counted; the first sign starts a trip, and the trip ends at its last sign
  once :data:`GAP` passes without another (the hub's timer, or the next sign
  coming later than that, which also starts the next trip). A car that sends
  only its position is followed this way.

Restored values only set the starting point: the first reading is never
compared with anything, so a restart starts and ends no trip. A trip in
progress before a restart is resumed and ends once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from homeassistant.util.location import distance

from .model import MILEAGE, PATH, OpenTrip, Position, Trip

GAP: Final = timedelta(minutes=5)
"""Without a sign of movement for this long, a gap-ruled trip has ended."""
MOVE_M: Final = 200.0
"""Metres a position must be from the last counted one to be movement (GPS
jitter of a parked car and a position flipping between two fixes stay below)."""
ODOMETER_STEP_KM: Final = 0.05


@dataclass(frozen=True, slots=True)
class Reading:
    """What a car's held values say after one batch (all metric)."""

    motion: bool | None = None
    """Moving by ``vehicle.isMoving`` (else the ignition); None: neither sent."""
    motion_at: datetime | None = None
    odometer_km: float | None = None
    odometer_at: datetime | None = None
    position: Position | None = None
    position_at: datetime | None = None
    soc: float | None = None
    fuel_l: float | None = None
    range_km: float | None = None


@dataclass(frozen=True, slots=True)
class Started:
    """A trip started."""

    trip: OpenTrip


@dataclass(frozen=True, slots=True)
class Ended:
    """A trip ended at ``at`` with the values of ``reading``."""

    trip: OpenTrip
    at: datetime
    reading: Reading


type Transition = Started | Ended


def _km(a: Position, b: Position) -> float:
    metres = distance(a[0], a[1], b[0], b[1])
    return (metres or 0.0) / 1000


class TripDetector:
    """One vehicle's trip state (see the module docstring)."""

    def __init__(self, reading: Reading, open_trip: OpenTrip | None = None) -> None:
        """Start from the held (possibly restored) values and a stored trip."""
        self.last = reading
        self.open = open_trip
        self.anchor = reading.position
        """Where the car was last counted (the gap rule's reference)."""
        self.moved = reading
        """The reading at the last sign of movement (a gap-ruled trip's end)."""
        if open_trip is not None and open_trip.last_position is None:
            open_trip.last_position = reading.position

    @property
    def gap_ruled(self) -> bool:
        """Whether the car sends no motion value (trips end by the gap rule)."""
        return self.last.motion is None

    def resume(self) -> list[Transition]:
        """A stored trip the held values say has ended: end it now."""
        trip, last = self.open, self.last
        if (
            trip is not None
            and last.motion is False
            and last.motion_at is not None
            and last.motion_at > trip.start
        ):
            return [self._end(last.motion_at, last)]
        return []

    def update(self, reading: Reading) -> list[Transition]:
        """Take the values after a batch; return the transitions."""
        previous, self.last = self.last, reading
        if reading.motion is not None:
            return self._by_motion(previous, reading)
        return self._by_gap(previous, reading)

    def expire(self) -> list[Transition]:
        """The gap passed without a sign of movement: end a gap-ruled trip."""
        trip = self.open
        if trip is None or not self.gap_ruled:
            return []
        return [self._end(trip.last_move or trip.start, self.moved)]

    # ----- the two rules ------------------------------------------------------

    def _by_motion(self, previous: Reading, reading: Reading) -> list[Transition]:
        self.anchor = reading.position or self.anchor
        at = reading.motion_at or reading.odometer_at or reading.position_at
        if at is None:
            return []
        if reading.motion:
            if self.open is None and previous.motion is not True:
                started = self._start(at, previous, reading, previous.position)
                self._follow(reading)
                return [started]
            self._follow(reading)
            return []
        if self.open is not None and at >= self.open.start:
            self._follow(reading)
            return [self._end(at, reading)]
        return []

    def _by_gap(self, previous: Reading, reading: Reading) -> list[Transition]:
        parked = self.anchor
        moved = self._moved_at(previous, reading)
        if moved is None:
            self._follow(reading)
            return []
        out: list[Transition] = []
        trip = self.open
        if (
            trip is not None
            and trip.last_move is not None
            and moved - trip.last_move > GAP
        ):
            out.append(self._end(trip.last_move, self.moved))
        if self.open is None:
            out.append(self._start(moved, previous, reading, parked))
        self._follow(reading)
        if self.open is not None:
            self.open.last_move = moved
        self.moved = reading
        return out

    def _moved_at(self, previous: Reading, reading: Reading) -> datetime | None:
        """BMW's time of the sign of movement the reading brought, if any."""
        moved: datetime | None = None
        if (
            reading.odometer_km is not None
            and previous.odometer_km is not None
            and reading.odometer_km > previous.odometer_km + ODOMETER_STEP_KM
        ):
            moved = reading.odometer_at
        position = reading.position
        if position is not None and position != previous.position:
            if self.anchor is None:
                self.anchor = position
            elif _km(self.anchor, position) * 1000 >= MOVE_M:
                self.anchor = position
                at = reading.position_at
                if at is not None and (moved is None or at > moved):
                    moved = at
        return moved

    # ----- trips ----------------------------------------------------------------

    def _start(
        self, at: datetime, previous: Reading, reading: Reading, parked: Position | None
    ) -> Started:
        """Open a trip with the values from before it (else the batch's)."""

        def first[T](*values: T | None) -> T | None:
            return next((value for value in values if value is not None), None)

        place = first(parked, previous.position, reading.position)
        self.open = OpenTrip(
            start=at,
            start_odometer_km=first(previous.odometer_km, reading.odometer_km),
            start_soc=first(previous.soc, reading.soc),
            start_fuel_l=first(previous.fuel_l, reading.fuel_l),
            start_position=place,
            last_position=place,
            last_move=at,
        )
        return Started(self.open)

    def _follow(self, reading: Reading) -> None:
        """Add the way to a new position to the path of the open trip."""
        trip, position = self.open, reading.position
        if trip is None or position is None or position == trip.last_position:
            return
        if trip.last_position is not None:
            trip.path_km += _km(trip.last_position, position)
        trip.last_position = position

    def _end(self, at: datetime, reading: Reading) -> Ended:
        trip = self.open
        assert trip is not None  # noqa: S101 - callers check
        self.open = None
        self.anchor = reading.position or self.anchor
        return Ended(trip, at, reading)


def finish(ended: Ended, capacity_kwh: float | None) -> Trip:
    """The finished trip's figures (places are the hub's)."""
    trip, end = ended.trip, ended.reading
    mileage = (
        end.odometer_km - trip.start_odometer_km
        if end.odometer_km is not None and trip.start_odometer_km is not None
        else None
    )
    if mileage is not None and mileage > 0:
        km, source = mileage, MILEAGE
    elif trip.path_km > 0:
        km, source = trip.path_km, PATH
    else:
        km, source = 0.0, MILEAGE
    energy = None
    if trip.start_soc is not None and end.soc is not None and capacity_kwh:
        energy = (trip.start_soc - end.soc) / 100 * capacity_kwh
    fuel = None
    if trip.start_fuel_l is not None and end.fuel_l is not None:
        fuel = trip.start_fuel_l - end.fuel_l
    return Trip(
        start=trip.start,
        end=max(ended.at, trip.start),
        distance_km=km,
        distance_from=source,
        energy_kwh=energy,
        fuel_l=fuel,
        start_zone=trip.start_zone,
        range_km=end.range_km,
        start_position=trip.start_position,
        end_position=trip.last_position or end.position,
    )
