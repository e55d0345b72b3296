"""Predicted charge level through Home Assistant against the simulator.

The car's messages come from the simulator's physics (``tests/simulator/
physics.py``), handed to the coordinator as the stream owner does; the true
charge level stays with the test. The hub's clock follows the messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
import itertools
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.cardata.api import StreamState
from custom_components.cardata.diagnostics import async_get_device_diagnostics
from custom_components.cardata.prediction.end_poll import GRACE, EndPoller
from custom_components.cardata.prediction.hub import PredictionHub
from custom_components.cardata.prediction.inputs import VehicleFeed
from custom_components.cardata.prediction.model import VehiclePredictor
from custom_components.cardata.rest.quota_policy import CallKind, LoggedCall
from tests.entity_helpers import (
    HOOD,
    age_rest_data,
    device_for,
    entity_id,
    push,
    setup_entry,
    written_states,
)
from tests.simulator import GCID_A, VIN_BEV, VIN_PHEV, Simulator
from tests.simulator.physics import (
    DISPLAYED,
    HEADER,
    LEVEL,
    MOVING,
    POWER,
    STATUS,
    ChargeProfile,
    Timeline,
    TripProfile,
    charge,
    drive,
)
from tests.simulator.world import VIN_NK
from tests.waiting import wait_for


@dataclass
class Clock:
    """The hub's clock, moved along with the messages."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


