"""Entities are unavailable while BMW refuses the login, and come back after."""

from __future__ import annotations

from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.cardata.entities.diagnostic import LAST_DATA_EVERY
from tests.entity_helpers import (
    HOOD,
    LAT,
    LON,
    SOC,
    entity_id,
    entry_data,
    make_entry,
    push,
    setup_entry,
)
from tests.simulator import GCID_A, VIN_BEV


async def test_unavailable_while_refused_and_back_after(
    hass: HomeAssistant, simulator
) -> None:
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    await push(
        hass,
        coordinator,
        VIN_BEV,
        {SOC: 64, HOOD: False, LAT: 48.1, LON: 11.5},
        dt_util.utcnow(),
    )
    # "Last data received" shows the newest time at the end of its window.
    async_fire_time_changed(hass, dt_util.utcnow() + LAST_DATA_EVERY)
    await hass.async_block_till_done()
    ours = [
        entity_id(hass, "sensor", f"{VIN_BEV}_{SOC}"),
        entity_id(hass, "binary_sensor", f"{VIN_BEV}_{HOOD}"),
        entity_id(hass, "device_tracker", f"{VIN_BEV}_device_tracker"),
        entity_id(hass, "sensor", f"{VIN_BEV}_last_data_received"),
    ]
    before = {e: hass.states.get(e).state for e in ours}
    assert STATE_UNAVAILABLE not in before.values()
    expiry = entity_id(hass, "sensor", f"{entry.entry_id}_token_expiry")

    # BMW refuses the login: the vehicle's entities say so.
    simulator.oauth.revoke_refresh_tokens(GCID_A)
    with pytest.raises(ConfigEntryAuthFailed):
        await entry.runtime_data.tokens.async_force_refresh()
    await hass.async_block_till_done()
    assert {hass.states.get(e).state for e in ours} == {STATE_UNAVAILABLE}
    # The account's token sensor stays: it shows why.
    assert hass.states.get(expiry).attributes["last_refresh_error"] == "invalid_grant"

    # The new login stores fresh tokens and reloads the entry (as the reauth
    # flow does): the entities come back with their values.
    hass.config_entries.async_update_entry(entry, data=entry_data(simulator))
    assert await hass.config_entries.async_unload(entry.entry_id)
    await setup_entry(hass, entry)
    after = {e: hass.states.get(e).state for e in ours}
    assert after == before
