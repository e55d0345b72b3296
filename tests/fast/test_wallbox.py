"""A wallbox's power sensor feeds the charge level estimate at home.

The BEV charges at home on AC (3 phases, the car says 11 kW); the owner names
a wallbox power sensor for it, which says something else. While the car is
plugged in at home and the sensor reports, the estimate rises with the
wallbox's power; else with the car's.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.cardata.common.settings import OPT_WALLBOX, wallbox_key
from custom_components.cardata.const import DOMAIN

from .conftest import GCID
from .fake_stream import FakeBroker
from .vehicles import BEV, CHG, ENTRY_ID, LAT, LON, PHEV, PLUGGED, SOC

WALLBOX: Final = "sensor.garage_wallbox_power"
ESTIMATE: Final = "sensor.bmw_0001_charge_level_estimate"
SIZE_MAX: Final = "vehicle.drivetrain.batteryManagement.batterySizeMax"
POWER: Final = "vehicle.powertrain.electric.battery.charging.power"
UNITS: Final = {SOC: "percent", POWER: "W", SIZE_MAX: "kWh"}
NAMED: Final = {OPT_WALLBOX: {wallbox_key(BEV.vin): WALLBOX}}
EFFICIENCY: Final = 0.9
"""The default AC efficiency of a car that learned nothing yet."""


@pytest.fixture(autouse=True)
async def home_at_the_bev(hass: HomeAssistant) -> None:
    """Home Assistant's home is where the BEV charges."""
    await hass.config.async_update(
        latitude=BEV.values[LAT][0], longitude=BEV.values[LON][0]
    )
    assert await async_setup_component(hass, "zone", {})


def _wallbox(hass: HomeAssistant, value: str, unit: str = "kW") -> None:
    hass.states.async_set(
        WALLBOX,
        value,
        {"unit_of_measurement": unit, "device_class": "power"},
        force_update=True,
    )


def _estimate(hass: HomeAssistant) -> tuple[float, dict[str, Any]]:
    """The estimate (shown to one decimal: two of them differ by up to 0.1)."""
    state = hass.states.get(ESTIMATE)
    assert state is not None
    return float(state.state), dict(state.attributes)


async def _minutes(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, minutes: int
) -> None:
    """Let time pass minute by minute, with the wallbox reporting each minute."""
    for _ in range(minutes):
        freezer.tick(timedelta(minutes=1))
        if (state := hass.states.get(WALLBOX)) is not None and state.state[0].isdigit():
            _wallbox(hass, state.state, state.attributes["unit_of_measurement"])
        async_fire_time_changed(hass, dt_util.utcnow())
        await hass.async_block_till_done()


def _rise(kw: float, minutes: float) -> float:
    """Percentage points of a 100 kWh battery charged at ``kw`` for ``minutes``."""
    return EFFICIENCY * kw * minutes / 60


async def _charging(hass: HomeAssistant, mqtt: FakeBroker) -> float:
    """The BEV says 60 % now, charging at 11 kW; return the estimate."""
    values = {
        SIZE_MAX: 100,
        SOC: 60.0,
        CHG + "hvStatus": "CHARGING",
        POWER: 11_000,
        PLUGGED: True,
    }
    assert mqtt.publish(GCID, BEV.vin, values, dt_util.utcnow(), UNITS)
    await hass.async_block_till_done()
    return _estimate(hass)[0]


@pytest.mark.parametrize("entry_options", [NAMED])
async def test_the_wallbox_power_moves_the_estimate(
    hass: HomeAssistant,
    setup_integration,
    mqtt: FakeBroker,
    frozen_time: FrozenDateTimeFactory,
) -> None:
    _wallbox(hass, "7.4")
    await setup_integration()
    start = await _charging(hass, mqtt)
    assert _estimate(hass)[1]["power_source"] == "wallbox"
    await _minutes(hass, frozen_time, 20)
    value, attributes = _estimate(hass)
    # 7.4 kW from the wallbox, not the car's 11 kW.
    assert value - start == pytest.approx(_rise(7.4, 20), abs=0.1)
    assert attributes["source"] == "predicted_charging"
    # The wallbox pauses (a cloud over the solar panels): the estimate holds,
    # while the car still says 11 kW.
    _wallbox(hass, "0")
    await _minutes(hass, frozen_time, 5)
    assert _estimate(hass)[0] == pytest.approx(value, abs=0.1)
    # In W as well.
    _wallbox(hass, "3700", "W")
    await _minutes(hass, frozen_time, 10)
    assert _estimate(hass)[0] - value == pytest.approx(_rise(3.7, 10), abs=0.1)


