"""Trip traces: what cars send over a day of drives, and the trips behind it.

A :class:`TraceCar` parks, drives along waypoints at a speed and charges; it
records every message it would send (BMW timestamps, descriptors in wire
form) and each true trip (start, end, the mileage difference it sent, the
energy and fuel it used). Tests hand the messages to the coordinator in
order and compare the integration's journal with the true trips.

What a car sends is chosen per car: motion (``isMoving`` and the ignition),
the odometer (one decimal), the position (latitude and longitude in separate
messages with the same timestamp, every tick and, like a tracker, at each
turn), the charge level and usable capacity, the tank content. A car that
sends only its position has no motion and no odometer: its true distance is
the length of the route it drove.

The traces: :func:`commute`, :func:`short_hops`, :func:`long_trip`
(with a charging stop), :func:`position_only`, :func:`plug_in_hybrid`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
import itertools
from typing import Any

from homeassistant.util.location import distance

from .world import HOME

MOVING = "vehicle.isMoving"
IGNITION = "vehicle.drivetrain.engine.isIgnitionOn"
ODOMETER = "vehicle.vehicle.travelledDistance"
_GPS = "vehicle.cabin.infotainment.navigation.currentLocation."
LAT = _GPS + "latitude"
LON = _GPS + "longitude"
SOC = "vehicle.drivetrain.batteryManagement.header"
SIZE_MAX = "vehicle.drivetrain.batteryManagement.batterySizeMax"
FUEL = "vehicle.drivetrain.fuelSystem.remainingFuel"
RANGE = "vehicle.drivetrain.totalRemainingRange"
STATUS = "vehicle.drivetrain.electricEngine.charging.hvStatus"

type Point = tuple[float, float]

WORK: Point = (48.137_154, 11.576_124)
"""Munich's centre (about 5 km from :data:`~.world.HOME`)."""
AIRPORT: Point = (48.353_783, 11.786_086)
AUGSBURG: Point = (48.370_545, 10.897_790)
NUREMBERG: Point = (49.452_030, 11.076_750)
TO_WORK: tuple[Point, ...] = (
    HOME,
    (48.170_100, 11.560_300),
    (48.158_700, 11.566_900),
    (48.149_800, 11.570_200),
    WORK,
)
TO_BAKERY: tuple[Point, ...] = (
    HOME,
    (48.183_100, 11.561_400),
    (48.190_420, 11.573_050),
)
TO_NUREMBERG: tuple[Point, ...] = (
    HOME,
    (48.262_000, 11.470_000),
    (48.486_000, 11.468_000),
    (48.780_000, 11.430_000),
)
"""Home to a fast charger north of Munich (about 70 km)."""
ON_TO_NUREMBERG: tuple[Point, ...] = (
    (48.780_000, 11.430_000),
    (49.100_000, 11.250_000),
    NUREMBERG,
)


def km_between(a: Point, b: Point) -> float:
    """Length of one leg in km (Home Assistant's own distance)."""
    return (distance(a[0], a[1], b[0], b[1]) or 0.0) / 1000


def route_km(points: tuple[Point, ...]) -> float:
    """Length of a route in km."""
    return sum(km_between(a, b) for a, b in itertools.pairwise(points))


@dataclass(frozen=True, slots=True)
class TrueTrip:
    """One drive as it really happened."""

    start: datetime
    end: datetime
    km: float
    """The mileage difference the car sent (the route's length if it sends none)."""
    energy_kwh: float | None = None
    fuel_l: float | None = None


