"""Charging sessions from plug-in to unplug, as real cars send them.

Each trace wraps one charge of :func:`.physics.charge` (power and charge
level) with what comes around it: the cable plugged in (several plug
descriptors at once), both status words (``hvStatus`` and ``status``, in the
same message or in two), the same values resent unchanged in between, the
end with BMW's ``reasonChargingEnd``, and the cable pulled out. One trace
per owner-level reason group (:data:`REASONS`), with a word BMW's catalogue
lists for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import datetime as dt
from typing import Any

from .physics import POWER, STATUS, ChargeProfile, Timeline, charge

_CHG = "vehicle.drivetrain.electricEngine.charging."
CHARGING_STATUS = _CHG + "status"
REASON = _CHG + "reasonChargingEnd"
PLUGGED = "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged"
PORT = "vehicle.body.chargingPort.status"

REASONS: dict[str, str] = {
    "target_reached": "CUSTOMER_INTERACTION_HMI_CHARGING_TARGET_REACHED",
    "unplugged": "CUSTOMER_INTERACTION_APP_UNPLUG_CABLE_ONCE",
    "stopped_by_owner": "CUSTOMER_INTERACTION_AC_CHARGING_STOP_VIA_APP",
    "stopped_by_charger": "CUSTOMER_INTERACTION_AC_CHARGING_STOP_WALLBOX",
    "error": "INFRASTRUCTURE_DC_CCS_COMMUNICATION_ERROR",
    "other": "CHARGING_PAUSED",
}
"""A word of BMW's catalogue for each owner-level group."""


@dataclass(frozen=True, slots=True)
class Session:
    """A charging session's messages and its edges."""

    messages: list[tuple[dt.datetime, dict[str, Any]]]
    started: dt.datetime
    ended: dt.datetime


def session(
    start: dt.datetime,
    *,
    reason: str | None,
    model: str = "ix",
    split_status: bool = False,
    unplug_with_end: bool = False,
    seed: int = 0,
) -> Session:
    """One session from plug-in (a minute before ``start``) to unplug.

    ``split_status`` sends ``charging.status`` in its own message a few
    seconds after ``hvStatus`` (else both together); ``unplug_with_end``
    pulls the cable in the message that ends the charge.
    """
    profile = ChargeProfile(f"session-{reason}", model, start_soc=50, target=60)
    if model == "330e":
        profile = replace(profile, phases=1)
    timeline: Timeline = charge(profile, start, seed=seed, tick=60.0)
    plug = {PLUGGED: True, PORT: "CONNECTED", CHARGING_STATUS: "INITIALIZATION"}
    messages: list[tuple[dt.datetime, dict[str, Any]]] = [
        (start - dt.timedelta(minutes=1), plug)
    ]
    first_at, first = timeline.messages[0]
    *middle, (end_at, end) = timeline.messages[1:]
    if split_status:
        messages.append((first_at, first))
        messages.append(
            (first_at + dt.timedelta(seconds=5), {CHARGING_STATUS: "CHARGINGACTIVE"})
        )
    else:
        messages.append((first_at, first | {CHARGING_STATUS: "CHARGINGACTIVE"}))
    for n, (at, values) in enumerate(middle):
        messages.append((at, values))
        if n == len(middle) // 2:
            # Resent unchanged, later: the car repeats itself now and then.
            later = at + dt.timedelta(seconds=10)
            messages.append(
                (later, {STATUS: "CHARGING", PLUGGED: True, PORT: "CONNECTED"})
            )
            messages.append((later, {CHARGING_STATUS: "CHARGINGACTIVE"}))
    end = end | {CHARGING_STATUS: "CHARGINGENDED", POWER: 0}
    if reason is not None:
        end[REASON] = reason
    unplug = {PLUGGED: False, PORT: "DISCONNECTED", CHARGING_STATUS: "NOCHARGING"}
    if unplug_with_end:
        end |= unplug
        messages.append((end_at, end))
    else:
        messages.append((end_at, end))
        # The end again (both status words), then the cable goes.
        messages.append((end_at + dt.timedelta(seconds=30), {STATUS: end[STATUS]}))
        messages.append((end_at + dt.timedelta(minutes=2), unplug))
    return Session(messages, first_at, end_at)
