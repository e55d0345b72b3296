"""Hand corrections to BMW's telematics catalogue.

The generated table (``generated/catalogue.py``) holds BMW's facts as listed.
Where those facts are wrong, ambiguous or not enough to type an entity, this
module says what we do instead. ``catalogue.py`` applies it.
"""

from typing import Final, Literal, TypedDict

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined]
    BinarySensorDeviceClass,
)
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    DEGREE,
    PERCENTAGE,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfEnergyDistance,
    UnitOfLength,
    UnitOfPower,
    UnitOfPressure,
    UnitOfSpeed,
    UnitOfTemperature,
    UnitOfTime,
    UnitOfVolume,
)

from .generated import CatalogueRow

type ValueKindName = Literal["number", "enum", "text", "timestamp", "boolean"]
type TrackerRole = Literal["latitude", "longitude", "heading", "altitude"]


class Override(TypedDict, total=False):
    """Fields that replace what is derived from the catalogue (presence counts)."""

    kind: ValueKindName
    unit: str | None
    device_class: SensorDeviceClass | BinarySensorDeviceClass | None
    state_class: SensorStateClass | None
    precision: int | None
    true_words: tuple[str, ...]  # raw words meaning the descriptor's predicate holds
    false_words: tuple[str, ...]
    options: tuple[str, ...]  # raw enum words replacing the catalogue's
    extra_options: tuple[str, ...]  # raw enum words cars send beyond the list


# BMW's unit spellings (catalogue, stream and REST) -> Home Assistant units.
UNIT_ALIASES: Final[dict[str, str]] = {
    "percent": PERCENTAGE,
    "%": PERCENTAGE,
    "km": UnitOfLength.KILOMETERS,
    "m": UnitOfLength.METERS,
    "mi": UnitOfLength.MILES,
    "miles": UnitOfLength.MILES,
    "mile": UnitOfLength.MILES,
    "kilometers": UnitOfLength.KILOMETERS,
    "kilometres": UnitOfLength.KILOMETERS,
    "kilometer": UnitOfLength.KILOMETERS,
    "meters": UnitOfLength.METERS,
    "mph": UnitOfSpeed.MILES_PER_HOUR,
    "psi": UnitOfPressure.PSI,
    "gal": UnitOfVolume.GALLONS,
    "gallons": UnitOfVolume.GALLONS,
    "litres": UnitOfVolume.LITERS,
    "liters": UnitOfVolume.LITERS,
    "fahrenheit": UnitOfTemperature.FAHRENHEIT,
    "°f": UnitOfTemperature.FAHRENHEIT,
    "km/h": UnitOfSpeed.KILOMETERS_PER_HOUR,
    "kmh": UnitOfSpeed.KILOMETERS_PER_HOUR,
    "kpa": UnitOfPressure.KPA,
    "bar": UnitOfPressure.BAR,
    "kwh": UnitOfEnergy.KILO_WATT_HOUR,
    "wh": UnitOfEnergy.WATT_HOUR,
    "kw": UnitOfPower.KILO_WATT,
    "w": UnitOfPower.WATT,
    "v": UnitOfElectricPotential.VOLT,
    "a": UnitOfElectricCurrent.AMPERE,
    "celsius": UnitOfTemperature.CELSIUS,
    "°c": UnitOfTemperature.CELSIUS,
    "degc": UnitOfTemperature.CELSIUS,
    "l": UnitOfVolume.LITERS,
    "liter": UnitOfVolume.LITERS,
    "min": UnitOfTime.MINUTES,
    "minutes": UnitOfTime.MINUTES,
    "h": UnitOfTime.HOURS,
    "s": UnitOfTime.SECONDS,
    "degrees": DEGREE,
    "°": DEGREE,
    "kwh/100km": UnitOfEnergyDistance.KILO_WATT_HOUR_PER_100_KM,
}

