"""The BMW CarData integration.

Set-up order: tokens and their refresher (from the entry; a due refresh runs
in the background, so a slow login service never holds up Home Assistant's
start, and a restart costs no REST call) -> REST client and quota planner ->
coordinator -> platforms (from restored state) -> stream as an entry-owned
background task, waiting for the token.
Unload stops the stream and the refresher before it returns.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import CarDataApi, Endpoints, OAuthClient
from .auth.token_manager import TokenManager
from .common.issues import async_delete_entry_issues
from .common.settings import poll_settings, sharing_settings
from .const import CONF_CLIENT_ID, DOMAIN
from .data import value_store
from .data.coordinator import CarDataCoordinator
from .data.value_store import ValueStore
from .frontend import async_register_card, async_unregister_card
from .prediction.hub import PredictionHub, async_remove_store as async_remove_learning
from .rest.bootstrap import VehicleRecord
from .rest.quota import QuotaPlanner
from .runtime.data import CarDataConfigEntry, CarDataRuntimeData
from .services import async_setup_services
from .stream.owner import StreamOwner
from .stream.sharing import StreamSharing
from .upgrade.followup import async_delete_followup_issues, async_schedule_followup
from .upgrade.migration import async_migrate_entry as _async_migrate_entry
from .vehicles import gate as gate
from .vehicles.polling import async_setup_rest

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.DEVICE_TRACKER,
    Platform.IMAGE,
    Platform.NUMBER,
    Platform.SENSOR,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Register the service actions (once, for every account)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: CarDataConfigEntry) -> bool:
    """Set up BMW CarData from a config entry."""
    endpoints = Endpoints.from_dict(entry.data)
    session = async_get_clientsession(hass)
    oauth = OAuthClient(session, endpoints)
    tokens = TokenManager(hass, entry, oauth, session, endpoints.api_url)
    tokens.async_setup()
    # The refresher first: a due refresh starts now; the platforms set up
    # from the restored state while it runs; the stream and the REST calls
    # wait for its token. A refused refresh starts one reauth from there.
    tokens.async_start()

    quota = QuotaPlanner(hass, tokens.gcid, poll_settings(entry.options))
    await quota.async_load()
    api = CarDataApi(tokens, on_call=quota.record_call)
    coordinator = CarDataCoordinator(hass, entry)
    # Before the platforms: phantom vehicles go, the last values come back.
    vin_gate = gate.VinGate(hass, entry, coordinator)
    await vin_gate.async_load()
    entry.async_on_unload(vin_gate.async_flush)
    values = ValueStore(hass, entry.entry_id, coordinator)
    await values.async_restore()
    values.async_follow()
    entry.async_on_unload(values.async_flush)
    stream = StreamOwner(hass, entry, endpoints, tokens, coordinator)
    stream.on_message = vin_gate.async_route
    entry.runtime_data = CarDataRuntimeData(
        client_id=entry.data[CONF_CLIENT_ID],
        endpoints=endpoints,
        oauth=oauth,
        tokens=tokens,
        api=api,
        stream=stream,
        coordinator=coordinator,
        quota=quota,
        vin_gate=vin_gate,
        value_store=values,
    )
    prediction = PredictionHub(hass, entry)
    await prediction.async_load()
    entry.runtime_data.prediction = prediction
    prediction.async_start()

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    if (share := sharing_settings(entry.options)) is not None:
        entry.runtime_data.sharing = StreamSharing(hass, entry, share)
        stream.stream.on_payload = entry.runtime_data.sharing.offer
        entry.runtime_data.sharing.async_start()
    stream.async_start()
    vin_gate.async_start()
    # REST side: first set-up calls (once per entry), polls while the stream
    # is silent, repair issues; its tasks and timers end with the entry.
    await async_setup_rest(hass, entry)
    async_schedule_followup(hass, entry)  # once, after taking over
    await async_register_card(hass)  # the vehicle card, on every dashboard
    return True


async def async_unload_entry(hass: HomeAssistant, entry: CarDataConfigEntry) -> bool:
    """Unload a config entry; nothing of it keeps running."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        async_unregister_card(hass, entry.entry_id)
        runtime = entry.runtime_data
        await runtime.stream.async_stop()
        if runtime.sharing is not None:
            await runtime.sharing.async_stop()
        await runtime.tokens.async_stop()
        if runtime.quota is not None:  # pragma: no branch - always set here
            await runtime.quota.async_shutdown()
        if runtime.prediction is not None:  # pragma: no branch - always set here
            await runtime.prediction.async_shutdown()
    return unloaded


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: CarDataConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the owner remove a vehicle that left the account.

    The account's own device stays. The entry reloads so no entity of the
    vehicle lingers; a vehicle that sends data again comes back by itself.
    """
    if (DOMAIN, entry.entry_id) in device.identifiers:
        return False
    hass.config_entries.async_schedule_reload(entry.entry_id)
    return True


async def async_remove_entry(hass: HomeAssistant, entry: CarDataConfigEntry) -> None:
    """Delete what this entry stored of its own, and its repair issues.

    The account's call log stays: BMW's daily quota outlives the entry, and a
    re-added account must not believe it has 50 fresh calls.
    """
    await VehicleRecord(hass, entry.entry_id).async_remove()
    await async_remove_learning(hass, entry.entry_id)
    await gate.async_remove_store(hass, entry.entry_id)
    await value_store.async_remove_store(hass, entry.entry_id)
    async_delete_entry_issues(hass, entry.entry_id)
    async_delete_followup_issues(hass, entry.entry_id)


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Take over entries of kvanbiesen/bmw-cardata-ha (VERSION 1)."""
    return await _async_migrate_entry(hass, entry)
