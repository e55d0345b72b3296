"""Repairs: a vehicle that left the account is raised, and removed on confirm."""

from __future__ import annotations

from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.cardata.const import DOMAIN

from .conftest import API
from .vehicles import BEV, ICE, PHEV, mapping


async def test_vehicle_removed_from_the_account(
    hass: HomeAssistant,
    *,
    setup_integration,
    aioclient_mock: AiohttpClientMocker,
    issue_registry: ir.IssueRegistry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    entry = await setup_integration()
    assert await async_setup_component(hass, "repairs", {})
    assert hass.states.get("sensor.mini_0003_odometer") is not None
    # The owner reads the mappings: the MINI is no longer on the account.
    aioclient_mock.get(
        f"{API}/customers/vehicles/mappings", json=[mapping(BEV), mapping(PHEV)]
    )
    response = await hass.services.async_call(
        DOMAIN,
        "fetch_vehicle_mappings",
        {"config_entry_id": entry.entry_id},
        blocking=True,
        return_response=True,
    )
    assert [row["vin"] for row in response["mappings"]] == [BEV.vin, PHEV.vin]

    (issue,) = [i for i in issue_registry.issues.values() if i.domain == DOMAIN]
    assert issue.translation_key == "vehicle_removed"
    assert issue.is_fixable
    assert issue.translation_placeholders == {"vehicle": f"…{ICE.vin[-7:]}"}
    assert ICE.vin not in str(issue.data)  # only a hash is kept with the issue

    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"] == {"vehicle": f"…{ICE.vin[-7:]}"}
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    # Fixed: the issue is gone, so are the MINI and its entities; the entry
    # reloaded with the two cars that remain, and no other call was made.
    assert not [i for i in issue_registry.issues.values() if i.domain == DOMAIN]
    assert entry.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    vins = {
        ident for d in devices for domain, ident in d.identifiers if domain == DOMAIN
    }
    assert ICE.vin not in vins
    assert {BEV.vin, PHEV.vin} <= vins
    unique_ids = {
        e.unique_id
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    }
    assert not [u for u in unique_ids if u.startswith(ICE.vin)]
    assert hass.states.get("sensor.mini_0003_odometer") is None
    assert hass.states.get("sensor.bmw_0001_odometer").state == "12345.0"
    assert aioclient_mock.call_count == 1
