"""A vehicle's day on a clock that can run faster than real time.

Parked and unlocked, a drive along a GPS route (odometer, state of charge
and range fall), parked and locked, plugged in, AC charging (power and state
of charge rise), charge complete. Older iDrive 6 vehicles stay silent during
the drive and the charge and send one batch at the end of each.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import itertools
import math
from typing import TYPE_CHECKING, Any

from .market import DISTANCES, KM_PER_MILE, to_wire
from .world import HOME, ChargeRecord, Vehicle

if TYPE_CHECKING:
    from .core import Simulator

_GPS = "vehicle.cabin.infotainment.navigation.currentLocation."
_CHG = "vehicle.drivetrain.electricEngine.charging."
ODO = "vehicle.vehicle.travelledDistance"
SOC = "vehicle.drivetrain.batteryManagement.header"
DISPLAYED = "vehicle.powertrain.electric.battery.stateOfCharge.displayed"
"""A Neue Klasse car's charge level (its only one)."""
SOC_LEVEL = _CHG + "level"
EV_RANGE = "vehicle.drivetrain.electricEngine.remainingElectricRange"
TOTAL_RANGE = "vehicle.drivetrain.totalRemainingRange"
FUEL = "vehicle.drivetrain.fuelSystem.level"
POWER = "vehicle.powertrain.electric.battery.charging.power"
PLUGGED = "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged"
LOCK = "vehicle.cabin.door.lock.status"
STATUS = _CHG + "status"

# A loop through Munich's north, back home.
ROUTE = (
    HOME,
    (48.183_10, 11.561_40),
    (48.190_42, 11.573_05),
    (48.196_77, 11.589_21),
    (48.187_35, 11.604_66),
    (48.173_02, 11.596_10),
    (48.166_48, 11.577_31),
    (48.170_91, 11.561_82),
    HOME,
)
BATTERY_KWH = {"BEV": 105.2, "BEV_NK": 104.0, "PHEV": 12.0}
KWH_PER_KM = 0.19
KM_PER_SOC_BEV = 3.4  # 100 % ~ 340 km


@dataclass(frozen=True, slots=True)
class Step:
    """One phase of the scenario.

    Attributes:
        action: ``park_unlocked``, ``drive``, ``park_lock``, ``plug_in``,
            ``charge``, ``charge_complete`` or ``wait``.
        seconds: simulated duration.
        tick: simulated seconds between two updates.
    """

    action: str
    seconds: float = 60.0
    tick: float = 15.0


def default_steps(vehicle: Vehicle) -> list[Step]:
    """Park, drive 15 minutes, park, plug in, charge, complete."""
    steps = [
        Step("park_unlocked", 60),
        Step("drive", 900, 30),
        Step("park_lock", 60),
    ]
    if vehicle.electric:
        # Charging stops at the target or after three hours.
        steps += [
            Step("plug_in", 30),
            Step("charge", 10800, 120),
            Step("charge_complete", 60),
        ]
    return [*steps, Step("wait", 120, 60)]


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[0] + b[0]) / 2)
    dy = (b[0] - a[0]) * 111.32
    dx = (b[1] - a[1]) * 111.32 * math.cos(lat)
    return math.hypot(dx, dy)


def _heading(a: tuple[float, float], b: tuple[float, float]) -> int:
    lat = math.radians((a[0] + b[0]) / 2)
    angle = math.degrees(math.atan2((b[1] - a[1]) * math.cos(lat), b[0] - a[0]))
    return round(angle) % 360


def _route_point(fraction: float) -> tuple[tuple[float, float], int]:
    legs = [_distance_km(a, b) for a, b in itertools.pairwise(ROUTE)]
    target = max(0.0, min(fraction, 1.0)) * sum(legs)
    for (a, b), leg in zip(itertools.pairwise(ROUTE), legs, strict=True):
        if target <= leg and leg > 0:
            f = target / leg
            point = (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f)
            return (round(point[0], 6), round(point[1], 6)), _heading(a, b)
        target -= leg
    return ROUTE[-1], _heading(ROUTE[-2], ROUTE[-1])


def route_length_km() -> float:
    """Length of the drive."""
    return sum(_distance_km(a, b) for a, b in itertools.pairwise(ROUTE))


