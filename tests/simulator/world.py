"""Accounts, vehicles and descriptor facts of the simulated BMW back end.

A small built-in descriptor table keeps the scenarios working without BMW's
catalogue; when the catalogue CSV is found (``CARDATA_REFERENCE_DIR``,
default ``<repo>/../shared/reference/bmw``) its descriptors, types, units
and enum values are used on top of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import datetime as dt
import re
from typing import Any

GCID_A = "6a1f3c2e-8b4d-4e71-9f0a-2c5d7e9b1a30"
CLIENT_A = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"
GCID_B = "7d2e4f60-1a3b-4c5d-8e9f-a0b1c2d3e4f5"
CLIENT_B = "2c3d4e5f-6071-4b8c-9d0e-1f2a3b4c5d6e"
CLIENT_NO_STREAM = "3d4e5f60-7182-4c9d-ae0f-2a3b4c5d6e7f"
VIN_BEV = "WBY00000000BEV001"
VIN_PHEV = "WBA0000000PHEV002"
VIN_SECONDARY = "WBA00000000SEC003"
VIN_ID6 = "WBA00000000XD6004"
VIN_NK = "WBA00000000NKL006"  # a Neue Klasse iX3 (account C, with the MINI)
VIN_GPS = "WBA00000000GPS007"  # sends only its position (not in the default world)
# A MINI from a miles market (UK): distances in miles, its own account.
GCID_C = "9f4a6182-3c5d-4e7f-a0b1-c2d3e4f5a6b7"
CLIENT_C = "4e5f6071-8293-4dae-bf10-3b4c5d6e7f80"
VIN_MILES = "WMW00000000GBR005"
# A MINI of account C for which BMW has no basic data (basicData answers 404).
VIN_NO_BASIC = "WMW00000000NBD008"
# Owner (PRIMARY user) of VIN_SECONDARY; it has no client id in the world.
GCID_OWNER_OF_SECONDARY = "8e3f5071-2b4c-4d6e-9fa0-b1c2d3e4f5a6"

VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
SCOPE_API = "cardata:api:read"
SCOPE_STREAM = "cardata:streaming:read"
BASE_SCOPES = ("authenticate_user", "openid")


@dataclass(frozen=True, slots=True)
class Descriptor:
    """Facts about one technical descriptor."""

    name: str
    data_type: str
    unit: str | None  # catalogue spelling, None for "-"/empty
    values: tuple[str, ...] = ()
    category: str = ""

    @property
    def stream_unit(self) -> str | None:
        """Unit as the stream spells it (``percent`` rather than ``%``)."""
        return "percent" if self.unit == "%" else self.unit

    @property
    def rest_unit(self) -> str | None:
        """Unit as REST spells it (``%`` rather than ``percent``)."""
        return "%" if self.unit == "percent" else self.unit


def _d(name: str, data_type: str, unit: str | None, *values: str) -> Descriptor:
    return Descriptor(name, data_type, unit, tuple(values))


_V = "vehicle."
_CHG = "vehicle.drivetrain.electricEngine.charging."
_GPS = "vehicle.cabin.infotainment.navigation.currentLocation."
_PLUGGED = "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged"
DISPLAYED = "vehicle.powertrain.electric.battery.stateOfCharge.displayed"
STATE_OF_HEALTH = "vehicle.powertrain.electric.battery.stateOfHealth.displayed"
"""Held by every electrified car, answered by a container read only: BMW never
streams it, and nothing here publishes it."""
CHECK_CONTROL = "vehicle.status.checkControlMessages"
"""Held by every car, answered by a container read only (BMW never streams it):
a list of messages as BMW's apps have shown them; the iX (BEV) has one, the
other electrified cars an empty list, the iDrive 6 MINI no value at all."""
_TIMER1 = "vehicle.cabin.climate.timers.weekdaysTimer1."
BUILTIN: dict[str, Descriptor] = {
    d.name: d
    for d in (
        _d(_V + "vehicle.travelledDistance", "float", None),
        _d(
            _V + "isMoving",
            "boolean",
            None,
            "ASN_isFalse",
            "ASN_isTrue",
            "ASN_isUnknown",
        ),
        _d(
            _V + "drivetrain.engine.isIgnitionOn",
            "boolean",
            None,
            "ASN_isFalse",
            "ASN_isTrue",
        ),
        _d(_V + "cabin.door.status", "string", None),
        _d(_V + "cabin.door.lock.status", "-", None, "SECURED", "UNLOCKED", "LOCKED"),
        _d(_V + "cabin.door.row1.driver.isOpen", "boolean", None, "OPEN", "CLOSED"),
        _d(_V + "body.trunk.isOpen", "boolean", None, "CLOSED", "OPEN", "INVALID"),
        _d(_V + "body.hood.isOpen", "boolean", None, "CLOSED", "OPEN", "INVALID"),
        _d(_V + "cabin.window.row1.driver.status", "string", None, "CLOSED", "OPEN"),
        _d(_GPS + "latitude", "double", "degrees"),
        _d(_GPS + "longitude", "double", "degrees"),
        _d(_GPS + "heading", "double", "degrees"),
        _d(_V + "vehicle.avgSpeed", "uint16", "km/h"),
        _d(_V + "drivetrain.batteryManagement.header", "float", "percent"),
        _d(_CHG + "level", "float", "%"),
        _d(
            _CHG + "hvStatus",
            "string",
            None,
            "NOT_CHARGING",
            "CHARGING",
            "FINISHED_FULLY_CHARGED",
        ),
        # The catalogue's value range of this row is copied from another row;
        # cars send the words its description names (observed).
        _d(
            _CHG + "status",
            "string",
            None,
            "NOCHARGING",
            "INITIALIZATION",
            "CHARGINGACTIVE",
            "CHARGINGPAUSED",
            "CHARGINGENDED",
            "CHARGINGERROR",
        ),
        _d(_CHG + "timeToFullyCharged", "uint16", "min"),
        _d(_CHG + "acAmpere", "uint8", "A"),
        _d(_CHG + "acVoltage", "float", "V"),
        _d(_CHG + "phaseNumber", "string", None, "NO_CHARGING", "3-PHASES"),
        _d(_CHG + "method", "string", None, "AC_TYPE2PLUG", "NOCHARGING"),
        _d(_CHG + "lastChargingReason", "string", None, "CHARGING_GOAL_REACHED"),
        _d(_V + "drivetrain.electricEngine.remainingElectricRange", "float", "km"),
        _d(_V + "drivetrain.electricEngine.kombiRemainingElectricRange", "float", None),
        _d(_V + "powertrain.electric.battery.charging.power", "int32", "W"),
        _d(_V + "powertrain.electric.battery.stateOfCharge.target", "uint8", "%"),
        _d(DISPLAYED, "float", "%"),
        _d(STATE_OF_HEALTH, "uint8", "%"),
        _d(CHECK_CONTROL, "-", None),
        _d(
            _V + "body.chargingPort.status", "string", None, "CONNECTED", "DISCONNECTED"
        ),
        _d(
            _V + "body.chargingPort.dcStatus",
            "string",
            None,
            "DISCONNECTED",
            "CONNECTED",
            "INVALID",
        ),
        _d(
            _TIMER1 + "action",
            "string",
            None,
            "ACTIVATE",
            "DEACTIVATE",
            "NO_ACTION",
        ),
        _d(_V + "body.flap.isLocked", "boolean", None, "FLAP_UNLOCKED", "FLAP_LOCKED"),
        _d(
            _V + "powertrain.tractionBattery.charging.port.anyPosition.isPlugged",
            "boolean",
            None,
            "true",
            "false",
        ),
        _d(_V + "drivetrain.fuelSystem.level", "uint8", "%"),
        _d(_V + "drivetrain.fuelSystem.remainingFuel", "float", None),
        _d(_V + "drivetrain.totalRemainingRange", "float", "km"),
        _d(_V + "drivetrain.lastRemainingRange", "float", "km"),
        _d(_V + "trip.segment.end.travelledDistance", "float", None),
        _d(_V + "chassis.axle.row1.wheel.left.tire.pressure", "uint16", "kPa"),
        _d(_V + "electricalSystem.battery.voltage", "float", "V"),
        _d(_V + "chassis.axle.wheel.tire.diagnosis", "-", None),
        _d(_V + "look.image", "-", None),
        _d(_V + "powertrain.electric.battery.charging.history.sessionsList", "-", None),
        _d(_V + "powertrain.electric.battery.charging.settingsList", "-", None),
        _d(_V + "vehicleIdentification.basicVehicleData", "-", None),
    )
}
# Keys bound to a dedicated endpoint or basic data: never in telematicData.
DEDICATED = frozenset(
    {
        "vehicle.chassis.axle.wheel.tire.diagnosis",
        "vehicle.look.image",
        "vehicle.powertrain.electric.battery.charging.history.sessionsList",
        "vehicle.powertrain.electric.battery.charging.settingsList",
        "vehicle.vehicleIdentification.basicVehicleData",
    }
)
# Observed: the stream often leaves the unit out, even for percentages.
STREAM_UNIT_OMITTED = frozenset(
    {
        _CHG + "level",
        "vehicle.drivetrain.fuelSystem.level",
        "vehicle.trip.segment.end.travelledDistance",
    }
)
# Keys BMW accepts in containers although the published catalogue lacks them
# (BMW's live key set is larger; Neue Klasse cars send these).
LIVE_EXTRAS = frozenset(
    {
        "vehicle.powertrain.electric.battery.stateOfCharge.displayed",
    }
)


MILES_VINS = frozenset({VIN_MILES})


@dataclass
class StateValue:
    """Latest value of one descriptor as the back end holds it."""

    value: Any
    timestamp: dt.datetime


@dataclass(frozen=True, slots=True)
class ChargeRecord:
    """One charge the car really did: what BMW's history answers for it."""

    start: dt.datetime
    end: dt.datetime
    grid_kwh: float
    start_soc: float
    end_soc: float
    place: tuple[float, float]
    blocks: tuple[tuple[dt.datetime, dt.datetime, float], ...] = ()
    """Start, end and average grid kW; empty: one block start to end."""
    public: str | None = None
    """The provider's name when BMW matched a public charging point."""
    battery_kwh: float = 0.0
    time_zone: str = "Europe/Berlin"


