"""The push coordinator through Home Assistant: ordering, wake-ups, runtime growth."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import EVENT_STATE_CHANGED, EntityCategory
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util

from custom_components.cardata.const import DOMAIN
from custom_components.cardata.coordinator import DescriptorState, split_unique_id
from tests.entity_helpers import (
    HOOD,
    MILEAGE,
    SOC,
    T0,
    UNKNOWN,
    all_platforms,  # noqa: F401
    device_for,
    entity_id,
    make_entry,
    push,
    setup_entry,
    wait_for,
)
from tests.simulator import VIN_BEV, VIN_PHEV


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
    await push(hass, coordinator, VIN_BEV, {SOC: 60}, later)
    soc = entity_id(hass, "sensor", f"{VIN_BEV}_{SOC}")
    assert hass.states.get(soc).state == "60"

    await push(hass, coordinator, VIN_BEV, {SOC: 40}, T0)  # older: dropped
    assert hass.states.get(soc).state == "60"
    assert coordinator.ignored_older == 1
    assert coordinator.get(VIN_BEV, SOC).value == 60

    # Same timestamp, new value: taken (messages are applied in order).
    await push(hass, coordinator, VIN_BEV, {SOC: 61}, later)
    assert hass.states.get(soc).state == "61"
    held = coordinator.get(VIN_BEV, SOC)
    assert held.timestamp == later
    assert held.received_at <= dt_util.utcnow()


async def test_only_touched_entities_are_written(
    hass: HomeAssistant, simulator
) -> None:
    coordinator = await setup_entry(hass, make_entry(simulator))
    await push(hass, coordinator, VIN_BEV, {SOC: 50, MILEAGE: 1000, HOOD: "CLOSED"})
    soc = entity_id(hass, "sensor", f"{VIN_BEV}_{SOC}")
    last = entity_id(hass, "sensor", f"{VIN_BEV}_last_data_received")

    woken: list[str] = []
    for name in (SOC, MILEAGE, HOOD):
        coordinator.async_add_listener(VIN_BEV, name, lambda n=name: woken.append(n))
    written = _collect(hass)

    t1 = T0 + timedelta(seconds=30)
    await push(hass, coordinator, VIN_BEV, {SOC: 51}, t1)
    assert woken == [SOC]
    assert sorted(written) == sorted([soc, last])

    # A resend of identical values wakes nobody and writes nothing.
    woken.clear()
    written.clear()
    await push(hass, coordinator, VIN_BEV, {SOC: 51}, t1)
    await push(hass, coordinator, VIN_BEV, {MILEAGE: 1000, HOOD: "CLOSED"}, T0)
    assert woken == []
    assert written == []

    # A new timestamp with the old value wakes the listener (the tracker pairs by
    # timestamp) but the sensor's state did not move, so only the vehicle's
    # "last data received" is written.
    t2 = t1 + timedelta(seconds=30)
    await push(hass, coordinator, VIN_BEV, {MILEAGE: 1000}, t2)
    assert woken == [MILEAGE]
    assert written == [last]
    assert hass.states.get(last).state == t2.isoformat()


async def test_new_descriptor_and_vehicle_at_runtime(
    hass: HomeAssistant, simulator
) -> None:
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    await push(hass, coordinator, VIN_BEV, {SOC: 50})
    assert hass.states.get(entity_id(hass, "sensor", f"{VIN_BEV}_{SOC}")) is not None

    # A descriptor the car never sent before: an entity appears, no reload.
    await push(hass, coordinator, VIN_BEV, {UNKNOWN: 7})
    state = hass.states.get(entity_id(hass, "sensor", f"{VIN_BEV}_{UNKNOWN}"))
    assert state.state == "7"

    # A vehicle never seen before: its device and entities appear.
    await push(hass, coordinator, VIN_PHEV, {SOC: 33, HOOD: "OPEN"})
    assert hass.states.get(entity_id(hass, "sensor", f"{VIN_PHEV}_{SOC}")).state == "33"
    hood = entity_id(hass, "binary_sensor", f"{VIN_PHEV}_{HOOD}")
    assert hass.states.get(hood).state == "on"
    device = device_for(hass, entry, VIN_PHEV)
    assert entry.runtime_data.coordinator is coordinator  # never reloaded
    assert er.async_get(hass).async_get(hood).device_id == device.id


async def test_stream_end_to_end(hass: HomeAssistant, simulator) -> None:
    """A value published on the simulator's broker reaches the entity."""
    coordinator = await setup_entry(hass, make_entry(simulator))
    await simulator.publish(VIN_BEV, {SOC: 77})
    await wait_for(hass, lambda: coordinator.get(VIN_BEV, SOC) is not None)
    await hass.async_block_till_done()
    assert hass.states.get(entity_id(hass, "sensor", f"{VIN_BEV}_{SOC}")).state == "77"


async def test_set_device_info_fills_the_device(hass: HomeAssistant, simulator) -> None:
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    coordinator.set_device_info(
        VIN_BEV, manufacturer="BMW", model="iX xDrive50", name="iX", sw_version=None
    )
    await hass.async_block_till_done()
    device = device_for(hass, entry, VIN_BEV)
    assert device.model == "iX xDrive50"
    assert device.name == "iX"
    assert device.serial_number == VIN_BEV
    # The vehicle is known now: its diagnostic sensor exists before any data.
    last = entity_id(hass, "sensor", f"{VIN_BEV}_last_data_received")
    assert hass.states.get(last).state == "unknown"
    await push(hass, coordinator, VIN_BEV, {SOC: 50})
    assert er.async_get(hass).async_get(last).device_id == device.id


async def test_rest_values_skip_unsupported(hass: HomeAssistant, simulator) -> None:
    """REST snapshots list unsupported descriptors with null value and time."""
    coordinator = await setup_entry(hass, make_entry(simulator))
    now = dt_util.utcnow()
    coordinator.async_apply_values(
        VIN_BEV,
        {
            SOC: DescriptorState("64", "%", T0, now),
            MILEAGE: DescriptorState(None, None, None, now),
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get(entity_id(hass, "sensor", f"{VIN_BEV}_{SOC}"))
    assert float(state.state) == 64
    reg = er.async_get(hass)
    assert reg.async_get_entity_id("sensor", DOMAIN, f"{VIN_BEV}_{MILEAGE}") is None


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

    await simulator.broker.drop(entry.unique_id)
    await wait_for(hass, lambda: hass.states.get(stream).state != "connected")
    assert hass.states.get(stream).state in {"waiting_to_retry", "connecting"}


def test_split_unique_id() -> None:
    assert split_unique_id(f"{VIN_BEV}_{SOC}") == (VIN_BEV, SOC)
    assert split_unique_id(f"{VIN_BEV}_last_data_received") is None
    assert split_unique_id(f"{VIN_BEV}_tracker") is None
    assert split_unique_id("notavin_vehicle.x") is None
