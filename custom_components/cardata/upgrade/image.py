"""The vehicle picture kvanbiesen/bmw-cardata-ha already downloaded.

It kept each car's picture as ``www/community/cardata/<VIN>.png`` in the
configuration folder. The image entity taken over from it reads that file
instead of asking BMW again (one REST call per car saved on the first start
after the switch); the file is left where it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from homeassistant.core import HomeAssistant

from ..api.vin import VIN_RE

PREVIOUS_IMAGES: Final = "www/community/cardata"
MAX_IMAGE_BYTES: Final = 10 * 1024 * 1024


def _read(path: Path) -> bytes | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_IMAGE_BYTES:
            return None
        return path.read_bytes()
    except OSError:
        return None


async def async_previous_image(hass: HomeAssistant, vin: str) -> bytes | None:
    """The picture of ``vin`` the previous integration saved, if any."""
    if not VIN_RE.match(vin):
        return None
    path = Path(hass.config.path(PREVIOUS_IMAGES, f"{vin}.png"))
    return await hass.async_add_executor_job(_read, path)
