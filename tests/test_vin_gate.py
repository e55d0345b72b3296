"""Routing by the account's VINs: foreign and unknown cars create nothing.

(A car shared with the account that streams: tests/test_shared_cars.py.)

Every message goes over the simulator's broker, exactly as BMW sends it.
"""

from __future__ import annotations

import json
from typing import Any

from homeassistant.config_entries import ConfigEntryDisabler
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata.api import MessageParser, StreamState
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.data.value_store import vin_key
from custom_components.cardata.vehicles.gate import (
    HELD_PER_VIN,
    HELD_VINS,
    KEYS_KEPT,
    VinGate,
)
from tests.entity_helpers import SOC, make_entry, setup_entry
from tests.rest_helpers import sim_calls
from tests.simulator import GCID_A, VIN_BEV, VIN_ID6, VIN_PHEV, VIN_SECONDARY
from tests.waiting import wait_for

UNMAPPED_VIN = "WBY00000000UNK001"


def _devices(hass: HomeAssistant, entry: Any) -> set[str]:
    return {
        ident
        for device in dr.async_entries_for_config_entry(
            dr.async_get(hass), entry.entry_id
        )
        for domain, ident in device.identifiers
        if domain == DOMAIN and ident != entry.entry_id
    }


def _payload(sim: Any, vin: str, values: dict[str, Any]) -> bytes:
    return json.dumps(sim.message(vin, GCID_A, values)).encode()


def _gate(entry: Any) -> VinGate:
    gate = entry.runtime_data.vin_gate
    assert gate is not None
    return gate  # type: ignore[no-any-return]


async def test_foreign_and_unknown_vins_create_nothing(
    hass: HomeAssistant, simulator
) -> None:
    entry = make_entry(simulator)
    await setup_entry(hass, entry)
    before = _devices(hass, entry)
    calls = sim_calls(simulator)
    gate = _gate(entry)
    # Another account's car, then a car nobody has, on our account's topics.
    for vin in (VIN_ID6, UNMAPPED_VIN, VIN_ID6, UNMAPPED_VIN):
        await simulator.publish_raw(GCID_A, vin, _payload(simulator, vin, {SOC: 5}))
    await wait_for(lambda: gate.dropped["unconfirmed_vehicle"] == 4)
    # The gate read BMW's mappings for them (and took them in the same step).
    await wait_for(lambda: gate.read_at is not None)
    await hass.async_block_till_done()
    assert _devices(hass, entry) == before
    assert VIN_ID6 not in entry.runtime_data.coordinator.vehicles
    # One look at BMW's mappings, for all of them, then none for a day.
    assert sim_calls(simulator) == calls + 1
    await simulator.publish_raw(
        GCID_A, UNMAPPED_VIN, _payload(simulator, UNMAPPED_VIN, {SOC: 6})
    )
    await wait_for(lambda: gate.dropped["unconfirmed_vehicle"] == 5)
    await hass.async_block_till_done()
    assert sim_calls(simulator) == calls + 1
    assert _devices(hass, entry) == before


async def test_a_body_naming_another_car_is_dropped(
    hass: HomeAssistant, simulator
) -> None:
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    await simulator.publish(VIN_BEV, {SOC: 61})
    await wait_for(lambda: getattr(coordinator.get(VIN_BEV, SOC), "value", 0) == 61)
    parser = entry.runtime_data.stream.stream.parser
    await simulator.publish_raw(GCID_A, VIN_BEV, _payload(simulator, VIN_ID6, {SOC: 3}))
    await wait_for(lambda: parser.dropped["vin_mismatch"] == 1)
    await hass.async_block_till_done()
    assert coordinator.get(VIN_BEV, SOC).value == 61
    assert VIN_ID6 not in _devices(hass, entry)