@pytest.mark.parametrize("entry_options", [NAMED])
async def test_the_car_power_again_when_unavailable_stale_or_away(
    hass: HomeAssistant,
    setup_integration,
    mqtt: FakeBroker,
    frozen_time: FrozenDateTimeFactory,
) -> None:
    _wallbox(hass, "7.4")
    entry = await setup_integration()
    start = await _charging(hass, mqtt)
    # Unavailable: the car's 11 kW.
    _wallbox(hass, STATE_UNAVAILABLE)
    await hass.async_block_till_done()
    assert _estimate(hass)[1]["power_source"] == "vehicle"
    await _minutes(hass, frozen_time, 10)
    value = _estimate(hass)[0]
    assert value - start == pytest.approx(_rise(11, 10), abs=0.1)
    # Back; then it stops reporting: stale after 15 minutes.
    _wallbox(hass, "7.4")
    await hass.async_block_till_done()
    assert _estimate(hass)[1]["power_source"] == "wallbox"
    for _ in range(16):
        frozen_time.tick(timedelta(minutes=1))
        async_fire_time_changed(hass, dt_util.utcnow())
        await hass.async_block_till_done()
    assert _estimate(hass)[1]["power_source"] == "vehicle"
    # A value that is no number, or not a power, is no wallbox either.
    _wallbox(hass, "7.4", "A")
    await hass.async_block_till_done()
    assert _estimate(hass)[1]["power_source"] == "vehicle"
    _wallbox(hass, "7.4")
    await hass.async_block_till_done()
    assert _estimate(hass)[1]["power_source"] == "wallbox"
    # The car is away: its own power.
    assert mqtt.publish(GCID, BEV.vin, {LAT: 48.0, LON: 11.0}, dt_util.utcnow(), UNITS)
    await hass.async_block_till_done()
    assert _estimate(hass)[1]["power_source"] == "vehicle"
    value = _estimate(hass)[0]
    await _minutes(hass, frozen_time, 5)
    assert _estimate(hass)[0] - value == pytest.approx(_rise(11, 5), abs=0.1)
    # Home again, but unplugged and not charging: nothing to feed.
    home = {LAT: BEV.values[LAT][0], LON: BEV.values[LON][0]}
    unplugged = {PLUGGED: False, CHG + "hvStatus": "NOT_CHARGING", POWER: 0}
    assert mqtt.publish(GCID, BEV.vin, home | unplugged, dt_util.utcnow(), UNITS)
    await hass.async_block_till_done()
    assert _estimate(hass)[1]["power_source"] == "vehicle"
    # Unloaded, a report of the wallbox reaches nothing of the entry.
    assert await hass.config_entries.async_unload(entry.entry_id)
    _wallbox(hass, "5")
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED


async def _configure(
    hass: HomeAssistant, entry: MockConfigEntry, *answers: dict[str, Any]
) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert "wallbox" in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "wallbox"}
    )
    for answer in answers:
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], answer
        )
    await hass.async_block_till_done()
    return dict(result)


