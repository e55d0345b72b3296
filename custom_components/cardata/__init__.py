"""The BMW CarData integration.

Set-up order: tokens (from the entry; refreshed only when due, so a restart
costs no REST call) -> REST client and quota planner -> coordinator ->
platforms -> token refresher and stream as entry-owned background tasks.
Unload stops the stream and the refresher before it returns.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import CarDataApi, CarDataConnectionError, Endpoints, OAuthClient
from .const import CONF_CLIENT_ID, DOMAIN
from .coordinator import CarDataCoordinator
from .migration import async_migrate_entry as _async_migrate_entry
from .quota import QuotaPlanner
from .runtime import CarDataConfigEntry, CarDataRuntimeData
from .settings import poll_settings
from .stream_owner import StreamOwner
from .token_manager import TokenManager

PLATFORMS: list[Platform] = [Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: CarDataConfigEntry) -> bool:
    """Set up BMW CarData from a config entry."""
    endpoints = Endpoints.from_dict(entry.data)
    session = async_get_clientsession(hass)
    oauth = OAuthClient(session, endpoints)
    tokens = TokenManager(hass, entry, oauth, session, endpoints.api_url)
    try:
        await tokens.async_setup()  # ConfigEntryAuthFailed starts reauth
    except CarDataConnectionError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="cannot_connect"
        ) from err

    quota = QuotaPlanner(hass, tokens.gcid, poll_settings(entry.options))
    await quota.async_load()
    api = CarDataApi(tokens, on_call=quota.record_call)
    coordinator = CarDataCoordinator(hass, entry)
    stream = StreamOwner(hass, entry, endpoints, tokens, coordinator)
    entry.runtime_data = CarDataRuntimeData(
        client_id=entry.data[CONF_CLIENT_ID],
        endpoints=endpoints,
        oauth=oauth,
        tokens=tokens,
        api=api,
        stream=stream,
        coordinator=coordinator,
        quota=quota,
    )

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    tokens.async_start()
    stream.async_start()
    # REST side hook: the bootstrap (mappings, basic data, container) and the
    # polling fallback start here, as entry background tasks.
    return True


async def async_unload_entry(hass: HomeAssistant, entry: CarDataConfigEntry) -> bool:
    """Unload a config entry; nothing of it keeps running."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        runtime = entry.runtime_data
        await runtime.stream.async_stop()
        await runtime.tokens.async_stop()
        if runtime.quota is not None:
            await runtime.quota.async_shutdown()
    return unloaded


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Take over entries of kvanbiesen/bmw-cardata-ha (VERSION 1)."""
    return await _async_migrate_entry(hass, entry)
