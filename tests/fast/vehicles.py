"""The fast tier's account: three vehicles as a previous run left them.

Values and units are as BMW's stream sends them (the simulator's default world
and what real cars were seen to send, see ``tests/simulator/world.py``), kept
here as plain data so the snapshots do not move when the simulator does. The
values are in the form the integration stores them after parsing: BMW's
``asn_istrue`` / ``asn_isfalse`` words are booleans already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

NOW = datetime(2026, 5, 1, 8, 0, 0, tzinfo=UTC)
"""The frozen time of every fast test."""

ENTRY_ID = "01JTFASTTIER0000000000CARD"
"""Fixed, so the salted VIN hashes in the stored files stay the same."""
GCID = "5b0e2d4c-7a19-4f3e-8c62-1d9a0b7e4f21"
CLIENT_ID = "0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f"

CHG = "vehicle.drivetrain.electricEngine.charging."
GPS = "vehicle.cabin.infotainment.navigation.currentLocation."
LAT = GPS + "latitude"
LON = GPS + "longitude"
SOC = "vehicle.drivetrain.batteryManagement.header"
ODOMETER = "vehicle.vehicle.travelledDistance"
HOOD = "vehicle.body.hood.isOpen"
PLUGGED = "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged"

_COMMON: dict[str, tuple[Any, str | None]] = {
    "vehicle.isMoving": (False, None),
    "vehicle.drivetrain.engine.isIgnitionOn": (False, None),
    "vehicle.cabin.door.status": ("ASN_unlocked", None),
    "vehicle.cabin.door.row1.driver.isOpen": ("CLOSED", None),
    "vehicle.body.trunk.isOpen": ("CLOSED", None),
    HOOD: ("CLOSED", None),
    "vehicle.cabin.window.row1.driver.status": ("CLOSED", None),
    "vehicle.vehicle.avgSpeed": (0, "km/h"),
    "vehicle.chassis.axle.row1.wheel.left.tire.pressure": (250, "kPa"),
    "vehicle.electricalSystem.battery.voltage": (12.6, "V"),
    # A word outside the catalogue's list (observed on climate timers).
    "vehicle.cabin.climate.timers.weekdaysTimer1.action": ("deactive", None),
}


@dataclass(frozen=True)
class Vehicle:
    """One vehicle of the account: its device and its last values."""

    vin: str
    brand: str
    model: str
    model_id: str
    head_unit: str
    drive_train: str
    sent_at: datetime
    """BMW's timestamp of the values (received a second later)."""
    values: dict[str, tuple[Any, str | None]]

    @property
    def name(self) -> str:
        """The device name the integration gives it: brand and VIN tail."""
        return f"{self.brand} {self.vin[-4:]}"


# An electric car charging at home on AC (three phases, 11 kW).
BEV = Vehicle(
    vin="WBY21CF0000FT0001",
    brand="BMW",
    model="iX xDrive50",
    model_id="21CF",
    head_unit="MGU",
    drive_train="BEV",
    sent_at=NOW - timedelta(minutes=2),
    values={
        **_COMMON,
        ODOMETER: (12_345.0, "km"),
        "vehicle.cabin.door.lock.status": ("SECURED", None),
        LAT: (48.177_662, "degrees"),
        LON: (11.556_120, "degrees"),
        GPS + "heading": (90, "degrees"),
        SOC: (62.5, "percent"),
        # The stream leaves the unit of the charge level out (observed).
        CHG + "level": (62.5, None),
        CHG + "hvStatus": ("CHARGING", None),
        CHG + "status": ("CHARGINGACTIVE", None),
        CHG + "timeToFullyCharged": (95, "min"),
        CHG + "acAmpere": (16, "A"),
        CHG + "acVoltage": (230.0, "V"),
        CHG + "phaseNumber": ("3-PHASES", None),
        CHG + "method": ("AC_TYPE2PLUG", None),
        "vehicle.drivetrain.electricEngine.remainingElectricRange": (310.0, "km"),
        "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange": (
            310.0,
            "km",
        ),
        "vehicle.powertrain.electric.battery.charging.power": (11_000, "W"),
        "vehicle.powertrain.electric.battery.stateOfCharge.target": (80, "percent"),
        "vehicle.body.chargingPort.status": ("CONNECTED", None),
        "vehicle.body.chargingPort.dcStatus": ("DISCONNECTED", None),
        "vehicle.body.flap.isLocked": ("FLAP_LOCKED", None),
        PLUGGED: (True, None),
        "vehicle.drivetrain.totalRemainingRange": (310.0, "km"),
    },
)