@dataclass
class Vehicle:
    """A simulated vehicle."""

    vin: str
    kind: str  # "BEV" | "PHEV" | "ICE_ID6"
    supported: frozenset[str]
    state: dict[str, StateValue] = field(default_factory=dict)
    battery_kwh: float = 0.0
    tank_l: float = 0.0
    distance_unit: str = ""
    """``km`` or ``mi``; empty: by market (miles for VINs in MILES_VINS)."""
    charges: list[ChargeRecord] = field(default_factory=list)
    """Charges the car did (scenario or benchmark): the charging history
    answers these when there are any, so it agrees with the stream."""
    history_shape: str = "classic"
    """``classic`` (with ``chargingCostInformation``) or ``v15`` (BMW's guide
    v1.5: battery-side energy instead of the cost)."""
    has_basic_data: bool = True
    """False: BMW keeps no basic data of the car; basicData answers 404."""

    @property
    def miles(self) -> bool:
        """True for a car from a miles market (distances in miles)."""
        return self.distance_unit == "mi" or (
            not self.distance_unit and self.vin in MILES_VINS
        )

    @property
    def electric(self) -> bool:
        """True for vehicles with a traction battery."""
        return self.kind in {"BEV", "PHEV", "BEV_NK"}

    @property
    def idrive6(self) -> bool:
        """True for older vehicles that send only at trip or charge end."""
        return self.kind.endswith("ID6")


