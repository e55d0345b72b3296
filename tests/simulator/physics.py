"""Charging and driving physics of simulated electrified cars.

A charge or a trip is computed ahead as a timeline: the messages the car
sends (on BMW's catalogue descriptors, wire form, with BMW timestamps) and
the true charge level every tick. Tests and benchmarks publish the messages
(or hand them to the integration) and compare its prediction against the
truth, which the integration never sees. Everything is seeded: the same
profile and seed give the same timeline.

Physics (plausible, not a model of one car):

- AC: grid power = phases x current x voltage, capped by the car's on-board
  charger; losses fall with power from about 15 % to 8 %; a cold battery
  costs a few percent more.
- DC: the station's power, capped by the car, tapering above about 80 %;
  a cold battery takes about half the power.
- The charge stops at the target charge level (or 100 %).
- Driving: consumption grows with speed (air drag) and in the cold.
- Reporting styles: ``fine`` (one decimal, with every power update),
  ``step1`` (whole percent when it changes), ``coarse`` (whole percent after
  5 points of change), ``start_end`` (only when the charge starts and ends),
  ``trip_end`` (older cars: the trip-end level only, no odometer en route).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
import datetime as dt
import itertools
import math
import random
from typing import Any

_CHG = "vehicle.drivetrain.electricEngine.charging."
_BATT = "vehicle.powertrain.electric.battery."
HEADER = "vehicle.drivetrain.batteryManagement.header"
LEVEL = _CHG + "level"
DISPLAYED = _BATT + "stateOfCharge.displayed"
TRIP_END_SOC = "vehicle.trip.segment.end.drivetrain.batteryManagement.hvSoc"
POWER = _BATT + "charging.power"
TARGET = _BATT + "stateOfCharge.target"
STATUS = _CHG + "hvStatus"
CHARGING_STATUS = _CHG + "status"
"""Sent next to ``hvStatus`` on every change, as real cars do (one event)."""
METHOD = _CHG + "method"
PHASES = _CHG + "phaseNumber"
AMPERE = _CHG + "acAmpere"
VOLTAGE = _CHG + "acVoltage"
TIME_TO_FULL = _CHG + "timeToFullyCharged"
DC_PORT = "vehicle.body.chargingPort.dcStatus"
ODOMETER = "vehicle.vehicle.travelledDistance"
MOVING = "vehicle.isMoving"
IGNITION = "vehicle.drivetrain.engine.isIgnitionOn"
EV_RANGE = "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange"
TRIP_DISTANCE = "vehicle.trip.segment.end.travelledDistance"
SIZE_MAX = "vehicle.drivetrain.batteryManagement.batterySizeMax"


@dataclass(frozen=True, slots=True)
class CarModel:
    """One kind of car: battery, chargers, how it reports its level."""

    name: str
    usable_kwh: float
    max_ac_kw: float
    max_dc_kw: float
    soc_descriptor: str = HEADER
    report: str = "step1"
    consumption: float = 1.0
    """Scale of the drag/rolling consumption (a small car uses less)."""
    sends_capacity: bool = False
    basic_kwh: float = 0.0
    """What basicData says (``hvsMaxEnergyAbsolute``: gross, above the usable)."""
    charging_descriptor: str | None = None
    """Where the level goes while charging, when not ``soc_descriptor``: a PHEV's
    header stays at its pre-charge value then and ``charging.level`` moves
    (seen by bmw-cardata-ha's owners); both are sent when the charge starts and ends."""


MODELS: dict[str, CarModel] = {
    "ix": CarModel(
        "iX xDrive50",
        105.2,
        11.0,
        195.0,
        report="fine",
        sends_capacity=True,
        basic_kwh=111.5,
    ),
    "330e": CarModel(
        "330e",
        10.2,
        3.7,
        0.0,
        report="step1",
        consumption=0.85,
        basic_kwh=12.0,
        charging_descriptor=LEVEL,
    ),
    "mini": CarModel(
        "MINI Cooper SE",
        28.9,
        11.0,
        50.0,
        report="coarse",
        consumption=0.8,
        basic_kwh=32.6,
    ),
    "nk": CarModel(
        "iX3 50 xDrive",
        108.7,
        22.0,
        400.0,
        soc_descriptor=DISPLAYED,
        basic_kwh=108.7,
    ),
}


@dataclass(frozen=True, slots=True)
class ChargeProfile:
    """One charging session."""

    name: str
    model: str
    dc_kw: float = 0.0
    """Station power for DC; 0 means AC."""
    phases: int = 3
    amps: float = 16.0
    volts: float = 230.0
    solar: bool = False
    clouds: bool = False
    """With ``solar``: a passing cloud makes a surplus wallbox pause (0 A) for
    half a minute to 3 minutes; the car keeps its charging status meanwhile."""
    cold: bool = False
    start_soc: float = 30.0
    target: int = 80
    report: str | None = None
    """Reporting style; ``None`` takes the model's."""
    sends_power: bool = True
    """BMW's own charging power (``charging.power``)."""
    sends_current: bool | None = None
    """AC current, voltage and phases; ``None``: as ``sends_power``."""
    line_voltage: bool = False
    """The AC voltage is the line-to-line one (about 400 V on three phases)."""
    silent_end: bool = False
    """The car sends no charge level when the charge ends."""
    no_end: bool = False
    """The car sends nothing at all when the charge ends: no status, no power,
    no level (some cars never push the end of a charge, bmw-cardata-ha's owners saw)."""

    @property
    def dc(self) -> bool:
        """Direct current charging."""
        return self.dc_kw > 0


@dataclass(frozen=True, slots=True)
class TripProfile:
    """One drive."""

    name: str
    model: str
    km: float = 25.0
    speed_kmh: float = 50.0
    temp_c: float = 15.0
    start_soc: float = 80.0
    report: str | None = None
    start_odometer: float = 12_345.0
    silent_end: bool = False
    """The car sends no charge level when the trip ends."""


@dataclass
class Timeline:
    """What a car sends during a session and the truth behind it."""

    messages: list[tuple[dt.datetime, dict[str, Any]]] = field(default_factory=list)
    truth: list[tuple[dt.datetime, float]] = field(default_factory=list)
    end: dt.datetime | None = None
    efficiency: float = 0.0
    """Battery energy over reported inlet energy of the session (the truth)."""
    inlet: list[tuple[dt.datetime, float]] = field(default_factory=list)
    """The true power at the inlet in W from each time on (what a wallbox's
    meter measures); empty for a trip."""

    def inlet_watts(self, at: dt.datetime) -> float:
        """The true inlet power at ``at`` (0 before the charge and after it)."""
        index = bisect.bisect_right(self.inlet, (at, math.inf)) - 1
        return self.inlet[index][1] if index >= 0 else 0.0

    def true_soc(self, at: dt.datetime) -> float:
        """The true charge level at ``at`` (linear between ticks)."""
        points = self.truth
        if at <= points[0][0]:
            return points[0][1]
        for (t0, s0), (t1, s1) in itertools.pairwise(points):
            if t0 <= at <= t1:
                span = (t1 - t0).total_seconds()
                return s0 + (s1 - s0) * ((at - t0).total_seconds() / span)
        return points[-1][1]


def ac_losses(kw: float) -> float:
    """Share of AC grid power lost on the way into the battery (8 to 15 %)."""
    return 0.08 + 0.075 * math.exp(-kw / 3.5)


def dc_taper(soc: float) -> float:
    """Share of the DC power the battery takes at ``soc`` (taper above 80 %)."""
    if soc < 80:
        return 1.0
    return max(0.12, 1.0 - (soc - 80) / 20 * 0.88)


class _Reporter:
    """Decides when the car reports its charge level, and how."""

    def __init__(self, style: str, descriptor: str, during: str | None = None) -> None:
        self.style = style
        self.descriptor = descriptor
        self.during = during
        """Where the level goes between the edges (``descriptor`` stays put)."""
        self.last: float | None = None

    def value(self, soc: float) -> float | int:
        return round(soc, 1) if self.style == "fine" else round(soc)

    def due(self, soc: float, *, edge: bool = False) -> dict[str, Any]:
        shown = self.value(soc)
        if self.style == "trip_end":
            return {}
        if edge or self.last is None:
            self.last = shown
            return {self.descriptor: shown} | (
                {self.during: shown} if self.during else {}
            )
        if self.style == "start_end":
            return {}
        step = 5 if self.style == "coarse" else 0
        if shown != self.last and abs(shown - self.last) >= step:
            self.last = shown
            return {self.during or self.descriptor: shown}
        return {}


def charge(
    profile: ChargeProfile, start: dt.datetime, seed: int = 0, tick: float = 30.0
) -> Timeline:
    """Compute one charge from ``start``."""
    rng = random.Random(f"{profile.name}:{seed}")
    car = MODELS[profile.model]
    reporter = _Reporter(
        profile.report or car.report, car.soc_descriptor, car.charging_descriptor
    )
    soc = profile.start_soc
    target = min(profile.target, 100)
    timeline = Timeline()
    car_loss = rng.uniform(-0.01, 0.01)  # this car's own losses
    solar_phase = rng.uniform(0, math.tau)
    first: dict[str, Any] = {
        STATUS: "CHARGING",
        CHARGING_STATUS: "CHARGINGACTIVE",
        TARGET: target,
    }
    if car.sends_capacity:
        first[SIZE_MAX] = car.usable_kwh
    power = profile.sends_power
    current = power if profile.sends_current is None else profile.sends_current
    if profile.dc:
        first |= {DC_PORT: "CONNECTED", METHOD: "NOCHARGING"}
    else:
        volts = profile.volts
        if profile.line_voltage and profile.phases > 1:
            volts = round(volts * math.sqrt(3))
        first |= {
            METHOD: "AC_TYPE2PLUG",
            PHASES: f"{profile.phases}-PHASES",
            VOLTAGE: volts,
        }
    first |= reporter.due(soc, edge=True)
    timeline.messages.append((start, first))
    timeline.truth.append((start, soc))
    now = start
    inlet_kwh = battery_kwh = 0.0
    last_power: int | None = None
    cloud_ticks = 0
    for n in range(1, 24 * 3600 // int(tick)):
        now = start + dt.timedelta(seconds=n * tick)
        if profile.dc:
            kw = min(profile.dc_kw, car.max_dc_kw) * dc_taper(soc)
            kw *= 0.5 if profile.cold else 1.0
            kw *= 1 + rng.uniform(-0.01, 0.01)
            efficiency = 0.955 + car_loss / 2
            amps = 0.0
        else:
            amps = profile.amps
            if profile.solar:
                wave = 0.5 + 0.5 * math.sin(solar_phase + n * tick / 1500)
                amps = max(6.0, min(16.0, 6 + 10 * wave + rng.uniform(-1, 1)))
                if profile.clouds:
                    if cloud_ticks == 0 and rng.random() < 0.03:
                        cloud_ticks = rng.randint(1, 6)
                    if cloud_ticks:
                        cloud_ticks -= 1
                        amps = 0.0
            kw = min(profile.phases * amps * profile.volts / 1000, car.max_ac_kw)
            efficiency = 1 - ac_losses(kw) + car_loss - (0.04 if profile.cold else 0)
        inlet_kwh += kw * tick / 3600
        timeline.inlet.append((now - dt.timedelta(seconds=tick), kw * 1000))
        battery_kwh += kw * efficiency * tick / 3600
        soc = min(soc + kw * efficiency * tick / 3600 / car.usable_kwh * 100, target)
        timeline.truth.append((now, soc))
        values: dict[str, Any] = {}
        watts = round(kw * 100) * 10
        if (power or current) and (n % 2 == 0 or last_power is None):
            if watts != last_power:
                if power:
                    values[POWER] = watts
                last_power = watts
            if current and not profile.dc:
                values[AMPERE] = round(amps)
            left = (target - soc) / 100 * car.usable_kwh / max(kw * efficiency, 0.1)
            values[TIME_TO_FULL] = round(left * 60)
        if soc >= target:
            break
        values |= reporter.due(soc)
        if values:
            timeline.messages.append((now, values))
    end: dict[str, Any] = {
        STATUS: "FINISHED_FULLY_CHARGED" if target >= 100 else "FINISHED_NOT_FULL",
        CHARGING_STATUS: "CHARGINGENDED",
        TIME_TO_FULL: 0,
    }
    if power:
        end[POWER] = 0
    if current and not profile.dc:
        end[AMPERE] = 0
    if not profile.silent_end:
        end |= reporter.due(soc, edge=True)
    if not profile.no_end:
        timeline.messages.append((now, end))
    timeline.inlet.append((now, 0.0))
    timeline.end = now
    timeline.efficiency = battery_kwh / inlet_kwh if inlet_kwh else 0.0
    return timeline


def consumption_kwh_per_km(speed_kmh: float, temp_c: float, scale: float) -> float:
    """Energy per kilometre: rolling and drag, more in the cold."""
    base = 0.12 + 0.000014 * speed_kmh**2
    cold = 1 + max(0.0, 15 - temp_c) * 0.012
    return base * cold * scale


def drive(
    profile: TripProfile, start: dt.datetime, seed: int = 0, tick: float = 30.0
) -> Timeline:
    """Compute one trip from ``start``."""
    rng = random.Random(f"{profile.name}:{seed}")
    car = MODELS[profile.model]
    style = profile.report or car.report
    reporter = _Reporter(style, car.soc_descriptor)
    soc = profile.start_soc
    odo = profile.start_odometer
    timeline = Timeline()
    live = style != "trip_end"
    first: dict[str, Any] = {MOVING: "asn_istrue", IGNITION: "ASN_isTrue"}
    if live:
        first |= {ODOMETER: round(odo)} | reporter.due(soc, edge=True)
        rate = consumption_kwh_per_km(profile.speed_kmh, 15.0, car.consumption)
        first[EV_RANGE] = round(soc / 100 * car.usable_kwh / rate)
    timeline.messages.append((start, first))
    timeline.truth.append((start, soc))
    driven = 0.0
    now = start
    n = 0
    while driven < profile.km:
        n += 1
        now = start + dt.timedelta(seconds=n * tick)
        speed = max(5.0, profile.speed_kmh * (1 + rng.uniform(-0.25, 0.25)))
        km = min(speed * tick / 3600, profile.km - driven)
        driven += km
        use = consumption_kwh_per_km(speed, profile.temp_c, car.consumption)
        soc = max(soc - km * use / car.usable_kwh * 100, 0.0)
        odo += km
        timeline.truth.append((now, soc))
        if live:
            values = {ODOMETER: round(odo)} | reporter.due(soc)
            timeline.messages.append((now, values))
    end: dict[str, Any] = {
        MOVING: "asn_isfalse",
        IGNITION: "ASN_isFalse",
        TRIP_DISTANCE: round(driven, 1),
        ODOMETER: round(odo),
    }
    if not profile.silent_end:
        end[TRIP_END_SOC] = round(soc, 1)
        if live:
            end |= reporter.due(soc, edge=True)
    timeline.messages.append((now, end))
    timeline.end = now
    return timeline
