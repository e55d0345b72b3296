"""Which named wallbox feeds which car's estimate now, wired to Home Assistant.

A wallbox applies to its car while all of these hold:

- its sensor has a number in a power unit (W, kW, ...), reported within
  :data:`STALE`;
- the car is plugged in (the newest plug descriptor,
  :func:`..catalogue.charging.is_plugged`) or charges;
- the car's position is home by the energy ledger's rule
  (:meth:`..ledger.classify.Classifier.home`: the owner's home zone with its
  margin); a car without a known position is not home.

The hub listens to each named sensor (``async_track_state_change_event``),
to the car's plug, position and charging values, and checks once a minute
(a sensor that stopped reporting goes stale); each change goes to
:meth:`..prediction.hub.PredictionHub.set_wallbox`. Everything it listens to
ends with the entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
import math
from typing import Final

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, UnitOfPower
from homeassistant.core import Event, EventStateChangedData, State, callback
from homeassistant.helpers.event import (
    async_track_state_change_event,
    async_track_time_interval,
)
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import PowerConverter

from ..catalogue.charging import (
    CHARGING_INPUTS,
    PLUG_INPUTS,
    is_plugged,
    number,
)
from ..common.settings import wallbox_key
from ..ledger.classify import Classifier
from ..ledger.feed import POSITION
from ..prediction.hub import PredictionHub

STALE: Final = timedelta(minutes=15)
"""A sensor that reported nothing for this long no longer counts."""
CHECK: Final = timedelta(minutes=1)
WATCHED: Final = frozenset(
    {*PLUG_INPUTS, *CHARGING_INPUTS, POSITION["latitude"], POSITION["longitude"]}
)
"""The car's values that can start or end a wallbox's turn."""


def sensor_watts(state: State | None, now: datetime) -> float | None:
    """A power sensor's fresh value in W; None when unusable or stale."""
    if state is None or now - state.last_reported > STALE:
        return None
    value = number(state.state)
    unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
    if value is None or unit not in PowerConverter.VALID_UNITS:
        return None
    watts = PowerConverter.convert(value, unit, UnitOfPower.WATT)
    return max(watts, 0.0) if math.isfinite(watts) else None


class WallboxHub:
    """Feeds each car's estimate with its named wallbox (see the module docstring)."""

    def __init__(
        self,
        prediction: PredictionHub,
        classifier: Classifier,
        named: Mapping[str, str],
    ) -> None:
        """Bind to the prediction; ``named``: sensor by :func:`wallbox_key`."""
        self.hass = prediction.hass
        self.entry = prediction.entry
        self.coordinator = prediction.coordinator
        self.prediction = prediction
        self.classifier = classifier
        self.named = dict(named)
        self.sensors: dict[str, str] = {}
        """The named sensor of each known vehicle (by VIN)."""

    @callback
    def async_start(self) -> None:
        """Follow the named sensors and the cars (stopped with the entry)."""
        if not self.named:
            return
        entry = self.entry
        for vin in list(self.coordinator.vehicles):
            self._track(vin)
        entry.async_on_unload(self.coordinator.async_add_vehicle_listener(self._track))
        entry.async_on_unload(
            async_track_time_interval(self.hass, self._on_tick, CHECK)
        )

    @callback
    def _track(self, vin: str) -> None:
        if vin in self.sensors or (sensor := self.named.get(wallbox_key(vin))) is None:
            return
        self.sensors[vin] = sensor
        entry = self.entry
        entry.async_on_unload(
            async_track_state_change_event(
                self.hass, [sensor], partial(self._on_sensor, vin)
            )
        )
        entry.async_on_unload(
            self.coordinator.async_add_changes_listener(
                vin, partial(self._on_values, vin)
            )
        )
        self._update(vin)

    @callback
    def _on_sensor(self, vin: str, _event: Event[EventStateChangedData]) -> None:
        self._update(vin)

    @callback
    def _on_values(self, vin: str, names: Sequence[str]) -> None:
        if not WATCHED.isdisjoint(names):
            self._update(vin)

    @callback
    def _on_tick(self, _now: datetime) -> None:
        for vin in self.sensors:
            self._update(vin)

    def _update(self, vin: str) -> None:
        now = dt_util.utcnow()
        watts = sensor_watts(self.hass.states.get(self.sensors[vin]), now)
        if watts is not None and not (self._plugged(vin) and self._home(vin)):
            watts = None
        self.prediction.set_wallbox(vin, watts, now)

    def _plugged(self, vin: str) -> bool:
        """Plugged in by the newest plug descriptor, or charging."""
        values, stamps = self.coordinator.held(vin, PLUG_INPUTS)
        return (
            bool(is_plugged(values, stamps))
            or self.prediction.feed(vin).predictor.charging
        )

    def _home(self, vin: str) -> bool:
        """The car's held position is home (unknown: not home)."""
        lat = self.coordinator.get(vin, POSITION["latitude"])
        lon = self.coordinator.get(vin, POSITION["longitude"])
        if lat is None or lon is None:
            return False
        home = self.classifier.home(number(lat.value), number(lon.value))
        return home is True