@dataclass
class TraceCar:
    """A car and everything it sends (see the module docstring)."""

    vin: str
    now: datetime
    position: Point = HOME
    odometer: float = 12_345.0
    soc: float | None = 80.0
    capacity_kwh: float | None = 80.0
    fuel_l: float | None = None
    motion: bool = True
    sends_odometer: bool = True
    kwh_per_km: float = 0.18
    l_per_km: float = 0.065
    electric_floor: float = 0.0
    """Below this charge level a plug-in hybrid drives on fuel."""
    tick: float = 30.0
    messages: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)
    trips: list[TrueTrip] = field(default_factory=list)

    def _send(self, values: dict[str, Any], at: datetime | None = None) -> None:
        if values:
            self.messages.append((at or self.now, values))

    def _send_position(self, at: datetime | None = None) -> None:
        lat, lon = (round(v, 6) for v in self.position)
        self._send({LAT: lat}, at)
        self._send({LON: lon}, at)

    def _levels(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if self.sends_odometer:
            values[ODOMETER] = round(self.odometer, 1)
        if self.soc is not None:
            values[SOC] = round(self.soc, 1)
        if self.fuel_l is not None:
            values[FUEL] = round(self.fuel_l, 1)
        if self.soc is not None or self.fuel_l is not None:
            km = (self.soc or 0) / 100 * (self.capacity_kwh or 0) / self.kwh_per_km
            km += (self.fuel_l or 0) / self.l_per_km
            values[RANGE] = round(km)
        return values

    def park(self, minutes: float) -> None:
        """Stand still (the car reports where it is and its levels once)."""
        values = self._levels()
        if self.motion:
            values |= {MOVING: "asn_isfalse", IGNITION: "ASN_isFalse"}
        if self.capacity_kwh is not None:
            values[SIZE_MAX] = self.capacity_kwh
        self._send(values)
        self._send_position()
        self.now += timedelta(minutes=minutes)

    def drive(self, route: tuple[Point, ...], speed_kmh: float) -> TrueTrip:
        """Drive along ``route`` (its first point is where the car stands)."""
        start, start_odo = self.now, self._sent_odometer()
        start_soc, start_fuel = self.soc, self.fuel_l
        if self.motion:
            self._send({MOVING: "asn_istrue", IGNITION: "ASN_isTrue"})
        per_second = speed_kmh / 3600
        clock = 0.0  # seconds since the last tick
        for a, b in itertools.pairwise(route):
            leg = km_between(a, b)
            done = 0.0
            while done < leg:
                step = min((self.tick - clock) * per_second, leg - done)
                done += step
                clock += step / per_second
                self._use(step)
                f = done / leg
                self.position = (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f)
                at = self.now + timedelta(seconds=clock)
                if clock >= self.tick - 1e-9:
                    self.now, clock = at, 0.0
                    self._send(self._levels())
                    self._send_position()
                elif done >= leg:
                    self._send_position(at)  # a turn: reported like a tracker
        self.now += timedelta(seconds=clock)
        end_values = self._levels()
        if self.motion:
            end_values |= {MOVING: "asn_isfalse", IGNITION: "ASN_isFalse"}
        self._send(end_values)
        self._send_position()
        km = (
            self._sent_odometer() - start_odo
            if self.sends_odometer
            else route_km(route)
        )
        energy = None
        if start_soc is not None and self.soc is not None and self.capacity_kwh:
            energy = (start_soc - self.soc) / 100 * self.capacity_kwh
        fuel = None
        if start_fuel is not None and self.fuel_l is not None:
            fuel = start_fuel - self.fuel_l
        trip = TrueTrip(start, self.now, km, energy, fuel)
        self.trips.append(trip)
        return trip

    def _sent_odometer(self) -> float:
        return round(self.odometer, 1)

    def _use(self, km: float) -> None:
        self.odometer += km
        if (
            self.soc is not None
            and self.capacity_kwh
            and self.soc > self.electric_floor
        ):
            self.soc = max(
                self.soc - km * self.kwh_per_km / self.capacity_kwh * 100,
                self.electric_floor,
            )
        elif self.fuel_l is not None:
            self.fuel_l = max(self.fuel_l - km * self.l_per_km, 0.0)

    def charge(self, minutes: float, kw: float) -> None:
        """Stand at a charger: the charge level rises (no trip)."""
        assert self.soc is not None
        assert self.capacity_kwh
        self._send({STATUS: "CHARGING"})
        for _ in range(int(minutes * 60 // self.tick)):
            self.now += timedelta(seconds=self.tick)
            self.soc = min(
                self.soc + kw * self.tick / 3600 / self.capacity_kwh * 100, 100
            )
            self._send({SOC: round(self.soc, 1)})
        self._send({STATUS: "FINISHED_NOT_FULL"} | self._levels())
        self.now += timedelta(minutes=1)


def commute(vin: str, start: datetime) -> TraceCar:
    """To work in the morning, back in the evening."""
    car = TraceCar(vin, start)
    car.park(30)
    car.drive(TO_WORK, 35)
    car.park(8 * 60)
    car.drive(tuple(reversed(TO_WORK)), 30)
    car.park(60)
    return car


def short_hops(vin: str, start: datetime) -> TraceCar:
    """To the bakery and back, twice, with short stops."""
    car = TraceCar(vin, start)
    car.park(20)
    for _ in range(2):
        car.drive(TO_BAKERY, 30)
        car.park(12)
        car.drive(tuple(reversed(TO_BAKERY)), 30)
        car.park(25)
    return car


def long_trip(vin: str, start: datetime, odometer: float = 12_345.0) -> TraceCar:
    """Munich to Nuremberg with a fast charge on the way (two trips)."""
    car = TraceCar(
        vin, start, odometer=odometer, soc=60.0, capacity_kwh=105.2, kwh_per_km=0.2
    )
    car.park(10)
    car.drive(TO_NUREMBERG, 110)
    car.park(2)
    car.charge(25, 150.0)
    car.park(3)
    car.drive(ON_TO_NUREMBERG, 115)
    car.park(30)
    return car


def position_only(vin: str, start: datetime) -> TraceCar:
    """A car that sends its position and nothing else: three drives."""
    car = TraceCar(
        vin,
        start,
        soc=None,
        capacity_kwh=None,
        motion=False,
        sends_odometer=False,
        tick=20.0,
    )
    car.park(15)
    car.drive(TO_WORK, 40)
    car.park(45)
    car.drive((WORK, AIRPORT), 80)
    car.park(90)
    car.drive((AIRPORT, WORK, *reversed(TO_WORK[:-1])), 70)
    return car


def plug_in_hybrid(vin: str, start: datetime) -> TraceCar:
    """A plug-in hybrid: electric until its battery is low, then on fuel."""
    car = TraceCar(
        vin, start, soc=30.0, capacity_kwh=12.0, fuel_l=40.0, electric_floor=10.0
    )
    car.park(10)
    car.drive((HOME, AUGSBURG), 90)
    car.park(120)
    car.drive((AUGSBURG, HOME), 100)
    car.park(30)
    return car
