"""What real cars send, through Home Assistant against the simulator.

Charging status words from the catalogue row's description, a word the
catalogue does not list, BMW's "no value" word, a car from a miles market
(odometer and ranges in km and mi display) and the brand on the device.
"""

from __future__ import annotations

from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, UnitOfLength
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest

from custom_components.cardata.api.models import BasicData
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.rest.bootstrap import device_fields
from tests.entity_helpers import (
    SOC,
    TEST_VIN,
    device_for,
    entity_id,
    make_entry,
    push,
    setup_entry,
)
from tests.simulator import CLIENT_C, GCID_C, VIN_BEV, VIN_MILES, Simulator
from tests.waiting import wait_for

CHG = "vehicle.drivetrain.electricEngine.charging."
STATUS = CHG + "status"
TIMER = "vehicle.cabin.climate.timers.weekdaysTimer1.action"
ODO = "vehicle.vehicle.travelledDistance"
RANGE = "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange"
TOTAL = "vehicle.drivetrain.totalRemainingRange"
KM_PER_MILE = 1.609344


def _owner_enabled_status(hass: HomeAssistant) -> None:
    """The plain charging status is off by default (the HV one says the same)."""
    er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        f"{VIN_BEV}_{STATUS}",
        suggested_object_id="bmw_charging_status",
        disabled_by=None,
    )