async def _setup(
    hass: HomeAssistant, sim: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> tuple[MockConfigEntry, PredictionHub, Clock]:
    await age_rest_data(sim, dt_util.utcnow() - timedelta(hours=6))
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    hub = entry.runtime_data.prediction
    assert hub is not None
    clock = Clock(dt_util.utcnow())
    hub.now = clock  # type: ignore[method-assign]
    return entry, hub, clock


def _state(hass: HomeAssistant, vin: str = VIN_BEV) -> Any:
    state = hass.states.get(entity_id(hass, "sensor", f"{vin}_predicted_soc"))
    assert state is not None
    return state


async def _play(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    clock: Clock,
    timeline: Timeline,
    *,
    vin: str = VIN_BEV,
    sources: list[str] | None = None,
) -> list[tuple[float, float, dict[str, Any]]]:
    """Push every message; return (shown, true, values) after each.

    ``sources`` collects the source attribute after each message.
    """
    coordinator = entry.runtime_data.coordinator
    seen: list[tuple[float, float, dict[str, Any]]] = []
    for at, values in timeline.messages:
        clock.now = at
        await push(hass, coordinator, vin, values, at)
        state = _state(hass, vin)
        if sources is not None:
            sources.append(state.attributes["source"])
        seen.append((float(state.state), timeline.true_soc(at), values))
    return seen


def _start() -> datetime:
    return dt_util.utcnow() - timedelta(hours=4)


async def _push_minutely(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    clock: Clock,
    steps: list[dict[str, Any]],
) -> None:
    """Push ``steps`` to the BEV one minute apart, from :func:`_start`."""
    start = _start()
    for minute, values in enumerate(steps):
        at = start + timedelta(minutes=minute)
        clock.now = at
        await push(hass, entry.runtime_data.coordinator, VIN_BEV, values, at)


async def _end_poll_due(hass: HomeAssistant, hub: PredictionHub) -> EndPoller:
    """Let the end poll's wait pass; return the poller once it decided."""
    async_fire_time_changed(hass, dt_util.utcnow() + GRACE + timedelta(minutes=1))
    poller = hub.end_poller
    await wait_for(lambda: bool(poller.polls or poller.skipped))
    return poller


async def test_rises_during_ac_charge_snaps_and_stops_at_target(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """An AC charge in 5 % steps: the prediction rises between the steps."""
    entry, _hub, clock = await _setup(hass, simulator, make_entry)
    profile = ChargeProfile("ac", "ix", report="coarse", target=70)
    seen = await _play(hass, entry, clock, charge(profile, _start(), seed=3))
    shown = [value for value, _, _ in seen]
    assert shown == sorted(shown)
    assert shown[-1] <= 70
    between = [v for v, _, values in seen[1:-1] if HEADER not in values]
    assert len(set(between)) > 10  # it moved between the car's readings
    for value, _, values in seen:
        if HEADER in values:
            assert abs(value - values[HEADER]) <= 0.5
    assert max(abs(v - truth) for v, truth, _ in seen) < 2.5
    mid = seen[len(seen) // 2]
    assert mid[0] > seen[0][0]
    clock.now = charge(profile, _start(), seed=3).messages[-1][0]
    state = _state(hass)
    assert state.attributes["charge_level_descriptor"] == HEADER
    assert state.attributes["last_reading_age_min"] is not None


async def test_power_from_current_and_line_voltage(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """No charging power during the charge: current x voltage x phases, with a
    car that reports the line-to-line voltage (about 400 V) on three phases.

    The car's last charging power (0 W, read at set-up) is from before this
    charge began and must not stand for it.
    """
    entry, _hub, clock = await _setup(hass, simulator, make_entry)
    profile = ChargeProfile(
        "amps",
        "ix",
        report="coarse",
        target=70,
        sends_power=False,
        sends_current=True,
        line_voltage=True,
    )
    seen = await _play(hass, entry, clock, charge(profile, _start(), seed=3))
    assert max(abs(v - truth) for v, truth, _ in seen) < 2.5
    assert len({value for value, _, _ in seen}) > 10  # it did predict


async def test_phev_level_while_its_header_stands_still(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """A PHEV's battery header keeps its pre-charge value while it charges;
    ``charging.level`` moves meanwhile and is taken as the real reading."""
    entry, hub, clock = await _setup(hass, simulator, make_entry)
    profile = ChargeProfile("phev", "330e", phases=1, start_soc=20, target=100)
    timeline = charge(profile, _start(), seed=2)
    half = len(timeline.messages) // 2
    coordinator = entry.runtime_data.coordinator
    for at, values in timeline.messages[:half]:
        clock.now = at
        await push(hass, coordinator, VIN_PHEV, values, at)
    state = _state(hass, VIN_PHEV)
    truth = timeline.true_soc(clock.now)
    assert state.attributes["last_reading"] > 25  # not the header's 20 %
    assert state.attributes["charge_level_descriptor"] == LEVEL
    assert abs(float(state.state) - truth) < 1.5
    for at, values in timeline.messages[half:]:
        clock.now = at
        await push(hass, coordinator, VIN_PHEV, values, at)
    # At the end the header catches up and is the source again.
    assert _state(hass, VIN_PHEV).attributes["charge_level_descriptor"] == HEADER
    del hub


async def test_rises_during_dc_charge_and_stops_at_target(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """A DC charge reported in 5 % steps: rises, snaps, stops at the target."""
    entry, _hub, clock = await _setup(hass, simulator, make_entry)
    profile = ChargeProfile("dc", "ix", dc_kw=150, report="coarse", target=80)
    timeline = charge(profile, _start(), seed=1)
    sources: list[str] = []
    seen = await _play(hass, entry, clock, timeline, sources=sources)
    shown = [value for value, _, _ in seen]
    assert shown == sorted(shown)
    assert seen[-1][0] <= 80
    assert max(abs(v - truth) for v, truth, _ in seen) < 1.5
    assert "predicted_charging" in sources


async def test_predicting_while_charging_is_shown(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """Between readings the source attribute says what the value stands on."""
    entry, hub, clock = await _setup(hass, simulator, make_entry)
    profile = ChargeProfile("start_end", "ix", report="start_end", target=90)
    timeline = charge(profile, _start(), seed=2)
    coordinator = entry.runtime_data.coordinator
    half = len(timeline.messages) // 2
    for at, values in timeline.messages[:half]:
        clock.now = at
        await push(hass, coordinator, VIN_BEV, values, at)
    state = _state(hass)
    assert state.attributes["source"] == "predicted_charging"
    assert float(state.state) > state.attributes["last_reading"]
    truth = timeline.true_soc(clock.now)
    assert abs(float(state.state) - truth) < 2.5
    del hub


async def test_learning_moves_towards_truth_survives_restart_and_resets(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """A cold AC charge teaches a lower efficiency; a restart keeps it."""
    entry, _hub, clock = await _setup(hass, simulator, make_entry)
    profile = ChargeProfile("cold", "ix", cold=True, report="start_end", target=90)
    timeline = charge(profile, _start(), seed=5)
    await _play(hass, entry, clock, timeline)
    learned = _state(hass).attributes["efficiency_ac"]
    assert abs(learned - timeline.efficiency) < abs(0.9 - timeline.efficiency)
    assert abs(learned - timeline.efficiency) < 0.02

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    stream = entry.runtime_data.stream
    await wait_for(lambda: stream.state is StreamState.CONNECTED)
    hub = entry.runtime_data.prediction
    assert hub is not None
    assert round(hub.feed(VIN_BEV).predictor.learning.ac.value, 3) == learned

    button = entity_id(hass, "button", f"{VIN_BEV}_reset_soc_learning")
    await hass.services.async_call(
        "button", "press", {"entity_id": button}, blocking=True
    )
    assert hub.feed(VIN_BEV).predictor.learning.ac.value == 0.9
    assert hub.feed(VIN_BEV).predictor.learning.ac.weight == 0
    assert hub.feed(VIN_BEV).predictor.learning.kind == "bev_large"


async def _silent_end(
    hass: HomeAssistant, sim: Simulator, make_entry: Callable[..., Any], **kw: Any
) -> tuple[MockConfigEntry, PredictionHub, int]:
    entry, hub, clock = await _setup(hass, sim, make_entry)
    if fill := kw.pop("fill_to_reserve", False):
        planner = entry.runtime_data.quota
        now = dt_util.utcnow()
        policy = planner.policy
        while policy.remaining(now, CallKind.SCHEDULED) > 0:
            policy.record(LoggedCall(now, "test", None, "ok", CallKind.OTHER))
    del fill
    profile = ChargeProfile("end", "ix", report="step1", target=60, **kw)
    before = sim.quota.calls(GCID_A)
    await _play(hass, entry, clock, charge(profile, _start(), seed=4))
    await _end_poll_due(hass, hub)
    # A second look later changes nothing: one end, one poll at most.
    async_fire_time_changed(hass, dt_util.utcnow() + 2 * GRACE)
    await hass.async_block_till_done()
    return entry, hub, sim.quota.calls(GCID_A) - before


async def test_charge_ending_in_silence_polls_once(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """No charge level after the charge ended: exactly one telematic call."""
    _entry, hub, calls = await _silent_end(hass, simulator, make_entry, silent_end=True)
    assert calls == 1
    assert hub.end_poller.polls == 1


async def test_no_poll_when_stream_delivered_the_level(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """The car sent its level with the end of the charge: no call."""
    _entry, hub, calls = await _silent_end(hass, simulator, make_entry)
    assert calls == 0
    assert hub.end_poller.polls == 0
    assert hub.end_poller.skipped == {"delivered": 1}


async def test_no_poll_at_the_budget_reserve(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """With only the reserve left, the poll is not made."""
    _entry, hub, calls = await _silent_end(
        hass, simulator, make_entry, silent_end=True, fill_to_reserve=True
    )
    assert calls == 0
    assert hub.end_poller.polls == 0
    assert hub.end_poller.skipped == {"budget": 1}


async def test_no_poll_when_a_cloud_only_paused_the_charge(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """Surplus solar charging pauses at 0 W under a cloud, then goes on.

    The pause looks like a charge end (no power), but by the time the poll is
    due the car charges again: its level comes with the real end, no call.
    """
    entry, hub, clock = await _setup(hass, simulator, make_entry)
    profile = ChargeProfile(
        "clouds", "ix", solar=True, clouds=True, report="start_end", target=90
    )
    messages = charge(profile, _start(), seed=7).messages
    paused = next(
        i for i, (_, values) in enumerate(messages[:-1]) if values.get(POWER) == 0
    )
    resumed = next(
        i for i in range(paused, len(messages)) if messages[i][1].get(POWER, 0) > 0
    )
    assert resumed < len(messages) - 1  # the cloud passed before the charge ended
    coordinator = entry.runtime_data.coordinator
    before = simulator.quota.calls(GCID_A)
    for at, values in messages[: resumed + 1]:
        clock.now = at
        await push(hass, coordinator, VIN_BEV, values, at)
    poller = await _end_poll_due(hass, hub)
    assert poller.skipped == {"resumed": 1}
    assert poller.polls == 0
    assert simulator.quota.calls(GCID_A) == before


async def test_no_poll_when_the_car_drives_on_after_a_stop(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """A stop that looked like a trip end, then the trip goes on: no call."""
    entry, hub, clock = await _setup(hass, simulator, make_entry)
    before = simulator.quota.calls(GCID_A)
    moves = ("asn_istrue", "asn_isfalse", "asn_istrue")
    await _push_minutely(hass, entry, clock, [{MOVING: m} for m in moves])
    poller = await _end_poll_due(hass, hub)
    assert poller.skipped == {"resumed": 1}
    assert simulator.quota.calls(GCID_A) == before


async def test_trip_end_polls_though_a_charge_never_ended(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """Some cars never send the end of a charge: their next trip end is no pause."""
    entry, hub, clock = await _setup(hass, simulator, make_entry)
    steps = [{STATUS: "CHARGING"}, {MOVING: "asn_istrue"}, {MOVING: "asn_isfalse"}]
    await _push_minutely(hass, entry, clock, steps)
    poller = await _end_poll_due(hass, hub)
    assert poller.polls == 1
    assert not poller.skipped


async def test_drive_after_a_charge_whose_end_never_came(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """The car never sent the end of its charge; when it drives off, the charge
    is over: the estimate falls with the distance, it does not keep charging."""
    entry, _hub, clock = await _setup(hass, simulator, make_entry)
    profile = ChargeProfile("no end", "ix", report="coarse", target=70, no_end=True)
    charged = charge(profile, _start(), seed=3)
    await _play(hass, entry, clock, charged)
    assert charged.end is not None
    trip = drive(
        TripProfile("after", "ix", km=60, report="coarse", start_soc=70),
        charged.end + timedelta(minutes=30),
        seed=1,
    )
    seen = await _play(hass, entry, clock, trip)
    assert seen[-1][0] < seen[0][0]
    assert max(abs(v - truth) for v, truth, _ in seen) < 2.5


async def test_car_without_power_data_shows_the_real_value(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """No power, no current: nothing to integrate, the reading is shown."""
    entry, _hub, clock = await _setup(hass, simulator, make_entry)
    profile = ChargeProfile("nopower", "ix", report="coarse", sends_power=False)
    seen = await _play(hass, entry, clock, charge(profile, _start(), seed=6))
    readings = [values[HEADER] for _, _, values in seen if HEADER in values]
    for value, _, values in seen:
        assert value in readings
        if HEADER in values:
            assert value == values[HEADER]
    assert _state(hass).attributes["source"] == "measured"


async def test_neue_klasse_car_uses_displayed_level(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """A car sending only stateOfCharge.displayed gets both entities."""
    simulator.add_vehicle(GCID_A, VIN_NK, "BEV_NK")
    entry, _hub, clock = await _setup(hass, simulator, make_entry)
    displayed = hass.states.get(entity_id(hass, "sensor", f"{VIN_NK}_{DISPLAYED}"))
    assert displayed is not None
    assert displayed.attributes["device_class"] == "battery"
    assert displayed.attributes["unit_of_measurement"] == "%"
    profile = ChargeProfile("nk", "nk", amps=32, report="coarse")
    seen = await _play(
        hass, entry, clock, charge(profile, _start(), seed=7), vin=VIN_NK
    )
    assert seen[-1][0] > seen[0][0]
    state = _state(hass, VIN_NK)
    assert state.attributes["charge_level_descriptor"] == DISPLAYED
    assert state.attributes["capacity_kwh"] == 108.7


async def test_falls_while_driving_and_snaps(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """A drive reported in 5 % steps: the estimate falls with the distance."""
    entry, _hub, clock = await _setup(hass, simulator, make_entry)
    profile = TripProfile("trip", "ix", km=60, speed_kmh=100, report="coarse")
    timeline = drive(profile, _start(), seed=8)
    sources: list[str] = []
    seen = await _play(hass, entry, clock, timeline, sources=sources)
    assert sources.count("predicted_driving") > len(sources) // 2
    for (before, _, _), (after, _, values) in itertools.pairwise(seen):
        assert after <= before or HEADER in values  # only a reading lifts it
    assert seen[-1][0] < seen[0][0] - 10
    for value, _, values in seen:
        if HEADER in values:
            assert abs(value - values[HEADER]) <= 0.5
    # Between readings, after the first step taught this trip's rate.
    assert max(abs(v - truth) for v, truth, _ in seen[len(seen) // 3 :]) < 1.5


async def test_trip_ending_in_silence_polls_once(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """The trip ends without a charge level: one telematic call."""
    entry, hub, clock = await _setup(hass, simulator, make_entry)
    profile = TripProfile("trip", "ix", km=10, report="coarse", silent_end=True)
    before = simulator.quota.calls(GCID_A)
    await _play(hass, entry, clock, drive(profile, _start(), seed=9))
    poller = await _end_poll_due(hass, hub)
    assert poller.polls == 1
    assert simulator.quota.calls(GCID_A) - before == 1


async def test_entity_shows_what_the_benchmark_measures(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """The sensor equals the pure pipeline ``scripts/benchmark_soc.py`` replays."""
    entry, _hub, clock = await _setup(hass, simulator, make_entry)
    profile = ChargeProfile("solar", "ix", solar=True, report="coarse")
    timeline = charge(profile, _start(), seed=11)
    pure = VehiclePredictor()
    feed = VehicleFeed(pure)
    seen = await _play(hass, entry, clock, timeline)
    for (at, values), (shown, _, _) in zip(timeline.messages, seen, strict=True):
        for name, value in values.items():
            feed.apply(name, value, at)
        expected, _basis = pure.estimate(at)
        assert expected is not None
        assert shown == round(expected, 1)


async def test_a_message_writes_the_level_at_most_once(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """However many of its inputs a message carries; none without an input."""
    entry, _hub, clock = await _setup(hass, simulator, make_entry)
    profile = ChargeProfile("once", "ix", report="coarse", target=70)
    timeline = charge(profile, _start(), seed=3)
    coordinator = entry.runtime_data.coordinator
    written = written_states(
        hass, entity_id(hass, "sensor", f"{VIN_BEV}_predicted_soc")
    )
    per_message: list[int] = []
    for at, values in timeline.messages:
        clock.now = at
        before = len(written)
        await push(hass, coordinator, VIN_BEV, values, at)
        per_message.append(len(written) - before)
    assert max(per_message) == 1
    assert any(len(values) > 2 for _at, values in timeline.messages)

    before = len(written)
    clock.now += timedelta(minutes=1)
    await push(hass, coordinator, VIN_BEV, {HOOD: "OPEN"}, clock.now)
    assert len(written) == before


async def test_owner_capacity_gives_a_basis(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """A car BMW gives no capacity for predicts once the owner sets one."""
    entry, hub, clock = await _setup(hass, simulator, make_entry)
    hub.basic_capacity.pop(VIN_BEV, None)
    hub.set_owner_capacity(VIN_BEV, None)
    profile = ChargeProfile("owner", "mini", report="start_end")  # sends none
    timeline = charge(profile, _start(), seed=12)
    coordinator = entry.runtime_data.coordinator
    half = len(timeline.messages) // 2
    for at, values in timeline.messages[:half]:
        clock.now = at
        await push(hass, coordinator, VIN_BEV, values, at)
    assert _state(hass).attributes["source"] == "measured"
    number = entity_id(hass, "number", f"{VIN_BEV}_usable_capacity")
    await hass.services.async_call(
        "number", "set_value", {"entity_id": number, "value": 28.9}, blocking=True
    )
    state = _state(hass)
    assert state.attributes["source"] == "predicted_charging"
    assert state.attributes["capacity_kwh"] == 28.9
    assert abs(float(state.state) - timeline.true_soc(clock.now)) < 1.5


async def test_device_diagnostics_show_the_prediction(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """The vehicle's diagnostics say what the prediction stands on, no VIN."""
    entry, _hub, clock = await _setup(hass, simulator, make_entry)
    profile = ChargeProfile("diag", "ix", report="coarse", target=40)
    await _play(hass, entry, clock, charge(profile, _start(), seed=13))
    device = device_for(hass, entry, VIN_BEV)
    dump = await async_get_device_diagnostics(hass, entry, device)
    (part,) = dump["predicted_charge_level"].values()
    assert part["charge_level_descriptor"] == HEADER
    assert part["capacity_from"] == "vehicle"
    assert part["learning"]["ac"]["weight"] > 0
    assert part["learning"]["kind"] == "bev_large"  # basic data: an iX, a BEV
    assert VIN_BEV not in str(dump)


async def test_end_poll_refusals(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """Set to 0 a day, no container yet, or BMW failing: no poll counted."""
    entry, hub, _clock = await _setup(hass, simulator, make_entry)
    poller = hub.end_poller
    ended = dt_util.utcnow() + timedelta(minutes=1)  # nothing arrived since

    simulator.faults.rest_errors = 1
    assert not await poller.async_check(VIN_BEV, ended)
    assert poller.polls == 0
    assert len(poller.stored(VIN_BEV)) == 1  # BMW counted the failed call

    hass.config_entries.async_update_entry(
        entry, options={**entry.options, "end_polls_per_day": 1}
    )
    assert not await poller.async_check(VIN_BEV, ended)
    assert poller.skipped["daily_limit"] == 1

    data = {k: v for k, v in entry.data.items() if k != "container_id"}
    hass.config_entries.async_update_entry(entry, data=data)
    assert not await poller.async_check(VIN_BEV, ended)
    assert poller.skipped["no_container"] == 1
