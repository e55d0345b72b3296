"""Battery health: the capacity measured from the ledger's charging sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant
import pytest

from .conftest import GCID
from .fake_stream import FakeBroker
from .vehicles import CHG, NOW, PHEV, SOC

STATUS = CHG + "hvStatus"
POWER = "vehicle.powertrain.electric.battery.charging.power"
PORT = "vehicle.body.chargingPort.status"
HEALTH = "vehicle.powertrain.electric.battery.stateOfHealth.displayed"
UNITS = {SOC: "percent", POWER: "W"}
CAPACITY = "sensor.bmw_0002_measured_battery_capacity"
SOH = "sensor.bmw_0002_battery_state_of_health"


async def _charge(
    hass: HomeAssistant,
    mqtt: FakeBroker,
    start: datetime,
    watts: int,
    levels: tuple[float, float] = (30.0, 60.0),
) -> None:
    """The PHEV charges ``watts`` for an hour between ``levels``, then unplugs."""
    assert mqtt.publish(GCID, PHEV.vin, {SOC: levels[0]}, start, UNITS)
    charging = {PORT: "CONNECTED", STATUS: "CHARGING", POWER: watts}
    at = start + timedelta(minutes=1)
    assert mqtt.publish(GCID, PHEV.vin, charging, at, UNITS)
    done = {SOC: levels[1], STATUS: "NOT_CHARGING", POWER: 0, PORT: "DISCONNECTED"}
    assert mqtt.publish(GCID, PHEV.vin, done, at + timedelta(hours=1), UNITS)
    await hass.async_block_till_done()


async def test_the_capacity_is_measured_from_three_sessions(
    hass: HomeAssistant, setup_integration, mqtt: FakeBroker
) -> None:
    await setup_integration()
    state = hass.states.get(CAPACITY)
    assert state.state == "unknown"
    assert state.attributes["sessions"] == 0
    assert state.attributes["unit_of_measurement"] == "kWh"
    assert state.attributes["state_class"] == "measurement"
    assert hass.states.get(SOH).state == "unknown"
    assert hass.states.get(SOH).attributes["source"] is None
    # Ten points added: too few to count.
    await _charge(hass, mqtt, NOW - timedelta(hours=12), 3000, (65.0, 75.0))
    assert hass.states.get(CAPACITY).attributes["sessions"] == 0
    # Two sessions of 30 points: counted, still too few.
    await _charge(hass, mqtt, NOW - timedelta(hours=9), 3300)
    await _charge(hass, mqtt, NOW - timedelta(hours=6), 3500)
    state = hass.states.get(CAPACITY)
    assert state.state == "unknown"
    assert state.attributes["sessions"] == 2
    assert state.attributes["interval_low"] is None
    # The third: 3.4 kWh from the grid x 0.9 on AC fill 30 % of 10.2 kWh.
    await _charge(hass, mqtt, NOW - timedelta(hours=3), 3400)
    state = hass.states.get(CAPACITY)
    assert float(state.state) == pytest.approx(10.2)
    assert state.attributes["sessions"] == 3
    low, high = state.attributes["interval_low"], state.attributes["interval_high"]
    assert low < 10.2 < high
    assert high - low == pytest.approx(1.26, abs=0.02)
    # Without BMW's state of health or a configured capacity: unknown.
    assert hass.states.get(SOH).state == "unknown"


async def test_health_is_bmws_else_the_measured_over_the_configured_capacity(
    hass: HomeAssistant, setup_integration, mqtt: FakeBroker
) -> None:
    await setup_integration()
    for hours, watts in ((9, 3300), (6, 3400), (3, 3500)):
        await _charge(hass, mqtt, NOW - timedelta(hours=hours), watts)
    # The owner's capacity: the measured 10.2 kWh are 85 % of it.
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": "number.bmw_0002_usable_battery_capacity", "value": 12.0},
        blocking=True,
    )
    state = hass.states.get(SOH)
    assert float(state.state) == pytest.approx(85.0)
    assert state.attributes["source"] == "estimate"
    assert state.attributes["unit_of_measurement"] == "%"
    assert state.attributes["state_class"] == "measurement"
    # BMW's own figure wins once the car sends one.
    assert mqtt.publish(GCID, PHEV.vin, {HEALTH: 97}, NOW, {HEALTH: "percent"})
    await hass.async_block_till_done()
    state = hass.states.get(SOH)
    assert state.state == "97.0"
    assert state.attributes["source"] == "bmw"
    # A reading that is no state of health is ignored.
    assert mqtt.publish(GCID, PHEV.vin, {HEALTH: 400}, NOW, {HEALTH: "percent"})
    await hass.async_block_till_done()
    assert hass.states.get(SOH).attributes["source"] == "estimate"
