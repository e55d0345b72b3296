"""The trip journal of an entry's vehicles, wired to Home Assistant.

The hub follows the coordinator's per-vehicle changes (one call per batch
with the descriptors whose value or time moved; restored values are read
once, as the starting point), builds a :class:`.detector.Reading` when a
batch touched a trip input and hands it to the vehicle's detector. A started
or ended trip is told to the entities; an ended one gets its places (the name
of one of Home Assistant's zones; coordinates only when the owner keeps them)
and its energy (with the prediction's usable capacity), and goes into the
journal.

The journal lives in a ``Store`` per entry (vehicles only as salted hashes of
their VIN), with the trip in progress: it is written at most once a
:data:`SAVE_DELAY` while trips change, on Home Assistant's stop and when the
entry unloads. A trip in progress at a restart is resumed, and ends once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any, Final

from homeassistant.components.zone import async_active_zone
from homeassistant.const import UnitOfLength, UnitOfVolume
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later, async_track_time_change
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import DistanceConverter, VolumeConverter

from ..api.vin import VIN_RE
from ..catalogue.charging import SOC_SOURCES, number
from ..common.listeners import KeyedListeners
from ..common.redact import vin_hash
from ..common.settings import OPT_TRIP_COORDINATES, extra_enabled
from ..const import DOMAIN
from ..data.coordinator import CarDataCoordinator
from ..data.state import DescriptorState
from ..entities.units import value_unit
from ..prediction.hub import PredictionHub
from ..prediction.inputs import MOVING, ODOMETER, RANGES, is_moving
from .detector import GAP, Ended, Reading, Started, Transition, TripDetector, finish
from .figures import Units, figures
from .model import Journal, OpenTrip, Position, Trip

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 60.0
"""Seconds between a change of the journal and its write."""
IGNITION: Final = "vehicle.drivetrain.engine.isIgnitionOn"
_GPS: Final = "vehicle.cabin.infotainment.navigation.currentLocation."
LATITUDE: Final = _GPS + "latitude"
LONGITUDE: Final = _GPS + "longitude"
FUEL: Final = "vehicle.drivetrain.fuelSystem.remainingFuel"
TOTAL_RANGES: Final = (
    "vehicle.drivetrain.totalRemainingRange",
    "vehicle.drivetrain.lastRemainingRange",
    *RANGES,
)
"""Remaining range, all fuels first (a plug-in hybrid's electric one is short)."""
TRIGGERS: Final = frozenset({MOVING, IGNITION, ODOMETER, LATITUDE, LONGITUDE})
"""Descriptors whose news can start or end a trip."""
PAIR_SECONDS: Final = 5.0
"""Latitude and longitude arrive apart; they are one position when BMW's
times are this close (else a half-moved position would bend the path)."""
HOME_ZONE: Final = "zone.home"
STARTED: Final = "started"
ENDED: Final = "ended"
MONTH: Final = "month"
DIAGNOSTIC_TRIPS: Final = 200
"""The newest trips a diagnostics file carries (without places)."""

type TripCallback = Callable[[str, Trip | OpenTrip | None], None]


def vehicle_key(entry_id: str, vin: str) -> str:
    """The stored key of a vehicle (a salted hash; no VIN is written)."""
    return vin_hash(vin, 24, salt=entry_id)


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the journal (the entry is being removed)."""
    await Store[dict[str, Any]](
        hass, STORAGE_VERSION, f"{DOMAIN}.trips.{entry_id}"
    ).async_remove()


class TripHub:
    """Per-entry trip journal (see the module docstring)."""

    def __init__(self, prediction: PredictionHub) -> None:
        """Prepare; :meth:`async_load` reads the journal."""
        self.hass: HomeAssistant = prediction.hass
        self.entry = prediction.entry
        self.coordinator: CarDataCoordinator = prediction.coordinator
        self.prediction = prediction
        self.keep_positions = extra_enabled(self.entry.options, OPT_TRIP_COORDINATES)
        self.journals: dict[str, Journal] = {}
        self.detectors: dict[str, TripDetector] = {}
        self._stored: dict[str, Any] = {}
        self._store: Store[dict[str, Any]] = Store(
            self.hass,
            STORAGE_VERSION,
            f"{DOMAIN}.trips.{self.entry.entry_id}",
            private=True,
        )
        self._pending = False
        self._timers: dict[str, CALLBACK_TYPE] = {}
        self._units: dict[tuple[str, str], str | None] = {}
        self._listeners: KeyedListeners[str, str, Trip | OpenTrip | None] = (
            KeyedListeners()
        )

    @property
    def units(self) -> Units:
        """The owner's units (Home Assistant's unit system)."""
        return Units.of(self.hass.config.units)

    # ----- lifecycle --------------------------------------------------------

    async def async_load(self) -> None:
        """Read the journal kept before a restart."""
        data = await self._store.async_load()
        vehicles = data.get("vehicles") if isinstance(data, dict) else None
        self._stored = vehicles if isinstance(vehicles, dict) else {}

    @callback
    def async_start(self) -> None:
        """Follow the coordinator (stopped with the entry)."""
        for vin in list(self.coordinator.vehicles):
            self._track(vin)
        self.entry.async_on_unload(
            self.coordinator.async_add_vehicle_listener(self._track)
        )
        # This month's figures start again on the 1st: the month's sensors
        # look again every local midnight.
        self.entry.async_on_unload(
            async_track_time_change(
                self.hass, self._on_midnight, hour=0, minute=0, second=5
            )
        )

    @callback
    def _on_midnight(self, _now: datetime) -> None:
        for vin in self.detectors:
            self._listeners.notify(vin, MONTH, None)

    async def async_shutdown(self) -> None:
        """Stop the timers and write the journal now (the entry unloads)."""
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()
        await self._store.async_save(self._data())

    def _data(self) -> dict[str, Any]:
        self._pending = False
        vehicles = dict(self._stored)
        entry_id = self.entry.entry_id
        positions = self.keep_positions
        for vin, journal in self.journals.items():
            vehicles[vehicle_key(entry_id, vin)] = {
                "trips": [
                    (trip if positions else trip.without_positions()).to_dict()
                    for trip in journal.trips
                ],
                "open": journal.open.to_dict(positions=positions)
                if journal.open
                else None,
            }
        return {"vehicles": vehicles}

    def save(self) -> None:
        """Write the journal soon; changes meanwhile ride along."""
        if not self._pending:
            self._pending = True
            self._store.async_delay_save(self._data, SAVE_DELAY)

    # ----- reading ----------------------------------------------------------

    def journal(self, vin: str) -> Journal:
        """A vehicle's journal (read from the store the first time)."""
        if (journal := self.journals.get(vin)) is None:
            stored = self._stored.get(vehicle_key(self.entry.entry_id, vin))
            stored = stored if isinstance(stored, dict) else {}
            rows = stored.get("trips")
            trips = [
                trip
                for row in (rows if isinstance(rows, list) else [])
                if (trip := Trip.from_dict(row)) is not None
            ]
            journal = self.journals[vin] = Journal(
                trips, OpenTrip.from_dict(stored.get("open"))
            )
            journal.prune(dt_util.utcnow())
        return journal

    def trips(
        self, vin: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[Trip]:
        """A vehicle's finished trips that started in ``[start, end)``."""
        return self.journal(vin).between(start, end)

    def query(
        self, vin: str, start: datetime | None, end: datetime | None
    ) -> list[dict[str, Any]]:
        """The trips of a period in the owner's units, with their places."""
        units = self.units
        return [
            figures(trip, units) | trip.places() for trip in self.trips(vin, start, end)
        ]

    def last_trip(self, vin: str) -> Trip | None:
        """The vehicle's last finished trip."""
        trips = self.journal(vin).trips
        return trips[-1] if trips else None

    # ----- following the coordinator -----------------------------------------

    @callback
    def _track(self, vin: str) -> None:
        """Start from the held (restored) values; resume a stored trip."""
        if vin in self.detectors or not VIN_RE.match(vin):
            return
        journal = self.journal(vin)
        detector = self.detectors[vin] = TripDetector(
            self._reading(vin, None), journal.open
        )
        self.entry.async_on_unload(
            self.coordinator.async_add_changes_listener(
                vin, partial(self._on_values, vin)
            )
        )
        self._handle(vin, detector.resume())
        if journal.open is not None and detector.gap_ruled:
            self._schedule(vin)

    @callback
    def _on_values(self, vin: str, names: Sequence[str]) -> None:
        if TRIGGERS.isdisjoint(names):
            return
        detector = self.detectors[vin]
        transitions = detector.update(self._reading(vin, detector.last))
        self._handle(vin, transitions)
        if detector.open is not None:
            self.journal(vin).open = detector.open
            self.save()  # the path so far
            if detector.gap_ruled:
                self._schedule(vin)

    def _schedule(self, vin: str) -> None:
        """(Re)start the gap rule's timer of a vehicle."""
        if (cancel := self._timers.pop(vin, None)) is not None:
            cancel()
        self._timers[vin] = async_call_later(self.hass, GAP, partial(self._on_gap, vin))

    @callback
    def _on_gap(self, vin: str, _now: datetime) -> None:
        self._timers.pop(vin, None)
        self._handle(vin, self.detectors[vin].expire())

    def _handle(self, vin: str, transitions: list[Transition]) -> None:
        journal = self.journal(vin)
        if transitions:  # the next readings look for the units again
            self._units = {key: u for key, u in self._units.items() if key[0] != vin}
        for transition in transitions:
            if isinstance(transition, Started):
                opened = transition.trip
                opened.start_zone, _home = self._zone(opened.start_position)
                journal.open = opened
                self._listeners.notify(vin, STARTED, opened)
            elif isinstance(transition, Ended):
                trip = self._finished(vin, transition)
                journal.open = None
                journal.add(trip, dt_util.utcnow())
                self._listeners.notify(vin, ENDED, trip)
            self.save()

    def _finished(self, vin: str, ended: Ended) -> Trip:
        trip = finish(ended, self.prediction.capacity(vin)[0])
        zone, home = self._zone(trip.end_position)
        trip = replace(trip, end_zone=zone, at_home=home)
        return trip if self.keep_positions else trip.without_positions()

    def _zone(self, position: Position | None) -> tuple[str | None, bool]:
        """The name of Home Assistant's zone at ``position`` and whether it is home."""
        if position is None:
            return None, False
        zone = async_active_zone(self.hass, position[0], position[1])
        if zone is None:
            return None, False
        return zone.name, zone.entity_id == HOME_ZONE

    def _reading(self, vin: str, last: Reading | None) -> Reading:
        """What the vehicle's held values say (metric)."""
        get = partial(self.coordinator.get, vin)
        motion = get(MOVING) or get(IGNITION)
        odometer = get(ODOMETER)
        position, position_at = self._position(vin, last)
        soc = next((s for name in SOC_SOURCES if (s := get(name)) is not None), None)
        fuel = get(FUEL)
        range_name = next(
            (name for name in TOTAL_RANGES if get(name) is not None), None
        )
        return Reading(
            motion=None if motion is None else is_moving(motion.value),
            motion_at=motion.effective_timestamp if motion else None,
            odometer_km=self._km(vin, ODOMETER),
            odometer_at=odometer.effective_timestamp if odometer else None,
            position=position,
            position_at=position_at,
            soc=number(soc.value) if soc else None,
            fuel_l=self._litres(fuel),
            range_km=self._km(vin, range_name),
        )

    def _position(
        self, vin: str, last: Reading | None
    ) -> tuple[Position | None, datetime | None]:
        """The held position when latitude and longitude belong together."""
        lat = self.coordinator.get(vin, LATITUDE)
        lon = self.coordinator.get(vin, LONGITUDE)
        if lat is not None and lon is not None:
            lat_at, lon_at = lat.effective_timestamp, lon.effective_timestamp
            y, x = number(lat.value), number(lon.value)
            if (
                y is not None
                and x is not None
                and abs((lat_at - lon_at).total_seconds()) <= PAIR_SECONDS
            ):
                return (y, x), max(lat_at, lon_at)
        if last is not None:
            return last.position, last.position_at
        return None, None

    def _km(self, vin: str, name: str | None) -> float | None:
        """A held distance in km.

        A value without a unit is in the unit of the vehicle's other
        distances; finding it searches them all, so the unit found is
        remembered per descriptor until the next trip starts or ends.
        """
        state = None if name is None else self.coordinator.get(vin, name)
        if state is None or name is None or (value := number(state.value)) is None:
            return None
        if state.unit is None and (vin, name) in self._units:
            unit = self._units[vin, name]
        else:
            unit = value_unit(self.coordinator, vin, state, UnitOfLength.KILOMETERS)
            if state.unit is None:
                self._units[vin, name] = unit
        if unit == UnitOfLength.MILES:
            return DistanceConverter.convert(
                value, UnitOfLength.MILES, UnitOfLength.KILOMETERS
            )
        return value

    @staticmethod
    def _litres(state: DescriptorState | None) -> float | None:
        if state is None or (value := number(state.value)) is None:
            return None
        if "gal" in str(state.unit or "").lower():
            return VolumeConverter.convert(
                value, UnitOfVolume.GALLONS, UnitOfVolume.LITERS
            )
        return value

    # ----- listeners ----------------------------------------------------------

    @callback
    def async_add_listener(self, vin: str, listener: TripCallback) -> CALLBACK_TYPE:
        """Call ``listener(kind, trip)`` when a trip of the vehicle starts or ends.

        ``kind`` is ``started`` (with the trip in progress), ``ended`` (with
        the finished trip) or ``month`` (midnight: a new month may have begun; no trip).
        """
        return self._listeners.add(vin, listener)

    def diagnostics(self, vin: str) -> dict[str, Any]:
        """The vehicle's journal without places or coordinates."""
        journal = self.journal(vin)
        detector = self.detectors.get(vin)
        return {
            "trips": len(journal.trips),
            "in_progress_since": journal.open.start.isoformat()
            if journal.open
            else None,
            "rule": None
            if detector is None
            else ("gap" if detector.gap_ruled else "motion"),
            "keeps_coordinates": self.keep_positions,
            "journal": [
                trip.to_dict(places=False) for trip in journal.trips[-DIAGNOSTIC_TRIPS:]
            ],
        }
