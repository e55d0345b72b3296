"""Charging and plug events, and the battery_charging sensor, against the simulator.

The simulator's charging sessions (``tests/simulator/charging_traces.py``:
plug-in, both status words, resends, the end with BMW's reason, unplug) are
handed to the coordinator as the stream owner does, or published on the
simulator's broker. Each event type must fire once per real transition:
never for a restored value, a resend, or the second status word.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
import importlib.util
from typing import Any

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.cardata.activity.reasons import (
    REASON_GROUPS,
    ReasonGroup,
    reason_group,
)
from custom_components.cardata.catalogue.charging import REASON_END
from custom_components.cardata.catalogue.descriptors import describe
from tests.entity_helpers import (
    HOOD,
    TEST_VIN,
    age_rest_data,
    device_for,
    entity_id,
    push,
    setup_entry,
    written_states,
)
from tests.simulator import VIN_BEV, VIN_PHEV, Simulator
from tests.simulator.charging_traces import (
    CHARGING_STATUS,
    PLUGGED,
    PORT,
    REASONS,
    Session,
    session,
)
from tests.simulator.physics import STATUS
from tests.waiting import wait_for


class Watch:
    """The states written for one vehicle's activity entities from now on."""

    def __init__(self, hass: HomeAssistant, vin: str) -> None:
        self.hass = hass
        self.charging_id = entity_id(hass, "event", f"{vin}_charging_event")
        self.plug_id = entity_id(hass, "event", f"{vin}_plug_event")
        self.sensor_id = entity_id(hass, "binary_sensor", f"{vin}_charging")
        self.charging = written_states(hass, self.charging_id)
        self.plug = written_states(hass, self.plug_id)
        self.sensor = written_states(hass, self.sensor_id)

    @staticmethod
    def types(states: list[State]) -> list[str]:
        return [state.attributes["event_type"] for state in states]

    def sensor_states(self) -> list[str]:
        """The binary sensor's states, each change once."""
        shown: list[str] = []
        for state in self.sensor:
            if not shown or shown[-1] != state.state:
                shown.append(state.state)
        return shown


async def _setup(
    hass: HomeAssistant, sim: Simulator, make_entry: Callable[..., MockConfigEntry]
) -> MockConfigEntry:
    """An entry whose REST values are older than every trace."""
    await age_rest_data(sim, dt_util.utcnow() - timedelta(hours=6))
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    return entry


async def _play(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    vin: str,
    messages: list[tuple[datetime, dict[str, Any]]],
) -> None:
    coordinator = entry.runtime_data.coordinator
    for at, values in messages:
        await push(hass, coordinator, vin, values, at)


def _start() -> datetime:
    return dt_util.utcnow() - timedelta(hours=4)


CASES = {
    "target_reached": {},
    "unplugged": {"unplug_with_end": True},
    "stopped_by_owner": {"vin": VIN_PHEV, "model": "330e"},
    "stopped_by_charger": {"split_status": True},
    "error": {"split_status": True, "unplug_with_end": True},
    "other": {"vin": VIN_PHEV, "model": "330e", "split_status": True},
}


@pytest.mark.parametrize("group", list(CASES))
async def test_a_session_fires_each_event_once(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    group: str,
) -> None:
    """Plug in, charge, end with BMW's reason, unplug: four events, no more.

    Both status words arrive (together or apart), several plug descriptors
    say the same, values are resent unchanged: each still one event.
    """
    entry = await _setup(hass, simulator, make_entry)
    case = dict(CASES[group])
    vin = case.pop("vin", VIN_BEV)
    watch = Watch(hass, vin)
    trace = session(_start(), reason=REASONS[group], **case)
    await _play(hass, entry, vin, trace.messages)

    assert Watch.types(watch.charging) == ["started", "ended"]
    assert Watch.types(watch.plug) == ["plugged", "unplugged"]
    assert watch.sensor_states() == [STATE_ON, STATE_OFF]
    ended = watch.charging[-1].attributes
    assert ended["reason_group"] == group
    assert ended["reason"] == REASONS[group]
    assert 55 <= ended["charge_level"] <= 60
    started = watch.charging[0].attributes
    assert "reason" not in started
    assert 49 <= started["charge_level"] <= 52
    assert watch.plug[0].attributes["charge_level"] is not None
    state = hass.states.get(watch.charging_id)
    assert state is not None
    assert state.attributes["event_types"] == ["started", "ended"]