# Words that mean "BMW has no value", never a state of their own.
NO_VALUE_WORDS: Final = frozenset(
    {
        "",
        "invalid",
        "unknown",
        "na",
        "n_a",
        "signal_invalid",
        "asn_isunknown",
        "asn_is_unknown",
        "null",
        "none",
    }
)
TRUE_WORDS: Final = frozenset({"true", "asn_istrue", "asn_is_true", "1", "on", "yes"})
FALSE_WORDS: Final = frozenset(
    {"false", "asn_isfalse", "asn_is_false", "0", "off", "no"}
)

UNIT_DEVICE_CLASSES: Final[dict[str, SensorDeviceClass]] = {
    UnitOfLength.KILOMETERS: SensorDeviceClass.DISTANCE,
    UnitOfLength.METERS: SensorDeviceClass.DISTANCE,
    UnitOfLength.MILES: SensorDeviceClass.DISTANCE,
    UnitOfSpeed.KILOMETERS_PER_HOUR: SensorDeviceClass.SPEED,
    UnitOfPressure.KPA: SensorDeviceClass.PRESSURE,
    UnitOfEnergy.KILO_WATT_HOUR: SensorDeviceClass.ENERGY_STORAGE,
    UnitOfPower.KILO_WATT: SensorDeviceClass.POWER,
    UnitOfPower.WATT: SensorDeviceClass.POWER,
    UnitOfElectricPotential.VOLT: SensorDeviceClass.VOLTAGE,
    UnitOfElectricCurrent.AMPERE: SensorDeviceClass.CURRENT,
    UnitOfTemperature.CELSIUS: SensorDeviceClass.TEMPERATURE,
    UnitOfVolume.LITERS: SensorDeviceClass.VOLUME_STORAGE,
    UnitOfTime.MINUTES: SensorDeviceClass.DURATION,
    UnitOfTime.HOURS: SensorDeviceClass.DURATION,
    UnitOfTime.SECONDS: SensorDeviceClass.DURATION,
    UnitOfEnergyDistance.KILO_WATT_HOUR_PER_100_KM: SensorDeviceClass.ENERGY_DISTANCE,
}

UNIT_PRECISION: Final[dict[str, int]] = {
    PERCENTAGE: 0,
    UnitOfLength.KILOMETERS: 0,
    UnitOfLength.METERS: 0,
    UnitOfLength.MILES: 0,
    UnitOfSpeed.KILOMETERS_PER_HOUR: 0,
    UnitOfPressure.KPA: 0,
    UnitOfEnergy.KILO_WATT_HOUR: 1,
    UnitOfPower.KILO_WATT: 1,
    UnitOfPower.WATT: 0,
    UnitOfElectricPotential.VOLT: 1,
    UnitOfElectricCurrent.AMPERE: 0,
    UnitOfTemperature.CELSIUS: 1,
    UnitOfVolume.LITERS: 1,
    UnitOfTime.MINUTES: 0,
    UnitOfTime.HOURS: 1,
    UnitOfTime.SECONDS: 0,
    UnitOfEnergyDistance.KILO_WATT_HOUR_PER_100_KM: 1,
    DEGREE: 0,
}

# Shorter translation keys for long, shared descriptor prefixes.
KEY_SHORTENINGS: Final = (
    ("cabin_hvac_preconditioning_configuration_default_settings_", "precond_default_"),
    (
        "cabin_hvac_preconditioning_configuration_direct_start_settings_",
        "precond_direct_",
    ),
    ("cabin_hvac_preconditioning_", "precond_"),
    ("powertrain_traction_battery_charging_port_", "charging_port_"),
    ("drivetrain_electric_engine_charging_", "charging_"),
    ("cabin_infotainment_navigation_current_location_", "location_"),
    ("cabin_infotainment_navigation_", "navigation_"),
    ("trip_segment_accumulated_", "trip_"),
    ("powertrain_electric_battery_", "battery_"),
    ("chassis_axle_", "axle_"),
)

NAME_UPPER_WORDS: Final = frozenset(
    {"ac", "dc", "hv", "hvs", "soc", "soe", "id", "iso", "obfcm", "hmi", "sim", "rcp"}
    | {"sme", "ect", "hvac", "cbs", "gps", "ecu", "ngtp", "hvpm", "au", "12v", "48v"}
)
NAME_FILLER_SEGMENTS: Final = frozenset(
    {"vehicle", "cabin", "body", "drivetrain", "powertrain", "chassis", "channel"}
)


