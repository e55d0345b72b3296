"""Entities keep their last values while BMW refuses the login, and after it."""

from __future__ import annotations

from homeassistant.const import (
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache,
)

from custom_components.cardata.const import DOMAIN
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


async def test_values_kept_while_refused_and_after(
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

    # BMW refuses the login: while the owner logs in again, the vehicle's
    # entities keep their last values (not written unavailable).
    simulator.oauth.revoke_refresh_tokens(GCID_A)
    with pytest.raises(ConfigEntryAuthFailed):
        await entry.runtime_data.tokens.async_force_refresh()
    await hass.async_block_till_done()
    assert {e: hass.states.get(e).state for e in ours} == before
    # The account's token sensor shows why nothing new comes.
    assert hass.states.get(expiry).attributes["last_refresh_error"] == "invalid_grant"

    # The new login stores fresh tokens and reloads the entry (as the reauth
    # flow does): the entities come back with their values.
    hass.config_entries.async_update_entry(entry, data=entry_data(simulator))
    assert await hass.config_entries.async_unload(entry.entry_id)
    await setup_entry(hass, entry)
    after = {e: hass.states.get(e).state for e in ours}
    assert after == before


async def _refuse_and_log_in_again(
    hass: HomeAssistant, simulator, entry: MockConfigEntry, ours: list[str]
) -> None:
    """BMW refuses the login; the new login reloads the entry (as reauth does)."""
    simulator.oauth.revoke_refresh_tokens(GCID_A)
    with pytest.raises(ConfigEntryAuthFailed):
        await entry.runtime_data.tokens.async_force_refresh()
    await hass.async_block_till_done()
    assert STATE_UNAVAILABLE not in {hass.states.get(e).state for e in ours}
    hass.config_entries.async_update_entry(entry, data=entry_data(simulator))
    assert await hass.config_entries.async_unload(entry.entry_id)
    await setup_entry(hass, entry)


async def test_restored_states_come_back_after_the_new_login(
    hass: HomeAssistant, simulator
) -> None:
    """States known only from Home Assistant's restore (say, after an upgrade).

    The car has not spoken since the restart, so the integration's own value
    store holds nothing of them; they still come back after the new login.
    """
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, VIN_BEV)}
    )
    reg = er.async_get(hass)
    hood, tracker = (
        reg.async_get_or_create(
            platform,
            DOMAIN,
            unique_id,
            suggested_object_id=object_id,
            config_entry=entry,
            device_id=device.id,
        ).entity_id
        for platform, unique_id, object_id in (
            ("binary_sensor", f"{VIN_BEV}_{HOOD}", "bmw_hood"),
            ("device_tracker", f"{VIN_BEV}_device_tracker", "bmw"),
        )
    )
    position = {ATTR_LATITUDE: 48.1, ATTR_LONGITUDE: 11.5, "heading": 270}
    mock_restore_cache(
        hass, [State(hood, STATE_ON), State(tracker, "not_home", position)]
    )
    coordinator = await setup_entry(hass, entry)
    assert coordinator.get(VIN_BEV, HOOD) is None  # nothing live
    assert coordinator.get(VIN_BEV, LAT) is None

    await _refuse_and_log_in_again(hass, simulator, entry, [hood, tracker])
    assert hass.states.get(hood).state == STATE_ON
    restored = hass.states.get(tracker).attributes
    assert {key: restored.get(key) for key in position} == position
