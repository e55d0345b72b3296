"""Diagnostics of the account and of a vehicle: useful, and nothing secret."""

from __future__ import annotations

from datetime import timedelta
import json
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.json import json_dumps
from syrupy.assertion import SnapshotAssertion

from custom_components.cardata.diagnostics import (
    async_get_config_entry_diagnostics,
    async_get_device_diagnostics,
)

from .conftest import ACCESS_TOKEN, ID_TOKEN, REFRESH_TOKEN, device_of
from .fake_stream import FakeBroker
from .vehicles import BEV, CLIENT_ID, GCID, LAT, LON, NOW, SOC, VEHICLES

SECRETS = {GCID, CLIENT_ID, ACCESS_TOKEN, ID_TOKEN, REFRESH_TOKEN} | {
    vehicle.vin for vehicle in VEHICLES
}


def _download(dump: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The dump as the owner downloads it (JSON), and its text."""
    text = json_dumps(dump)
    return json.loads(text), text


def _assert_clean(text: str) -> None:
    leaked = sorted(secret for secret in SECRETS if secret in text)
    assert not leaked, f"{len(leaked)} secrets in the diagnostics"
    assert str(BEV.values[LAT][0]) not in text  # positions are redacted
    assert "48.1776" not in text


async def test_entry_diagnostics(
    hass: HomeAssistant,
    setup_integration,
    mqtt: FakeBroker,
    snapshot: SnapshotAssertion,
) -> None:
    entry = await setup_integration()
    # The car speaks once: the raw message is kept, its position removed.
    assert mqtt.publish(
        GCID,
        BEV.vin,
        {SOC: 63.0, LAT: 48.177_662, LON: 11.556_120},
        NOW - timedelta(seconds=30),
        {SOC: "percent", LAT: "degrees", LON: "degrees"},
    )
    await hass.async_block_till_done()
    dump, text = _download(await async_get_config_entry_diagnostics(hass, entry))
    _assert_clean(text)
    assert dump["entry"]["data"]["tokens"] == "**REDACTED**"
    assert dump["stream"]["state"] == "connected"
    assert dump == snapshot


async def test_device_diagnostics(
    hass: HomeAssistant,
    setup_integration,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    entry = await setup_integration()
    device = device_of(device_registry, entry.entry_id, BEV.vin)
    dump, text = _download(await async_get_device_diagnostics(hass, entry, device))
    _assert_clean(text)
    assert list(dump["vehicles"]) == dump["device"]["identifiers"]
    assert dump == snapshot
