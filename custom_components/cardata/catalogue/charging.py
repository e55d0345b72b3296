"""Whether a car charges and whether it is plugged in: one rule each (pure).

The prediction (:mod:`..prediction.inputs`) and the charging and plug events
(:mod:`..activity`) both decide with these functions, so the charge level
estimate, the events and the ``battery_charging`` binary sensor never
disagree about a charge.

Charging: the high-voltage status says ``CHARGING`` and the power (when one
is known for this charge) is above zero; without a status, a power above
zero alone. ``charging.status`` (BMW's second status word, sent next to
``hvStatus`` by real cars) stands in only for a car that sends no
``hvStatus`` (``CHARGINGACTIVE`` is charging): one charge is one change of
this rule, however many of its words arrive.

Plugged in: the newest of the plug descriptors the car sends (ties go to the
first of :data:`PLUG_DESCRIPTORS`); a word that says neither (``INVALID``)
leaves the plug unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
import math
from typing import Final

from .conversion import convert
from .descriptors import describe

_CHG: Final = "vehicle.drivetrain.electricEngine.charging."
_BATT: Final = "vehicle.powertrain.electric.battery."
HV_STATUS: Final = _CHG + "hvStatus"
CHARGE_STATUS: Final = _CHG + "status"
"""BMW's second status word; read only when a car sends no ``hvStatus``."""
POWER: Final = _BATT + "charging.power"
METHOD: Final = _CHG + "method"
PHASES: Final = _CHG + "phaseNumber"
AMPERE: Final = _CHG + "acAmpere"
VOLTAGE: Final = _CHG + "acVoltage"
DC_PORT: Final = "vehicle.body.chargingPort.dcStatus"
HEADER: Final = "vehicle.drivetrain.batteryManagement.header"
LEVEL: Final = _CHG + "level"
DISPLAYED: Final = _BATT + "stateOfCharge.displayed"
TRIP_END_SOC: Final = "vehicle.trip.segment.end.drivetrain.batteryManagement.hvSoc"
SOC_SOURCES: Final = (HEADER, LEVEL, DISPLAYED, TRIP_END_SOC)
"""Charge level descriptors, best first."""
REASON_END: Final = _CHG + "reasonChargingEnd"
"""Why the last charge ended, in BMW's words (see :mod:`..activity.reasons`)."""
CHARGING_INPUTS: Final = frozenset(
    {HV_STATUS, CHARGE_STATUS, POWER, METHOD, PHASES, AMPERE, VOLTAGE, DC_PORT}
)
"""Every descriptor :func:`is_charging` reads."""
PLUG_DESCRIPTORS: Final = (
    "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged",
    "vehicle.body.chargingPort.combinedStatus",
    "vehicle.body.chargingPort.status",
    "vehicle.drivetrain.electricEngine.charging.connectorStatus",
)
"""Descriptors that say whether a cable is plugged in, best first."""
PLUG_INPUTS: Final = (*PLUG_DESCRIPTORS, DC_PORT)
"""Every descriptor :func:`is_plugged` reads."""

STATUS_LEAD: Final = timedelta(seconds=60)
"""How long a value sent with a charge start may be stamped before its status."""
LINE_VOLTAGE: Final = 250.0
"""An AC voltage from here up is line-to-line (400 V), not one phase's (230 V);
some cars report that one on three phases."""


def number(value: object) -> float | None:
    """A finite number from a descriptor value, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def word(value: object) -> str:
    """A descriptor's word in upper case ("" for none)."""
    return str(value).strip().upper() if value is not None else ""


def _phases(value: object) -> int | None:
    digits = word(value).split("-", 1)[0]
    return int(digits) if digits.isdigit() else None


def is_dc(values: Mapping[str, object]) -> bool:
    """Whether the charge runs on direct current (DC port or method)."""
    return word(values.get(DC_PORT)) == "CONNECTED" or "DC" in word(values.get(METHOD))


