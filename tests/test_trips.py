"""Trip journal through Home Assistant against the simulator's traces.

Each trace (``tests/simulator/traces.py``) is handed to the coordinator as
the stream owner does; the true trips stay with the test. Every trip must be
found with its distance within 1 % of the mileage difference the car sent (the
route's length for a car that sends only its position) and its times within a
minute; a restart or a restored value starts no trip, and each trip event
fires once per real start and end, across a restart in the middle of a trip
too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from homeassistant.const import (
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.cardata.api import StreamState
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.diagnostics import async_get_device_diagnostics
from custom_components.cardata.trips.detector import GAP
from tests.entity_helpers import (
    age_rest_data,
    device_for,
    entity_id,
    push,
    setup_entry,
)
from tests.simulator import GCID_A, VIN_BEV, VIN_PHEV, Simulator
from tests.simulator.traces import (
    WORK,
    TraceCar,
    TrueTrip,
    commute,
    long_trip,
    plug_in_hybrid,
    position_only,
    short_hops,
)
from tests.simulator.world import HOME, VIN_GPS
from tests.waiting import wait_for

type Events = list[tuple[str, str, str]]


async def _setup(
    hass: HomeAssistant, sim: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> MockConfigEntry:
    """An entry whose REST data is older than the traces; zones Home and Work."""
    hass.config.latitude, hass.config.longitude = HOME
    assert await async_setup_component(
        hass,
        "zone",
        {"zone": [{"name": "Work", "latitude": WORK[0], "longitude": WORK[1]}]},
    )
    sim.add_vehicle(GCID_A, VIN_GPS, "GPS_ONLY")
    await age_rest_data(sim, _start() - timedelta(days=1))
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    return entry


def _start() -> datetime:
    return dt_util.utcnow() - timedelta(days=1)


def _events(hass: HomeAssistant) -> Events:
    """Every trip event fired from now on: (VIN's entity, event type, time)."""
    seen: Events = []

    @callback
    def on_change(event: Event) -> None:
        state = event.data["new_state"]
        if (
            state is None
            or not state.entity_id.startswith("event.")
            or state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE)
        ):
            return
        fired = (state.entity_id, state.attributes["event_type"], state.state)
        if fired not in seen:  # a restart restores the last event, unchanged
            seen.append(fired)

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    return seen


async def _play(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    car: TraceCar,
    messages: list[tuple[datetime, dict[str, Any]]] | None = None,
) -> None:
    coordinator = entry.runtime_data.coordinator
    for at, values in car.messages if messages is None else messages:
        await push(hass, coordinator, car.vin, values, at)


async def _gap_passes(hass: HomeAssistant) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + GAP + timedelta(seconds=5))
    await hass.async_block_till_done()


async def _trips(hass: HomeAssistant, vin: str, **period: str) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        DOMAIN,
        "get_trips",
        {"vin": vin, **period},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    trips: list[dict[str, Any]] = response["vehicles"][vin]  # type: ignore[index,call-overload]
    return trips


def _assert_found(found: list[dict[str, Any]], truth: list[TrueTrip]) -> None:
    assert len(found) == len(truth)
    for trip, true in zip(found, truth, strict=True):
        assert abs(trip["distance"] - true.km) <= 0.01 * true.km, (trip, true)
        start = dt_util.parse_datetime(trip["start"])
        end = dt_util.parse_datetime(trip["end"])
        assert start is not None
        assert end is not None
        assert abs((start - true.start).total_seconds()) <= 60, (trip, true)
        assert abs((end - true.end).total_seconds()) <= 60, (trip, true)


async def _reload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    stream = entry.runtime_data.stream
    await wait_for(lambda: stream.state is StreamState.CONNECTED)


