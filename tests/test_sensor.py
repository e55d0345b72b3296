"""Sensors typed from the catalogue; unknown descriptors become plain sensors."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, PERCENTAGE, UnitOfLength
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from syrupy.assertion import SnapshotAssertion

from custom_components.cardata.entities.diagnostic import LAST_DATA_EVERY
from tests.entity_helpers import (
    MILEAGE,
    SOC,
    T0,
    TEST_VIN,
    UNKNOWN,
    age_rest_data,
    describe_entity,
    device_for,
    entity_id,
    in_snapshots_dir,
    make_entry,
    push,
    setup_entry,
)
from tests.simulator import VIN_BEV
from tests.simulator.world import initial_values

INSPECTION = "vehicle.status.serviceTime.inspectionDateLegal"
HV_STATUS = "vehicle.drivetrain.electricEngine.charging.hvStatus"


async def test_bev_entities(
    hass: HomeAssistant, simulator, snapshot: SnapshotAssertion
) -> None:
    """Every entity of a BEV that sent its usual values, registry and state."""
    await age_rest_data(simulator)
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    await push(hass, coordinator, VIN_BEV, initial_values("BEV"))
    # "Last data received" shows the newest time at the end of its window.
    async_fire_time_changed(hass, dt_util.utcnow() + LAST_DATA_EVERY)
    await hass.async_block_till_done()

    reg = er.async_get(hass)
    device = device_for(hass, entry, VIN_BEV)
    entries = sorted(
        er.async_entries_for_device(reg, device.id, include_disabled_entities=True),
        key=lambda item: item.unique_id,
    )
    assert entries
    assert [describe_entity(hass, item) for item in entries] == in_snapshots_dir(
        snapshot
    )


async def test_typed_sensor(hass: HomeAssistant, simulator) -> None:
    coordinator = await setup_entry(hass, make_entry(simulator))
    await push(hass, coordinator, TEST_VIN, {SOC: 80.0, MILEAGE: 12345.0})
    reg = er.async_get(hass)
    soc = entity_id(hass, "sensor", f"{TEST_VIN}_{SOC}")
    entry = reg.async_get(soc)
    assert entry.original_device_class is SensorDeviceClass.BATTERY
    assert entry.capabilities == {"state_class": SensorStateClass.MEASUREMENT}
    state = hass.states.get(soc)
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == PERCENTAGE
    assert float(state.state) == 80
    mileage = hass.states.get(entity_id(hass, "sensor", f"{TEST_VIN}_{MILEAGE}"))
    assert mileage.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfLength.KILOMETERS


async def test_unknown_descriptor_is_a_plain_sensor(
    hass: HomeAssistant, simulator
) -> None:
    coordinator = await setup_entry(hass, make_entry(simulator))
    await push(hass, coordinator, TEST_VIN, {UNKNOWN: 42}, unit="percent")
    unknown = entity_id(hass, "sensor", f"{TEST_VIN}_{UNKNOWN}")
    entry = er.async_get(hass).async_get(unknown)
    assert entry.translation_key is None
    assert entry.original_name == "Experimental widget foo bar level"
    assert entry.original_device_class is None
    assert entry.disabled_by is None
    state = hass.states.get(unknown)
    assert state.state == "42"
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == PERCENTAGE

    # Text after a number: kept as text, the unit goes with the number.
    await push(hass, coordinator, TEST_VIN, {UNKNOWN: "SOMETHING_ELSE"})
    state = hass.states.get(unknown)
    assert state.state == "SOMETHING_ELSE"
    assert ATTR_UNIT_OF_MEASUREMENT not in state.attributes


async def test_odd_values(hass: HomeAssistant, simulator) -> None:
    """A word outside the catalogue is shown; text in a number is unknown."""
    coordinator = await setup_entry(hass, make_entry(simulator))
    await push(hass, coordinator, TEST_VIN, {HV_STATUS: "CHARGING", SOC: 50})
    status = entity_id(hass, "sensor", f"{TEST_VIN}_{HV_STATUS}")
    soc = entity_id(hass, "sensor", f"{TEST_VIN}_{SOC}")
    reg = er.async_get(hass)
    assert reg.async_get(status).original_device_class is SensorDeviceClass.ENUM
    assert hass.states.get(status).state == "charging"
    assert "charging" in reg.async_get(status).capabilities["options"]

    await push(hass, coordinator, TEST_VIN, {HV_STATUS: "WARP_SPEED", SOC: "INVALID"})
    assert hass.states.get(status).state == "warp_speed"
    assert "warp_speed" in hass.states.get(status).attributes["options"]
    assert hass.states.get(soc).state == "unknown"
    await push(hass, coordinator, TEST_VIN, {HV_STATUS: "INVALID"}, T0 + timedelta(1))
    assert hass.states.get(status).state == "unknown"


async def test_timestamps_and_text(hass: HomeAssistant, simulator) -> None:
    coordinator = await setup_entry(hass, make_entry(simulator))
    await push(hass, coordinator, TEST_VIN, {INSPECTION: "2027-03-01T00:00:00Z"})
    inspection = entity_id(hass, "sensor", f"{TEST_VIN}_{INSPECTION}")
    assert hass.states.get(inspection).state == "2027-03-01T00:00:00+00:00"
    # Not a time at all: dropped, the last good value stays.
    await push(hass, coordinator, TEST_VIN, {INSPECTION: "soon"}, T0 + timedelta(1))
    assert hass.states.get(inspection).state == "2027-03-01T00:00:00+00:00"
    assert coordinator.value_check.dropped["not_a_timestamp"] == 1

    # Booleans of a descriptor the catalogue does not know stay readable text.
    await push(hass, coordinator, TEST_VIN, {UNKNOWN: True})
    assert hass.states.get(
        entity_id(hass, "sensor", f"{TEST_VIN}_{UNKNOWN}")
    ).state == ("true")