def status_descriptor(values: Mapping[str, object]) -> str:
    """The status descriptor the rule reads: ``hvStatus``, else the other."""
    return HV_STATUS if word(values.get(HV_STATUS)) else CHARGE_STATUS


def status_word(values: Mapping[str, object]) -> str:
    """The charging status in ``hvStatus``'s words ("" for none)."""
    if status := word(values.get(HV_STATUS)):
        return status
    status = word(values.get(CHARGE_STATUS))
    return "CHARGING" if status == "CHARGINGACTIVE" else status


def _this_charge(
    name: str, values: Mapping[str, object], stamps: Mapping[str, datetime]
) -> bool:
    """Whether ``name``'s value can be of the charge now running.

    A value from before the status turned to charging (a power left over from
    the last charge, or read at set-up) says nothing about this one; a value
    may lead the status by :data:`STATUS_LEAD` in the same burst.
    """
    started = stamps.get(status_descriptor(values))
    at = stamps.get(name)
    if started is None or at is None or status_word(values) != "CHARGING":
        return True
    return at >= started - STATUS_LEAD


def charging_watts(
    values: Mapping[str, object], stamps: Mapping[str, datetime], *, dc: bool
) -> float | None:
    """Charging power: BMW's figure, else phases x current x voltage (AC)."""
    if POWER in values and _this_charge(POWER, values, stamps):
        return number(values[POWER])
    if dc:
        return None
    phases = _phases(values.get(PHASES))
    amps = number(values.get(AMPERE))
    volts = number(values.get(VOLTAGE))
    if phases is None or amps is None or volts is None:
        return None
    if phases > 1 and volts >= LINE_VOLTAGE:
        volts /= math.sqrt(3)  # line-to-line: the voltage of one phase
    return phases * amps * volts


def charging_by_status(status: object, watts: float | None) -> bool:
    """Whether the car charges, by its status (:func:`status_word`) and power.

    Status ``CHARGING`` with a power above zero (or none known for this
    charge); without a status, a power above zero.
    """
    if status := word(status):
        return status == "CHARGING" and (watts is None or watts > 0)
    return watts is not None and watts > 0


@dataclass(frozen=True, slots=True)
class Charging:
    """What a car's charging inputs say now (see :func:`charging_state`)."""

    active: bool
    dc: bool
    watts: float | None
    """Charging power in W: BMW's figure, else phases x current x voltage."""


def charging_state(
    values: Mapping[str, object], stamps: Mapping[str, datetime]
) -> Charging:
    """Whether the car charges, on which current and at what power."""
    dc = is_dc(values)
    watts = charging_watts(values, stamps, dc=dc)
    return Charging(charging_by_status(status_word(values), watts), dc, watts)


def is_charging(values: Mapping[str, object], stamps: Mapping[str, datetime]) -> bool:
    """Whether the car charges now, from its held values and their BMW times."""
    return charging_state(values, stamps).active


def plug_state(value: object, descriptor: str) -> bool | None:
    """One plug descriptor's value as plugged in (True), out (False) or unknown."""
    if value is None:
        return None
    converted = convert(describe(descriptor), value)  # type: ignore[arg-type]
    if isinstance(converted, bool):
        return converted
    return {"CONNECTED": True, "DISCONNECTED": False}.get(word(value))


def is_plugged(
    values: Mapping[str, object], stamps: Mapping[str, datetime]
) -> bool | None:
    """Whether a cable is plugged in: the newest plug descriptor that knows.

    A DC plug the car reports on its own port (:data:`DC_PORT`) counts as
    plugged in whatever the others say; its "disconnected" says only that
    no DC plug is in.
    """
    if plug_state(values.get(DC_PORT), DC_PORT):
        return True
    best: tuple[datetime, bool] | None = None
    for name in PLUG_DESCRIPTORS:
        state = plug_state(values.get(name), name)
        if state is None or (at := stamps.get(name)) is None:
            continue
        if best is None or at > best[0]:
            best = (at, state)
    if best is not None:
        return best[1]
    return plug_state(values.get(DC_PORT), DC_PORT)
