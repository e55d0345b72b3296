"""The trip journal's pure parts: the detector's edges, stored forms, units.

The drives themselves are played against the simulator in
``tests/test_trips.py``; here are the cases a trace does not reach: a stored
trip whose end came while Home Assistant was down, unreadable stored rows,
the journal's bounds, and the owner's units in a miles country.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from homeassistant.util.unit_system import METRIC_SYSTEM, US_CUSTOMARY_SYSTEM
import pytest

from custom_components.cardata.trips.detector import (
    GAP,
    Ended,
    Reading,
    Started,
    TripDetector,
    finish,
)
from custom_components.cardata.trips.figures import Units, figures, month_figures
from custom_components.cardata.trips.model import (
    MAX_TRIPS,
    RETENTION,
    Journal,
    OpenTrip,
    Trip,
)

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
HOME = (48.177_662, 11.556_120)
AWAY = (48.190_420, 11.573_050)


def _trip(start: datetime, km: float = 10.0, **kw: object) -> Trip:
    return Trip(start, start + timedelta(minutes=20), km, "mileage", **kw)  # type: ignore[arg-type]


def test_stored_trip_whose_end_came_while_down_ends_once() -> None:
    """The held motion says parked after the trip began: it ends at once."""
    stored = OpenTrip(start=T0, start_odometer_km=100.0, start_soc=80.0)
    parked = Reading(
        motion=False,
        motion_at=T0 + timedelta(minutes=30),
        odometer_km=125.0,
        soc=75.0,
    )
    detector = TripDetector(parked, stored)
    (ended,) = detector.resume()
    assert isinstance(ended, Ended)
    trip = finish(ended, 80.0)
    assert trip.distance_km == 25.0
    assert trip.energy_kwh == pytest.approx(4.0)
    assert detector.resume() == []
    assert detector.update(parked) == []


def test_restored_motion_starts_nothing_and_a_resend_neither() -> None:
    """Moving when restored, moving again: no start; parked: no end."""
    moving = Reading(motion=True, motion_at=T0)
    detector = TripDetector(moving)
    assert detector.resume() == []
    assert detector.update(Reading(motion=True, motion_at=T0 + GAP)) == []
    assert detector.update(Reading(motion=False, motion_at=T0 + 2 * GAP)) == []
    assert detector.expire() == []


def test_gap_rule_ignores_jitter_and_needs_a_reference() -> None:
    """A first position is only the reference; a few metres are no drive."""
    detector = TripDetector(Reading())
    assert detector.update(Reading(position=HOME, position_at=T0)) == []
    jitter = (HOME[0] + 0.0002, HOME[1])  # about 22 m
    assert detector.update(Reading(position=jitter, position_at=T0)) == []
    assert detector.expire() == []
    (started,) = detector.update(Reading(position=AWAY, position_at=T0 + GAP))
    assert isinstance(started, Started)
    assert started.trip.start_position == HOME
    (ended,) = detector.expire()
    assert isinstance(ended, Ended)
    trip = finish(ended, None)
    assert trip.distance_from == "path"
    assert 1.5 < trip.distance_km < 2.0


def test_stored_forms_survive_and_garbage_is_skipped() -> None:
    """Round trips of both forms; unreadable rows read as nothing."""
    trip = _trip(T0, energy_kwh=2.0, fuel_l=None, end_zone="Work", range_km=210.0)
    assert Trip.from_dict(trip.to_dict()) == trip
    assert "end_zone" not in trip.to_dict(places=False)
    opened = OpenTrip(start=T0, path_km=1.5, start_position=HOME, last_position=AWAY)
    again = OpenTrip.from_dict(opened.to_dict(positions=True))
    assert again == opened
    hidden = OpenTrip.from_dict(opened.to_dict(positions=False))
    assert hidden is not None
    assert hidden.start_position is None
    for row in (None, [], {"start": "yesterday"}, {"start": "2026-05-01T08:00:00"}):
        assert OpenTrip.from_dict(row) is None
        assert Trip.from_dict(row) is None
    odd = {"start": T0.isoformat(), "end": T0.isoformat(), "distance_km": True}
    assert Trip.from_dict(odd) is None
    odd |= {"distance_km": 3, "start_position": ["a", 1], "at_home": "yes"}
    parsed = Trip.from_dict(odd)
    assert parsed is not None
    assert parsed.start_position is None
    assert parsed.at_home is False


def test_journal_keeps_two_years_and_at_most_the_cap() -> None:
    """Older than the retention goes; beyond the cap the oldest go."""
    now = T0 + RETENTION + timedelta(days=10)
    journal = Journal([_trip(T0), _trip(T0 + timedelta(days=30))])
    journal.add(_trip(now - timedelta(days=1)), now)
    assert [trip.start for trip in journal.trips] == [
        T0 + timedelta(days=30),
        now - timedelta(days=1),
    ]
    many = Journal([_trip(now - timedelta(minutes=i)) for i in range(MAX_TRIPS + 5)])
    many.prune(now)
    assert len(many.trips) == MAX_TRIPS
    assert journal.between(now - timedelta(days=2), None) == journal.trips[1:]


def test_figures_in_miles_and_gallons() -> None:
    """A miles country: distance in mi, fuel in gal, per 100 mi, mph."""
    trip = _trip(T0, km=160.9344, energy_kwh=30.0, fuel_l=3.785411784, range_km=80.4672)
    us = Units.of(US_CUSTOMARY_SYSTEM)
    shown = figures(trip, us)
    assert shown["distance"] == pytest.approx(100.0)
    assert shown["distance_unit"] == "mi"
    assert shown["fuel"] == pytest.approx(1.0)
    assert shown["fuel_consumption"] == pytest.approx(1.0)
    assert shown["energy_consumption"] == pytest.approx(30.0)
    assert shown["average_speed"] == pytest.approx(300.0)
    assert shown["remaining_range"] == 50
    assert us.energy_consumption == "kWh/100 mi"
    assert us.fuel_consumption == "gal/100 mi"
    metric = Units.of(METRIC_SYSTEM)
    assert metric.fuel_consumption == "L/100 km"
    short = _trip(T0, km=0.05, energy_kwh=0.1)
    assert figures(short, metric)["energy_consumption"] is None
    month = month_figures([trip, _trip(T0, km=10.0)], metric)
    assert month["distance"] == pytest.approx(170.93, abs=0.01)
    assert month["energy_consumption"] == pytest.approx(30.0 / 160.9344 * 100, abs=0.1)
    assert month_figures([], metric) == {
        "distance": 0.0,
        "energy_consumption": None,
        "fuel_consumption": None,
    }