DATE_FORMATS: Final = (
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
)
# Categories whose descriptors are about the connection, not the car.
DIAGNOSTIC_CATEGORIES: Final = frozenset({"Vehicle Info", "Teleservice", "Legal"})

V = "vehicle."
CHG = V + "drivetrain.electricEngine.charging."
PORT = V + "powertrain.tractionBattery.charging.port."
LOC = V + "cabin.infotainment.navigation.currentLocation."
TYRE = V + "chassis.axle."
BATT = V + "powertrain.electric.battery."

TRACKER_ROLES: Final[dict[str, TrackerRole]] = {
    LOC + "latitude": "latitude",
    LOC + "longitude": "longitude",
    LOC + "heading": "heading",
    LOC + "altitude": "altitude",
}

# What an owner expects to see without opening the entity list.
ENABLED_BY_DEFAULT: Final = frozenset(
    {
        V + "drivetrain.batteryManagement.header",
        CHG + "level",
        # The charge's state: hvStatus only. "status" says the same in
        # other words at the same moment; both enabled wrote each charging
        # event twice into the logbook (the owner can still enable it).
        CHG + "hvStatus",
        CHG + "timeToFullyCharged",
        CHG + "timeRemaining",
        CHG + "acAmpere",
        CHG + "acVoltage",
        V + "powertrain.electric.battery.charging.power",
        BATT + "stateOfCharge.target",
        BATT + "stateOfCharge.displayed",
        V + "body.chargingPort.combinedStatus",
        V + "body.flap.isLocked",
        PORT + "anyPosition.isPlugged",
        V + "drivetrain.electricEngine.kombiRemainingElectricRange",
        V + "drivetrain.electricEngine.remainingElectricRange",
        V + "drivetrain.totalRemainingRange",
        V + "drivetrain.lastRemainingRange",
        V + "drivetrain.fuelSystem.level",
        V + "drivetrain.fuelSystem.remainingFuel",
        V + "vehicle.travelledDistance",
        V + "cabin.door.lock.status",
        V + "cabin.door.row1.driver.isOpen",
        V + "cabin.door.row1.passenger.isOpen",
        V + "cabin.door.row2.driver.isOpen",
        V + "cabin.door.row2.passenger.isOpen",
        V + "cabin.window.row1.driver.status",
        V + "cabin.window.row1.passenger.status",
        V + "cabin.window.row2.driver.status",
        V + "cabin.window.row2.passenger.status",
        V + "cabin.sunroof.status",
        V + "body.hood.isOpen",
        V + "body.trunk.isOpen",
        V + "body.trunk.isLocked",
        TYRE + "row1.wheel.left.tire.pressure",
        TYRE + "row1.wheel.right.tire.pressure",
        TYRE + "row2.wheel.left.tire.pressure",
        TYRE + "row2.wheel.right.tire.pressure",
        V + "isMoving",
        V + "vehicle.antiTheftAlarmSystem.alarm.isOn",
        V + "status.serviceDistance.next",
        V + "status.serviceTime.inspectionDateLegal",
        # The warnings the car showed its driver (checkcontrol/): a fault
        # the owner wants to see, so neither hidden nor diagnostic.
        V + "status.checkControlMessages",
        V + "cabin.hvac.preconditioning.status.comfortState",
        V + "electricalSystem.battery.voltage",
    }
)

