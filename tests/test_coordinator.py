"""The push coordinator through Home Assistant: ordering, wake-ups, runtime growth."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import EVENT_STATE_CHANGED, EntityCategory
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.cardata.const import DOMAIN
from custom_components.cardata.data.state import DescriptorState, split_unique_id
from custom_components.cardata.entities.diagnostic import LAST_DATA_EVERY
from tests.entity_helpers import (
    HOOD,
    MILEAGE,
    OTHER_VIN,
    SOC,
    T0,
    TEST_VIN,
    UNKNOWN,
    device_for,
    entity_id,
    make_entry,
    push,
    setup_entry,
)
from tests.simulator import VIN_BEV
from tests.waiting import wait_for

NEW_VIN = "WBY00000000NEW001"
DOOR = "vehicle.cabin.door.row1.driver.isOpen"


def _collect(hass: HomeAssistant) -> list[str]:
    written: list[str] = []

    @callback
    def on_change(event: Event) -> None:
        written.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    return written


async def test_older_value_is_ignored(hass: HomeAssistant, simulator) -> None:
    coordinator = await setup_entry(hass, make_entry(simulator))
    later = T0 + timedelta(minutes=5)
    await push(hass, coordinator, TEST_VIN, {SOC: 60}, later)
    soc = entity_id(hass, "sensor", f"{TEST_VIN}_{SOC}")
    assert hass.states.get(soc).state == "60"

    await push(hass, coordinator, TEST_VIN, {SOC: 40}, T0)  # older: dropped
    assert hass.states.get(soc).state == "60"
    assert coordinator.ignored_older == 1
    assert coordinator.get(TEST_VIN, SOC).value == 60

    # Same timestamp, new value: taken (messages are applied in order).
    await push(hass, coordinator, TEST_VIN, {SOC: 61}, later)
    assert hass.states.get(soc).state == "61"
    held = coordinator.get(TEST_VIN, SOC)
    assert held.timestamp == later
    assert held.received_at <= dt_util.utcnow()


async def test_timestamp_from_the_future_does_not_freeze(
    hass: HomeAssistant, simulator
) -> None:
    """A glitched BMW clock far ahead must not block every later value."""
    coordinator = await setup_entry(hass, make_entry(simulator))
    glitch = dt_util.utcnow() + timedelta(days=30)
    await push(hass, coordinator, TEST_VIN, {SOC: 99}, glitch)
    await push(hass, coordinator, TEST_VIN, {SOC: 55}, T0)
    soc = entity_id(hass, "sensor", f"{TEST_VIN}_{SOC}")
    assert hass.states.get(soc).state == "55"
    last = entity_id(hass, "sensor", f"{TEST_VIN}_last_data_received")
    assert hass.states.get(last).state == T0.isoformat()
    assert coordinator.ignored_older == 0


async def test_only_touched_entities_are_written(
    hass: HomeAssistant, simulator
) -> None:
    coordinator = await setup_entry(hass, make_entry(simulator))
    await push(hass, coordinator, TEST_VIN, {SOC: 50, MILEAGE: 1000, HOOD: "CLOSED"})
    soc = entity_id(hass, "sensor", f"{TEST_VIN}_{SOC}")
    last = entity_id(hass, "sensor", f"{TEST_VIN}_last_data_received")
    # The predicted charge level follows the charge level.
    predicted = entity_id(hass, "sensor", f"{TEST_VIN}_predicted_soc")

    woken: list[str] = []
    for name in (SOC, MILEAGE, HOOD):
        coordinator.async_add_listener(TEST_VIN, name, lambda n=name: woken.append(n))
    written = _collect(hass)

    t1 = T0 + timedelta(seconds=30)
    await push(hass, coordinator, TEST_VIN, {SOC: 51}, t1)
    assert woken == [SOC]
    assert sorted(written) == sorted([soc, last, predicted])

    # A resend of identical values wakes nobody and writes nothing.
    woken.clear()
    written.clear()
    await push(hass, coordinator, TEST_VIN, {SOC: 51}, t1)
    await push(hass, coordinator, TEST_VIN, {MILEAGE: 1000, HOOD: "CLOSED"}, T0)
    assert woken == []
    assert written == []

    # A new timestamp with the old value wakes the listener (the tracker pairs by
    # timestamp) but the sensor's state did not move, so only the vehicle's
    # "last data received" is written.
    t2 = t1 + timedelta(seconds=30)
    await push(hass, coordinator, TEST_VIN, {MILEAGE: 1000}, t2)
    assert woken == [MILEAGE]
    assert last not in written  # within its window: written at the window's end
    async_fire_time_changed(hass, dt_util.utcnow() + LAST_DATA_EVERY)
    await hass.async_block_till_done()
    assert [e for e in written if e.startswith("sensor.bmw_t001")] == [last]
    assert hass.states.get(last).state == t2.isoformat()


async def test_changes_listener_is_told_once_per_message(
    hass: HomeAssistant, simulator
) -> None:
    """Once per message, with what changed in the order it came; not for resends."""
    coordinator = await setup_entry(hass, make_entry(simulator))
    await push(hass, coordinator, TEST_VIN, {SOC: 50, MILEAGE: 1000, HOOD: "CLOSED"})
    told: list[tuple[str, ...]] = []
    coordinator.async_add_changes_listener(TEST_VIN, told.append)
    other: list[tuple[str, ...]] = []
    coordinator.async_add_changes_listener(OTHER_VIN, other.append)

    t1 = T0 + timedelta(seconds=30)
    await push(hass, coordinator, TEST_VIN, {MILEAGE: 1001, SOC: 51}, t1)
    assert told == [(MILEAGE, SOC)]

    # An identical resend changes nothing: nobody is told.
    await push(hass, coordinator, TEST_VIN, {MILEAGE: 1001, SOC: 51}, t1)
    await push(hass, coordinator, TEST_VIN, {HOOD: "CLOSED"}, T0)
    assert told == [(MILEAGE, SOC)]

    # The old value with a new timestamp is a change (as for the listeners).
    t2 = t1 + timedelta(seconds=30)
    await push(hass, coordinator, TEST_VIN, {HOOD: "CLOSED"}, t2)
    assert told == [(MILEAGE, SOC), (HOOD,)]

    # A descriptor seen for the first time comes first, as it is announced.
    await push(hass, coordinator, TEST_VIN, {SOC: 52, DOOR: True}, t2)
    assert told[-1] == (DOOR, SOC)
    assert other == []


async def test_resend_counts_as_activity(hass: HomeAssistant, simulator) -> None:
    """A car that only resends unchanged values is not silent to the poller."""
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    first = dt_util.utcnow()
    coordinator.async_apply_values(TEST_VIN, {SOC: DescriptorState(50, "%", T0, first)})
    await hass.async_block_till_done()
    poller = entry.runtime_data.poller
    assert poller.activities()[TEST_VIN].last_message == first

    woken: list[str] = []
    coordinator.async_add_listener(TEST_VIN, SOC, lambda: woken.append(SOC))
    written = _collect(hass)
    later = first + timedelta(hours=2)
    coordinator.async_apply_values(TEST_VIN, {SOC: DescriptorState(50, "%", T0, later)})
    await hass.async_block_till_done()
    # Nobody woken, nothing written, BMW's time unchanged; but the car spoke.
    assert woken == []
    assert written == []
    assert coordinator.last_received(TEST_VIN) == T0
    assert coordinator.vehicles[TEST_VIN].last_received_at == later
    assert poller.activities()[TEST_VIN].last_message == later


async def test_new_descriptor_and_vehicle_at_runtime(
    hass: HomeAssistant, simulator
) -> None:
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    await push(hass, coordinator, TEST_VIN, {SOC: 50})
    assert hass.states.get(entity_id(hass, "sensor", f"{TEST_VIN}_{SOC}")) is not None

    # A descriptor the car never sent before: an entity appears, no reload.
    await push(hass, coordinator, TEST_VIN, {UNKNOWN: 7})
    state = hass.states.get(entity_id(hass, "sensor", f"{TEST_VIN}_{UNKNOWN}"))
    assert state.state == "7"

    # A vehicle never seen before: its device and entities appear.
    await push(hass, coordinator, OTHER_VIN, {SOC: 33, HOOD: "OPEN"})
    assert (
        hass.states.get(entity_id(hass, "sensor", f"{OTHER_VIN}_{SOC}")).state == "33"
    )
    hood = entity_id(hass, "binary_sensor", f"{OTHER_VIN}_{HOOD}")
    assert hass.states.get(hood).state == "on"
    device = device_for(hass, entry, OTHER_VIN)
    assert entry.runtime_data.coordinator is coordinator  # never reloaded
    assert er.async_get(hass).async_get(hood).device_id == device.id


async def test_stream_end_to_end(hass: HomeAssistant, simulator) -> None:
    """A value published on the simulator's broker reaches the entity."""
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    await simulator.publish(VIN_BEV, {SOC: 77})
    await wait_for(lambda: getattr(coordinator.get(VIN_BEV, SOC), "value", None) == 77)
    await hass.async_block_till_done()
    assert hass.states.get(entity_id(hass, "sensor", f"{VIN_BEV}_{SOC}")).state == "77"

    # A vehicle added to the account after set-up shows up from the stream alone.
    simulator.add_vehicle(entry.unique_id, NEW_VIN, "BEV")
    await simulator.publish(NEW_VIN, {SOC: 12})
    await wait_for(lambda: coordinator.get(NEW_VIN, SOC) is not None)
    await hass.async_block_till_done()
    assert hass.states.get(entity_id(hass, "sensor", f"{NEW_VIN}_{SOC}")).state == "12"
    assert device_for(hass, entry, NEW_VIN) is not None


