"""The stream side of the ledger: charging starts and ends from the coordinator.

One small adapter, on purpose: it follows the coordinator's per-vehicle
changes listener (``CarDataCoordinator.async_add_changes_listener``),
asks the integration's one charging rule and plug rule
(:func:`..catalogue.charging.charging_state`, :func:`~..catalogue.charging.is_plugged`)
whether the car charges and is plugged in, and hands a
:class:`.recorder.Reading` to the ledger for every batch that brought news of
a watched value. The activity hub will take this job over (it publishes
charging started and ended for every consumer); the coordinator then swaps
this module for a subscription to that hub, and nothing else in the ledger
changes.

Values held at start (restored from the value store, or the first values of
a vehicle) only set the baseline (:meth:`LedgerFeed.baseline`): they never
open or close a session. Resent unchanged values wake no changes listener.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Final

from homeassistant.core import CALLBACK_TYPE, callback

from ..api.vin import VIN_RE
from ..catalogue.charging import (
    CHARGING_INPUTS,
    PLUG_INPUTS,
    SOC_SOURCES,
    charging_state,
    is_plugged,
    number,
)
from ..catalogue.overrides import TRACKER_ROLES
from ..data.coordinator import CarDataCoordinator
from ..prediction.inputs import FULL, MOVING, is_moving
from .recorder import Reading

POSITION: Final = {role: name for name, role in TRACKER_ROLES.items()}
WATCHED: Final = frozenset({*CHARGING_INPUTS, *PLUG_INPUTS, MOVING, *SOC_SOURCES})
"""What can move a session: a position or a level alone does not."""
READ: Final = (
    *CHARGING_INPUTS,
    *PLUG_INPUTS,
    MOVING,
    *SOC_SOURCES,
    *POSITION.values(),
)
"""Everything a reading is made of."""

type ReadingCallback = Callable[[str, Reading], None]
"""``(vin, reading)``."""
type CapacityLookup = Callable[[str], float | None]


class LedgerFeed:
    """Hands each vehicle's charging news to the ledger (see the module docstring)."""

    def __init__(
        self,
        coordinator: CarDataCoordinator,
        capacity: CapacityLookup,
        on_reading: ReadingCallback,
        on_baseline: ReadingCallback,
    ) -> None:
        """Bind to the coordinator; :meth:`async_start` follows it.

        ``on_baseline`` gets what a vehicle's values said when it was first
        followed, ``on_reading`` every change after that.
        """
        self._coordinator = coordinator
        self._capacity = capacity
        self._on_reading = on_reading
        self._on_baseline = on_baseline
        self._tracked: set[str] = set()
        self._unsubs: list[CALLBACK_TYPE] = []

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Follow every vehicle, now and later; return the stop callback."""
        coordinator = self._coordinator
        for vin in list(coordinator.vehicles):
            self._track(vin)
        self._unsubs.append(coordinator.async_add_vehicle_listener(self._track))
        return self._stop

    @callback
    def _stop(self) -> None:
        while self._unsubs:
            self._unsubs.pop()()

    @callback
    def _track(self, vin: str) -> None:
        if vin in self._tracked or not VIN_RE.match(vin):
            return
        self._tracked.add(vin)
        self._unsubs.append(
            self._coordinator.async_add_changes_listener(
                vin, partial(self._on_changes, vin)
            )
        )
        if (reading := self.reading(vin, ())) is not None:
            self._on_baseline(vin, reading)

    @callback
    def _on_changes(self, vin: str, names: Sequence[str]) -> None:
        if not WATCHED.intersection(names):
            return
        if (reading := self.reading(vin, names)) is not None:
            self._on_reading(vin, reading)

    def reading(self, vin: str, names: Sequence[str]) -> Reading | None:
        """What the vehicle's held values say now; None when it said nothing."""
        values, stamps = self._coordinator.held(vin, READ)
        return read_values(values, stamps, names, self._capacity(vin))


def read_values(
    values: Mapping[str, object],
    stamps: Mapping[str, datetime],
    names: Sequence[str],
    capacity_kwh: float | None,
) -> Reading | None:
    """What a car's values say now (``names`` changed last); None without any."""
    if not stamps:
        return None
    changed = [stamps[name] for name in names if name in stamps]
    at = max(changed or stamps.values())
    rule = charging_state(values, stamps)
    level = next(
        (
            lvl
            for name in SOC_SOURCES
            if (lvl := number(values.get(name))) is not None and 0 <= lvl <= FULL
        ),
        None,
    )
    return Reading(
        at=at,
        charging=rule.active,
        plugged=is_plugged(values, stamps),
        moving=is_moving(values.get(MOVING)),
        level=level,
        watts=rule.watts,
        latitude=number(values.get(POSITION.get("latitude", ""))),
        longitude=number(values.get(POSITION.get("longitude", ""))),
        capacity_kwh=capacity_kwh,
        dc=rule.dc,
    )