# Technical descriptors that belong in the diagnostic category.
DIAGNOSTIC: Final = frozenset(
    {
        V + "body.chargingPort.isoSessionId",
        V + "body.chargingPort.plugEventId",
        V + "body.chargingPort.statusClearText",
        V + "cabin.infotainment.navigation.currentLocation.fixStatus",
        V + "cabin.infotainment.navigation.currentLocation.numberOfSatellites",
        V + "cabin.infotainment.navigation.pointsOfInterests.available",
        V + "cabin.infotainment.navigation.pointsOfInterests.max",
        V + "electricalSystem.battery.voltage",
        V + "electricalSystem.battery.stateOfCharge",
        V + "electricalSystem.battery.stateOfChargePlausibility",
        V + "electricalSystem.battery.serviceDemand.recharge",
        V + "electricalSystem.battery.serviceDemand.replace",
        V + "electricalSystem.battery48V.stateOfHealth.displayed",
        V + "electronicControlUnit.diagnosticTroubleCodes.raw",
        V + "powertrain.electric.battery.charging.cableCheckVoltage",
        V + "powertrain.electric.battery.charging.history.sessionsList",
        V + "powertrain.electric.battery.charging.settingsList",
        V + "chassis.axle.wheel.tire.diagnosis",
        V + "learningNavigation",
        V + "sim.status",
        V + "status.conditionBasedServices",
        V + "vehicle.deepSleepModeActive",
        V + "vehicle.timeSetting",
        CHG + "profile.mode",
        CHG + "profile.isRcpConfigComplete",
        CHG + "authentication.status",
    }
)

_NUMBER_NO_UNIT: Override = {"kind": "number", "unit": None}
_DISTANCE: Override = {"kind": "number", "unit": UnitOfLength.KILOMETERS}
_CLOCK_HOUR: Override = {
    "unit": None,
    "device_class": None,
    "state_class": None,
    "precision": 0,
}
# HA spells months "m" and weeks "w", which reads as metres/watts: no unit.
_CALENDAR: Override = {"unit": None, "state_class": None, "precision": 0}
_ID: Override = {"state_class": None, "precision": None}
_COUNTER_KM: Override = {"state_class": SensorStateClass.TOTAL_INCREASING}
_GRID_ENERGY: Override = {
    "device_class": SensorDeviceClass.ENERGY,
    "state_class": SensorStateClass.TOTAL_INCREASING,
}
_FUEL_TOTAL: Override = {
    "device_class": SensorDeviceClass.VOLUME,
    "state_class": SensorStateClass.TOTAL_INCREASING,
}
_BATTERY: Override = {"device_class": SensorDeviceClass.BATTERY}
_TIMESTAMP: Override = {"kind": "timestamp"}
_TIMER = V + "cabin.climate.timers."
_LIFE = V + "drivetrain.fuelSystem.consumptionOverLifeTime."
_GRID = CHG + "consumptionOverLifeTime."

# Descriptors BMW sends and accepts in containers that its catalogue lacks.
EXTRA_ROWS: Final = (
    # The charge level of Neue Klasse cars (they send neither header nor level).
    CatalogueRow(
        descriptor=BATT + "stateOfCharge.displayed",
        data_type="float",
        unit="%",
        enum_values=None,
        enum_source=None,
        category="Battery EV",
    ),
)
# Climate timers send "deactive" besides the listed words (observed).
_TIMER_ACTION: Override = {"extra_options": ("deactive",)}