@dataclass
class Mapping:
    """A VIN mapped to an account."""

    vin: str
    mapping_type: str
    mapped_since: dt.datetime
    streams: bool = True
    """Whether the car streams to this account: always for PRIMARY; a SECONDARY
    mapping streams when the car's owner shared it that way (reported), while
    REST refuses it (CU-104)."""


@dataclass
class Account:
    """A BMW ID (GCID) with its CarData clients and mapped vehicles."""

    gcid: str
    clients: dict[str, frozenset[str]] = field(default_factory=dict)
    mappings: dict[str, Mapping] = field(default_factory=dict)

    def primary_vins(self) -> list[str]:
        """VINs this account may read."""
        return [m.vin for m in self.mappings.values() if m.mapping_type == "PRIMARY"]


_COMMON = {
    "vehicle.vehicle.travelledDistance",
    "vehicle.isMoving",
    "vehicle.drivetrain.engine.isIgnitionOn",
    "vehicle.cabin.door.status",
    "vehicle.cabin.door.lock.status",
    "vehicle.cabin.door.row1.driver.isOpen",
    "vehicle.body.trunk.isOpen",
    "vehicle.body.hood.isOpen",
    "vehicle.cabin.window.row1.driver.status",
    _GPS + "latitude",
    _GPS + "longitude",
    _GPS + "heading",
    "vehicle.vehicle.avgSpeed",
    "vehicle.chassis.axle.row1.wheel.left.tire.pressure",
    "vehicle.electricalSystem.battery.voltage",
    "vehicle.drivetrain.totalRemainingRange",
    "vehicle.trip.segment.end.travelledDistance",
    _TIMER1 + "action",
    CHECK_CONTROL,
}
_EV = {
    "vehicle.drivetrain.batteryManagement.header",
    _CHG + "level",
    _CHG + "hvStatus",
    _CHG + "status",
    _CHG + "timeToFullyCharged",
    _CHG + "acAmpere",
    _CHG + "acVoltage",
    _CHG + "phaseNumber",
    _CHG + "method",
    _CHG + "lastChargingReason",
    "vehicle.drivetrain.electricEngine.remainingElectricRange",
    "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange",
    "vehicle.powertrain.electric.battery.charging.power",
    "vehicle.powertrain.electric.battery.stateOfCharge.target",
    "vehicle.body.chargingPort.status",
    "vehicle.body.chargingPort.dcStatus",
    "vehicle.body.flap.isLocked",
    "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged",
    STATE_OF_HEALTH,
}
_FUEL = {
    "vehicle.drivetrain.fuelSystem.level",
    "vehicle.drivetrain.fuelSystem.remainingFuel",
    "vehicle.drivetrain.lastRemainingRange",
}
# Neue Klasse: the charge level only on stateOfCharge.displayed.
_NK = (_EV - {"vehicle.drivetrain.batteryManagement.header", _CHG + "level"}) | {
    DISPLAYED
}
SUPPORTED: dict[str, frozenset[str]] = {
    "BEV": frozenset(_COMMON | _EV),
    "BEV_NK": frozenset(_COMMON | _NK),
    "PHEV": frozenset(_COMMON | _EV | _FUEL),
    "ICE_ID6": frozenset(_COMMON | _FUEL),
    # Some cars send little beyond their position: no mileage, no motion.
    "GPS_ONLY": frozenset({_GPS + "latitude", _GPS + "longitude", _GPS + "heading"}),
}