async def test_the_owner_names_and_removes_a_wallbox(
    hass: HomeAssistant, setup_integration, mqtt: FakeBroker
) -> None:
    _wallbox(hass, "7.4")
    entry = await setup_integration()
    assert "power_source" not in _estimate(hass)[1]
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "wallbox"}
    )
    # Two electrified cars: which one first.
    assert result["step_id"] == "wallbox"
    cars = result["data_schema"].schema["vehicle"].config["options"]
    assert {car["label"] for car in cars} == {"BMW 0001", "BMW 0002"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"vehicle": wallbox_key(BEV.vin)}
    )
    assert result["step_id"] == "wallbox_sensor"
    assert result["description_placeholders"] == {"car": "BMW 0001"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"wallbox_power_entity": WALLBOX}
    )
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert entry.options[OPT_WALLBOX] == {wallbox_key(BEV.vin): WALLBOX}
    assert _estimate(hass)[1]["power_source"] == "wallbox"
    # The PHEV's estimate is not fed by it.
    phev = hass.states.get("sensor.bmw_0002_charge_level_estimate")
    assert phev is not None
    assert "power_source" not in phev.attributes
    # Shown again with the sensor set; emptied, it goes.
    result = await _configure(hass, entry, {"vehicle": wallbox_key(BEV.vin)})
    assert result["step_id"] == "wallbox_sensor"
    schema = result["data_schema"].schema
    field = next(key for key in schema if key == "wallbox_power_entity")
    assert field.description == {"suggested_value": WALLBOX}
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert OPT_WALLBOX not in entry.options
    assert "power_source" not in _estimate(hass)[1]


@pytest.fixture
def only_the_combustion_car(
    hass_storage: dict[str, Any], stored_state: MockConfigEntry
) -> MockConfigEntry:
    """The electrified cars' values were never stored: no car has a charge level."""
    values = hass_storage[f"{DOMAIN}.values.{ENTRY_ID}"]["data"]["vehicles"]
    for key in [k for k, v in values.items() if SOC in v]:
        del values[key]
    return stored_state


async def test_no_electrified_car_or_not_loaded(
    hass: HomeAssistant, only_the_combustion_car, setup_integration
) -> None:
    entry = await setup_integration()
    result = await _configure(hass, entry)
    assert result["type"] == "abort"
    assert result["reason"] == "no_electric_vehicle"
    assert await hass.config_entries.async_unload(entry.entry_id)
    result = await _configure(hass, entry)
    assert result["reason"] == "not_loaded"
    assert PHEV.vin not in str(entry.options)


@pytest.fixture
def one_electrified_car(
    hass_storage: dict[str, Any], stored_state: MockConfigEntry
) -> MockConfigEntry:
    """The plug-in hybrid's values were never stored: the BEV is the one."""
    values = hass_storage[f"{DOMAIN}.values.{ENTRY_ID}"]["data"]["vehicles"]
    for key in [k for k, v in values.items() if v.get(SOC, [None])[0] == 65.0]:
        del values[key]
    return stored_state


async def test_with_one_electrified_car_its_sensor_is_asked_at_once(
    hass: HomeAssistant, one_electrified_car, setup_integration
) -> None:
    entry = await setup_integration()
    result = await _configure(hass, entry)
    assert result["step_id"] == "wallbox_sensor"
    assert result["description_placeholders"] == {"car": "BMW 0001"}


@pytest.fixture
def no_position_known(
    hass_storage: dict[str, Any], stored_state: MockConfigEntry
) -> MockConfigEntry:
    """The BEV's position was never stored (its tracker shows nothing)."""
    values = hass_storage[f"{DOMAIN}.values.{ENTRY_ID}"]["data"]["vehicles"]
    for held in values.values():
        if held.get(SOC, [None])[0] == BEV.values[SOC][0]:
            del held[LAT], held[LON]
    return stored_state


@pytest.mark.parametrize("entry_options", [NAMED])
async def test_a_car_without_a_known_position_is_not_home(
    hass: HomeAssistant, no_position_known, setup_integration, mqtt: FakeBroker
) -> None:
    _wallbox(hass, "7.4")
    await setup_integration()
    await _charging(hass, mqtt)
    assert _estimate(hass)[1]["power_source"] == "vehicle"
    # Its position arrives: home.
    home = {LAT: BEV.values[LAT][0], LON: BEV.values[LON][0]}
    assert mqtt.publish(GCID, BEV.vin, home, dt_util.utcnow(), UNITS)
    await hass.async_block_till_done()
    assert _estimate(hass)[1]["power_source"] == "wallbox"