OVERRIDES: Final[dict[str, Override]] = {
    # Enum words: the description of the charging preference also names the
    # words of the charging mode (another descriptor); keep the preference's.
    CHG + "profile.preference": {
        "options": ("CHARGING_WINDOW", "SMART_CHARGING", "NO_PRESELECTION"),
    },
    # The overall door state: the catalogue names its words in free text,
    # each with BMW's "ASN_" prefix (dropped when read, see conversion).
    V + "cabin.door.status": {
        "kind": "enum",
        "options": ("SECURED", "UNLOCKED", "SELECTIVE_LOCKED", "LOCKED"),
    },
    _TIMER + "overwriteTimer.action": _TIMER_ACTION,
    _TIMER + "weekdaysTimer1.action": _TIMER_ACTION,
    _TIMER + "weekdaysTimer2.action": _TIMER_ACTION,
    # State of charge: the HV battery level and the level reported while charging.
    V + "drivetrain.batteryManagement.header": _BATTERY,
    CHG + "level": _BATTERY,
    V + "electricalSystem.battery.stateOfCharge": {"kind": "number", **_BATTERY},
    V + "trip.segment.end.drivetrain.batteryManagement.hvSoc": _BATTERY,
    BATT + "stateOfCharge.displayed": _BATTERY,
    V + "powertrain.electric.battery.stateOfHealth.displayed": {
        "kind": "number",
        "unit": PERCENTAGE,
    },
    V + "drivetrain.electricEngine.hvsMaxEnergyAbsolute": {"kind": "number"},
    # Odometer and lifetime counters only grow.
    V + "vehicle.travelledDistance": {**_DISTANCE, **_COUNTER_KM},
    _GRID + "engineOff.gridEnergy": _GRID_ENERGY,
    _GRID + "engineOn.gridEnergy": _GRID_ENERGY,
    _GRID + "overall.gridEnergy": _GRID_ENERGY,
    _GRID + "engineOff.referenceDistance": _COUNTER_KM,
    _GRID + "engineOn.referenceDistance": _COUNTER_KM,
    _GRID + "overall.referenceDistance": _COUNTER_KM,
    _LIFE + "inChargeDepleting.fuel": _FUEL_TOTAL,
    _LIFE + "inChargeIncreasing.fuel": _FUEL_TOTAL,
    _LIFE + "overall.fuel": _FUEL_TOTAL,
    _LIFE + "inChargeDepleting.referenceDistanceEngineOff": _COUNTER_KM,
    _LIFE + "inChargeDepleting.referenceDistanceEngineOn": _COUNTER_KM,
    _LIFE + "inChargeIncreasing.referenceDistance": _COUNTER_KM,
    _LIFE + "overall.referenceDistance": _COUNTER_KM,
    # Distances BMW lists without a unit (the stream sends km for metric cars).
    V + "drivetrain.electricEngine.kombiRemainingElectricRange": _DISTANCE,
    V + "cabin.infotainment.navigation.destinationSet.distance": _DISTANCE,
    V + "cabin.infotainment.navigation.remainingRange": _DISTANCE,
    V + "status.serviceDistance.next": _DISTANCE,
    V + "status.serviceDistance.yellow": _DISTANCE,
    V + "vehicle.averageWeeklyDistanceLongTerm": _DISTANCE,
    V + "vehicle.averageWeeklyDistanceShortTerm": _DISTANCE,
    V + "trip.segment.end.travelledDistance": _DISTANCE,
    V + "drivetrain.fuelSystem.remainingFuel": {
        "kind": "number",
        "unit": UnitOfVolume.LITERS,
        "device_class": SensorDeviceClass.VOLUME_STORAGE,
    },
    V + "drivetrain.avgElectricRangeConsumption": {
        "unit": UnitOfEnergyDistance.KILO_WATT_HOUR_PER_100_KM,
    },
    V + "trip.segment.accumulated.drivetrain.electricEngine.recuperationTotal": {
        "unit": UnitOfEnergyDistance.KILO_WATT_HOUR_PER_100_KM,
    },
    # One trip's energy: not a gauge and not a lifetime counter.
    V + "trip.segment.accumulated.drivetrain.electricEngine.energyConsumptionComfort": {
        "device_class": SensorDeviceClass.ENERGY,
        "state_class": SensorStateClass.TOTAL,
    },
    V + "trip.segment.accumulated.acceleration.starsAverage": {
        "unit": None,
        "precision": 1,
    },
    V + "trip.segment.accumulated.chassis.brake.starsAverage": {
        "unit": None,
        "precision": 1,
    },
    # Positions: numbers without statistics.
    LOC + "latitude": {"state_class": None, "precision": 6},
    LOC + "longitude": {"state_class": None, "precision": 6},
    LOC + "heading": {"state_class": None},
    LOC + "altitude": {"kind": "number", "unit": UnitOfLength.METERS},
    V + "cabin.infotainment.navigation.destinationSet.latitude": {
        "kind": "number",
        "unit": DEGREE,
        "state_class": None,
        "precision": 6,
    },
    V + "cabin.infotainment.navigation.destinationSet.longitude": {
        "kind": "number",
        "unit": DEGREE,
        "state_class": None,
        "precision": 6,
    },
    # Clock times of the climate timers are hours/minutes of the day, no durations.
    _TIMER + "overwriteTimer.hour": _CLOCK_HOUR,
    _TIMER + "overwriteTimer.minute": _CLOCK_HOUR,
    _TIMER + "weekdaysTimer1.hour": _CLOCK_HOUR,
    _TIMER + "weekdaysTimer1.minute": _CLOCK_HOUR,
    _TIMER + "weekdaysTimer2.hour": _CLOCK_HOUR,
    _TIMER + "weekdaysTimer2.minute": _CLOCK_HOUR,
    V + "status.serviceTime.hUandAuServiceYellow": _CALENDAR,
    V + "status.serviceTime.yellow": _CALENDAR,
    # Identifiers and counts are numbers without statistics.
    V + "body.chargingPort.plugEventId": _ID,
    V + "body.chargingPort.isoSessionId": {"kind": "text"},
    V + "cabin.infotainment.navigation.pointsOfInterests.available": _ID,
    V + "cabin.infotainment.navigation.pointsOfInterests.max": _ID,
    V + "status.conditionBasedServicesCount": _ID,
    V + "electricalSystem.battery.stateOfChargePlausibility": _NUMBER_NO_UNIT,
    V + "electricalSystem.battery.serviceDemand.replace": _NUMBER_NO_UNIT,
    # Booleans that arrive as numbers or that BMW typed as something else.
    V + "electricalSystem.battery.serviceDemand.recharge": {
        "kind": "boolean",
        "device_class": BinarySensorDeviceClass.PROBLEM,
    },
    V + "sim.status": {"kind": "boolean"},
    V + "body.flap.isPermanentlyUnlocked": {
        "true_words": ("FLAP_UNLOCKED",),
        "false_words": ("FLAP_LOCKED",),
    },
    CHG + "acRestriction.isChosen": {
        "true_words": ("CHOSEN",),
        "false_words": ("NOTCHOSEN",),
    },
    # Date-times BMW types as strings or numbers.
    V + "channel.teleservice.lastAutomaticServiceCallTime": _TIMESTAMP,
    V + "channel.teleservice.lastBreakdownCallTime": _TIMESTAMP,
    V + "channel.teleservice.lastManualCallTime": _TIMESTAMP,
    V + "channel.teleservice.lastTeleserviceReportTime": _TIMESTAMP,
    V + "status.serviceTime.inspectionDateLegal": _TIMESTAMP,
    V + "trip.segment.end.time": _TIMESTAMP,
    V + "vehicle.antiTheftAlarmSystem.alarm.activationTime": _TIMESTAMP,
}

