"""The predicted charge level of an entry's vehicles, wired to Home Assistant.

The hub follows the coordinator for the descriptors the prediction needs
(:data:`.inputs.WATCHED`), feeds each vehicle's :class:`.inputs.VehicleFeed`,
keeps what was learned in a ``Store`` per entry (vehicles only as a hash of
their VIN), resolves the usable capacity (the owner's number entity once
set, else what BMW sends, else basicData) and hands charge and trip ends to the
:class:`.end_poll.EndPoller`. A named wallbox's power comes in through
:meth:`PredictionHub.set_wallbox`. Entities subscribe per vehicle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..api import BasicData
from ..api.vin import VIN_RE
from ..catalogue.charging import SOC_SOURCES
from ..common.listeners import KeyedListeners, Listeners
from ..common.redact import vin_hash
from ..const import PREDICTION_STORAGE_KEY, PREDICTION_STORAGE_VERSION
from ..data.coordinator import CarDataCoordinator
from ..rest.bootstrap import RestContext
from .end_poll import EndPoller
from .inputs import (
    CAPACITIES,
    WATCHED,
    Event,
    VehicleFeed,
    battery_kwh,
    usable_capacity,
)
from .model import VehicleLearning, VehiclePredictor

STORAGE_VERSION: Final = PREDICTION_STORAGE_VERSION
SAVE_DELAY: Final = 10
TICK: Final = timedelta(minutes=1)
NOMINAL: Final = "basic_data"
"""Where a capacity came from when it is basicData's nominal (gross) figure."""


