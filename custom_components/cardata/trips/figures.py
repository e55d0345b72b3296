"""A trip's figures in the owner's units (Home Assistant's unit system).

Distances in km or mi, fuel in litres or gallons, speed in km/h or mph, and
consumption per 100 km or per 100 mi; energy is always kWh. Trips are kept in
metric (:mod:`.model`); this is the only place that converts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from homeassistant.const import UnitOfLength, UnitOfSpeed, UnitOfVolume
from homeassistant.util.unit_conversion import (
    DistanceConverter,
    SpeedConverter,
    VolumeConverter,
)
from homeassistant.util.unit_system import UnitSystem

from .model import Trip

ENERGY_PER_100_KM: Final = "kWh/100km"
"""Home Assistant's unit of the energy-distance device class."""


@dataclass(frozen=True, slots=True)
class Units:
    """The owner's units for trips."""

    distance: str
    volume: str
    speed: str

    @classmethod
    def of(cls, system: UnitSystem) -> Units:
        """Miles with gallons and mph, else km with litres and km/h."""
        if system.length_unit == UnitOfLength.MILES:
            return cls(
                UnitOfLength.MILES, UnitOfVolume.GALLONS, UnitOfSpeed.MILES_PER_HOUR
            )
        return cls(
            UnitOfLength.KILOMETERS,
            UnitOfVolume.LITERS,
            UnitOfSpeed.KILOMETERS_PER_HOUR,
        )

    @property
    def metric(self) -> bool:
        """Whether distances are in km."""
        return self.distance == UnitOfLength.KILOMETERS

    @property
    def energy_consumption(self) -> str:
        """Unit of electric consumption: kWh/100km or kWh/100 mi."""
        return ENERGY_PER_100_KM if self.metric else "kWh/100 mi"

    @property
    def fuel_consumption(self) -> str:
        """Unit of fuel consumption: L/100 km or gal/100 mi."""
        return "L/100 km" if self.metric else "gal/100 mi"

    def distance_of(self, km: float) -> float:
        """``km`` in the owner's distance unit."""
        return DistanceConverter.convert(km, UnitOfLength.KILOMETERS, self.distance)

    def volume_of(self, litres: float) -> float:
        """``litres`` in the owner's volume unit."""
        return VolumeConverter.convert(litres, UnitOfVolume.LITERS, self.volume)

    def per_100(self, amount: float | None, km: float) -> float | None:
        """``amount`` (in the owner's unit) per 100 km or mi; None below 100 m."""
        if amount is None or km < 0.1:  # noqa: PLR2004 - too short to say
            return None
        return amount / self.distance_of(km) * 100


def figures(trip: Trip, units: Units) -> dict[str, Any]:
    """The trip's figures in the owner's units (no places)."""
    hours = trip.duration.total_seconds() / 3600
    distance = units.distance_of(trip.distance_km)
    speed = None
    if hours > 0:
        speed = SpeedConverter.convert(
            trip.distance_km / hours, UnitOfSpeed.KILOMETERS_PER_HOUR, units.speed
        )
    fuel = None if trip.fuel_l is None else units.volume_of(trip.fuel_l)
    return {
        "start": trip.start.isoformat(),
        "end": trip.end.isoformat(),
        "duration_min": round(trip.duration.total_seconds() / 60, 1),
        "distance": round(distance, 2),
        "distance_unit": units.distance,
        "distance_from": trip.distance_from,
        "average_speed": None if speed is None else round(speed, 1),
        "energy_kwh": _round(trip.energy_kwh, 2),
        "energy_consumption": _round(
            units.per_100(trip.energy_kwh, trip.distance_km), 1
        ),
        "fuel": _round(fuel, 2),
        "fuel_consumption": _round(units.per_100(fuel, trip.distance_km), 2),
        "remaining_range": None
        if trip.range_km is None
        else round(units.distance_of(trip.range_km)),
    }


def month_figures(trips: list[Trip], units: Units) -> dict[str, float | None]:
    """Distance and average consumptions of several trips (a month's)."""
    km = sum((trip.distance_km for trip in trips), 0.0)
    with_energy = [trip for trip in trips if trip.energy_kwh is not None]
    with_fuel = [trip for trip in trips if trip.fuel_l is not None]
    energy = sum(trip.energy_kwh or 0.0 for trip in with_energy)
    fuel = units.volume_of(sum(trip.fuel_l or 0.0 for trip in with_fuel))
    return {
        "distance": round(units.distance_of(km), 2),
        "energy_consumption": _round(
            units.per_100(energy, sum(t.distance_km for t in with_energy))
            if with_energy
            else None,
            1,
        ),
        "fuel_consumption": _round(
            units.per_100(fuel, sum(t.distance_km for t in with_fuel))
            if with_fuel
            else None,
            2,
        ),
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
