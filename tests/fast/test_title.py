"""Accounts you can tell apart: the entry is titled by its cars' names."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import device_of
from .vehicles import VEHICLES

CARS = "BMW 330e, BMW iX xDrive50, MINI Cooper S"


async def test_titled_by_its_cars(hass: HomeAssistant, setup_integration) -> None:
    """Not "BMW CarData" or "BMW CarData 2": the cars the owner knows."""
    entry = await setup_integration()
    assert entry.title == CARS


async def test_title_follows_a_renamed_car(
    hass: HomeAssistant, setup_integration
) -> None:
    """The owner's name for a car is what the title shows."""
    entry = await setup_integration()
    registry = dr.async_get(hass)
    device = device_of(registry, entry.entry_id, VEHICLES[1].vin)
    registry.async_update_device(device.id, name_by_user="Anna's car")
    await hass.async_block_till_done()
    assert "Anna's car" in entry.title
    assert entry.title.count(", ") == 2


async def test_title_the_owner_gave_stays(
    hass: HomeAssistant, setup_integration
) -> None:
    """A title the owner chose is never replaced, also when cars change."""
    entry = await setup_integration()
    hass.config_entries.async_update_entry(entry, title="Family cars")
    registry = dr.async_get(hass)
    device = device_of(registry, entry.entry_id, VEHICLES[0].vin)
    registry.async_update_device(device.id, name_by_user="Dad's car")
    await hass.async_block_till_done()
    assert entry.title == "Family cars"
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.title == "Family cars"


async def test_the_other_integrations_title_is_replaced(
    hass: HomeAssistant, config_entry: MockConfigEntry, setup_integration
) -> None:
    """ "BMW CarData (1b2c3d4e)", as the other integration titled it, goes."""
    hass.config_entries.async_update_entry(config_entry, title="BMW CarData (1b2c3d4e)")
    entry = await setup_integration()
    assert entry.title == CARS
