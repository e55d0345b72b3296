"""Every platform's entities and states, snapshotted as Home Assistant core does."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from syrupy.assertion import SnapshotAssertion

from .conftest import API, states_written
from .vehicles import VEHICLES

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")


@pytest.mark.parametrize(
    "platform",
    [
        Platform.SENSOR,
        Platform.BINARY_SENSOR,
        Platform.DEVICE_TRACKER,
        Platform.BUTTON,
        Platform.NUMBER,
        Platform.EVENT,
    ],
)
async def test_platform(
    hass: HomeAssistant,
    *,
    setup_integration,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    aioclient_mock: AiohttpClientMocker,
    platform: Platform,
) -> None:
    """The entities of three stored vehicles come back with their states."""
    with patch("custom_components.cardata.PLATFORMS", [platform]):
        entry = await setup_integration()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    assert aioclient_mock.call_count == 0  # all from stored state


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
    b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.mark.parametrize("entry_options", [{"extra_vehicle_image": True}])
async def test_image(
    hass: HomeAssistant,
    *,
    setup_integration,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    aioclient_mock: AiohttpClientMocker,
    tmp_path: Path,
) -> None:
    """The opted-in picture: fetched once per vehicle, then served from disk."""
    hass.config.config_dir = str(tmp_path)
    for vehicle in VEHICLES:
        aioclient_mock.get(
            f"{API}/customers/vehicles/{vehicle.vin}/image",
            content=PNG,
            headers={"Content-Type": "image/png"},
        )
    with (
        patch("custom_components.cardata.PLATFORMS", [Platform.IMAGE]),
        patch("random.SystemRandom.getrandbits", return_value=123456789),
    ):
        entry = await setup_integration()
        images = [
            e.entity_id
            for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        ]
        # The first fetch runs in a background task of the entry.
        await states_written(hass, images)
        await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    assert aioclient_mock.call_count == len(VEHICLES)