async def test_charging_status_shows_the_words_cars_send(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    _owner_enabled_status(hass)
    await setup_entry(hass, make_entry(simulator))
    status = entity_id(hass, "sensor", f"{VIN_BEV}_{STATUS}")
    # From the first REST snapshot.
    assert hass.states.get(status).state == "nocharging"
    options = hass.states.get(status).attributes["options"]
    assert options == [
        "nocharging",
        "initialization",
        "chargingactive",
        "chargingpaused",
        "chargingended",
        "chargingerror",
    ]
    for word in ("INITIALIZATION", "CHARGINGACTIVE", "CHARGINGENDED"):
        await simulator.publish(VIN_BEV, {STATUS: word})
        await wait_for(
            lambda w=word: hass.states.get(status).state == w.lower(),
            timeout=30,
        )
    # BMW's "no value" word: no value.
    await simulator.publish(VIN_BEV, {STATUS: "INVALID"})
    await wait_for(
        lambda: hass.states.get(status).state == "unknown",
        timeout=30,
    )


async def test_unlisted_word_is_shown_and_kept_across_restarts(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    entry = make_entry(simulator)
    _owner_enabled_status(hass)
    await setup_entry(hass, entry)
    registry = er.async_get(hass)
    timer = entity_id(hass, "sensor", f"{VIN_BEV}_{TIMER}")
    registry.async_update_entity(timer, disabled_by=None)  # off by default

    status = entity_id(hass, "sensor", f"{VIN_BEV}_{STATUS}")
    await simulator.publish(VIN_BEV, {STATUS: "CHARGINGPREPARATION"})
    await wait_for(
        lambda: hass.states.get(status).state == "chargingpreparation",
        timeout=30,
    )
    assert "chargingpreparation" in hass.states.get(status).attributes["options"]
    assert "chargingpreparation" in registry.async_get(status).capabilities["options"]

    # After a restart the word is still an option before the car sends it again.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    await push(hass, coordinator, VIN_BEV, {TIMER: "deactive"}, dt_util.utcnow())
    options = hass.states.get(status).attributes["options"]
    assert options[:6] == ["nocharging", *options[1:6]]
    assert "chargingpreparation" in options
    assert registry.async_get(status).capabilities["options"] == options
    # "deactive" is not in BMW's list; climate timers send it.
    assert hass.states.get(timer).state == "deactive"


@pytest.fixture
def miles_entry(simulator: Simulator):
    return make_entry(simulator, GCID_C, CLIENT_C)


async def test_miles_car_odometer_and_range(
    hass: HomeAssistant, simulator: Simulator, miles_entry
) -> None:
    """REST sends the odometer with ``unit: null``, ranges in "miles"."""
    await setup_entry(hass, miles_entry)
    odo = entity_id(hass, "sensor", f"{VIN_MILES}_{ODO}")
    rng = entity_id(hass, "sensor", f"{VIN_MILES}_{RANGE}")
    total = entity_id(hass, "sensor", f"{VIN_MILES}_{TOTAL}")
    miles = simulator.vehicles[VIN_MILES].state[ODO].value
    # Home Assistant in metric: shown in km, converted from the car's miles.
    state = hass.states.get(odo)
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfLength.KILOMETERS
    assert float(state.state) == pytest.approx(miles * KM_PER_MILE, abs=0.2)
    range_miles = simulator.vehicles[VIN_MILES].state[RANGE].value
    assert float(hass.states.get(rng).state) == pytest.approx(
        range_miles * KM_PER_MILE, abs=0.2
    )
    assert hass.states.get(total).attributes[ATTR_UNIT_OF_MEASUREMENT] == "km"

    # The owner picks miles for display: the car's own figures.
    registry = er.async_get(hass)
    for entity in (odo, rng):
        registry.async_update_entity_options(
            entity, "sensor", {"unit_of_measurement": UnitOfLength.MILES}
        )
    await hass.async_block_till_done()
    assert float(hass.states.get(odo).state) == pytest.approx(miles, abs=0.1)
    assert float(hass.states.get(rng).state) == pytest.approx(range_miles, abs=0.1)

    # The stream sends miles with unit "mi"; a value in km (another spelling)
    # is converted, the entity's unit never flips.
    await simulator.publish(VIN_MILES, {ODO: 7_700.0})
    await wait_for(lambda: hass.states.get(odo).state == "7700.0", timeout=30)
    await simulator.publish(VIN_MILES, {ODO: 12_400}, unit="kilometers")
    await wait_for(lambda: hass.states.get(odo).state != "7700.0", timeout=30)
    assert float(hass.states.get(odo).state) == pytest.approx(
        12_400 / KM_PER_MILE, abs=0.1
    )
    assert hass.states.get(odo).attributes[ATTR_UNIT_OF_MEASUREMENT] == "mi"


async def test_brand_on_the_device(
    hass: HomeAssistant, simulator: Simulator, miles_entry
) -> None:
    await setup_entry(hass, miles_entry)
    device = device_for(hass, miles_entry, VIN_MILES)
    assert device.manufacturer == "MINI"
    assert device.name is not None
    assert device.name.startswith("MINI ")
    assert device.model == "Cooper SE"
    odo = entity_id(hass, "sensor", f"{VIN_MILES}_{ODO}")
    assert odo.startswith("sensor.mini_")
    # A new device name leaves existing entity ids alone.
    miles_entry.runtime_data.coordinator.set_device_info(VIN_MILES, manufacturer="BMW")
    await hass.async_block_till_done()
    assert device_for(hass, miles_entry, VIN_MILES).name.startswith("BMW ")
    assert entity_id(hass, "sensor", f"{VIN_MILES}_{ODO}") == odo


async def test_distance_without_unit_follows_the_car(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """A distance without a unit takes the car's distance unit, not km."""
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    hmi = "vehicle.cabin.infotainment.hmi.distanceUnit"
    await push(hass, coordinator, TEST_VIN, {hmi: "MILES"})
    await push(hass, coordinator, TEST_VIN, {ODO: 1_000})
    odo = entity_id(hass, "sensor", f"{TEST_VIN}_{ODO}")
    assert float(hass.states.get(odo).state) == pytest.approx(1_609.3, abs=0.1)
    # Percentages: "percent" in the stream, "%" over REST, or no unit at all.
    for unit, value in (("percent", 50), ("%", 51), (None, 52)):
        await push(
            hass, coordinator, TEST_VIN, {SOC: value}, dt_util.utcnow(), unit=unit
        )
        soc = entity_id(hass, "sensor", f"{TEST_VIN}_{SOC}")
        assert hass.states.get(soc).state == str(value)
        assert hass.states.get(soc).attributes[ATTR_UNIT_OF_MEASUREMENT] == "%"


async def test_half_open_tailgate_is_open(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    coordinator = await setup_entry(hass, make_entry(simulator))
    trunk = "vehicle.body.trunk.isOpen"
    await push(hass, coordinator, TEST_VIN, {trunk: "INTERMEDIATE"})
    state = hass.states.get(entity_id(hass, "binary_sensor", f"{TEST_VIN}_{trunk}"))
    assert state.state == "on"


def test_basic_data_read_with_real_field_names(simulator: Simulator) -> None:
    """Real answers spell countryCode and colourCodeRaw; extra fields are ignored."""
    basic = BasicData.from_dict(simulator.basic_data(VIN_MILES))
    assert (basic.brand, basic.country_code, basic.colour_code) == ("MINI", "GB", "C3D")
    assert device_fields(basic)["manufacturer"] == "MINI"
    assert device_fields(BasicData.from_dict({"brand": "BMWi"}))["manufacturer"] == (
        "BMW i"
    )
