"""In-place upgrade of kvanbiesen/bmw-cardata-ha config entries.

Its entries are VERSION 1 with the client id as unique id and the token
answer stored flat in the entry data. They become ours (VERSION 2, unique id
the GCID, tokens as a TokenSet) without a new login. Entity unique ids
``{VIN}_{descriptor}``, the tracker's ``{VIN}_device_tracker`` and device
identifiers ``(cardata, VIN)`` are the same in both integrations and stay
untouched, so the entities (entity ids, history) are adopted as they are.

Its sensors saved their last state as a plain state; ours read such a state
back through the catalogue when no sensor data was saved (see sensor.py), so
the adopted sensors show their last value until the car speaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .api import PRODUCTION, TokenSet, normalize_client_id
from .const import (
    CONF_CLIENT_ID,
    CONF_CONTAINER_ID,
    CONF_GCID,
    CONF_TOKENS,
    DEFAULT_TITLE,
    DOMAIN,
    LOGGER,
)

TARGET_VERSION = 2
TARGET_MINOR_VERSION = 1

_K_CONTAINER_KEY = "hv_container_id"
_K_TOKEN_KEYS = ("access_token", "refresh_token", "id_token")


def _expires_at(data: Mapping[str, Any]) -> datetime:
    """Return when K's stored access/id token expires (epoch if unknown)."""
    try:
        received = float(data["received_at"])
        lifetime = float(data["expires_in"])
    except KeyError, TypeError, ValueError:
        # Unknown: treat as expired, the token manager refreshes at set-up.
        return datetime.fromtimestamp(0, UTC)
    return datetime.fromtimestamp(received, UTC) + timedelta(seconds=lifetime)


def convert_v1_data(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return our entry data for K's entry data, or None if it cannot be used."""
    gcid = data.get("gcid")
    client_id = data.get("client_id")
    if not isinstance(gcid, str) or not gcid or not isinstance(client_id, str):
        return None
    if not all(isinstance(data.get(key), str) for key in _K_TOKEN_KEYS):
        return None
    tokens = TokenSet(
        access_token=data["access_token"],
        id_token=data["id_token"],
        refresh_token=data["refresh_token"],
        expires_at=_expires_at(data),
        scope=str(data.get("scope") or ""),
        gcid=gcid,
        token_type=str(data.get("token_type") or "Bearer"),
    )
    new: dict[str, Any] = {
        CONF_CLIENT_ID: normalize_client_id(client_id),
        CONF_GCID: gcid,
        CONF_TOKENS: tokens.to_dict(),
        **PRODUCTION.to_dict(),
    }
    container = data.get(_K_CONTAINER_KEY)
    if isinstance(container, str) and container:
        new[CONF_CONTAINER_ID] = container
    return new


def _friendly_title(entry: ConfigEntry, data: Mapping[str, Any]) -> str:
    """Keep the title unless it shows the client id or the GCID."""
    secrets = [str(data.get(key) or "") for key in ("client_id", "gcid")]
    title = entry.title or DEFAULT_TITLE
    if any(secret and secret.lower() in title.lower() for secret in secrets):
        return DEFAULT_TITLE
    return title


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Migrate an entry to the current version; False if it cannot be."""
    if entry.version > TARGET_VERSION:
        # Written by a newer version of this integration: leave it alone.
        return False
    if entry.version == TARGET_VERSION:
        return True
    new = convert_v1_data(entry.data)
    if new is None:
        LOGGER.error(
            "Cannot take over this entry of the previous integration (no usable"
            " tokens); remove it and add BMW CarData again"
        )
        return False
    gcid = new[CONF_GCID]
    for other in hass.config_entries.async_entries(DOMAIN):
        if other.entry_id != entry.entry_id and other.unique_id == gcid:
            LOGGER.error(
                "This account is already set up in another entry; remove the"
                " old entry of the previous integration"
            )
            return False
    hass.config_entries.async_update_entry(
        entry,
        data=new,
        options={},
        title=_friendly_title(entry, entry.data),
        unique_id=gcid,
        version=TARGET_VERSION,
        minor_version=TARGET_MINOR_VERSION,
    )
    LOGGER.info("Took over the entry of the previous integration (no new login)")
    return True