async def test_a_car_added_to_the_account_is_confirmed_and_kept(
    hass: HomeAssistant, simulator
) -> None:
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    simulator.add_vehicle(GCID_A, UNMAPPED_VIN, "BEV")
    await simulator.publish(UNMAPPED_VIN, {SOC: 12})
    await wait_for(lambda: coordinator.get(UNMAPPED_VIN, SOC) is not None)
    await hass.async_block_till_done()
    assert UNMAPPED_VIN in _devices(hass, entry)
    # The confirmation is kept: after a restart the car passes without a call.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    calls = sim_calls(simulator)
    coordinator = entry.runtime_data.coordinator
    stream = entry.runtime_data.stream
    await wait_for(lambda: stream.state is StreamState.CONNECTED)
    await simulator.publish(UNMAPPED_VIN, {SOC: 13})
    await wait_for(
        lambda: getattr(coordinator.get(UNMAPPED_VIN, SOC), "value", 0) == 13
    )
    assert sim_calls(simulator) == calls


def _phantoms(hass: HomeAssistant, entry: Any) -> list[str]:
    """Devices and entities an earlier version created from foreign VINs."""
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    created = []
    for number, vin in enumerate((VIN_ID6, VIN_SECONDARY, VIN_BEV)):
        device = devices.async_get_or_create(
            config_entry_id=entry.entry_id, identifiers={(DOMAIN, vin)}
        )
        created.append(
            entities.async_get_or_create(
                "sensor",
                DOMAIN,
                f"{vin}_{SOC}",
                config_entry=entry,
                device_id=device.id,
                # Entity ids as earlier versions made them (device name, not
                # the VIN: the log guard reads the registry's own lines).
                suggested_object_id=f"bmw_{number}_soc",
            ).entity_id
        )
    return created


async def test_phantom_devices_are_removed_at_the_first_set_up(
    hass: HomeAssistant, simulator
) -> None:
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    foreign, secondary, own = _phantoms(hass, entry)
    await setup_entry(hass, entry)
    await hass.async_block_till_done()
    assert VIN_ID6 not in _devices(hass, entry)
    # A car shared with the account is one of its cars now (shown, shared).
    assert VIN_SECONDARY in _devices(hass, entry)
    assert VIN_BEV in _devices(hass, entry)
    registry = er.async_get(hass)
    assert registry.async_get(foreign) is None
    assert registry.async_get(secondary) is not None
    assert registry.async_get(own) is not None
    assert hass.states.get(foreign) is None


async def test_a_phantom_another_entry_also_has_stays_for_it(
    hass: HomeAssistant, simulator
) -> None:
    """Only our entry lets go of the car; the other entry keeps its device.

    Before Home Assistant 2026.10 both entries share one device (only our entry
    leaves it); since then each has its own (only ours is removed).
    """
    other = MockConfigEntry(
        domain=DOMAIN, title="other", disabled_by=ConfigEntryDisabler.USER
    )
    other.add_to_hass(hass)
    kept = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={(DOMAIN, VIN_ID6)}
    )
    kept_entity = er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        f"other_{VIN_ID6}_{SOC}",
        config_entry=other,
        device_id=kept.id,
        suggested_object_id="other_soc",
    )
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    foreign, _secondary, _own = _phantoms(hass, entry)
    await setup_entry(hass, entry)
    await hass.async_block_till_done()
    assert VIN_ID6 not in _devices(hass, entry)
    assert er.async_get(hass).async_get(foreign) is None
    assert VIN_ID6 in _devices(hass, other)
    assert er.async_get(hass).async_get(kept_entity.entity_id) is not None


async def test_phantoms_of_an_upgraded_entry_go_after_one_read(
    hass: HomeAssistant, simulator, hass_storage: dict[str, Any]
) -> None:
    """An entry whose first set-up ran under an earlier version."""
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    key = f"cardata.vehicles.{entry.entry_id}"
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {"done": True},
    }
    _phantoms(hass, entry)
    await setup_entry(hass, entry)
    gate = _gate(entry)
    await wait_for(lambda: gate.read_at is not None)
    await hass.async_block_till_done()
    assert sim_calls(simulator) == 1  # the mappings, nothing else
    # The foreign car's device goes; the shared car's stays (it is shown).
    assert _devices(hass, entry) == {VIN_BEV, VIN_SECONDARY}
    assert set(entry.runtime_data.coordinator.vehicles) == {VIN_BEV, VIN_SECONDARY}
    # Known now: a restart removes nothing more and calls nothing.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _gate(entry).attempted_at is None  # no read even started
    assert sim_calls(simulator) == 1
    assert _devices(hass, entry) == {VIN_BEV, VIN_SECONDARY}
    # Settled, so the simulator never stops under a connection in flight.
    stream = entry.runtime_data.stream
    await wait_for(lambda: stream.state is StreamState.CONNECTED)