async def test_set_device_info_fills_the_device(hass: HomeAssistant, simulator) -> None:
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    coordinator.set_device_info(
        TEST_VIN, manufacturer="BMW", model="iX xDrive50", name="iX", sw_version=None
    )
    await hass.async_block_till_done()
    device = device_for(hass, entry, TEST_VIN)
    assert device.model == "iX xDrive50"
    assert device.name == "iX"
    assert device.serial_number == TEST_VIN
    # The vehicle is known now: its diagnostic sensor exists before any data.
    last = entity_id(hass, "sensor", f"{TEST_VIN}_last_data_received")
    assert hass.states.get(last).state == "unknown"
    await push(hass, coordinator, TEST_VIN, {SOC: 50})
    assert er.async_get(hass).async_get(last).device_id == device.id


async def test_rest_values_skip_unsupported(hass: HomeAssistant, simulator) -> None:
    """REST snapshots list unsupported descriptors with null value and time."""
    coordinator = await setup_entry(hass, make_entry(simulator))
    now = dt_util.utcnow()
    coordinator.async_apply_values(
        TEST_VIN,
        {
            SOC: DescriptorState("64", "%", T0, now),
            MILEAGE: DescriptorState(None, None, None, now),
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get(entity_id(hass, "sensor", f"{TEST_VIN}_{SOC}"))
    assert float(state.state) == 64
    reg = er.async_get(hass)
    assert reg.async_get_entity_id("sensor", DOMAIN, f"{TEST_VIN}_{MILEAGE}") is None

    # No value and no time never blanks a value the stream delivered.
    coordinator.async_apply_values(
        TEST_VIN, {SOC: DescriptorState(None, None, None, dt_util.utcnow())}
    )
    await hass.async_block_till_done()
    assert (
        float(hass.states.get(entity_id(hass, "sensor", f"{TEST_VIN}_{SOC}")).state)
        == 64
    )


async def test_account_diagnostics(hass: HomeAssistant, simulator) -> None:
    entry = make_entry(simulator)
    await setup_entry(hass, entry)
    reg = er.async_get(hass)
    stream = entity_id(hass, "sensor", f"{entry.entry_id}_stream_state")
    expiry = entity_id(hass, "sensor", f"{entry.entry_id}_token_expiry")
    assert hass.states.get(stream).state == "connected"
    expires_at = entry.runtime_data.tokens.expires_at.replace(microsecond=0)
    assert hass.states.get(expiry).state == expires_at.isoformat()
    for entity in (stream, expiry):
        assert reg.async_get(entity).entity_category is EntityCategory.DIAGNOSTIC
    device = device_for(hass, entry, entry.entry_id)
    assert device.entry_type is dr.DeviceEntryType.SERVICE

    # A refresh moves the expiry; the sensor follows the token manager.
    before = hass.states.get(expiry).state
    refreshed = await entry.runtime_data.tokens.async_force_refresh()
    await hass.async_block_till_done()
    assert refreshed.expires_at == entry.runtime_data.tokens.expires_at
    after = hass.states.get(expiry).state
    assert after == refreshed.expires_at.replace(microsecond=0).isoformat()
    assert after >= before

    await simulator.broker.drop(entry.unique_id)
    await wait_for(lambda: hass.states.get(stream).state != "connected")
    assert hass.states.get(stream).state in {"waiting_to_retry", "connecting"}


async def test_device_info_fields_are_checked(hass: HomeAssistant, simulator) -> None:
    coordinator = await setup_entry(hass, make_entry(simulator))
    assert coordinator.get("WBY00000000NONE1", SOC) is None
    assert coordinator.last_received("WBY00000000NONE1") is None
    with pytest.raises(ValueError, match="colour"):
        coordinator.set_device_info(TEST_VIN, colour="blue")


async def test_silent_car_stays_available(hass: HomeAssistant, simulator) -> None:
    """Hours without data are normal for a parked car: nothing goes unavailable."""
    coordinator = await setup_entry(hass, make_entry(simulator))
    await push(hass, coordinator, TEST_VIN, {SOC: 50, HOOD: "CLOSED"})
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=30))
    await hass.async_block_till_done()
    assert hass.states.get(entity_id(hass, "sensor", f"{TEST_VIN}_{SOC}")).state == "50"
    hood = entity_id(hass, "binary_sensor", f"{TEST_VIN}_{HOOD}")
    assert hass.states.get(hood).state == "off"


def test_split_unique_id() -> None:
    assert split_unique_id(f"{TEST_VIN}_{SOC}") == (TEST_VIN, SOC)
    assert split_unique_id(f"{TEST_VIN}_last_data_received") is None
    assert split_unique_id(f"{TEST_VIN}_device_tracker") is None
    assert split_unique_id("notavin_vehicle.x") is None
