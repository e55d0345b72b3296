"""The BMW CarData integration.

Each folder is one step of the way data flows: ``api`` speaks BMW's
protocol; ``auth`` keeps the tokens; ``stream`` and ``rest`` bring values in;
``vehicles`` decides which cars belong; ``data`` holds what each car sent;
``catalogue`` says what it means; ``entities`` and the platforms here show
it. ``runtime`` builds one entry's parts (see :mod:`.runtime.setup`).
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .auth.token_file import async_remove_store as async_remove_tokens
from .common.issues import async_delete_entry_issues
from .const import DOMAIN
from .coverage.hub import async_remove_store as async_remove_coverage
from .data import value_store
from .frontend import async_register_card, async_unregister_card
from .ledger.store import async_remove_store as async_remove_ledger
from .prediction.hub import async_remove_store as async_remove_learning
from .rest.bootstrap import VehicleRecord
from .runtime.data import CarDataConfigEntry
from .runtime.setup import async_build, async_start, async_stop
from .services import async_setup_services
from .trips.hub import async_remove_store as async_remove_trips
from .upgrade.followup import async_delete_followup_issues, async_schedule_followup
from .upgrade.migration import async_migrate_entry as _async_migrate_entry
from .vehicles import gate
from .vehicles.title import async_follow_cars

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.DEVICE_TRACKER,
    Platform.EVENT,
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
    entry.runtime_data = await async_build(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await async_start(entry.runtime_data)
    async_schedule_followup(hass, entry)  # once, after a takeover
    async_follow_cars(hass, entry)  # the entry's title: its cars' names
    await async_register_card(hass)  # the vehicle card, on every dashboard
    return True


async def async_unload_entry(hass: HomeAssistant, entry: CarDataConfigEntry) -> bool:
    """Unload a config entry; nothing of it keeps running."""
    # First take no more values: nothing announces an entity to a platform
    # that is being unloaded (it would outlive the entry).
    entry.runtime_data.coordinator.async_close()
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if not unloaded:
        entry.runtime_data.coordinator.closed = False
    if unloaded:
        async_unregister_card(hass, entry.entry_id)
        await async_stop(entry.runtime_data)
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
    await async_remove_trips(hass, entry.entry_id)
    await async_remove_coverage(hass, entry.entry_id)
    await async_remove_ledger(hass, entry.entry_id)
    await gate.async_remove_store(hass, entry.entry_id)
    await value_store.async_remove_store(hass, entry.entry_id)
    await async_remove_tokens(hass, entry.entry_id)
    async_delete_entry_issues(hass, entry.entry_id)
    async_delete_followup_issues(hass, entry.entry_id)


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Take over entries of kvanbiesen/bmw-cardata-ha (VERSION 1)."""
    return await _async_migrate_entry(hass, entry)
