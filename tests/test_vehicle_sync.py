"""The account's vehicles follow BMW's mappings: removed, shared, new ones.

Against the simulator through Home Assistant: the mappings are read again
only when it is due (once a day at most, a vehicle silent for days); a
vehicle no longer mapped gets a repair issue whose fix removes it with its
entities; a vehicle that first shows on the stream gets its basicData once;
the shared-vehicle issue is kept over a restart.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.util import dt as dt_util

from custom_components.cardata.common.issues import issue_id, vin_suffix
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.rest.quota_policy import CallKind
from custom_components.cardata.vehicles.sync import (
    CHECK_EVERY,
    SILENT_FOR,
    async_fetch_basic_data,
)
from tests.entity_helpers import device_for
from tests.rest_helpers import (
    make_entry,
    planner,
    setup_rest,
    sim_calls,
    start_fix_flow,
)
from tests.simulator import GCID_A, VIN_BEV, VIN_PHEV
from tests.waiting import wait_for

NEW_VIN = "WBA00000000NEW001"


def _our_issues(hass: HomeAssistant, key: str) -> list[ir.IssueEntry]:
    return [
        issue
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.translation_key == key
    ]


def _make_silent(entry, days: timedelta = SILENT_FOR) -> None:
    """Every vehicle last heard (and the check last run) long ago."""
    sync = entry.runtime_data.poller.sync
    past = dt_util.utcnow() - days - timedelta(hours=1)
    sync.started_at = past
    sync.record.mappings_checked_at = (
        dt_util.utcnow() - CHECK_EVERY - timedelta(hours=1)
    )
    for vehicle in entry.runtime_data.coordinator.vehicles.values():
        vehicle.last_received_at = past


async def test_mappings_read_again_only_when_due(
    hass: HomeAssistant, simulator
) -> None:
    """Not while the cars talk or within a day of the last read; then one call."""
    entry = await setup_rest(hass, make_entry(simulator))
    sync = entry.runtime_data.poller.sync
    now = dt_util.utcnow()
    # The first set-up read them just now, and the cars spoke.
    assert sync.record.mappings_checked_at is not None
    assert not sync.due(now)
    _make_silent(entry)
    assert sync.due(now)
    # Read less than a day ago: not again.
    sync.record.mappings_checked_at = now - timedelta(hours=23)
    assert not sync.due(now)
    # A car that spoke recently does not make the check due.
    _make_silent(entry)
    entry.runtime_data.coordinator.vehicles[VIN_BEV].last_received_at = now
    entry.runtime_data.coordinator.vehicles[VIN_PHEV].last_received_at = now
    assert not sync.due(now)

    _make_silent(entry)
    calls = sim_calls(simulator)
    assert await sync.async_check()
    assert sim_calls(simulator) == calls + 1
    assert not sync.due(dt_util.utcnow())
    assert not _our_issues(hass, "vehicle_removed")


async def test_silence_is_counted_across_restarts(
    hass: HomeAssistant, simulator
) -> None:
    """Restarting Home Assistant every day must not hide a car gone silent.

    The clock runs from when the car last spoke (kept in the value store, its
    newest value counts) or, for a car never heard, from when the entry first
    watched it, not from the last start.
    """
    entry = await setup_rest(hass, make_entry(simulator))
    coordinator = entry.runtime_data.coordinator
    sync = entry.runtime_data.poller.sync
    now = dt_util.utcnow()
    long_ago = now - SILENT_FOR - timedelta(hours=1)
    lately = now - timedelta(hours=1)
    # The BEV spoke an hour ago (its newest value first in the file, older
    # ones after it); the PHEV never spoke, and the entry has watched it
    # since long ago.
    bev = coordinator.vehicles[VIN_BEV]
    rows = sorted(bev.descriptors)
    for index, name in enumerate(rows):
        state = bev.descriptors[name]
        bev.descriptors[name] = replace(
            state, received_at=lately if index == 0 else long_ago
        )
    coordinator.vehicles[VIN_PHEV].descriptors.clear()
    sync.record.mappings_checked_at = now - CHECK_EVERY - timedelta(hours=1)
    sync.record.watching_since = long_ago
    await sync.record.async_save()
    await entry.runtime_data.value_store.async_save_now()

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    sync = entry.runtime_data.poller.sync
    assert coordinator.vehicles[VIN_BEV].last_received_at == lately
    assert coordinator.vehicles[VIN_PHEV].last_received_at is None
    assert sync.record.watching_since == long_ago
    assert sync.due(dt_util.utcnow())


async def test_vehicle_no_longer_mapped_is_removed_after_the_notice(
    hass: HomeAssistant, simulator
) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    device = device_for(hass, entry, VIN_PHEV)
    entities = er.async_entries_for_device(er.async_get(hass), device.id)
    assert entities
    # The PHEV is sold: BMW no longer maps it to the account.
    simulator.accounts[GCID_A].mappings.pop(VIN_PHEV)
    _make_silent(entry)
    poller = entry.runtime_data.poller
    await poller.async_poll_due()
    assert poller.sync.checks == 1

    issues = _our_issues(hass, "vehicle_removed")
    assert len(issues) == 1
    issue = issues[0]
    assert issue.is_fixable
    assert issue.is_persistent
    assert issue.issue_id == issue_id(
        "vehicle_removed", entry.entry_id, vin_suffix(VIN_PHEV)
    )
    assert VIN_PHEV not in str(issue.data)
    assert issue.translation_placeholders == {"vehicle": f"…{VIN_PHEV[-7:]}"}
    # Nothing is removed before the owner confirms.
    assert dr.async_get(hass).async_get(device.id) is not None

    result = await start_fix_flow(hass, issue.issue_id)
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"] == {"vehicle": f"…{VIN_PHEV[-7:]}"}
    manager = hass.data["repairs"]["flow_manager"]
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert dr.async_get(hass).async_get(device.id) is None
    assert not [
        e
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.unique_id.startswith(VIN_PHEV)
    ]
    assert not _our_issues(hass, "vehicle_removed")
    # The entry reloaded without the vehicle; the other one stays.
    await wait_for(
        lambda: (
            entry.state is ConfigEntryState.LOADED
            and VIN_PHEV not in entry.runtime_data.coordinator.vehicles
        ),
    )
    assert device_for(hass, entry, VIN_BEV)


async def test_vehicle_back_on_the_account_clears_the_notice(
    hass: HomeAssistant, simulator
) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    mapping = simulator.accounts[GCID_A].mappings.pop(VIN_PHEV)
    sync = entry.runtime_data.poller.sync
    assert await sync.async_check()
    assert len(_our_issues(hass, "vehicle_removed")) == 1
    simulator.accounts[GCID_A].mappings[VIN_PHEV] = mapping
    assert await sync.async_check()
    assert not _our_issues(hass, "vehicle_removed")


async def test_new_vehicle_on_the_stream_gets_its_basic_data_once(
    hass: HomeAssistant, simulator
) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    calls = sim_calls(simulator)
    simulator.add_vehicle(GCID_A, NEW_VIN, "BEV")
    await simulator.publish(NEW_VIN, {"vehicle.vehicle.travelledDistance": 1200})
    coordinator = entry.runtime_data.coordinator

    def has_model() -> bool:
        vehicle = coordinator.vehicles.get(NEW_VIN)
        return vehicle is not None and "model" in vehicle.device_fields

    await wait_for(has_model)
    await hass.async_block_till_done()
    device = device_for(hass, entry, NEW_VIN)
    assert device.model == "iX xDrive50"
    assert device.manufacturer == "BMW"
    # The VIN gate read the mappings to confirm the car, then one basicData.
    assert sim_calls(simulator) == calls + 2
    # More data of the vehicle, a mappings read: no second basicData call.
    await simulator.publish(NEW_VIN, {"vehicle.vehicle.travelledDistance": 1300})
    await hass.async_block_till_done()
    assert await entry.runtime_data.poller.sync.async_check()
    assert sim_calls(simulator) == calls + 3  # the mappings only


async def test_shared_vehicle_notice_kept_over_a_restart(
    hass: HomeAssistant, simulator, hass_storage: dict[str, Any]
) -> None:
    """Found by the first set-up's mappings call; a restart calls nothing."""
    entry = await setup_rest(hass, make_entry(simulator))
    issues = _our_issues(hass, "secondary_user")
    assert len(issues) == 1
    assert issues[0].is_persistent
    # What Home Assistant writes to disk for the next start holds the issue
    # (its last write before it stops writes what is still pending).
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    saved = hass_storage[ir.STORAGE_KEY]["data"]
    assert any(
        item["issue_id"] == issues[0].issue_id and item["domain"] == DOMAIN
        for item in saved["issues"]
    )
    assert issues[0].translation_key in {
        item.get("translation_key") for item in saved["issues"]
    }
    # Restart: no call, the notice stays.
    calls = sim_calls(simulator)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await setup_rest(hass, entry)
    assert sim_calls(simulator) == calls
    assert len(_our_issues(hass, "secondary_user")) == 1


async def test_nothing_read_while_the_quota_is_spent(
    hass: HomeAssistant, simulator
) -> None:
    """A blocked budget: no mappings call and no basicData call; retried later."""
    entry = await setup_rest(hass, make_entry(simulator))
    planner(entry).block(600, "CU-429")
    calls = sim_calls(simulator)
    sync = entry.runtime_data.poller.sync
    checked = sync.record.mappings_checked_at
    assert not await sync.async_check()
    assert sync.record.mappings_checked_at == checked
    assert not await async_fetch_basic_data(
        entry.runtime_data.rest, VIN_BEV, CallKind.SCHEDULED
    )
    assert sim_calls(simulator) == calls
