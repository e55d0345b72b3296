"""Brand from the VIN: a car without BMW's basic data is named after its maker.

The VIN's world manufacturer identifier (its first three characters) names
the BMW Group brand; basic data, when BMW sends it, still wins.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest

from custom_components.cardata.api.vin import DEFAULT_MAKER, MAKERS, VIN_RE, maker
from tests.entity_helpers import SOC, device_for, entity_id, make_entry, setup_entry
from tests.simulator import GCID_A, VIN_BEV, Simulator
from tests.waiting import wait_for

VIN_MINI = "WMW00000000MNE007"


@pytest.mark.parametrize(
    ("vin", "brand"),
    [
        ("WBA00000000BEV001", "BMW"),
        ("WBS00000000M30001", "BMW"),
        ("WBY00000000BEV001", "BMW"),
        ("5UX00000000USA001", "BMW"),
        ("WMW00000000MNE007", "MINI"),
        ("SCA00000000RR0001", "Rolls-Royce"),
        ("WB100000000MTR001", "BMW Motorrad"),
        ("WB300000000MTR001", "BMW Motorrad"),
        ("VF100000000XYZ001", DEFAULT_MAKER),
    ],
)
def test_the_maker_code_names_the_brand(vin: str, brand: str) -> None:
    assert VIN_RE.match(vin)
    assert maker(vin) == brand


def test_the_table_is_world_manufacturer_identifiers() -> None:
    assert all(len(code) == 3 and code.isalnum() for code in MAKERS)
    assert set(MAKERS.values()) == {"BMW", "MINI", "Rolls-Royce", "BMW Motorrad"}


async def test_a_mini_without_basic_data_is_a_mini(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """A MINI shared with the account never gets basic data (BMW refuses it)."""
    simulator.add_vehicle(GCID_A, VIN_MINI, "BEV", mapping="SECONDARY", streams=True)
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    await simulator.publish(VIN_MINI, {SOC: 33})
    await wait_for(lambda: coordinator.get(VIN_MINI, SOC) is not None)
    await hass.async_block_till_done()
    device = device_for(hass, entry, VIN_MINI)
    assert device.manufacturer == "MINI"
    assert device.name == "MINI E007"
    assert device.model is None
    soc = entity_id(hass, "sensor", f"{VIN_MINI}_{SOC}")
    assert soc.startswith("sensor.mini_e007_")
    # Basic data still wins where BMW sends it.
    assert device_for(hass, entry, VIN_BEV).model == "iX xDrive50"
