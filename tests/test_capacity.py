"""The usable battery capacity number: BMW's value until the owner sets one.

It starts from what BMW gives (basicData's nominal capacity, or the capacity
the car streams) instead of "unknown"; the owner's own value wins and is kept
over restarts, whatever BMW sends later.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant, State
import pytest
from pytest_homeassistant_custom_component.common import (
    mock_restore_cache_with_extra_data,
)

from custom_components.cardata.api import StreamState
from custom_components.cardata.prediction.inputs import USABLE_SHARE
from tests.entity_helpers import entity_id, make_entry, push, setup_entry
from tests.simulator import VIN_BEV, VIN_PHEV, Simulator
from tests.waiting import wait_for

SIZE_MAX = "vehicle.drivetrain.batteryManagement.batterySizeMax"


def _number(hass: HomeAssistant, vin: str) -> str:
    return entity_id(hass, "number", f"{vin}_usable_capacity")


def _capacity(hass: HomeAssistant, vin: str) -> tuple[str, Any]:
    number = hass.states.get(_number(hass, vin))
    predicted = hass.states.get(entity_id(hass, "sensor", f"{vin}_predicted_soc"))
    assert number is not None
    assert predicted is not None
    return number.state, predicted.attributes["capacity_kwh"]


async def test_starts_from_bmw_and_the_owners_value_wins(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    await hass.async_block_till_done()
    # basicData's nominal capacity (iX xDrive50: 111.5 kWh), not "unknown".
    assert _capacity(hass, VIN_BEV) == ("111.5", 111.5)
    # The ledger's provisional energy counts only the usable part of that
    # gross figure; a figure the car or the owner gives is usable already.
    hub = entry.runtime_data.prediction
    assert hub.battery_kwh(VIN_BEV) == pytest.approx(111.5 * USABLE_SHARE)
    # What the car streams beats basicData.
    await push(hass, coordinator, VIN_PHEV, {SIZE_MAX: 12.5})
    assert _capacity(hass, VIN_PHEV) == ("12.5", 12.5)
    assert hub.battery_kwh(VIN_PHEV) == 12.5
    # The owner's own value wins, also over what the car streams later.
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": _number(hass, VIN_BEV), "value": 105.2},
        blocking=True,
    )
    assert _capacity(hass, VIN_BEV) == ("105.2", 105.2)
    assert hub.battery_kwh(VIN_BEV) == 105.2
    await push(hass, coordinator, VIN_BEV, {SIZE_MAX: 108.0})
    assert _capacity(hass, VIN_BEV) == ("105.2", 105.2)
    # Kept over a restart.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    stream = entry.runtime_data.stream
    assert _capacity(hass, VIN_BEV) == ("105.2", 105.2)
    assert _capacity(hass, VIN_PHEV)[0] == "12.5"
    diagnostics = entry.runtime_data.prediction.diagnostics(VIN_BEV)
    assert diagnostics["capacity_from"] == "owner"
    await _settled(stream)


async def test_an_owners_value_from_before_this_version_is_kept(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """The number held only the owner's value before: restored, it stays the
    owner's; a restored value equal to BMW's is not taken as the owner's."""
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    bev = f"number.bmw_{VIN_BEV[-4:].lower()}_usable_battery_capacity"
    phev = f"number.bmw_{VIN_PHEV[-4:].lower()}_usable_battery_capacity"
    mock_restore_cache_with_extra_data(
        hass,
        [(State(bev, "98.0"), _stored(98.0)), (State(phev, "12.0"), _stored(12.0))],
    )
    await setup_entry(hass, entry)
    await hass.async_block_till_done()
    assert _number(hass, VIN_BEV) == bev
    assert _capacity(hass, VIN_BEV) == ("98.0", 98.0)
    hub = entry.runtime_data.prediction
    assert hub.capacity(VIN_PHEV) == (12.0, "basic_data")
    await _settled(entry.runtime_data.stream)


def _stored(kwh: float) -> dict[str, Any]:
    """What RestoreNumber kept of a value."""
    return {
        "native_value": kwh,
        "native_min_value": 3.0,
        "native_max_value": 300.0,
        "native_step": 0.1,
        "native_unit_of_measurement": "kWh",
    }


async def _settled(stream: Any) -> None:
    await wait_for(lambda: stream.state is StreamState.CONNECTED)