async def test_published_on_the_stream(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """The same session through the simulator's broker and the stream."""
    await _setup(hass, simulator, make_entry)
    watch = Watch(hass, VIN_BEV)
    trace = session(_start(), reason=REASONS["target_reached"], split_status=True)
    for at, values in trace.messages:
        await simulator.publish(VIN_BEV, values, timestamp=at)
    # The cable goes last: every message arrived once its event is there.
    await wait_for(lambda: Watch.types(watch.plug)[-1:] == ["unplugged"])
    await hass.async_block_till_done()
    assert Watch.types(watch.charging) == ["started", "ended"]
    assert Watch.types(watch.plug) == ["plugged", "unplugged"]
    assert watch.charging[-1].attributes["reason_group"] == "target_reached"


async def test_restart_in_the_middle_of_a_charge(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Home Assistant restarts while the car charges: no second start.

    The restored values say "charging"; the car then repeats its status and
    power, and later ends the charge: one end, nothing else.
    """
    entry = await _setup(hass, simulator, make_entry)
    trace = session(_start(), reason=REASONS["stopped_by_owner"])
    half = len(trace.messages) // 2
    watch = Watch(hass, VIN_BEV)
    await _play(hass, entry, VIN_BEV, trace.messages[:half])
    assert Watch.types(watch.charging) == ["started"]

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    after = Watch(hass, VIN_BEV)
    # The restored state is shown: the last event and charging.
    state = hass.states.get(after.charging_id)
    assert state is not None
    assert state.attributes["event_type"] == "started"
    sensor = hass.states.get(after.sensor_id)
    assert sensor is not None
    assert sensor.state == STATE_ON
    # The car repeats what it said (the same values, later), then goes on.
    at, _values = trace.messages[half - 1]
    resend = {STATUS: "CHARGING", CHARGING_STATUS: "CHARGINGACTIVE", PLUGGED: True}
    await push(
        hass,
        entry.runtime_data.coordinator,
        VIN_BEV,
        resend,
        at + timedelta(seconds=20),
    )
    await _play(hass, entry, VIN_BEV, trace.messages[half:])
    assert Watch.types(after.charging) == ["ended"]
    assert Watch.types(after.plug) == ["unplugged"]
    assert after.charging[-1].attributes["reason_group"] == "stopped_by_owner"


async def test_restored_and_resent_values_fire_nothing(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """Values at start, the same values again, unrelated values: no event."""
    entry = await _setup(hass, simulator, make_entry)
    watch = Watch(hass, VIN_BEV)
    coordinator = entry.runtime_data.coordinator
    # What the car holds (not charging, unplugged), sent again later.
    held = {
        name: state.value
        for name in (STATUS, CHARGING_STATUS, PLUGGED, PORT)
        if (state := coordinator.get(VIN_BEV, name)) is not None
    }
    assert held
    later = dt_util.utcnow() - timedelta(hours=1)
    await push(hass, coordinator, VIN_BEV, held, later)
    await push(hass, coordinator, VIN_BEV, held, later + timedelta(minutes=1))
    await push(hass, coordinator, VIN_BEV, {HOOD: "OPEN"}, later)
    # A reason alone (no charge ran) is no end either.
    await push(hass, coordinator, VIN_BEV, {REASON_END: REASONS["error"]}, later)
    assert watch.charging == []
    assert watch.plug == []
    assert watch.sensor_states() in ([], [STATE_OFF])
    sensor = hass.states.get(watch.sensor_id)
    assert sensor is not None
    assert sensor.state == STATE_OFF


async def test_an_old_reason_is_not_the_next_ones(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """A charge that ends without a reason does not carry the last one's."""
    entry = await _setup(hass, simulator, make_entry)
    watch = Watch(hass, VIN_BEV)
    first = session(_start(), reason=REASONS["error"])
    second = session(_start() + timedelta(hours=2), reason=None, seed=1)
    await _play(hass, entry, VIN_BEV, [*first.messages, *second.messages])
    assert Watch.types(watch.charging) == ["started", "ended"] * 2
    assert watch.charging[1].attributes["reason_group"] == "error"
    assert watch.charging[3].attributes["reason_group"] is None
    assert watch.charging[3].attributes["reason"] is None


async def test_a_first_value_sets_the_state_without_an_event(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """A car seen for the first time while it charges: on, but no "started"."""
    entry = await _setup(hass, simulator, make_entry)
    coordinator = entry.runtime_data.coordinator
    at = _start()
    await push(
        hass,
        coordinator,
        TEST_VIN,
        {"vehicle.drivetrain.batteryManagement.header": 40},
        at,
    )
    watch = Watch(hass, TEST_VIN)
    assert hass.states.get(watch.sensor_id).state == STATE_UNKNOWN
    await push(hass, coordinator, TEST_VIN, {STATUS: "CHARGING", PLUGGED: True}, at)
    assert watch.charging == []
    assert watch.plug == []
    assert hass.states.get(watch.sensor_id).state == STATE_ON
    await push(
        hass,
        coordinator,
        TEST_VIN,
        {STATUS: "FINISHED_FULLY_CHARGED"},
        at + timedelta(hours=1),
    )
    assert Watch.types(watch.charging) == ["ended"]
    assert hass.states.get(watch.sensor_id).state == STATE_OFF


async def test_only_electrified_cars_get_the_entities(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
) -> None:
    """A combustion car has no charging events and no battery_charging sensor."""
    entry = await _setup(hass, simulator, make_entry)
    coordinator = entry.runtime_data.coordinator
    fuel = {"vehicle.drivetrain.fuelSystem.level": 50, STATUS: "NOT_CHARGING"}
    await push(hass, coordinator, TEST_VIN, fuel, _start())
    registry = er.async_get(hass)
    device = device_for(hass, entry, TEST_VIN)
    ids = {e.unique_id for e in er.async_entries_for_device(registry, device.id)}
    assert ids
    for suffix in ("charging_event", "plug_event", "charging"):
        assert f"{TEST_VIN}_{suffix}" not in ids
    assert registry.async_get_entity_id("event", "cardata", f"{VIN_PHEV}_plug_event")


async def test_the_battery_triggers_offer_the_car(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    hass_ws_client: WebSocketGenerator,
) -> None:
    """The car's device is a target of Home Assistant's battery charging
    triggers and conditions (Home Assistant versions that have them); on
    every version its charging sensor is a battery_charging binary sensor
    of the car's device."""
    entry = await _setup(hass, simulator, make_entry)
    device = device_for(hass, entry, VIN_BEV)
    sensor = er.async_get(hass).async_get(
        entity_id(hass, "binary_sensor", f"{VIN_BEV}_charging")
    )
    assert sensor is not None
    assert sensor.device_id == device.id
    assert sensor.original_device_class == BinarySensorDeviceClass.BATTERY_CHARGING
    assert sensor.entity_category is None
    if importlib.util.find_spec("homeassistant.components.battery") is None:
        return  # Home Assistant before the battery triggers (2026.3)
    assert await async_setup_component(hass, "battery", {})
    client = await hass_ws_client(hass)
    target = {"device_id": [device.id]}
    await client.send_json_auto_id(
        {"type": "get_triggers_for_target", "target": target}
    )
    triggers = (await client.receive_json())["result"]
    assert {"battery.started_charging", "battery.stopped_charging"} <= set(triggers)
    await client.send_json_auto_id(
        {"type": "get_conditions_for_target", "target": target}
    )
    conditions = (await client.receive_json())["result"]
    assert {"battery.is_charging", "battery.is_not_charging"} <= set(conditions)


def test_every_catalogue_reason_has_its_group() -> None:
    """The table covers every word BMW's catalogue lists, and no other."""
    words = set(describe(REASON_END).options or ())
    listed = {word.lower() for word in REASON_GROUPS}
    assert words == listed
    counts = Counter(REASON_GROUPS.values())
    assert set(counts) == set(ReasonGroup)
    assert reason_group("hv_battery_fully_charged") is ReasonGroup.TARGET_REACHED
    assert reason_group("A_WORD_BMW_ADDS_LATER") is ReasonGroup.OTHER


def test_traces_cover_each_group() -> None:
    """One trace per owner-level group, with a word of that group."""
    assert set(REASONS) == {str(group) for group in ReasonGroup}
    for group, word in REASONS.items():
        assert reason_group(word) == group
    trace: Session = session(_start(), reason=None)
    assert trace.started < trace.ended
