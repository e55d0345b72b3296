"""Which descriptors feed the prediction, and how (pure; no Home Assistant).

:class:`VehicleFeed` takes one descriptor value at a time, in any order, with
BMW's timestamp, keeps what it needs (charging status, power or phases x
current x voltage, odometer, range) and turns it into calls of a
:class:`.model.VehiclePredictor`. It reports the events the integration acts
on: a real charge level arrived, a charge ended, a trip ended.

Charging is told by ``charging.hvStatus`` and, on cars that send only that
one, ``charging.status``. The charge level comes from the best descriptor the
vehicle actually sends:
``batteryManagement.header`` on most cars, ``charging.level`` (BMW's own
prediction) on some, ``stateOfCharge.displayed`` on Neue Klasse cars, and the
trip-end ``hvSoc`` as a last resort. While a charge runs, a lesser descriptor
takes over when the better one has said nothing since the charge began (a
PHEV's header keeps its pre-charge value while ``charging.level`` moves).

A wallbox the owner named (:meth:`VehicleFeed.set_wallbox`) replaces the
car's charging power while it applies: its meter reports far more often than
the car streams its power. Like the car's own, it counts only while the car
charges.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from ..catalogue.charging import (
    AMPERE,
    CHARGE_STATUS,
    DC_PORT,
    HV_STATUS,
    METHOD,
    PHASES,
    POWER,
    SOC_SOURCES,
    VOLTAGE,
    charging_state,
    number,
    word,
)
from .model import VehiclePredictor

_CHG: Final = "vehicle.drivetrain.electricEngine.charging."
_BATT: Final = "vehicle.powertrain.electric.battery."
TARGET: Final = _BATT + "stateOfCharge.target"
STATUS: Final = HV_STATUS
ODOMETER: Final = "vehicle.vehicle.travelledDistance"
MOVING: Final = "vehicle.isMoving"
TRIP_DISTANCE: Final = "vehicle.trip.segment.end.travelledDistance"
RANGES: Final = (
    "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange",
    "vehicle.drivetrain.electricEngine.remainingElectricRange",
)
CAPACITIES: Final = (
    "vehicle.drivetrain.batteryManagement.batterySizeMax",
    "vehicle.drivetrain.electricEngine.hvsMaxEnergyAbsolute",
)
WATCHED: Final = frozenset(
    {
        *SOC_SOURCES,
        POWER,
        TARGET,
        STATUS,
        CHARGE_STATUS,
        METHOD,
        PHASES,
        AMPERE,
        VOLTAGE,
        DC_PORT,
        ODOMETER,
        MOVING,
        TRIP_DISTANCE,
        *RANGES,
        *CAPACITIES,
    }
)
"""Every descriptor the prediction listens to."""
TIMELESS: Final = frozenset({TARGET, ODOMETER, TRIP_DISTANCE, *RANGES, *CAPACITIES})
"""Inputs whose BMW time only places them in a step function (or not at all):
the same value again at a later time changes nothing."""
UNSTAMPED: Final = frozenset({AMPERE, VOLTAGE, PHASES, METHOD, DC_PORT})
"""Charging inputs whose time is never read (the status's and the power's are):
the same value again changes nothing while charging stands as evaluated."""

FULL: Final = 100.0
MIN_CAPACITY_KWH: Final = 3.0
MAX_CAPACITY_KWH: Final = 300.0


class PowerSource(StrEnum):
    """What the charging power of the estimate comes from."""

    VEHICLE = "vehicle"
    WALLBOX = "wallbox"


class Event(StrEnum):
    """What a value meant for the integration."""

    READING = "reading"
    CHARGE_END = "charge_end"
    TRIP_END = "trip_end"


def is_moving(value: object) -> bool:
    """Whether a motion value (``vehicle.isMoving``, ignition) says yes.

    BMW spells it as a JSON boolean, a string or ``asn_istrue`` in any case;
    anything else (``asn_isunknown`` included) is not moving. The trip
    journal reads motion with this rule too.
    """
    return value is True or word(value) in {"ASN_ISTRUE", "TRUE"}


def usable_capacity(value: object) -> float | None:
    """A plausible battery capacity in kWh, else None."""
    kwh = number(value)
    if kwh is None or not MIN_CAPACITY_KWH <= kwh <= MAX_CAPACITY_KWH:
        return None
    return kwh


USABLE_SHARE: Final = 0.92
"""The usable part of a battery's nominal (gross) capacity, basicData's figure.

