"""The check-control messages arrive with the daily container read (simulator tier).

BMW never streams them: the simulator holds them for the container read only
(the iX a tyre pressure warning, the plug-in hybrid none). Counted from the
simulator's record of calls: the entity appears with a read, and no car is
read more than once a day for it.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest

from custom_components.cardata.const import DOMAIN
from custom_components.cardata.rest.daily import CHECK_EVERY
from tests.daily_helpers import NO_POLLS, a_day, later, long_logins, stop_stream
from tests.entity_helpers import make_entry, setup_entry
from tests.simulator import VIN_BEV, VIN_PHEV, Simulator
from tests.simulator.world import CHECK_CONTROL, StateValue

CARS = (VIN_BEV, VIN_PHEV)


def _reads(sim: Simulator) -> dict[str, int]:
    """How many container reads named each car."""
    return {
        vin: sum(
            1
            for _gcid, path, _status in sim.rest.calls
            if vin in path and path.endswith("/telematicData")
        )
        for vin in CARS
    }


def _state(hass: HomeAssistant, vin: str):
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{vin}_{CHECK_CONTROL}"
    )
    return hass.states.get(entity_id) if entity_id else None


@pytest.fixture(autouse=True)
def _logins_outlast_the_test(simulator: Simulator) -> None:
    long_logins(simulator)  # see tests/daily_helpers.py


async def test_the_daily_read_brings_the_messages(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    car = simulator.vehicles[VIN_BEV]
    warning = car.state.pop(CHECK_CONTROL)  # no value at the first set-up
    entry = make_entry(simulator, options=NO_POLLS)
    await setup_entry(hass, entry)
    await stop_stream(entry)
    assert _reads(simulator) == dict.fromkeys(CARS, 1)
    assert _state(hass, VIN_BEV) is None
    # The plug-in hybrid's set-up read: no message.
    other = _state(hass, VIN_PHEV)
    assert other is not None
    assert (other.state, other.attributes["messages"]) == ("0", [])
    await later(hass, freezer, CHECK_EVERY)  # the set-up's read stands for it
    # The car shows a warning later; the stream never says so.
    measured = dt_util.utcnow().replace(microsecond=0) + timedelta(hours=2)
    car.state[CHECK_CONTROL] = StateValue(warning.value, measured)
    await a_day(hass, freezer)
    # One read a day per car brought it.
    assert _reads(simulator) == dict.fromkeys(CARS, 2)
    state = _state(hass, VIN_BEV)
    assert state is not None
    assert state.state == "1"
    assert state.attributes["messages"] == ["tire_pressure"]
    assert state.attributes["severity"] == "low"
    held = entry.runtime_data.coordinator.get(VIN_BEV, CHECK_CONTROL)
    assert held is not None
    assert held.timestamp == measured