# Binary sensor device classes the generic rules in catalogue.py do not find.
BINARY_CLASSES: Final[dict[str, BinarySensorDeviceClass]] = {
    V + "body.hood.isOpen": BinarySensorDeviceClass.OPENING,
    V + "body.trunk.isOpen": BinarySensorDeviceClass.OPENING,
    V + "body.trunk.window.isOpen": BinarySensorDeviceClass.WINDOW,
    V + "body.trunk.isLocked": BinarySensorDeviceClass.LOCK,
    V + "body.flap.isLocked": BinarySensorDeviceClass.LOCK,
    V + "isMoving": BinarySensorDeviceClass.MOVING,
    V + "drivetrain.engine.isActive": BinarySensorDeviceClass.RUNNING,
    V + "drivetrain.engine.isIgnitionOn": BinarySensorDeviceClass.POWER,
    V + "body.lights.isRunningOn": BinarySensorDeviceClass.LIGHT,
    V + "cabin.infotainment.isMobilePhoneConnected": (
        BinarySensorDeviceClass.CONNECTIVITY
    ),
    V + "vehicle.antiTheftAlarmSystem.alarm.isOn": BinarySensorDeviceClass.SAFETY,
    V + "vehicle.preConditioning.isRemoteEngineRunning": (
        BinarySensorDeviceClass.RUNNING
    ),
    V + "electricalSystem.battery.serviceDemand.recharge": (
        BinarySensorDeviceClass.PROBLEM
    ),
}
