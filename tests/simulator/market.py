"""What a car sends depends on where it was sold: units and field names.

A car from a miles market (the UK) sends its distances in miles (``mi`` in
the stream); BMW's REST API sends the odometer with ``unit: null`` and spells
some units out (``miles``, ``kilometers``), and ``%`` where the stream says
``percent``. Real basicData answers spell some fields differently from the
OpenAPI (``countryCode``, ``colourCodeRaw``) and carry fields it does not
list. Scenario values are in km; :func:`to_wire` turns them into what the car
sends.
"""

from __future__ import annotations

from typing import Any

from .world import BASIC_DATA, STREAM_UNIT_OMITTED, Descriptor, Vehicle

KM_PER_MILE = 1.609344
# Distances: a car sold in a miles market sends these in miles.
DISTANCES = frozenset(
    {
        "vehicle.vehicle.travelledDistance",
        "vehicle.drivetrain.electricEngine.remainingElectricRange",
        "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange",
        "vehicle.drivetrain.totalRemainingRange",
        "vehicle.drivetrain.lastRemainingRange",
        "vehicle.trip.segment.end.travelledDistance",
        "vehicle.status.serviceDistance.next",
        "vehicle.powertrain.electric.range.target",
    }
)
# REST spells units its own way: the odometer comes with ``unit: null``
# (observed for km and miles cars alike), some distances spelled out.
REST_UNIT_SPELLED = {
    "vehicle.drivetrain.totalRemainingRange": {"km": "kilometers", "mi": "miles"},
    "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange": {
        "km": "km",
        "mi": "miles",
    },
}
REST_UNIT_NULL = frozenset({"vehicle.vehicle.travelledDistance"})

# The UK MINI: basicData as real answers spell it (``countryCode`` and
# ``colourCodeRaw`` instead of the OpenAPI's ``countryCodeISO`` and
# ``colourCode``), with a field the OpenAPI does not list.
BASIC_DATA_MILES: dict[str, Any] = {
    "brand": "MINI",
    "modelName": "Cooper SE",
    "series": "MINI",
    "modelRange": "F56",
    "modelKey": "XP31",
    "bodyType": "F56",
    "driveTrain": "BEV",
    "propulsionType": "BEV",
    "chargingModes": ["AC_LOW", "DC"],
    "constructionDate": "2022-01-12T00:00:00.000+0000",
    "hvsMaxEnergyAbsolute": "32.6",
    "headUnit": "ENTRYNAV2",
    "countryCode": "GB",
    "colourCodeRaw": "C3D",
    "steering": "RIGHT",
    "numberOfSeats": 4,
}


def wire_distance(vehicle: Vehicle, km: float) -> float:
    """A distance in km as ``vehicle`` sends it (km or miles)."""
    return round(km / KM_PER_MILE, 1) if vehicle.miles else km


def to_wire(vehicle: Vehicle, values: dict[str, Any]) -> dict[str, Any]:
    """Values (distances in km) as ``vehicle`` sends them (miles cars: miles)."""
    if not vehicle.miles:
        return values
    return {
        name: wire_distance(vehicle, float(value))
        if name in DISTANCES and isinstance(value, int | float)
        else value
        for name, value in values.items()
    }


def stream_unit(vehicle: Vehicle, name: str, info: Descriptor | None) -> str | None:
    """Unit key of a stream value (None: the key is left out)."""
    if name in STREAM_UNIT_OMITTED:
        return None
    if name in DISTANCES:
        return "mi" if vehicle.miles else "km"
    return info.stream_unit if info else None


def rest_unit(vehicle: Vehicle, name: str, info: Descriptor | None) -> str | None:
    """Unit of a REST telematicData value as BMW spells it there."""
    if name in REST_UNIT_NULL:
        return None
    if name in DISTANCES:
        unit = "mi" if vehicle.miles else "km"
        return REST_UNIT_SPELLED.get(name, {}).get(unit, unit)
    return info.rest_unit if info else None


def basic_data(vehicle: Vehicle) -> dict[str, Any]:
    """VehicleDto of a vehicle, spelled as BMW answers for its market."""
    if vehicle.miles:
        return {
            "vin": vehicle.vin,
            "isTelematicsCapable": True,
            "numberOfDoors": 3,
            "hasNavi": True,
            "hasSunRoof": False,
            "simStatus": "ACTIVE",
            "puStep": "0722",
            **BASIC_DATA_MILES,
        }
    return {
        "vin": vehicle.vin,
        "isTelematicsCapable": True,
        "numberOfDoors": 5,
        "hasNavi": True,
        "hasSunRoof": False,
        "countryCodeISO": "DE",
        "steering": "LEFT",
        "colourCode": "475",
        "simStatus": "ACTIVE",
        "puStep": "0323",
        **BASIC_DATA[vehicle.kind],
    }
