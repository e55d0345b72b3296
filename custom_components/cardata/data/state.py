"""What the coordinator holds of each vehicle, and how unique ids map to it.

:class:`DescriptorState` is one descriptor's value with its BMW time and the
time Home Assistant received it; :class:`VehicleState` is one vehicle's
descriptors and what was known of it before a restart. The rules of which
value replaces which (:func:`is_older`, :func:`same`) and the parsing of
``{VIN}_{descriptor}`` unique ids live here too; the coordinator
(:mod:`.coordinator`) applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from ..api.vin import VIN_RE
from .clock import CLOCK_SKEW

type Value = bool | int | float | str | None

NOT_DESCRIPTORS: Final = frozenset(
    {
        "vehicle.predicted_soc",
        "vehicle.magic_soc",
        "vehicle.manual_battery_capacity",
        "vehicle.manual_tank_capacity",
    }
)
"""Unique-id tails of kvanbiesen/bmw-cardata-ha that look like descriptors."""


# Not frozen: one is built for every value of every message, and a frozen
# dataclass's __init__ costs three times as much. Never changed once built
# (hashable as a frozen one would be).
@dataclass(slots=True, unsafe_hash=True)
class DescriptorState:
    """What is known about one descriptor of one vehicle."""

    value: Value
    unit: str | None
    timestamp: datetime | None
    """BMW's timestamp of the value (inner one, else the message's)."""
    received_at: datetime
    """When Home Assistant received it."""

    @property
    def effective_timestamp(self) -> datetime:
        """BMW's timestamp, or the reception time when BMW gave none."""
        return self.timestamp or self.received_at


@dataclass(slots=True)
class VehicleState:
    """One vehicle: its descriptor values and what was known before a restart."""

    vin: str
    descriptors: dict[str, DescriptorState] = field(default_factory=dict)
    known_descriptors: set[str] = field(default_factory=set)
    """Descriptors with an entity: seen live, or restored from the registry."""
    device_fields: dict[str, str] = field(default_factory=dict)
    last_timestamp: datetime | None = None
    """Newest BMW timestamp of any accepted value (reception time if BMW gave none)."""
    last_received_at: datetime | None = None
    """When Home Assistant last received a value of the vehicle (resends count)."""
    has_restored_tracker: bool = False


def heard(vehicle: VehicleState, state: DescriptorState) -> None:
    """Move the vehicle's last reception forward (restored rows come in any order)."""
    last = vehicle.last_received_at
    if last is None or state.received_at > last:
        vehicle.last_received_at = state.received_at


def split_unique_id(unique_id: str) -> tuple[str, str] | None:
    """Return (VIN, descriptor) for a ``{VIN}_{descriptor}`` unique id, else None.

    Descriptors are dotted paths (``vehicle.x.y``); our own per-vehicle entities
    use suffixes without dots, so they never parse as descriptors.
    """
    vin, sep, descriptor = unique_id.partition("_")
    if not sep or "." not in descriptor or not VIN_RE.match(vin):
        return None
    if descriptor in NOT_DESCRIPTORS:  # the previous integration's (see upgrade)
        return None
    return vin, descriptor


def is_older(state: DescriptorState, old: DescriptorState) -> bool:
    """True when BMW's timestamp says ``state`` is older than the held ``old``.

    A held timestamp more than :data:`~.clock.CLOCK_SKEW` ahead of the time
    it arrived was stamped by a clock running ahead and does not block later
    values (else the descriptor would freeze until that clock's time).
    """
    return (
        state.timestamp is not None
        and old.timestamp is not None
        and state.timestamp < old.timestamp
        and old.timestamp - old.received_at <= CLOCK_SKEW
    )


def same(state: DescriptorState, old: DescriptorState) -> bool:
    """Whether ``state`` says nothing new: the same value, unit and time."""
    return (
        state.timestamp == old.timestamp
        and state.unit == old.unit
        and state.value == old.value
        and type(state.value) is type(old.value)
    )
