"""Set-up from stored state, live values, unload, reload and removal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.cardata.const import DOMAIN

from .fake_stream import FakeBroker
from .vehicles import BEV, ENTRY_ID, GCID, NOW, ODOMETER, SOC

BEV_SOC = "sensor.bmw_0001_battery_charge_level"
BEV_LAST = "sensor.bmw_0001_last_data_received"
BEV_ODOMETER = "sensor.bmw_0001_odometer"
STREAM = "sensor.bmw_cardata_stream_state"


async def test_setup_from_stored_state(
    hass: HomeAssistant, setup_integration, aioclient_mock: AiohttpClientMocker
) -> None:
    """A restart: every vehicle's last values are back, and BMW is not asked."""
    entry = await setup_integration()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(BEV_SOC).state == "62.5"
    assert hass.states.get("sensor.bmw_0002_fuel_level").state == "55"
    assert hass.states.get("sensor.mini_0003_odometer").state == "98765.0"
    assert hass.states.get(STREAM).state == "connected"
    assert aioclient_mock.call_count == 0


async def test_stream_values_and_last_data_received(
    hass: HomeAssistant,
    setup_integration,
    mqtt: FakeBroker,
    frozen_time: FrozenDateTimeFactory,
) -> None:
    """A stream message moves the entities; "last data received" at most every 5 min."""
    await setup_integration()
    assert hass.states.get(BEV_LAST).state == "2026-05-01T07:58:00+00:00"

    assert mqtt.publish(GCID, BEV.vin, {SOC: 63.5}, NOW, {SOC: "percent"})
    await hass.async_block_till_done()
    assert hass.states.get(BEV_SOC).state == "63.5"
    assert hass.states.get(BEV_LAST).state == NOW.isoformat()

    frozen_time.tick(timedelta(minutes=1))
    later = NOW + timedelta(minutes=1)
    assert mqtt.publish(GCID, BEV.vin, {SOC: 64.0}, later, {SOC: "percent"})
    await hass.async_block_till_done()
    assert hass.states.get(BEV_SOC).state == "64.0"
    assert hass.states.get(BEV_LAST).state == NOW.isoformat()  # window still open

    frozen_time.tick(timedelta(minutes=4))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get(BEV_LAST).state == later.isoformat()

    # An older value than the one held is ignored (BMW's timestamp decides).
    assert mqtt.publish(GCID, BEV.vin, {SOC: 50.0}, NOW, {SOC: "percent"})
    await hass.async_block_till_done()
    assert hass.states.get(BEV_SOC).state == "64.0"


async def test_unload_and_reload(
    hass: HomeAssistant,
    setup_integration,
    mqtt: FakeBroker,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Unload stops the stream; a reload brings the newest values back."""
    entry = await setup_integration()
    assert mqtt.publish(GCID, BEV.vin, {ODOMETER: 12_360.0}, NOW, {ODOMETER: "km"})
    await hass.async_block_till_done()

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert not mqtt.connected
    assert hass.states.get(BEV_ODOMETER).state == STATE_UNAVAILABLE
    assert hass.services.has_service(DOMAIN, "fetch_basic_data")

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert len(mqtt.connected) == 1
    assert len(mqtt.streams) == 2
    assert hass.states.get(BEV_ODOMETER).state == "12360.0"
    assert hass.states.get(STREAM).state == "connected"
    assert aioclient_mock.call_count == 0


async def test_remove_entry_deletes_its_stores(
    hass: HomeAssistant, setup_integration, hass_storage: dict[str, Any]
) -> None:
    """Removing the account deletes what it stored; BMW's call log stays."""
    entry = await setup_integration()
    mine = [f"{DOMAIN}.{name}.{ENTRY_ID}" for name in ("values", "vins", "vehicles")]
    assert all(key in hass_storage for key in mine)
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not [key for key in mine if key in hass_storage]
    assert [key for key in hass_storage if key.startswith(f"{DOMAIN}.quota.")]
    assert hass.states.get(BEV_ODOMETER) is None
