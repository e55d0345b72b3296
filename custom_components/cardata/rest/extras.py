"""The opt-in REST reads: charging history, tyres, the vehicle image.

Charging history and tyre diagnosis are fetched at most once a day each,
never more pages than the budget allows; what arrives is kept in the entry's
:class:`ExtrasHub`, which the extra sensors (:mod:`..entities.extras`)
follow. Service actions publish their answers to the hub too, so a fetch by
hand shows there. The vehicle image's disk cache (:func:`async_store_image`)
is shared by the image platform and the service action.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.storage import STORAGE_DIR
from homeassistant.util import dt as dt_util

from ..api import ApiError, CarDataConnectionError
from ..api.rest import MAX_PAGES
from ..api.vin import VIN_RE
from ..common.listeners import KeyedListeners
from ..common.settings import OPT_CHARGING_HISTORY, OPT_TYRE_DIAGNOSIS, extra_enabled
from ..const import CONF_TAKEOVER_SHORT_HISTORY, DOMAIN, LOGGER
from .bootstrap import RestContext
from .quota import QuotaPlanner, QuotaSpentError
from .quota_policy import CallKind

CHARGING: Final = "charging_history"
TYRES: Final = "tyre_diagnosis"
HISTORY_DAYS: Final = 30
CHECK_EVERY: Final = timedelta(minutes=30)
IMAGE: Final = "image"
DEFAULT_IMAGE_TYPE: Final = "image/png"
IMAGE_EXTENSIONS: Final = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}

type Listener = Callable[[], None]


class ExtrasHub:
    """Latest extra data per (kind, VIN) of one entry, and their listeners."""

    def __init__(self) -> None:
        """Start empty."""
        self.data: dict[tuple[str, str], Any] = {}
        self.fetched_at: dict[tuple[str, str], datetime] = {}
        self._listeners: KeyedListeners[tuple[str, str]] = KeyedListeners()

    def publish(self, kind: str, vin: str, data: Any) -> None:
        """Keep new data and wake its entity."""
        key = (kind, vin)
        self.data[key] = data
        self.fetched_at[key] = dt_util.utcnow()
        self._listeners.notify(key)

    @callback
    def listen(self, kind: str, vin: str, listener: Listener) -> CALLBACK_TYPE:
        """Call ``listener`` when data of (kind, VIN) arrives."""
        return self._listeners.add((kind, vin), listener)


def image_content_type(data: bytes) -> str | None:
    """Return the image type the bytes start with, or ``None`` if unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_path(
    hass: HomeAssistant,
    planner: QuotaPlanner,
    vin: str,
    content_type: str = DEFAULT_IMAGE_TYPE,
) -> Path:
    """Return where a picture of this type is cached (named by a masked VIN)."""
    extension = IMAGE_EXTENSIONS.get(content_type, "png")
    return Path(
        hass.config.path(STORAGE_DIR, DOMAIN, f"{planner.vehicle_ref(vin)}.{extension}")
    )


def image_paths(hass: HomeAssistant, planner: QuotaPlanner, vin: str) -> list[Path]:
    """Return every path a picture of the vehicle may be cached under."""
    return [image_path(hass, planner, vin, kind) for kind in IMAGE_EXTENSIONS]


async def async_store_image(
    hass: HomeAssistant, planner: QuotaPlanner, hub: ExtrasHub, vin: str, image: bytes
) -> str | None:
    """Cache a vehicle image on disk and wake the image entity.

    Returns the image's content type; bytes of no known image type are not
    cached (``None``).
    """
    content_type = image_content_type(image)
    if content_type is None:
        LOGGER.debug("Vehicle image of an unknown type not kept")
        return None
    path = image_path(hass, planner, vin, content_type)
    others = [other for other in image_paths(hass, planner, vin) if other != path]

    def _write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(image)
        for other in others:  # a picture of another type is out of date
            other.unlink(missing_ok=True)

    await hass.async_add_executor_job(_write)
    hub.publish(IMAGE, vin, content_type)
    return content_type


async def async_fetch_daily_extras(
    rest: RestContext, hub: ExtrasHub, options: Mapping[str, Any]
) -> int:
    """Fetch the enabled extras that are due (at most once a day each).

    On the day of the switch from the other integration, the charging
    history is one page (its newest sessions) per vehicle: the first start
    already reads every car once, and the full 30 days come with the next
    day's fetch.
    """
    planner, api = rest.planner, rest.api
    first_after_switch = rest.entry.data.get(CONF_TAKEOVER_SHORT_HISTORY) == (
        dt_util.utcnow().date().isoformat()
    )
    coordinator = rest.coordinator
    vins = [
        v for v in coordinator.vehicles if VIN_RE.match(v) and not coordinator.shared(v)
    ]
    fetched = 0
    for vin in vins:
        for kind, option in (
            (CHARGING, OPT_CHARGING_HISTORY),
            (TYRES, OPT_TYRE_DIAGNOSIS),
        ):
            if not extra_enabled(options, option) or not planner.extra_due(kind, vin):
                continue
            planner.mark_extra(kind, vin)
            try:
                if kind == CHARGING:
                    end = dt_util.utcnow()
                    start = end - timedelta(days=HISTORY_DAYS)
                    # Each page is one call: ask for no more than fit.
                    pages = max(1, min(MAX_PAGES, planner.remaining(CallKind.EXTRA)))
                    if first_after_switch:
                        pages = 1
                    data: Any = await planner.async_call(
                        CallKind.EXTRA,
                        partial(
                            api.get_charging_history_pages,
                            vin,
                            start,
                            end,
                            max_pages=pages,
                        ),
                        calls=pages,
                    )
                else:
                    data = await planner.async_call(
                        CallKind.EXTRA, partial(api.get_tyre_diagnosis, vin)
                    )
            except QuotaSpentError:
                return fetched
            except (ApiError, CarDataConnectionError) as err:
                LOGGER.debug("Daily %s fetch failed: %s", kind, type(err).__name__)
                continue
            hub.publish(kind, vin, data)
            fetched += 1
    return fetched
