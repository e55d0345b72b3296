#!/usr/bin/env python3
"""Accuracy of the predicted charge level against the simulator's physics.

Each profile runs twice on one vehicle: the first session with nothing
learned, the second with what the first taught. The car's messages (from
``tests/simulator/physics.py``, seeded) go through the integration's own
prediction code (``prediction.inputs.VehicleFeed`` into
``prediction.model.VehiclePredictor``, exactly what the entity uses) on a
simulated clock; every simulated minute the prediction and the last real
reading are compared with the true charge level, which the integration never
sees. Printed per profile and overall: mean absolute error (MAE) and 95th
percentile (p95) in percentage points. The car's kind (its driving prior)
comes from its model name, as the integration takes it from basic data.
Checked: the targets after learning, the first trips' targets, and that no
profile's prediction is worse than showing the last real reading.

In the same run, the battery health's measured capacity: each car charges
ten times (seeded start levels, targets, phases, now and then a cold
battery, every third charge on DC where the car can), the messages go
through the ledger's stream path (``ledger.feed.read_values`` into
``ledger.recorder.SessionRecorder``) and the closed sessions into
``health.estimate``; printed per car: the estimate, its 95 % interval, the
sessions behind it and its error against the car's true usable capacity
(issue target: within 3 %).

Then each AC charge again with a wallbox whose meter reports the true inlet
power every 10 s (``VehicleFeed.set_wallbox``, as for a car plugged in at
home): its error printed beside the car-only one of the same run, as a
difference and a ratio; nothing is checked on it.

Run: ``.venv/bin/python scripts/benchmark_soc.py``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import math
from pathlib import Path
import random
import sys
import time
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.cardata.catalogue.charging import DC_PORT
from custom_components.cardata.health.estimate import estimate
from custom_components.cardata.ledger.feed import read_values
from custom_components.cardata.ledger.model import Session
from custom_components.cardata.ledger.recorder import SessionRecorder
from custom_components.cardata.prediction.inputs import VehicleFeed
from custom_components.cardata.prediction.model import VehiclePredictor
from tests.simulator.charging_traces import PORT as PLUG
from tests.simulator.physics import (
    MODELS,
    STATUS,
    ChargeProfile,
    Timeline,
    TripProfile,
    charge,
    drive,
)

START = datetime(2026, 6, 1, 18, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
WALLBOX_EVERY = timedelta(seconds=10)
TARGET_MAE = 1.0
TARGET_P95 = 2.5
FIRST_TRIP_MAE = 0.6
FIRST_TRIP_P95 = 1.5
CAPACITY_SESSIONS = 10
CAPACITY_TARGET = 3.0
"""The measured capacity's error after ten sessions, in percent."""

CHARGES = (
    ChargeProfile("AC 3.7 kW (330e, 1 %)", "330e", phases=1, start_soc=15, target=100),
    ChargeProfile("AC 7.4 kW (iX, 1 %)", "ix", phases=2, report="step1"),
    ChargeProfile("AC 11 kW (iX, 5 % steps)", "ix", report="coarse"),
    ChargeProfile(
        "AC 11 kW, amps and 400 V (iX)",
        "ix",
        report="coarse",
        sends_power=False,
        sends_current=True,
        line_voltage=True,
    ),
    ChargeProfile("AC 22 kW (Neue Klasse)", "nk", amps=32, report="step1"),
    ChargeProfile("DC 50 kW (MINI, 5 % steps)", "mini", dc_kw=50, start_soc=10),
    ChargeProfile("DC 150 kW (iX, 1 %)", "ix", dc_kw=150, report="step1", target=95),
    ChargeProfile("AC solar (iX, 5 % steps)", "ix", solar=True, report="coarse"),
    ChargeProfile(
        "AC solar, clouds (iX, 5 % steps)",
        "ix",
        solar=True,
        clouds=True,
        report="coarse",
    ),
    ChargeProfile("AC cold (MINI, 5 % steps)", "mini", cold=True),
    ChargeProfile("DC cold (iX, 1 %)", "ix", dc_kw=150, cold=True, report="step1"),
    ChargeProfile("AC start/end only (iX)", "ix", report="start_end"),
    ChargeProfile("AC 11 kW start/end (MINI)", "mini", report="start_end", target=90),
)
TRIPS = (
    TripProfile("City 50 km/h (iX, 5 % steps)", "ix", km=30, report="coarse"),
    TripProfile(
        "Motorway 120 km/h, 5 °C (iX)",
        "ix",
        km=90,
        speed_kmh=120,
        temp_c=5,
        report="coarse",
    ),
    TripProfile("City, 0 °C (MINI, 5 % steps)", "mini", km=25, temp_c=0),
    TripProfile(
        "Motorway (Neue Klasse, 1 %)", "nk", km=80, speed_kmh=120, report="step1"
    ),
    TripProfile("City (330e, 1 %)", "330e", km=20, start_soc=90),
)