def vehicle_key(vin: str) -> str:
    """The stored key of a vehicle (a hash; no VIN is written)."""
    return vin_hash(vin, 16)


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete what an entry learned (the entry is being removed)."""
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, f"{PREDICTION_STORAGE_KEY}.{entry_id}"
    ).async_remove()


class PredictionHub:
    """Per-entry prediction of every electrified vehicle's charge level."""

    def __init__(self, rest: RestContext) -> None:
        """Prepare; :meth:`async_load` reads what was learned."""
        self.hass = hass = rest.hass
        self.entry = entry = rest.entry
        self.coordinator: CarDataCoordinator = rest.coordinator
        self.feeds: dict[str, VehicleFeed] = {}
        self.basic_capacity: dict[str, float] = {}
        self.owner_capacity: dict[str, float] = {}
        self._owner_stored: set[str] = set()
        """Vehicles whose store says what the owner set (or that it is nothing)."""
        self.end_poller = EndPoller(rest, self.feed, self.save)
        self._stored: dict[str, Any] = {}
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{PREDICTION_STORAGE_KEY}.{entry.entry_id}"
        )
        self._listeners: KeyedListeners[str] = KeyedListeners()
        self._electric_listeners: Listeners[str] = Listeners()
        self._tracked: set[str] = set()
        self._announced: set[str] = set()

    # ----- lifecycle --------------------------------------------------------

    async def async_load(self) -> None:
        """Read what was learned before a restart."""
        data = await self._store.async_load()
        vehicles = data.get("vehicles") if isinstance(data, dict) else None
        self._stored = vehicles if isinstance(vehicles, dict) else {}

    @callback
    def async_start(self) -> None:
        """Follow the coordinator (stopped with the entry)."""
        entry = self.entry
        coordinator = self.coordinator
        for vin in list(coordinator.vehicles):
            self._track(vin)
        entry.async_on_unload(
            coordinator.async_add_vehicle_listener(self._on_new_vehicle)
        )
        entry.async_on_unload(async_track_time_interval(self.hass, self._on_tick, TICK))
        entry.async_on_unload(self.end_poller.async_stop)

    async def async_shutdown(self) -> None:
        """Write what was learned now (on unload)."""
        await self._store.async_save(self._data())

    def _data(self) -> dict[str, Any]:
        vehicles = dict(self._stored)
        for vin, feed in self.feeds.items():
            vehicles[vehicle_key(vin)] = {
                "learning": feed.predictor.learning.to_dict(),
                "basic_capacity": self.basic_capacity.get(vin),
                "owner_capacity": self.owner_capacity.get(vin),
                "end_polls": self.end_poller.stored(vin),
            }
        return {"vehicles": vehicles}

    def save(self) -> None:
        """Write the learned values soon."""
        self._store.async_delay_save(self._data, SAVE_DELAY)

    # ----- vehicles ---------------------------------------------------------

    def feed(self, vin: str) -> VehicleFeed:
        """The feed of a vehicle (created with what was stored for it)."""
        if (feed := self.feeds.get(vin)) is None:
            stored = self._stored.get(vehicle_key(vin))
            stored = stored if isinstance(stored, dict) else {}
            learning = VehicleLearning.from_dict(stored.get("learning"))
            feed = self.feeds[vin] = VehicleFeed(VehiclePredictor(learning))
            if (kwh := usable_capacity(stored.get("basic_capacity"))) is not None:
                self.basic_capacity[vin] = kwh
            if "owner_capacity" in stored:
                self._owner_stored.add(vin)
                if (kwh := usable_capacity(stored["owner_capacity"])) is not None:
                    self.owner_capacity[vin] = kwh
            self.end_poller.load(vin, stored.get("end_polls"))
            self._update_capacity(vin)
        return feed

    def electric(self, vin: str) -> bool:
        """Whether the vehicle has (or had before a restart) a charge level."""
        if vin in self.feeds and self.feeds[vin].electric:
            return True
        vehicle = self.coordinator.vehicles.get(vin)
        return vehicle is not None and any(
            source in vehicle.known_descriptors for source in SOC_SOURCES
        )

    def electric_vins(self) -> list[str]:
        """Electrified vehicles known now."""
        coordinator = self.coordinator
        return [vin for vin in coordinator.vehicles if self.electric(vin)]

    def capacity(self, vin: str) -> tuple[float | None, str | None]:
        """Usable capacity in kWh and where it comes from.

        The owner's own value wins once set; else what the car sends, else
        basicData's nominal capacity.
        """
        if (kwh := self.owner_capacity.get(vin)) is not None:
            return kwh, "owner"
        feed = self.feeds.get(vin)
        if feed is not None and feed.reported_capacity is not None:
            return feed.reported_capacity, "vehicle"
        if (kwh := self.basic_capacity.get(vin)) is not None:
            return kwh, NOMINAL
        return None, None

    def battery_kwh(self, vin: str) -> float | None:
        """The energy a full charge puts into the battery (the ledger's figure).

        :meth:`capacity`, less the gross part when it is basicData's nominal
        figure (:data:`.inputs.USABLE_SHARE`).
        """
        kwh, origin = self.capacity(vin)
        return battery_kwh(kwh, nominal=origin == NOMINAL)

    def owner_known(self, vin: str) -> bool:
        """Whether the store says what the owner set (this version wrote it)."""
        self.feed(vin)
        return vin in self._owner_stored

    @callback
    def on_basic_data(self, vin: str, basic: BasicData) -> None:
        """A vehicle's basicData arrived (the first set-up): its capacity and kind."""
        self.set_basic_capacity(vin, basic.hvs_max_energy_kwh)
        self.feed(vin).predictor.set_kind(
            basic.model_name, basic.drive_train or basic.propulsion_type
        )
        self.save()

    def set_basic_capacity(self, vin: str, kwh: float | None) -> None:
        """Battery capacity from basicData (the first set-up)."""
        if (value := usable_capacity(kwh)) is None:
            return
        self.feed(vin)
        self.basic_capacity[vin] = value
        self._update_capacity(vin)
        self.save()
        self._notify(vin)

    def set_owner_capacity(self, vin: str, kwh: float | None) -> None:
        """Battery capacity the owner set (number entity)."""
        if (value := usable_capacity(kwh)) is None:
            self.owner_capacity.pop(vin, None)
        else:
            self.owner_capacity[vin] = value
        self.feed(vin)
        self._owner_stored.add(vin)
        self._update_capacity(vin)
        self.save()
        self._notify(vin)

    def _update_capacity(self, vin: str) -> None:
        if (feed := self.feeds.get(vin)) is not None:
            feed.predictor.capacity_kwh = self.capacity(vin)[0]

    def diagnostics(self, vin: str) -> dict[str, Any]:
        """What the prediction knows of a vehicle (no VIN, no position)."""
        feed = self.feeds.get(vin)
        if feed is None:
            return {}
        predictor = feed.predictor
        kwh, origin = self.capacity(vin)
        last = predictor.last_reading
        return {
            "charge_level_descriptor": feed.source,
            "capacity_kwh": kwh,
            "capacity_from": origin,
            "has_power": feed.has_power,
            "charging": predictor.charging,
            "dc": predictor.dc,
            "moving": predictor.moving,
            "last_reading_at": last.at.isoformat() if last else None,
            "learning": predictor.learning.to_dict(),
            "end_polls_last_24h": len(self.end_poller.stored(vin)),
            "end_polls_skipped": dict(self.end_poller.skipped),
            # Only with a wallbox named (see set_wallbox).
            **({"power_source": feed.power_source} if feed.wallbox_named else {}),
        }

    @callback
    def set_wallbox(self, vin: str, watts: float | None, at: datetime) -> None:
        """The named wallbox's power (W) while it applies to the car, else None."""
        if self.feed(vin).set_wallbox(watts, at):
            self._notify(vin)

    @callback
    def reset_learning(self, vin: str) -> None:
        """Forget what was learned about a vehicle."""
        self.feed(vin).predictor.reset_learning()
        self.save()
        self._notify(vin)

    # ----- following the coordinator -----------------------------------------

    @callback
    def _track(self, vin: str) -> None:
        """Follow a vehicle; feed the values it holds already, oldest first.

        A vehicle seen for the first time is announced while its first values
        are applied: they are fed here by time, then again (as before) with
        the batch's changes.
        """
        if vin in self._tracked or not VIN_RE.match(vin):
            return
        self._tracked.add(vin)
        coordinator = self.coordinator
        self.entry.async_on_unload(
            coordinator.async_add_changes_listener(vin, partial(self._on_values, vin))
        )
        held = [
            (state.effective_timestamp, name)
            for name in WATCHED
            if (state := coordinator.get(vin, name)) is not None
        ]
        self._on_values(vin, [name for _at, name in sorted(held)])

    @callback
    def _on_new_vehicle(self, vin: str) -> None:
        self._track(vin)

    @callback
    def _on_values(self, vin: str, names: Sequence[str]) -> None:
        """Feed the watched ones of ``names``; then tell the entities, once.

        The coordinator calls this once per message with the descriptors it
        brought news of (first seen or changed), so a message costs one
        recompute of the prediction's entities however many of its inputs it
        carried, and none when it carried no input.
        """
        fed = False
        for name in names:
            if name in WATCHED:
                fed = self._on_value(vin, name) or fed
        if fed:
            self._notify(vin)

    def _on_value(self, vin: str, name: str) -> bool:
        """Feed one held value to the vehicle's feed; False when none is held."""
        coordinator = self.coordinator
        if (state := coordinator.get(vin, name)) is None:
            return False
        feed = self.feed(vin)
        # Only a charge level teaches the model (VehiclePredictor.add_reading).
        teaches = name in SOC_SOURCES
        before = feed.predictor.learning.stored() if teaches else None
        event = feed.apply(name, state.value, state.effective_timestamp)
        if name in SOC_SOURCES or name in CAPACITIES:
            self._update_capacity(vin)
        if event in (Event.CHARGE_END, Event.TRIP_END):
            self.end_poller.schedule(
                vin, state.received_at, trip=event is Event.TRIP_END
            )
        if teaches and feed.predictor.learning.stored() != before:
            self.save()
        if vin not in self._announced and self.electric(vin):
            self._announced.add(vin)
            self._electric_listeners.notify(vin)
        return True

    @callback
    def _on_tick(self, _now: datetime) -> None:
        for vin, feed in self.feeds.items():
            predictor = feed.predictor
            if predictor.charging or predictor.moving:
                self._notify(vin)

    # ----- listeners ----------------------------------------------------------

    @callback
    def async_add_listener(self, vin: str, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` when the vehicle's prediction may have moved."""
        return self._listeners.add(vin, listener)

    @callback
    def async_add_electric_listener(
        self, listener: Callable[[str], None]
    ) -> CALLBACK_TYPE:
        """Call ``listener(vin)`` when a vehicle first shows a charge level."""
        return self._electric_listeners.add(listener)

    def _notify(self, vin: str) -> None:
        self._listeners.notify(vin)

    def now(self) -> datetime:
        """The time the prediction is shown for."""
        return dt_util.utcnow()