async def test_commute_trips_places_figures_and_events(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """Two drives: found exactly, with zones, energy and the event's figures."""
    entry = await _setup(hass, simulator, make_entry)
    events = _events(hass)
    car = commute(VIN_BEV, _start())
    await _play(hass, entry, car)

    found = await _trips(hass, VIN_BEV)
    _assert_found(found, car.trips)
    first, second = found
    assert first["start_zone"] == hass.states.get("zone.home").name  # type: ignore[union-attr]
    assert first["end_zone"] == "Work"
    assert first["at_home"] is False
    assert second["at_home"] is True
    assert "start_position" not in first  # coordinates are off by default
    assert first["distance_from"] == "mileage"
    for trip, true in zip(found, car.trips, strict=True):
        assert true.energy_kwh is not None
        assert abs(trip["energy_kwh"] - true.energy_kwh) <= 0.1
        assert trip["energy_consumption"] > 0
        assert trip["average_speed"] > 0

    event = entity_id(hass, "event", f"{VIN_BEV}_trip")
    assert [kind for entity, kind, _at in events if entity == event] == [
        "started",
        "ended",
        "started",
        "ended",
    ]
    state = hass.states.get(event)
    assert state is not None
    assert state.attributes["distance"] == second["distance"]
    assert state.attributes["at_home"] is True

    distance = hass.states.get(
        entity_id(hass, "sensor", f"{VIN_BEV}_last_trip_distance")
    )
    assert distance is not None
    assert float(distance.state) == round(second["distance"], 2)
    duration = hass.states.get(
        entity_id(hass, "sensor", f"{VIN_BEV}_last_trip_duration")
    )
    assert duration is not None
    assert float(duration.state) == second["duration_min"]
    use = hass.states.get(entity_id(hass, "sensor", f"{VIN_BEV}_last_trip_consumption"))
    assert use is not None
    assert float(use.state) == second["energy_consumption"]
    assert use.attributes["unit_of_measurement"] == "kWh/100km"

    # This month's distance: the trips that started since the 1st, local time.
    month = entity_id(hass, "sensor", f"{VIN_BEV}_month_distance")
    first_of_month = dt_util.start_of_local_day(dt_util.now().replace(day=1))
    this_month = [
        trip["distance"]
        for trip in found
        if dt_util.parse_datetime(trip["start"]) >= first_of_month  # type: ignore[operator]
    ]
    state = hass.states.get(month)
    assert state is not None
    assert float(state.state) == round(sum(this_month), 2)
    # Every local midnight the month's sensors look again (a new month may
    # have begun): the state is written, unchanged today.
    reported: list[str] = []
    hass.bus.async_listen(
        EVENT_STATE_REPORTED,
        callback(lambda event: reported.append(event.data["entity_id"])),
        event_filter=callback(lambda data: data["entity_id"] == month),
    )
    midnight = dt_util.start_of_local_day() + timedelta(days=1, seconds=5)
    async_fire_time_changed(hass, midnight)
    await hass.async_block_till_done()
    assert month in reported


async def test_short_hops_and_a_long_trip_with_a_charging_stop(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """Four hops a few minutes apart; a charging stop splits a long drive."""
    entry = await _setup(hass, simulator, make_entry)
    hops = short_hops(VIN_BEV, _start())
    await _play(hass, entry, hops)
    _assert_found(await _trips(hass, VIN_BEV), hops.trips)

    long = long_trip(VIN_BEV, hops.now + timedelta(hours=1), odometer=hops.odometer)
    await _play(hass, entry, long)
    after = (hops.now + timedelta(minutes=30)).isoformat()
    _assert_found(await _trips(hass, VIN_BEV, start=after), long.trips)


async def test_position_only_car_by_the_gap_rule(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """No mileage, no motion: the path and the gap rule find every drive."""
    entry = await _setup(hass, simulator, make_entry)
    events = _events(hass)
    car = position_only(VIN_GPS, _start())
    await _play(hass, entry, car)
    await _gap_passes(hass)

    found = await _trips(hass, VIN_GPS)
    _assert_found(found, car.trips)
    assert {trip["distance_from"] for trip in found} == {"path"}
    kinds = [kind for _entity, kind, _at in events]
    assert kinds == ["started", "ended"] * 3


async def test_plug_in_hybrid_energy_and_fuel(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """A plug-in hybrid's trips carry the energy and the fuel they used."""
    entry = await _setup(hass, simulator, make_entry)
    car = plug_in_hybrid(VIN_PHEV, _start())
    await _play(hass, entry, car)

    found = await _trips(hass, VIN_PHEV)
    _assert_found(found, car.trips)
    for trip, true in zip(found, car.trips, strict=True):
        assert true.fuel_l is not None
        assert true.energy_kwh is not None
        assert abs(trip["fuel"] - true.fuel_l) <= 0.1
        assert abs(trip["energy_kwh"] - true.energy_kwh) <= 0.05
    assert found[1]["fuel_consumption"] > found[0]["fuel_consumption"]
    fuel = hass.states.get(
        entity_id(hass, "sensor", f"{VIN_PHEV}_last_trip_fuel_consumption")
    )
    assert fuel is not None
    assert float(fuel.state) == round(found[1]["fuel_consumption"], 2)
    assert fuel.attributes["unit_of_measurement"] == "L/100 km"


async def test_restart_in_the_middle_of_a_trip(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """Both cars: the trip goes on after the restart and ends once."""
    entry = await _setup(hass, simulator, make_entry)
    events = _events(hass)
    cars = [commute(VIN_BEV, _start()), position_only(VIN_GPS, _start())]
    for car in cars:
        first = car.trips[0]
        half = first.start + (first.end - first.start) / 2
        await _play(hass, entry, car, [m for m in car.messages if m[0] <= half])
    await _reload(hass, entry)
    for car in cars:
        first = car.trips[0]
        half = first.start + (first.end - first.start) / 2
        await _play(hass, entry, car, [m for m in car.messages if m[0] > half])
    await _gap_passes(hass)

    for car in cars:
        _assert_found(await _trips(hass, car.vin), car.trips)
        event = entity_id(hass, "event", f"{car.vin}_trip")
        kinds = [kind for entity, kind, _at in events if entity == event]
        assert kinds == ["started", "ended"] * len(car.trips)


async def test_no_trip_from_a_restart_or_restored_values(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """Parked cars restart, get their values restored and resent: no trip."""
    entry = await _setup(hass, simulator, make_entry)
    events = _events(hass)
    cars = [commute(VIN_BEV, _start()), position_only(VIN_GPS, _start())]
    for car in cars:
        await _play(hass, entry, car)
    await _gap_passes(hass)
    fired = list(events)
    assert len(fired) == 2 * sum(len(car.trips) for car in cars)
    await _reload(hass, entry)
    await _gap_passes(hass)
    for car in cars:
        # The last values again, later (a parked car resends them).
        resent = dt_util.utcnow() - timedelta(minutes=1)
        parked = [values for at, values in car.messages if at >= car.trips[-1].end]
        for values in parked:
            await push(hass, entry.runtime_data.coordinator, car.vin, values, resent)
    await _gap_passes(hass)

    assert events == fired  # the restored last events are no new ones
    for car in cars:
        _assert_found(await _trips(hass, car.vin), car.trips)


async def test_period_coordinates_option_and_diagnostics(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """A period selects trips; coordinates only with the option; none in diagnostics."""
    hass.config.latitude, hass.config.longitude = HOME
    await age_rest_data(simulator, _start() - timedelta(days=1))
    entry = make_entry(simulator, options={"trip_coordinates": True})
    await setup_entry(hass, entry)
    car = commute(VIN_BEV, _start())
    await _play(hass, entry, car)

    middle = car.trips[1].start - timedelta(hours=1)
    later = await _trips(hass, VIN_BEV, start=middle.isoformat())
    _assert_found(later, car.trips[1:])
    earlier = await _trips(hass, VIN_BEV, end=middle.isoformat())
    _assert_found(earlier, car.trips[:1])
    assert later[0]["end_position"] is not None
    whole = await hass.services.async_call(
        DOMAIN,
        "get_trips",
        {"config_entry_id": entry.entry_id},
        blocking=True,
        return_response=True,
    )
    assert whole is not None
    assert len(whole["vehicles"][VIN_BEV]) == 2  # type: ignore[index,call-overload]
    with pytest.raises(ServiceValidationError) as err:
        await _trips(hass, VIN_BEV, start=middle.isoformat(), end=middle.isoformat())
    assert err.value.translation_key == "period_invalid"

    device = device_for(hass, entry, VIN_BEV)
    dump = await async_get_device_diagnostics(hass, entry, device)
    # The coverage report names fields (door positions, the location's
    # descriptors), never a value: the words are checked without it.
    text = repr({k: v for k, v in dump.items() if k != "data_coverage"})
    journal = next(iter(dump["trips"].values()))
    assert len(journal["journal"]) == 2
    assert "position" not in text
    assert "zone" not in text
    assert str(round(HOME[0], 4)) not in repr(dump)
