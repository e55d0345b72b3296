"""Vehicle image (opt-in): fetched from BMW once, then kept on disk.

The picture costs one API call per vehicle, ever: it is cached under
``.storage/cardata/`` (file named by a masked VIN) and read from there after
a restart. The ``fetch_vehicle_image`` action fetches it again on demand.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from homeassistant.components.image import ImageEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import ApiError, CarDataConnectionError
from .const import DOMAIN, LOGGER
from .coordinator import VIN_RE
from .extras import async_store_image, hub_of, image_path
from .quota import QuotaSpentError, planner_of
from .quota_policy import CallKind
from .runtime import CarDataConfigEntry
from .settings import OPT_VEHICLE_IMAGE, extra_enabled

PARALLEL_UPDATES = 0
IMAGE = "image"


class VehicleImage(ImageEntity):
    """The picture BMW has of one vehicle."""

    _attr_has_entity_name = True
    _attr_translation_key = "vehicle_image"
    _attr_content_type = "image/png"

    def __init__(
        self, hass: HomeAssistant, entry: CarDataConfigEntry, vin: str
    ) -> None:
        """Bind to one vehicle; the file may already be cached."""
        super().__init__(hass)
        self.entry = entry
        self.vin = vin
        self._attr_unique_id = f"{vin}_vehicle_image"
        self._attr_device_info = entry.runtime_data.coordinator.device_info(vin)
        self._path: Path = image_path(hass, planner_of(entry), vin)

    async def async_added_to_hass(self) -> None:
        """Use the cached file, or fetch it once in the background."""
        self.async_on_remove(hub_of(self.entry).listen(IMAGE, self.vin, self._fresh))
        modified = await self.hass.async_add_executor_job(_mtime, self._path)
        if modified is not None:
            self._attr_image_last_updated = modified
            return
        self.entry.async_create_background_task(
            self.hass, self._async_fetch_once(), f"{DOMAIN} vehicle image"
        )

    async def _async_fetch_once(self) -> None:
        planner, api = planner_of(self.entry), self.entry.runtime_data.api
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
        await async_store_image(self.hass, self.entry, self.vin, image)

    @callback
    def _fresh(self) -> None:
        self._attr_image_last_updated = dt_util.utcnow()
        self.async_write_ha_state()

    async def async_image(self) -> bytes | None:
        """Return the cached picture."""
        return await self.hass.async_add_executor_job(_read, self._path)


def _mtime(path: Path) -> datetime | None:
    try:
        return dt_util.utc_from_timestamp(path.stat().st_mtime)
    except OSError:
        return None


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CarDataConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an image per vehicle when the owner opted in."""
    if not extra_enabled(entry.options, OPT_VEHICLE_IMAGE):
        return
    coordinator = entry.runtime_data.coordinator
    added: set[str] = set()

    @callback
    def _add_vehicle(vin: str) -> None:
        if vin in added or not VIN_RE.match(vin):
            return
        added.add(vin)
        async_add_entities([VehicleImage(hass, entry, vin)])

    for vin in list(coordinator.vehicles):
        _add_vehicle(vin)
    entry.async_on_unload(coordinator.async_add_vehicle_listener(_add_vehicle))