class _Run:
    def __init__(self, sim: Simulator, vehicle: Vehicle, speed: float) -> None:
        self.sim = sim
        self.vehicle = vehicle
        self.speed = max(speed, 1e-3)
        self.batch: dict[str, Any] = {}

    def get(self, name: str, default: Any = 0.0) -> Any:
        """A held value; distances in km (a miles car holds miles)."""
        value = self.vehicle.state.get(name)
        if value is None:
            return default
        if name in DISTANCES and self.vehicle.miles:
            return float(value.value) * KM_PER_MILE
        return value.value

    def soc(self) -> float:
        """The charge level the car holds (a Neue Klasse car: the displayed one)."""
        return float(self.get(SOC, None) or self.get(DISPLAYED, 0))

    async def send(self, values: dict[str, Any], *, live: bool = True) -> None:
        """Send values (distances given in km) as the car sends them."""
        values = to_wire(
            self.vehicle,
            {k: v for k, v in values.items() if k in self.vehicle.supported},
        )
        if not values:
            return
        if self.vehicle.idrive6 and not live:
            self.batch.update(values)
            return
        await self.sim.publish(self.vehicle.vin, values)

    async def flush(self) -> None:
        """iDrive 6: one batch, then position in separate messages."""
        batch, self.batch = self.batch, {}
        lat = batch.pop(_GPS + "latitude", None)
        lon = batch.pop(_GPS + "longitude", None)
        if batch:
            await self.sim.publish(self.vehicle.vin, batch)
        if lat is not None:
            await self.sim.publish(self.vehicle.vin, {_GPS + "latitude": lat})
        if lon is not None:
            await self.sim.publish(self.vehicle.vin, {_GPS + "longitude": lon})

    async def sleep(self, simulated: float) -> None:
        await asyncio.sleep(simulated / self.speed)

    def soc_values(self, soc: float) -> dict[str, Any]:
        kind = self.vehicle.kind
        soc = round(max(0.0, min(soc, 100.0)), 1)
        per_soc = KM_PER_SOC_BEV if kind in {"BEV", "BEV_NK"} else 0.55
        ev_range = round(soc * per_soc)
        fuel_range = round(self.get(FUEL, 0) * 8.7) if kind == "PHEV" else 0
        return {
            SOC: soc,
            SOC_LEVEL: round(soc),
            DISPLAYED: soc,  # sent by Neue Klasse cars only (see send)
            EV_RANGE: ev_range,
            "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange": ev_range,
            TOTAL_RANGE: ev_range + fuel_range,
        }

    async def park_unlocked(self, step: Step) -> None:
        await self.send(
            {
                LOCK: "UNLOCKED",
                "vehicle.cabin.door.status": "ASN_unlocked",
                "vehicle.isMoving": "asn_isfalse",
            }
        )
        await self.sleep(step.seconds)

    async def drive(self, step: Step) -> None:
        length = route_length_km()
        ticks = max(int(step.seconds // step.tick), 1)
        odo = float(self.get(ODO))
        soc = self.soc()
        fuel = float(self.get(FUEL, 0))
        if self.get(PLUGGED, False) is True:
            # A car that drives is unplugged (never "moving" while plugged in).
            await self.send(
                {
                    PLUGGED: False,
                    "vehicle.body.chargingPort.status": "DISCONNECTED",
                    STATUS: "NOCHARGING",
                    _CHG + "hvStatus": "NOT_CHARGING",
                },
                live=False,
            )
        await self.send(
            {
                "vehicle.drivetrain.engine.isIgnitionOn": "ASN_isTrue",
                "vehicle.isMoving": "asn_istrue",
            },
            live=False,
        )
        for i in range(1, ticks + 1):
            await self.sleep(step.tick)
            km = length / ticks
            odo += km
            (lat, lon), heading = _route_point(i / ticks)
            values: dict[str, Any] = {
                ODO: round(odo),
                _GPS + "heading": heading,
                "vehicle.vehicle.avgSpeed": round(km / step.tick * 3600),
            }
            battery = BATTERY_KWH.get(self.vehicle.kind)
            if battery and soc > 0:
                soc -= km * KWH_PER_KM / battery * 100
                values |= self.soc_values(soc)
            else:
                fuel = max(fuel - km * 0.07 / 0.5, 0)  # ~7 l/100 km, 50 l tank
                values[FUEL] = round(fuel)
                values["vehicle.drivetrain.fuelSystem.remainingFuel"] = round(
                    fuel / 2, 1
                )
                values["vehicle.drivetrain.lastRemainingRange"] = round(fuel * 8.7)
                if self.vehicle.kind != "PHEV":
                    values[TOTAL_RANGE] = round(fuel * 8.7)
            await self.send(values, live=False)
            # Latitude and longitude travel in separate messages.
            await self.send({_GPS + "latitude": lat}, live=False)
            await self.send({_GPS + "longitude": lon}, live=False)

    def end_soc(self) -> dict[str, Any]:
        """The charge level cars send when a trip or a charge ends."""
        if not self.vehicle.electric or not self.soc():
            return {}
        return self.soc_values(self.soc())

    async def park_lock(self, step: Step) -> None:
        await self.send(
            {
                "vehicle.isMoving": "asn_isfalse",
                "vehicle.drivetrain.engine.isIgnitionOn": "ASN_isFalse",
                "vehicle.vehicle.avgSpeed": 0,
                "vehicle.trip.segment.end.travelledDistance": round(
                    route_length_km(), 1
                ),
            }
            | self.end_soc(),
            live=False,
        )
        if self.vehicle.idrive6:
            await self.flush()
        await self.sleep(step.tick)
        await self.send({LOCK: "SECURED", "vehicle.cabin.door.status": "ASN_secured"})
        await self.sleep(max(step.seconds - step.tick, 0))

    async def plug_in(self, step: Step) -> None:
        await self.send(
            {
                PLUGGED: True,
                "vehicle.body.chargingPort.status": "CONNECTED",
                "vehicle.body.flap.isLocked": "FLAP_LOCKED",
                STATUS: "INITIALIZATION",
            },
            live=False,
        )
        await self.sleep(step.seconds)

    async def charge(self, step: Step) -> None:
        battery = BATTERY_KWH.get(self.vehicle.kind)
        if not battery:
            return
        target = float(
            self.get("vehicle.powertrain.electric.battery.stateOfCharge.target", 100)
        )
        soc = self.soc()
        kw = 11.0 if self.vehicle.kind in {"BEV", "BEV_NK"} else 3.7
        await self.send(
            {
                _CHG + "hvStatus": "CHARGING",
                STATUS: "CHARGINGACTIVE",
                _CHG + "method": "AC_TYPE2PLUG",
                _CHG + "phaseNumber": "3-PHASES" if kw > 4 else "1-PHASES",
                _CHG + "acAmpere": 16,
                _CHG + "acVoltage": 230,
            },
            live=False,
        )
        ticks = max(int(step.seconds // step.tick), 1)
        started, first_soc, drawn = self.sim.now(), soc, 0.0
        for _ in range(ticks):
            if soc >= target:
                break
            await self.sleep(step.tick)
            drawn += kw * step.tick / 3600
            soc = min(soc + kw * step.tick / 3600 / battery * 100, target)
            minutes = round((target - soc) / 100 * battery / kw * 60)
            await self.send(
                {POWER: round(kw * 1000), _CHG + "timeToFullyCharged": minutes}
                | self.soc_values(soc),
                live=False,
            )
        # What BMW's history will answer for this charge (it agrees with
        # what was streamed): the grid energy, the levels and the place.
        place = (
            float(self.get(_GPS + "latitude", HOME[0])),
            float(self.get(_GPS + "longitude", HOME[1])),
        )
        self.vehicle.charges.append(
            ChargeRecord(
                started, self.sim.now(), drawn, first_soc, soc, place, battery_kwh=drawn
            )
        )

    async def charge_complete(self, step: Step) -> None:
        target = float(
            self.get("vehicle.powertrain.electric.battery.stateOfCharge.target", 100)
        )
        full = self.soc() >= target
        await self.send(
            {
                _CHG + "hvStatus": "FINISHED_FULLY_CHARGED"
                if full
                else "FINISHED_NOT_FULL",
                _CHG + "lastChargingReason": "CHARGING_GOAL_REACHED",
                STATUS: "CHARGINGENDED",
                _CHG + "timeToFullyCharged": 0,
                _CHG + "acAmpere": 0,
                POWER: 0,
            }
            | self.end_soc(),
            live=False,
        )
        if self.vehicle.idrive6:
            await self.flush()
        await self.sleep(step.seconds)

    async def wait(self, step: Step) -> None:
        ticks = max(int(step.seconds // step.tick), 1)
        for _ in range(ticks):
            await self.sleep(step.tick)
            if not self.vehicle.idrive6:
                # Values are resent unchanged now and then.
                await self.send({LOCK: self.get(LOCK, "SECURED")})


async def run_steps(
    sim: Simulator, vehicle: Vehicle, steps: list[Step], speed: float
) -> None:
    """Play ``steps`` for ``vehicle`` on the simulator's stream."""
    run = _Run(sim, vehicle, speed)
    for step in steps:
        handler = getattr(run, step.action, None)
        if handler is None:
            raise ValueError(f"unknown scenario action {step.action!r}")
        await handler(step)
    if run.batch:
        await run.flush()
