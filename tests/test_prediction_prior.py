"""The driving prior: a car's first trip falls from its first minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.cardata.prediction.model import (
    Basis,
    VehicleLearning,
    VehiclePredictor,
)
from custom_components.cardata.prediction.prior import PRIORS, classify

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def _minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def _driving(kind: str | None, capacity: float | None) -> VehiclePredictor:
    """A car at 80 % that starts a trip at T0 with nothing learned."""
    predictor = VehiclePredictor()
    predictor.capacity_kwh = capacity
    predictor.learning.kind = kind
    predictor.set_odometer(1000, _minutes(-60))
    predictor.add_reading(80, _minutes(-30))
    predictor.set_moving(True, T0)
    return predictor


@pytest.mark.parametrize(
    ("name", "drive_train", "capacity", "kind"),
    [
        ("iX xDrive50", "BEV", 111.5, "bev_large"),
        ("i7 xDrive60", None, None, "bev_large"),
        ("i4 eDrive40", None, None, "bev_mid"),
        ("iX3 50 xDrive", None, 108.7, "bev_mid"),
        ("iX1 xDrive30", None, None, "bev_small"),
        ("Cooper SE", "BEV", 32.6, "bev_small"),
        ("MINI Cooper SE", None, None, "bev_small"),
        ("330e", "PHEV", 12.0, "phev_mid"),
        ("225e", None, None, "phev_small"),
        ("Countryman SE ALL4", None, None, "phev_small"),
        ("X5 xDrive50e", None, 29.5, "phev_large"),
        (None, None, 105.0, "bev_large"),
        (None, None, 12.0, "phev_mid"),
        (None, None, None, None),
    ],
)
def test_kind_from_basic_data_name_or_battery(
    name: str | None, drive_train: str | None, capacity: float | None, kind: str | None
) -> None:
    """Drive type and class come from basic data, else the name, else the battery."""
    assert classify(name, drive_train, capacity) == kind


def test_the_table_is_plausible() -> None:
    """Battery-side consumption of real cars: 12-30 kWh/100 km; a PHEV's is small."""
    for key, prior in PRIORS.items():
        assert 12 <= prior.kwh_per_100km <= 30
        assert (prior.usable_kwh < 30) == key.startswith("phev")
    # Faster costs more (air drag); the table holds at mixed speed.
    prior = PRIORS["bev_mid"]
    assert prior.kwh_per_km(30) < prior.kwh_per_km() < prior.kwh_per_km(130)


def test_first_trip_of_a_bev_drains_with_the_prior_from_the_first_minute() -> None:
    """1 km in the first minute of an iX's first trip: 21 kWh/100 km of 105.2 kWh."""
    predictor = _driving("bev_large", 105.2)
    predictor.set_odometer(1001, _minutes(1))
    value, basis = predictor.estimate(_minutes(1))
    assert basis is Basis.DRIVING
    expected = 80 - PRIORS["bev_large"].kwh_per_km(60) / 105.2 * 100
    assert value == pytest.approx(expected, abs=0.01)
    assert 79.7 < value < 79.9


def test_prior_scales_with_the_trip_speed_and_needs_no_capacity() -> None:
    """Motorway speed drains faster than town; no capacity: the class's own."""
    town, motorway = _driving("bev_mid", None), _driving("bev_mid", None)
    town.set_odometer(1010, _minutes(20))  # 30 km/h
    motorway.set_odometer(1040, _minutes(20))  # 120 km/h
    town_rate = (80 - (town.estimate(_minutes(20))[0] or 0)) / 10
    motorway_rate = (80 - (motorway.estimate(_minutes(20))[0] or 0)) / 40
    assert town_rate < 18 / 75 < motorway_rate


def test_no_kind_and_no_battery_stays_at_the_reading() -> None:
    """Nothing says what the car is: the last reading is shown."""
    predictor = _driving(None, None)
    predictor.set_odometer(1005, _minutes(5))
    assert predictor.estimate(_minutes(5)) == (80.0, Basis.MEASURED)


def test_the_cars_own_figures_replace_the_prior() -> None:
    """This trip's readings replace the prior at once; the next trip uses them."""
    predictor = _driving("bev_large", 105.2)
    predictor.set_odometer(1010, _minutes(10))
    predictor.add_reading(75, _minutes(10))  # 0.5 %/km, far above the prior
    predictor.set_odometer(1012, _minutes(12))
    assert predictor.drive_rate(_minutes(12)) == pytest.approx(0.5)
    # From the reading's upper edge (the prior's 78 was snapped to 75.5).
    assert predictor.estimate(_minutes(12))[0] == pytest.approx(74.5, abs=0.01)
    predictor.set_moving(False, _minutes(12))
    predictor.add_reading(74, _minutes(12))
    learned = predictor.learning.drive
    assert learned is not None
    assert learned.value == pytest.approx(0.5, abs=0.01)

    predictor.set_moving(True, _minutes(60))
    predictor.set_odometer(1014, _minutes(64))
    assert predictor.estimate(_minutes(64))[0] == pytest.approx(73.5, abs=0.05)


def test_kind_is_stored_and_survives_a_reset() -> None:
    """The kind is what the car is, kept with its learning; broken data: none."""
    predictor = VehiclePredictor()
    predictor.capacity_kwh = 111.5
    predictor.set_kind("iX xDrive50", "BEV")
    stored = predictor.learning.to_dict()
    assert stored["kind"] == "bev_large"
    assert VehicleLearning.from_dict(stored).kind == "bev_large"
    assert VehicleLearning.from_dict({**stored, "kind": "tank"}).kind is None
    predictor.reset_learning()
    assert predictor.learning.kind == "bev_large"
