"""A car shared with the account (SECONDARY mapping) that streams to it.

BMW lets such a car stream to the secondary user while its REST API refuses
it (CU-104). It appears from what it sends, marked as shared, and the
simulator's record of REST calls never names it; the owner can hide it with
Home Assistant's own switch, and the integration leaves that alone.
"""

from __future__ import annotations

from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.cardata.api import StreamState
from custom_components.cardata.const import DOMAIN
from tests.entity_helpers import (
    HOOD,
    LAT,
    LON,
    MILEAGE,
    SOC,
    device_for,
    entity_id,
    make_entry,
    setup_entry,
)
from tests.simulator import VIN_BEV, VIN_SECONDARY, Simulator
from tests.waiting import wait_for


def _calls_naming(sim: Simulator, vin: str) -> list[str]:
    return [path for _gcid, path, _status in sim.rest.calls if vin in path]


def _secondary_issues(hass: HomeAssistant) -> list[ir.IssueEntry]:
    return [
        issue
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN and issue.translation_key == "secondary_user"
    ]


async def test_a_shared_car_appears_from_its_stream_without_rest_calls(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    assert len(_secondary_issues(hass)) == 1  # not heard yet: explained
    calls = len(simulator.rest.calls)
    assert await simulator.publish(
        VIN_SECONDARY, {SOC: 64, MILEAGE: 4321, LAT: 48.1, LON: 11.5}
    )
    await wait_for(lambda: coordinator.get(VIN_SECONDARY, SOC) is not None)
    await hass.async_block_till_done()
    device = device_for(hass, entry, VIN_SECONDARY)
    assert device.name == f"BMW {VIN_SECONDARY[-4:]}"
    soc = hass.states.get(entity_id(hass, "sensor", f"{VIN_SECONDARY}_{SOC}"))
    assert soc is not None
    assert soc.state == "64"
    tracker = entity_id(hass, "device_tracker", f"{VIN_SECONDARY}_device_tracker")
    assert hass.states.get(tracker) is not None
    # The note on the device page: a translated diagnostic sensor.
    access = hass.states.get(entity_id(hass, "sensor", f"{VIN_SECONDARY}_access"))
    assert access is not None
    assert access.state == "shared"
    assert er.async_get(hass).async_get(access.entity_id).device_id == device.id  # type: ignore[union-attr]
    # Shown now: the "cannot show it" repair is gone.
    assert _secondary_issues(hass) == []
    # A day of polls, end polls and rechecks later: no REST call names it.
    for hours in (1, 6, 30, 80):
        async_fire_time_changed(hass, dt_util.utcnow() + timedelta(hours=hours))
        await hass.async_block_till_done()
    assert _calls_naming(simulator, VIN_SECONDARY) == []
    assert all(VIN_SECONDARY not in p for _, p, _ in simulator.rest.calls[calls:])
    # Our own cars have no access sensor (only a shared car carries the note).
    own = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{VIN_BEV}_access")
    assert own is None


async def test_a_shared_car_stays_after_a_restart_and_the_owner_can_hide_it(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    await simulator.publish(VIN_SECONDARY, {SOC: 50})
    await wait_for(lambda: coordinator.get(VIN_SECONDARY, SOC) is not None)
    await hass.async_block_till_done()
    device = device_for(hass, entry, VIN_SECONDARY)
    dr.async_get(hass).async_update_device(
        device.id, disabled_by=dr.DeviceEntryDisabler.USER
    )
    await hass.async_block_till_done()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    stream = entry.runtime_data.stream
    await wait_for(lambda: stream.state is StreamState.CONNECTED)
    # It still streams, with a value never seen before.
    await simulator.publish(VIN_SECONDARY, {SOC: 51, HOOD: "OPEN"})
    await wait_for(
        lambda: getattr(coordinator.get(VIN_SECONDARY, SOC), "value", 0) == 51
    )
    await hass.async_block_till_done()
    device = device_for(hass, entry, VIN_SECONDARY)  # not removed as a phantom
    assert device.disabled_by is dr.DeviceEntryDisabler.USER
    registry = er.async_get(hass)
    ours = er.async_entries_for_device(
        registry, device.id, include_disabled_entities=True
    )
    assert ours
    assert all(entity.disabled_by is not None for entity in ours)
    assert _calls_naming(simulator, VIN_SECONDARY) == []