# Munich, parked at home.
HOME = (48.177_662, 11.556_120)


def initial_values(kind: str) -> dict[str, Any]:
    """Wire-form starting values of a parked, unlocked vehicle of ``kind``."""
    values: dict[str, Any] = {
        "vehicle.vehicle.travelledDistance": 12_345.0
        if kind != "ICE_ID6"
        else 98_765.0,
        "vehicle.isMoving": "asn_isfalse",
        "vehicle.drivetrain.engine.isIgnitionOn": "ASN_isFalse",
        "vehicle.cabin.door.status": "ASN_unlocked",
        "vehicle.cabin.door.lock.status": "UNLOCKED",
        "vehicle.cabin.door.row1.driver.isOpen": "CLOSED",
        "vehicle.body.trunk.isOpen": "CLOSED",
        "vehicle.body.hood.isOpen": "CLOSED",
        "vehicle.cabin.window.row1.driver.status": "CLOSED",
        _GPS + "latitude": HOME[0],
        _GPS + "longitude": HOME[1],
        _GPS + "heading": 90,
        "vehicle.vehicle.avgSpeed": 0,
        "vehicle.chassis.axle.row1.wheel.left.tire.pressure": 250,
        "vehicle.electricalSystem.battery.voltage": 12.6,
        # A word outside the catalogue's list (observed on climate timers).
        _TIMER1 + "action": "deactive",
    }
    if kind in {"BEV", "PHEV", "BEV_NK"}:  # the iDrive 6 MINI: no value
        values[CHECK_CONTROL] = (
            [{"type": "TIRE_PRESSURE", "severity": "LOW"}] if kind == "BEV" else []
        )
    if kind in {"BEV", "PHEV", "BEV_NK"}:
        soc = {"BEV": 80.0, "PHEV": 65.0}.get(kind, 70.0)
        rng = {"BEV": 360.0, "PHEV": 45.0}.get(kind, 400.0)
        values |= {
            "vehicle.drivetrain.batteryManagement.header": soc,
            _CHG + "level": soc,
            _CHG + "hvStatus": "NOT_CHARGING",
            _CHG + "status": "NOCHARGING",
            # No DC charging on a PHEV: BMW has no value.
            "vehicle.body.chargingPort.dcStatus": "DISCONNECTED"
            if kind == "BEV"
            else "INVALID",
            _CHG + "timeToFullyCharged": 0,
            _CHG + "acAmpere": 0,
            _CHG + "acVoltage": 0,
            _CHG + "phaseNumber": "NO_CHARGING",
            _CHG + "method": "NOCHARGING",
            "vehicle.drivetrain.electricEngine.remainingElectricRange": rng,
            "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange": rng,
            "vehicle.powertrain.electric.battery.charging.power": 0,
            "vehicle.powertrain.electric.battery.stateOfCharge.target": 100,
            "vehicle.body.chargingPort.status": "DISCONNECTED",
            "vehicle.body.flap.isLocked": "FLAP_LOCKED",
            _PLUGGED: False,
            STATE_OF_HEALTH: {"BEV": 96, "PHEV": 91}.get(kind, 99),
        }
    if kind == "BEV_NK":
        # The charge level only on stateOfCharge.displayed.
        del values["vehicle.drivetrain.batteryManagement.header"]
        del values[_CHG + "level"]
        values |= {
            DISPLAYED: 70.0,
            "vehicle.powertrain.electric.battery.stateOfCharge.target": 80,
        }
    if kind in {"PHEV", "ICE_ID6"}:
        values |= {
            "vehicle.drivetrain.fuelSystem.level": 55,
            "vehicle.drivetrain.fuelSystem.remainingFuel": 30.0,
            "vehicle.drivetrain.lastRemainingRange": 480.0,
        }
    values["vehicle.drivetrain.totalRemainingRange"] = {
        "BEV": 360.0,
        "PHEV": 525.0,
        "ICE_ID6": 480.0,
        "BEV_NK": 400.0,
    }.get(kind, 0.0)
    return values


