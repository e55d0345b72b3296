"""Vehicle image (opt-in): fetched from BMW once, then kept on disk.

The picture costs one API call per vehicle, ever: it is cached under
``.storage/cardata/`` (file named by a masked VIN, extension by its type) and
read from there after a restart. The ``fetch_vehicle_image`` action fetches it
again on demand. BMW's answer may be PNG or JPEG: the type is read from the
bytes (:func:`.extras.image_content_type`), never assumed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Final

from homeassistant.components.image import ImageEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import ApiError, CarDataConnectionError
from .api.vin import VIN_RE
from .common.settings import OPT_VEHICLE_IMAGE, extra_enabled
from .const import DOMAIN, LOGGER
from .rest.bootstrap import RestContext
from .rest.extras import (
    DEFAULT_IMAGE_TYPE,
    IMAGE,
    IMAGE_EXTENSIONS,
    ExtrasHub,
    async_store_image,
    image_content_type,
    image_path,
    image_paths,
)
from .rest.quota import QuotaSpentError
from .rest.quota_policy import CallKind
from .runtime.data import CarDataConfigEntry
from .upgrade.image import async_previous_image

PARALLEL_UPDATES = 0
_SNIFF_BYTES: Final = 12


class VehicleImage(ImageEntity):
    """The picture BMW has of one vehicle."""

    _attr_has_entity_name = True
    _attr_translation_key = "vehicle_image"
    _attr_content_type = DEFAULT_IMAGE_TYPE

    def __init__(self, rest: RestContext, hub: ExtrasHub, vin: str) -> None:
        """Bind to one vehicle; the file may already be cached."""
        super().__init__(rest.hass)
        self.rest = rest
        self.hub = hub
        self.vin = vin
        self._attr_unique_id = f"{vin}_vehicle_image"
        self._attr_device_info = rest.coordinator.device_info(vin)
        self._planner = rest.planner
        self._path: Path = image_path(rest.hass, self._planner, vin)

    async def async_added_to_hass(self) -> None:
        """Use the cached file, or fetch it once in the background."""
        self.async_on_remove(self.hub.listen(IMAGE, self.vin, self._fresh))
        cached = await self.hass.async_add_executor_job(
            _find, image_paths(self.hass, self._planner, self.vin)
        )
        if cached is not None:
            self._path, self._attr_content_type, modified = cached
            self._attr_image_last_updated = modified
            return
        self.rest.entry.async_create_background_task(
            self.hass, self._async_fetch_once(), f"{DOMAIN} vehicle image"
        )

    async def _async_fetch_once(self) -> None:
        planner, api = self._planner, self.rest.api
        previous = await async_previous_image(self.hass, self.vin)
        if previous is not None and await async_store_image(
            self.hass, planner, self.hub, self.vin, previous
        ):
            return  # the picture the other integration kept: no call
        if not planner.extra_due(IMAGE, self.vin):
            return  # tried within the last day (BMW may have no picture)
        planner.mark_extra(IMAGE, self.vin)
        try:
            image = await planner.async_call(
                CallKind.EXTRA, lambda: api.get_image(self.vin)
            )
        except QuotaSpentError:
            return  # tried again at the next start
        except (ApiError, CarDataConnectionError) as err:
            LOGGER.debug("Vehicle image not fetched: %s", type(err).__name__)
            return
        await async_store_image(self.hass, planner, self.hub, self.vin, image)

    @callback
    def _fresh(self) -> None:
        content_type = self.hub.data.get((IMAGE, self.vin))
        if isinstance(content_type, str) and content_type in IMAGE_EXTENSIONS:
            self._attr_content_type = content_type
            self._path = image_path(self.hass, self._planner, self.vin, content_type)
        self._attr_image_last_updated = dt_util.utcnow()
        self.async_write_ha_state()

    async def async_image(self) -> bytes | None:
        """Return the cached picture."""
        return await self.hass.async_add_executor_job(_read, self._path)


def _find(paths: list[Path]) -> tuple[Path, str, datetime] | None:
    """Return the newest cached picture with its type (read from its bytes)."""
    found: list[tuple[float, Path, str]] = []
    for path in paths:
        try:
            with path.open("rb") as file:
                head = file.read(_SNIFF_BYTES)
            modified = path.stat().st_mtime
        except OSError:
            continue
        if (content_type := image_content_type(head)) is not None:
            found.append((modified, path, content_type))
    if not found:
        return None
    modified, path, content_type = max(found)
    return path, content_type, dt_util.utc_from_timestamp(modified)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: CarDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an image per vehicle when the owner opted in."""
    if not extra_enabled(entry.options, OPT_VEHICLE_IMAGE):
        return
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    added: set[str] = set()

    @callback
    def _add_vehicle(vin: str) -> None:
        if vin in added or not VIN_RE.match(vin) or coordinator.shared(vin):
            return  # (BMW refuses REST calls for a car shared with the account)
        added.add(vin)
        async_add_entities([VehicleImage(runtime.rest, runtime.extras, vin)])

    for vin in list(coordinator.vehicles):
        _add_vehicle(vin)
    entry.async_on_unload(coordinator.async_add_vehicle_listener(_add_vehicle))