async def test_no_read_while_the_quota_is_spent(hass: HomeAssistant, simulator) -> None:
    entry = make_entry(simulator)
    await setup_entry(hass, entry)
    gate = _gate(entry)
    planner = entry.runtime_data.quota
    assert planner is not None
    planner.block(None, "CU-429")
    calls = sim_calls(simulator)
    await simulator.publish_raw(
        GCID_A, UNMAPPED_VIN, _payload(simulator, UNMAPPED_VIN, {SOC: 5})
    )
    await wait_for(lambda: gate.dropped["unconfirmed_vehicle"] == 1)
    # The gate tried; the planner refused before any call.
    await wait_for(lambda: gate.attempted_at is not None)
    await hass.async_block_till_done()
    assert sim_calls(simulator) == calls
    assert gate.read_at is None
    assert UNMAPPED_VIN in gate.held
    assert UNMAPPED_VIN not in _devices(hass, entry)
    # What is held stays bounded: a few cars, a few messages each.
    for number in range(HELD_VINS + 2):
        vin = f"WBY00000000UNK{number:03d}"
        for _ in range(HELD_PER_VIN + 1):
            await simulator.publish_raw(GCID_A, vin, _payload(simulator, vin, {SOC: 1}))
    expected = 1 + (HELD_VINS + 2) * (HELD_PER_VIN + 1)
    await wait_for(lambda: gate.dropped["unconfirmed_vehicle"] == expected)
    assert len(gate.held) == HELD_VINS
    assert all(len(queue) <= HELD_PER_VIN for queue in gate.held.values())


async def test_a_confirmed_car_gone_from_the_account_is_left_to_the_repair(
    hass: HomeAssistant, simulator
) -> None:
    """Once confirmed, now unmapped: the gate keeps it; vehicle_sync asks."""
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    gate = _gate(entry)
    assert VIN_PHEV in _devices(hass, entry)
    # The PHEV is sold; a message of an unknown car makes the gate read again.
    simulator.accounts[GCID_A].mappings.pop(VIN_PHEV)
    await simulator.publish_raw(
        GCID_A, VIN_ID6, _payload(simulator, VIN_ID6, {SOC: 12})
    )
    await wait_for(lambda: gate.read_at is not None)
    await hass.async_block_till_done()
    assert gate.primary is not None
    assert vin_key(entry.entry_id, VIN_PHEV) not in gate.primary
    assert VIN_PHEV in _devices(hass, entry)
    assert VIN_PHEV in coordinator.vehicles
    # vehicle_sync raises the fixable notice; the owner decides.
    assert await entry.runtime_data.poller.sync.async_check()
    issues = [
        issue
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.translation_key == "vehicle_removed"
    ]
    assert len(issues) == 1
    assert issues[0].is_fixable
    # A restart keeps it too: the confirmation is stored.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert VIN_PHEV in _devices(hass, entry)
    assert VIN_PHEV in entry.runtime_data.coordinator.vehicles


async def test_routing_holds_past_the_hashes_the_gate_remembers(
    hass: HomeAssistant, simulator
) -> None:
    """More VINs than the gate keeps hashes of: each is still routed by its own."""
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    gate = _gate(entry)
    parser = MessageParser()

    def route(vin: str, soc: int) -> None:
        message = parser.parse(_payload(simulator, vin, {SOC: soc}), vin)
        assert message is not None
        gate.async_route(message)

    strangers = [f"WBY00000000UNK{i:03d}" for i in range(100, 100 + KEYS_KEPT + 5)]
    for vin in strangers:
        route(vin, 5)
    route(VIN_SECONDARY, 6)
    route(VIN_BEV, 47)
    route(VIN_BEV, 48)  # a second time: a remembered hash
    await hass.async_block_till_done()
    assert gate.dropped["unconfirmed_vehicle"] == len(strangers)
    # A car shared with the account (SECONDARY) is shown from what it sends.
    assert coordinator.get(VIN_SECONDARY, SOC).value == 6
    assert coordinator.get(VIN_BEV, SOC).value == 48
    assert not set(strangers) & set(coordinator.vehicles)
