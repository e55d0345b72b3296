"""BMW's stream clock hours off Home Assistant's: values still count.

The simulator's stream stamps its messages with a clock shifted by hours
(fault ``stream_clock_skew_hours``); the REST side keeps the true time. What
an owner sees is asserted: the sensor's state and the log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
import logging

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata.const import DOMAIN
from tests.rest_helpers import setup_rest
from tests.simulator import VIN_BEV, Simulator
from tests.waiting import wait_for

SOC = "vehicle.drivetrain.batteryManagement.header"
MILEAGE = "vehicle.vehicle.travelledDistance"

type MakeEntry = Callable[..., MockConfigEntry]


def _state(hass: HomeAssistant, descriptor: str) -> str | None:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{VIN_BEV}_{descriptor}"
    )
    state = hass.states.get(entity_id) if entity_id else None
    return state.state if state else None


async def _shown(
    hass: HomeAssistant, sim: Simulator, value: int, descriptor: str = SOC
) -> None:
    """Publish ``value`` and wait until its sensor shows it."""
    assert await sim.publish(VIN_BEV, {descriptor: value}) == 1
    await wait_for(lambda: _state(hass, descriptor) == str(value))


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components")
        and record.levelno >= logging.WARNING
    ]


@pytest.mark.parametrize("hours", [-2.0, 2.0], ids=["behind", "ahead"])
async def test_skewed_stream_clock_values_are_taken_in_arrival_order(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    caplog: pytest.LogCaptureFixture,
    hours: float,
) -> None:
    """A value held with the true time, then BMW's clock two hours off, then
    right again: every value is shown, and one warning gives the offset."""
    await setup_rest(hass, make_entry(simulator))
    await _shown(hass, simulator, 50)  # held with the true time

    simulator.faults.stream_clock_skew_hours = hours
    await _shown(hass, simulator, 51)
    await _shown(hass, simulator, 52)
    await _shown(hass, simulator, 7, MILEAGE)

    simulator.faults.stream_clock_skew_hours = 0.0  # BMW's clock is right again
    await _shown(hass, simulator, 53)

    warnings = _warnings(caplog)
    assert len(warnings) == 1, warnings
    direction = "behind" if hours < 0 else "ahead"
    assert f"2 h 00 min {direction}" in warnings[0]


async def test_older_value_still_dropped_when_the_clocks_agree(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """With BMW's clock right, a value the car measured before the held one
    (it arrives late, out of order) is still ignored."""
    await setup_rest(hass, make_entry(simulator))
    await _shown(hass, simulator, 70)
    earlier = simulator.now() - timedelta(minutes=5)
    assert await simulator.publish(VIN_BEV, {SOC: 69}, timestamp=earlier) == 1
    await _shown(hass, simulator, 8, MILEAGE)  # a later message: the late one was read
    assert _state(hass, SOC) == "70"
