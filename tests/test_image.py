"""Vehicle image: the content type comes from the bytes, also after a restart."""

from __future__ import annotations

from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.cardata.common.settings import OPT_VEHICLE_IMAGE
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.rest.extras import (
    image_content_type,
    image_path,
    image_paths,
)
from tests.rest_helpers import make_entry, planner, setup_rest, sim_calls
from tests.simulator import VIN_BEV, Simulator, rest as sim_rest
from tests.waiting import wait_for

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PNG = sim_rest.png()
UNIQUE_ID = f"{VIN_BEV}_vehicle_image"


@pytest.fixture(autouse=True)
def own_config_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """Cache pictures in this test's own directory."""
    hass.config.config_dir = str(tmp_path)


def _serve(monkeypatch: pytest.MonkeyPatch, picture: bytes) -> None:
    """Make the simulator's image endpoint answer ``picture``."""
    monkeypatch.setattr(sim_rest, "png", lambda *_args, **_kw: picture)


async def _served(
    hass: HomeAssistant, hass_client, entity_id: str
) -> tuple[str, bytes]:
    client = await hass_client()
    picture = hass.states.get(entity_id).attributes["entity_picture"]
    response = await client.get(picture)
    assert response.status == 200
    return response.headers["Content-Type"], await response.read()


async def _image_entity(hass: HomeAssistant) -> str:
    registry = er.async_get(hass)
    await wait_for(
        lambda: registry.async_get_entity_id("image", DOMAIN, UNIQUE_ID) is not None,
    )
    entity_id = registry.async_get_entity_id("image", DOMAIN, UNIQUE_ID)
    assert entity_id is not None
    return entity_id


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"<html>", None),
        (b"", None),
    ],
)
def test_content_type_from_the_bytes(data: bytes, expected: str | None) -> None:
    assert image_content_type(data) == expected


async def test_jpeg_kept_as_jpeg_across_a_restart_and_a_new_png(
    hass: HomeAssistant, simulator: Simulator, hass_client, monkeypatch
) -> None:
    _serve(monkeypatch, JPEG)
    entry = await setup_rest(
        hass, make_entry(simulator, options={OPT_VEHICLE_IMAGE: True})
    )
    entity_id = await _image_entity(hass)
    hub = entry.runtime_data.extras
    await wait_for(lambda: ("image", VIN_BEV) in hub.data)
    await hass.async_block_till_done()
    assert hub.data[("image", VIN_BEV)] == "image/jpeg"
    assert await _served(hass, hass_client, entity_id) == ("image/jpeg", JPEG)
    cached = image_path(hass, planner(entry), VIN_BEV, "image/jpeg")
    assert cached.suffix == ".jpg"
    assert cached.read_bytes() == JPEG
    # Restart: the picture comes from disk, still a JPEG, without a call.
    calls = sim_calls(simulator)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await setup_rest(hass, entry)
    entity_id = await _image_entity(hass)
    await hass.async_block_till_done()
    assert await _served(hass, hass_client, entity_id) == ("image/jpeg", JPEG)
    assert sim_calls(simulator) == calls
    # BMW now answers a PNG: the cache and the entity follow, the JPEG goes.
    _serve(monkeypatch, PNG)
    answer = await hass.services.async_call(
        DOMAIN,
        "fetch_vehicle_image",
        {"vin": VIN_BEV},
        blocking=True,
        return_response=True,
    )
    assert answer["vehicles"][VIN_BEV] == {
        "content_type": "image/png",
        "bytes": len(PNG),
    }
    await hass.async_block_till_done()
    assert await _served(hass, hass_client, entity_id) == ("image/png", PNG)
    kept = [
        path for path in image_paths(hass, planner(entry), VIN_BEV) if path.exists()
    ]
    assert [path.suffix for path in kept] == [".png"]


async def test_old_cache_file_is_read_by_its_bytes(
    hass: HomeAssistant, simulator: Simulator, hass_client
) -> None:
    """A JPEG cached as ``.png`` by an older version is served as a JPEG."""
    entry = make_entry(simulator, options={OPT_VEHICLE_IMAGE: True})
    entry.add_to_hass(hass)
    await setup_rest(hass, entry)
    entity_id = await _image_entity(hass)
    await wait_for(lambda: ("image", VIN_BEV) in entry.runtime_data.extras.data)
    await hass.async_block_till_done()
    png_path = image_path(hass, planner(entry), VIN_BEV)
    assert png_path.suffix == ".png"
    calls = sim_calls(simulator)
    assert await hass.config_entries.async_unload(entry.entry_id)
    png_path.write_bytes(JPEG)
    await setup_rest(hass, entry)
    entity_id = await _image_entity(hass)
    await hass.async_block_till_done()
    assert await _served(hass, hass_client, entity_id) == ("image/jpeg", JPEG)
    assert sim_calls(simulator) == calls


async def test_unknown_bytes_are_not_cached(
    hass: HomeAssistant, simulator: Simulator, monkeypatch
) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    _serve(monkeypatch, b"<html>not a picture</html>")
    answer = await hass.services.async_call(
        DOMAIN,
        "fetch_vehicle_image",
        {"vin": VIN_BEV},
        blocking=True,
        return_response=True,
    )
    assert answer["vehicles"][VIN_BEV]["content_type"] == "application/octet-stream"
    assert not any(path.exists() for path in image_paths(hass, planner(entry), VIN_BEV))
    assert ("image", VIN_BEV) not in entry.runtime_data.extras.data