BMW's own figures put it between 0.89 and 0.97 (MINI Cooper SE 28.9 of 32.6
kWh, iX xDrive50 105.2 of 111.5, i4 eDrive40 80.7 of 83.9).
"""


def battery_kwh(kwh: float | None, *, nominal: bool) -> float | None:
    """The energy a full charge puts into the battery, from a capacity figure.

    ``nominal``: the figure is the battery's gross one (basicData), not the
    usable one the car or the owner gives.
    """
    if kwh is None:
        return None
    return kwh * USABLE_SHARE if nominal else kwh


class VehicleFeed:
    """Feeds one vehicle's descriptor values into its predictor."""

    def __init__(self, predictor: VehiclePredictor) -> None:
        """Bind to a predictor."""
        self.predictor = predictor
        self.values: dict[str, object] = {}
        self.stamps: dict[str, datetime] = {}
        """BMW's time of each value in :attr:`values`."""
        self.heard: dict[str, datetime] = {}
        """BMW's time of the last charge level of each descriptor."""
        self.source: str | None = None
        self.reported_capacity: float | None = None
        self.has_power = False
        self._evaluated: tuple[bool, datetime] | None = None
        """Charging as the last evaluation left it, and that value's time."""
        self.wallbox: float | None = None
        """The wallbox's power in W while it applies (:meth:`set_wallbox`)."""
        self.wallbox_named = False

    @property
    def power_source(self) -> PowerSource | None:
        """Where the charging power comes from; None when no wallbox is named."""
        if not self.wallbox_named:
            return None
        return PowerSource.VEHICLE if self.wallbox is None else PowerSource.WALLBOX

    def set_wallbox(self, watts: float | None, at: datetime) -> bool:
        """The named wallbox's power while it applies, else None.

        While the car charges, the power changes at ``at``: to the wallbox's,
        or, when it stops applying, back to the car's own (none known: 0).
        Return whether anything changed.
        """
        if self.wallbox_named and watts == self.wallbox:
            return False
        before, self.wallbox = self.wallbox, watts
        self.wallbox_named = True
        predictor = self.predictor
        if predictor.charging and (watts is not None or before is not None):
            if watts is None:
                watts = charging_state(self.values, self.stamps).watts or 0.0
            predictor.set_power(watts, at)
        return True

    @property
    def electric(self) -> bool:
        """Whether the vehicle sent a charge level of a traction battery."""
        return self.source is not None

    def apply(self, name: str, value: object, at: datetime) -> Event | None:
        """Take one value; return the event it caused, if any."""
        if name in SOC_SOURCES:
            return self._reading(name, value, at)
        if self._resent(name, value, at):
            return None  # the same value again: nothing moves
        previous = self.values.get(name)
        self.values[name] = value
        self.stamps[name] = at
        if name in (MOVING, TRIP_DISTANCE):
            return self._trip(name, value, previous, at)
        if name in TIMELESS:
            self._quantity(name, value, at)
            return None
        return self._charging(name, at)

    def _quantity(self, name: str, value: object, at: datetime) -> None:
        """A capacity, the target, a range or the odometer."""
        predictor = self.predictor
        if name in CAPACITIES:
            if (kwh := usable_capacity(value)) is not None:
                # What the car says beats basicData; the hub puts the owner's
                # number before it right after (PredictionHub.capacity).
                self.reported_capacity = predictor.capacity_kwh = kwh
        elif name == TARGET:
            target = number(value)
            predictor.target = target if target and 0 < target <= FULL else None
        elif name in RANGES:
            if (km := number(value)) is not None:
                predictor.set_range(km)
        elif name == ODOMETER and (km := number(value)) is not None:
            predictor.set_odometer(km, at)

    def _resent(self, name: str, value: object, at: datetime) -> bool:
        """Whether ``value`` is the held one again and would move nothing.

        The charging inputs of :data:`UNSTAMPED` only re-run the evaluation of
        charging; it comes out the same while nothing changed since it ran
        (any other charging input runs it again; a drive can stop a charge).
        """
        if name in UNSTAMPED:
            last = self._evaluated
            if last is None or last[0] != self.predictor.charging or at < last[1]:
                return False
        elif name not in TIMELESS:
            return False
        if name not in self.values:
            return False
        held = self.values[name]
        return held == value and type(held) is type(value) and at >= self.stamps[name]

    def _trip(
        self, name: str, value: object, previous: object, at: datetime
    ) -> Event | None:
        predictor = self.predictor
        if name == MOVING:
            moving = is_moving(value)
            if moving and predictor.charging:
                # A car that drives is not charging, whether or not it sent
                # the end of its charge (some never do).
                predictor.set_charging(active=False, at=at)
            was = predictor.moving
            predictor.set_moving(moving, at)
            return Event.TRIP_END if was and not moving else None
        if previous is not None and value != previous and not predictor.moving:
            return Event.TRIP_END
        return None

    def _reading(self, name: str, value: object, at: datetime) -> Event | None:
        level = number(value)
        if level is None or not 0 <= level <= FULL:
            return None
        self.heard[name] = at
        source = self.source
        if (
            source is not None
            and SOC_SOURCES.index(name) > SOC_SOURCES.index(source)
            and not self._stands_still(source, at)
        ):
            return None  # a better descriptor carries the level
        self.source = name
        if self.predictor.add_reading(level, at):
            return Event.READING
        return None

    def _stands_still(self, source: str, at: datetime) -> bool:
        """Whether ``source`` has been silent since this charge began.

        Another descriptor gives a level at ``at`` meanwhile: a PHEV's header
        keeps its pre-charge value while it charges; ``charging.level`` moves.
        """
        started = self.stamps.get(STATUS)
        heard = self.heard.get(source)
        return (
            self.predictor.charging
            and started is not None
            and heard is not None
            and heard <= started < at
        )

    def _charging(self, name: str, at: datetime) -> Event | None:
        """Charging status, method and power changed.

        Whether the car charges is :func:`..catalogue.charging.charging_state`,
        the rule the charging events and the energy ledger follow too.
        """
        predictor = self.predictor
        rule = charging_state(self.values, self.stamps)
        active, watts = rule.active, rule.watts
        if watts is not None:
            self.has_power = True
        was = predictor.charging
        if name in (
            STATUS,
            CHARGE_STATUS,
            POWER,
            AMPERE,
            VOLTAGE,
            PHASES,
            METHOD,
            DC_PORT,
        ):
            wallbox = self.wallbox
            if watts is not None and (active or was) and wallbox is None:
                predictor.set_power(watts if active else 0.0, at)
            predictor.set_charging(active, at, dc=rule.dc)
            if active and not was and wallbox is not None:
                predictor.set_power(wallbox, at)
        self._evaluated = (predictor.charging, at)
        if was and not active:
            return Event.CHARGE_END
        return None