# A plug-in hybrid parked since the morning, not plugged in.
PHEV = Vehicle(
    vin="WBA5P510000FT0002",
    brand="BMW",
    model="330e",
    model_id="5P51",
    head_unit="MGU",
    drive_train="PHEV",
    sent_at=NOW - timedelta(hours=5),
    values={
        **_COMMON,
        ODOMETER: (41_230.0, "km"),
        "vehicle.cabin.door.lock.status": ("UNLOCKED", None),
        LAT: (48.137_154, "degrees"),
        LON: (11.576_124, "degrees"),
        GPS + "heading": (270, "degrees"),
        SOC: (65.0, "percent"),
        CHG + "level": (65.0, None),
        CHG + "hvStatus": ("NOT_CHARGING", None),
        CHG + "status": ("NOCHARGING", None),
        CHG + "timeToFullyCharged": (0, "min"),
        CHG + "method": ("NOCHARGING", None),
        "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange": (45.0, "km"),
        "vehicle.powertrain.electric.battery.charging.power": (0, "W"),
        "vehicle.body.chargingPort.status": ("DISCONNECTED", None),
        # No DC charging on a PHEV: BMW sends INVALID (observed).
        "vehicle.body.chargingPort.dcStatus": ("INVALID", None),
        "vehicle.body.flap.isLocked": ("FLAP_UNLOCKED", None),
        PLUGGED: (False, None),
        "vehicle.drivetrain.fuelSystem.level": (55, None),
        "vehicle.drivetrain.fuelSystem.remainingFuel": (30.0, "l"),
        "vehicle.drivetrain.lastRemainingRange": (480.0, "km"),
        "vehicle.drivetrain.totalRemainingRange": (525.0, "km"),
    },
)

# A combustion MINI (iDrive 6: sends only at the end of a trip), two days parked.
ICE = Vehicle(
    vin="WMWXR710000FT0003",
    brand="MINI",
    model="Cooper S",
    model_id="XR71",
    head_unit="ID6",
    drive_train="CONV",
    sent_at=NOW - timedelta(days=2),
    values={
        **_COMMON,
        ODOMETER: (98_765.0, "km"),
        "vehicle.cabin.door.lock.status": ("LOCKED", None),
        LAT: (48.208_176, "degrees"),
        LON: (11.460_512, "degrees"),
        GPS + "heading": (180, "degrees"),
        "vehicle.drivetrain.fuelSystem.level": (40, None),
        "vehicle.drivetrain.fuelSystem.remainingFuel": (17.5, "l"),
        "vehicle.drivetrain.lastRemainingRange": (320.0, "km"),
        "vehicle.drivetrain.totalRemainingRange": (320.0, "km"),
    },
)

VEHICLES = (BEV, PHEV, ICE)


def basic_data(vehicle: Vehicle) -> dict[str, Any]:
    """BMW's basicData answer for a vehicle (as the simulator's world has it)."""
    return {
        "vin": vehicle.vin,
        "brand": vehicle.brand,
        "modelName": vehicle.model,
        "modelKey": vehicle.model_id,
        "headUnit": vehicle.head_unit,
        "puStep": "0725",
        "driveTrain": vehicle.drive_train,
        "constructionDate": "2023-03-14T00:00:00.000+0000",
    }


def mapping(vehicle: Vehicle) -> dict[str, Any]:
    """One row of BMW's vehicle mappings: the account is the primary user."""
    return {
        "vin": vehicle.vin,
        "mappedSince": "2024-01-10T09:00:00.000Z",
        "mappingType": "PRIMARY",
    }