BASIC_DATA: dict[str, dict[str, Any]] = {
    "BEV": {
        "brand": "BMW",
        "modelName": "iX xDrive50",
        "series": "iX",
        "modelRange": "I20",
        "modelKey": "21CF",
        "bodyType": "I20",
        "driveTrain": "BEV",
        "propulsionType": "BE",
        "chargingModes": ["AC_LOW", "AC_HIGH", "DC"],
        "constructionDate": "2023-03-14T00:00:00.000+0000",
        "hvsMaxEnergyAbsolute": "111.5",
        "headUnit": "MGU",
    },
    "PHEV": {
        "brand": "BMW",
        "modelName": "330e",
        "series": "3",
        "modelRange": "G20",
        "modelKey": "5P51",
        "bodyType": "G20",
        "driveTrain": "PHEV",
        "propulsionType": "PHEV",
        "chargingModes": ["AC_LOW", "AC_HIGH"],
        "constructionDate": "2021-06-01T00:00:00.000+0000",
        "hvsMaxEnergyAbsolute": "12.0",
        "headUnit": "MGU",
    },
    "BEV_NK": {
        "brand": "BMW",
        "modelName": "iX3 50 xDrive",
        "series": "iX3",
        "modelRange": "NA5",
        "modelKey": "61EA",
        "bodyType": "NA5",
        "driveTrain": "BEV",
        "propulsionType": "BE",
        "chargingModes": ["AC_LOW", "AC_HIGH", "DC"],
        "constructionDate": "2025-11-01T00:00:00.000+0000",
        "hvsMaxEnergyAbsolute": "108.7",
        "headUnit": "NK",
    },
    # basicData contradicts itself for some cars (observed): a petrol car
    # reported as propulsionType "BE" with driveTrain "CONV".
    "ICE_ID6": {
        "brand": "MINI",
        "modelName": "Cooper S",
        "series": "MINI",
        "modelRange": "F56",
        "modelKey": "XR71",
        "bodyType": "F56",
        "driveTrain": "CONV",
        "propulsionType": "BE",
        "chargingModes": [],
        "constructionDate": "2017-09-20T00:00:00.000+0000",
        "headUnit": "ID6",
    },
}
