"""The vehicle card: served by Home Assistant and loaded on every dashboard.

The files in ``frontend/www/`` are served under ``/cardata_frontend/`` and the
card module is added to the frontend's extra modules while at least one entry
is loaded, so neither a dashboard resource nor a YAML-mode line is needed.

The module URL carries ``?v=<manifest version>-<hash of the files>``; the card
loads its own modules with the same query, so a browser never mixes an old
cached copy with a new one after an update.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from homeassistant.components.frontend import (
    DATA_EXTRA_MODULE_URL,
    add_extra_js_url,
    remove_extra_js_url,
)
from homeassistant.components.http import (  # type: ignore[attr-defined]
    StaticPathConfig,  # in http.server since 2026.x, re-imported here
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN, LOGGER

FRONTEND_DIR = Path(__file__).parent / "www"
URL_BASE = "/cardata_frontend"
CARD_MODULE = "cardata-vehicle-card.js"

_STATIC_DONE: HassKey[bool] = HassKey(f"{DOMAIN}_frontend_static")
_MODULE_URL: HassKey[str] = HassKey(f"{DOMAIN}_frontend_module_url")


def files_digest(folder: Path = FRONTEND_DIR) -> str:
    """Short hash over the names and contents of the card's files."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.js")):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def module_url(version: str, digest: str) -> str:
    """URL of the card module, changing with the version and the content."""
    return f"{URL_BASE}/{CARD_MODULE}?v={version}-{digest}"


async def async_register_card(hass: HomeAssistant) -> None:
    """Serve the card and add it to the frontend (once, whatever the entries)."""
    if _MODULE_URL in hass.data:
        return
    if hass.http is None or DATA_EXTRA_MODULE_URL not in hass.data:
        LOGGER.debug("Frontend not loaded; the vehicle card is not registered")
        return
    if not hass.data.get(_STATIC_DONE):
        # aiohttp cannot remove a route: the path stays for the whole run.
        await hass.http.async_register_static_paths(
            [StaticPathConfig(URL_BASE, str(FRONTEND_DIR), cache_headers=True)]
        )
        hass.data[_STATIC_DONE] = True
    integration = await async_get_integration(hass, DOMAIN)
    digest = await hass.async_add_executor_job(files_digest, FRONTEND_DIR)
    url = module_url(str(integration.version or "0"), digest)
    add_extra_js_url(hass, url)
    hass.data[_MODULE_URL] = url


def async_unregister_card(hass: HomeAssistant, unloading_entry_id: str) -> None:
    """Take the card off the frontend when the last loaded entry unloads."""
    if _MODULE_URL not in hass.data:
        return
    if any(
        entry.state is ConfigEntryState.LOADED and entry.entry_id != unloading_entry_id
        for entry in hass.config_entries.async_entries(DOMAIN)
    ):
        return
    url = hass.data.pop(_MODULE_URL)
    if DATA_EXTRA_MODULE_URL in hass.data:  # pragma: no branch - frontend stays
        remove_extra_js_url(hass, url)
