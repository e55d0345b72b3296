"""Set-up from stored state, live values, unload and reload."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.cardata.const import DOMAIN

from .vehicles import BEV, SOC


async def test_setup_from_stored_state(
    hass: HomeAssistant, setup_integration, aioclient_mock: AiohttpClientMocker
) -> None:
    entry = await setup_integration()
    assert entry.state is ConfigEntryState.LOADED
    soc = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{BEV.vin}_{SOC}")
    assert soc is not None
    assert hass.states.get(soc).state == "62.5"
    assert aioclient_mock.call_count == 0