@dataclass
class Errors:
    """Absolute errors of the prediction and of the last real reading."""

    predicted: list[float] = field(default_factory=list)
    last_reading: list[float] = field(default_factory=list)

    def extend(self, other: Errors) -> None:
        self.predicted += other.predicted
        self.last_reading += other.last_reading


def mae(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def p95(values: list[float]) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def replay(
    predictor: VehiclePredictor,
    timeline: Timeline,
    start: datetime,
    *,
    wallbox: bool = False,
) -> Errors:
    """Feed the car's messages minute by minute; compare with the truth.

    With ``wallbox``, a wallbox reports the true power every 10 s between.
    """
    feed = VehicleFeed(predictor)
    errors = Errors()
    messages = list(timeline.messages)
    if timeline.end is None:
        raise ValueError("the timeline has no end")
    cursor = 0
    now = start
    end = timeline.end + 2 * MINUTE
    step = WALLBOX_EVERY if wallbox else MINUTE
    while now <= end:
        while cursor < len(messages) and messages[cursor][0] <= now:
            at, values = messages[cursor]
            for name, value in values.items():
                feed.apply(name, value, at)
            cursor += 1
        if wallbox:
            feed.set_wallbox(timeline.inlet_watts(now), now)
        if (now - start) % MINUTE:
            now += step
            continue
        truth = timeline.true_soc(min(now, timeline.end))
        shown, _basis = predictor.estimate(now)
        last = predictor.last_reading
        if shown is not None and last is not None:
            errors.predicted.append(abs(shown - truth))
            errors.last_reading.append(abs(last.value - truth))
        now += step
    return errors


def session_pair(
    profile: ChargeProfile | TripProfile, *, wallbox: bool = False
) -> tuple[Errors, Errors]:
    """First session (nothing learned) and second (learned) of one profile."""
    predictor = VehiclePredictor()
    # As the integration does: what the car sends (the iX sends its usable
    # capacity), else basicData's gross figure; learning absorbs the gap.
    car = MODELS[profile.model]
    predictor.capacity_kwh = car.usable_kwh if car.sends_capacity else car.basic_kwh
    predictor.set_kind(car.name, None)
    results = []
    start = START
    for seed in (1, 2):
        if isinstance(profile, ChargeProfile):
            timeline = charge(profile, start, seed)
        else:
            timeline = drive(profile, start, seed)
        # The car's level before the session starts.
        predictor.add_reading(round(timeline.truth[0][1]), start - MINUTE)
        results.append(replay(predictor, timeline, start, wallbox=wallbox))
        start = (timeline.end or start) + timedelta(hours=10)
    return results[0], results[1]


def row(name: str, first: Errors, learned: Errors) -> str:
    return (
        f"{name:34} {mae(first.predicted):6.2f} {p95(first.predicted):6.2f}"
        f" {mae(learned.predicted):7.2f} {p95(learned.predicted):6.2f}"
        f" {mae(learned.last_reading):8.2f} {p95(learned.last_reading):6.2f}"
    )


def measured_sessions(model: str) -> list[Session]:
    """Ten seeded charges of one car, closed by the ledger's own recorder."""
    car = MODELS[model]
    rng = random.Random(f"capacity:{model}")
    capacity = car.usable_kwh if car.sends_capacity else car.basic_kwh
    recorder = SessionRecorder()
    values: dict[str, object] = {PLUG: "DISCONNECTED", STATUS: "NOT_CHARGING"}
    stamps = {name: START - timedelta(days=1) for name in values}
    if (baseline := read_values(values, stamps, [], capacity)) is not None:
        recorder.baseline(baseline)
    closed: list[Session] = []
    begin = START
    for n in range(CAPACITY_SESSIONS):
        dc = car.max_dc_kw > 0 and n % 3 == 2
        profile = ChargeProfile(
            f"capacity {model} {n}",
            model,
            dc_kw=150.0 if dc else 0.0,
            phases=rng.choice((1, 3)),
            cold=rng.random() < 0.2,
            start_soc=rng.uniform(10, 50),
            target=rng.choice((80, 90, 100)),
        )
        timeline = charge(profile, begin, seed=n)
        end = timeline.end or begin
        messages: list[tuple[datetime, dict[str, Any]]] = [
            (begin - MINUTE, {PLUG: "CONNECTED"}),
            *timeline.messages,
            (end + 3 * MINUTE, {PLUG: "DISCONNECTED", DC_PORT: "DISCONNECTED"}),
        ]
        for at, batch in messages:
            for name, value in batch.items():
                values[name] = value
                stamps[name] = at
            reading = read_values(values, stamps, list(batch), capacity)
            if reading is not None and (done := recorder.observe(reading)):
                closed.append(done)
        begin = end + timedelta(hours=20)
    return closed


def capacity_rows() -> float:
    """Print each car's measured capacity; return the worst error in percent."""
    print(
        f"\nmeasured capacity after {CAPACITY_SESSIONS} sessions"
        f"\n{'car':16} {'true kWh':>8} {'estimate':>8} {'95 % interval':>15}"
        f" {'sessions':>8} {'error':>7}"
    )
    worst = 0.0
    for model, car in MODELS.items():
        found = estimate(measured_sessions(model))
        if found is None:
            print(f"{car.name:16} {car.usable_kwh:8.1f} {'unknown':>8}")
            worst = math.inf
            continue
        error = (found.kwh - car.usable_kwh) / car.usable_kwh * 100
        worst = max(worst, abs(error))
        print(
            f"{car.name:16} {car.usable_kwh:8.1f} {found.kwh:8.2f}"
            f" {found.low:7.2f}-{found.high:<7.2f} {found.sessions:8d} {error:+6.2f}%"
        )
    return worst


def main() -> int:
    began = time.perf_counter()
    header = (
        f"{'profile':34} {'first session':>13} {'after learning':>14}"
        f" {'last real reading':>17}\n"
        f"{'':34} {'MAE':>6} {'p95':>6} {'MAE':>7} {'p95':>6} {'MAE':>8} {'p95':>6}"
    )
    print(header)
    totals = {"charge": (Errors(), Errors()), "trip": (Errors(), Errors())}
    sessions = samples = 0
    worse: list[str] = []
    for kind, profiles in (("charge", CHARGES), ("trip", TRIPS)):
        for profile in profiles:
            first, learned = session_pair(profile)
            totals[kind][0].extend(first)
            totals[kind][1].extend(learned)
            sessions += 2
            samples += len(first.predicted) + len(learned.predicted)
            print(row(profile.name, first, learned))
            worse += [
                f"{profile.name} ({when})"
                for when, errors in (("first", first), ("learned", learned))
                if mae(errors.predicted) > mae(errors.last_reading)
            ]
    print("-" * 78)
    every_first, every_learned = Errors(), Errors()
    for kind, (first, learned) in totals.items():
        every_first.extend(first)
        every_learned.extend(learned)
        print(row(f"all {kind}s", first, learned))
    print(row("overall", every_first, every_learned))
    first_trips = totals["trip"][0].predicted
    trips_ok = mae(first_trips) <= FIRST_TRIP_MAE and p95(first_trips) <= FIRST_TRIP_P95
    learned_ok = (
        mae(every_learned.predicted) <= TARGET_MAE
        and p95(every_learned.predicted) <= TARGET_P95
    )
    print(
        f"\n{sessions} sessions, {samples} minute samples,"
        f" {time.perf_counter() - began:.1f} s;"
        f" targets after learning MAE <= {TARGET_MAE}, p95 <= {TARGET_P95}:"
        f" {'met' if learned_ok else 'NOT met'}"
    )
    print(
        f"first trips MAE {mae(first_trips):.2f} <= {FIRST_TRIP_MAE},"
        f" p95 {p95(first_trips):.2f} <= {FIRST_TRIP_P95}:"
        f" {'met' if trips_ok else 'NOT met'}"
    )
    print(
        "worse than the last real reading (MAE): " + ", ".join(worse)
        if worse
        else "no profile worse than the bare reading (the last real one, MAE)"
    )
    worst_capacity = capacity_rows()
    capacity_ok = worst_capacity <= CAPACITY_TARGET
    print(
        f"measured capacity, worst error {worst_capacity:.2f} %"
        f" <= {CAPACITY_TARGET}: {'met' if capacity_ok else 'NOT met'}"
    )
    wallbox_table()
    return 0 if learned_ok and trips_ok and not worse and capacity_ok else 1


def wallbox_table() -> None:
    """AC charges without and with a wallbox reporting every 10 s (MAE, pp)."""
    print(
        f"\nwallbox reporting the true power every {WALLBOX_EVERY.seconds} s"
        " (AC charges; MAE in percentage points)\n"
        f"{'profile':34} {'first: car':>10} {'wallbox':>8}"
        f" {'learned: car':>13} {'wallbox':>8} {'diff':>6} {'ratio':>6}"
    )
    car_all, box_all = (Errors(), Errors()), (Errors(), Errors())
    for profile in CHARGES:
        if profile.dc:
            continue  # a wallbox charges on AC
        car = session_pair(profile)
        box = session_pair(profile, wallbox=True)
        for errors, into in ((car, car_all), (box, box_all)):
            into[0].extend(errors[0])
            into[1].extend(errors[1])
        print(wallbox_row(profile.name, car, box))
    print(wallbox_row("all AC charges", car_all, box_all))


def wallbox_row(
    name: str, car: tuple[Errors, Errors], box: tuple[Errors, Errors]
) -> str:
    learned_car, learned_box = mae(car[1].predicted), mae(box[1].predicted)
    ratio = learned_box / learned_car if learned_car else math.nan
    return (
        f"{name:34} {mae(car[0].predicted):10.2f} {mae(box[0].predicted):8.2f}"
        f" {learned_car:13.2f} {learned_box:8.2f}"
        f" {learned_box - learned_car:+6.2f} {ratio:6.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
