"""First set-up over REST against the simulator: vehicles, devices, container."""

from __future__ import annotations

import datetime as dt

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr, issue_registry as ir
import pytest

from custom_components.cardata.api.exceptions import classify_api_error
from custom_components.cardata.const import CONF_CONTAINER_ID, DOMAIN
from custom_components.cardata.rest.bootstrap import (
    VehicleRecord,
    async_bootstrap,
    async_ensure_container,
    async_fetch_telematic,
    container_descriptors,
    no_basic_data,
    rest_value,
)
from custom_components.cardata.rest.quota_policy import CallKind
from tests.rest_helpers import (
    CONTAINER_NAME,
    CONTAINER_PURPOSE,
    make_entry,
    planner,
    setup_rest,
    sim_calls,
    start_fix_flow,
)
from tests.simulator import GCID_A, VIN_BEV, VIN_PHEV, VIN_SECONDARY
from tests.simulator.rest import Container

SOC = "vehicle.drivetrain.batteryManagement.header"


def _devices(hass: HomeAssistant, entry) -> dict[str, dr.DeviceEntry]:
    found = {}
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id):
        for domain, ident in device.identifiers:
            if domain == DOMAIN and len(ident) == 17:
                found[ident] = device
    return found


def _our_containers(sim) -> list[Container]:
    return [c for c in sim.rest.containers.values() if c.gcid == GCID_A]


async def test_first_setup_primary_and_secondary(
    hass: HomeAssistant, simulator
) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    devices = _devices(hass, entry)
    assert set(devices) == {VIN_BEV, VIN_PHEV}
    assert devices[VIN_BEV].manufacturer
    assert devices[VIN_BEV].model
    # The shared vehicle is explained, not shown.
    issues = [
        i
        for (domain, _), i in ir.async_get(hass).issues.items()
        if domain == DOMAIN and i.translation_key == "secondary_user"
    ]
    assert len(issues) == 1
    assert VIN_SECONDARY not in str(issues[0].translation_placeholders)
    # One container, stored; telematic values for both cars.
    containers = _our_containers(simulator)
    assert len(containers) == 1
    assert containers[0].name == CONTAINER_NAME
    assert entry.data[CONF_CONTAINER_ID] == containers[0].container_id
    coordinator = entry.runtime_data.coordinator
    assert coordinator.get(VIN_BEV, SOC) is not None
    assert coordinator.get(VIN_PHEV, SOC) is not None
    # mappings + 2 basicData + list + create + 2 telematicData
    assert sim_calls(simulator) == 7
    assert planner(entry).used() == 7


async def test_restart_calls_nothing(hass: HomeAssistant, simulator) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    assert sim_calls(simulator) == 7
    assert await hass.config_entries.async_unload(entry.entry_id)
    await setup_rest(hass, entry)
    # Reload (restart), token refresh and a stream reconnect: no REST call.
    await entry.runtime_data.tokens.async_force_refresh()
    await simulator.broker.drop(GCID_A)
    await hass.async_block_till_done()
    assert sim_calls(simulator) == 7
    # The log survived the restart.
    assert planner(entry).used() == 7


async def test_existing_container_reused_by_name(
    hass: HomeAssistant, simulator
) -> None:
    simulator.rest.containers["keep000000001"] = Container(
        "keep000000001",
        GCID_A,
        CONTAINER_NAME,
        CONTAINER_PURPOSE,
        container_descriptors(),
        simulator.now(),
    )
    simulator.rest.containers["other00000001"] = Container(
        "other00000001", GCID_A, "Someone else", "x", [SOC], simulator.now()
    )
    entry = await setup_rest(hass, make_entry(simulator))
    assert entry.data[CONF_CONTAINER_ID] == "keep000000001"
    assert len(_our_containers(simulator)) == 2  # nothing created
    assert sim_calls(simulator) == 6


async def test_stored_container_id_reused(hass: HomeAssistant, simulator) -> None:
    simulator.rest.containers["stored0000001"] = Container(
        "stored0000001", GCID_A, "Previous integration", "HV", [SOC], simulator.now()
    )
    entry = make_entry(simulator)
    entry = await setup_rest(
        hass, _with_data(hass, entry, {CONF_CONTAINER_ID: "stored0000001"})
    )
    assert entry.data[CONF_CONTAINER_ID] == "stored0000001"
    assert sim_calls(simulator) == 5  # no list, no create


def _with_data(hass, entry, extra):
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, **extra})
    return entry


async def test_unknown_container_created_again_once(
    hass: HomeAssistant, simulator
) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    old = entry.data[CONF_CONTAINER_ID]
    simulator.rest.containers.pop(old)  # CU-105 from now on
    before = sim_calls(simulator)
    values = await async_fetch_telematic(
        entry.runtime_data.rest, VIN_BEV, CallKind.USER
    )
    assert values
    new = entry.data[CONF_CONTAINER_ID]
    assert new != old
    # failed fetch + list + create + fetch
    assert sim_calls(simulator) == before + 4


async def test_container_limit_repair_and_fix(hass: HomeAssistant, simulator) -> None:
    for n in range(10):
        simulator.rest.containers[f"c{n:012d}"] = Container(
            f"c{n:012d}", GCID_A, f"tool {n}", "other00000001", [SOC], simulator.now()
        )
    entry = await setup_rest(hass, make_entry(simulator))
    assert CONF_CONTAINER_ID not in entry.data
    issue_id = f"container_limit_{entry.entry_id}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    # Scheduled work does not retry while the issue is open.
    assert (
        await async_ensure_container(entry.runtime_data.rest, CallKind.SCHEDULED)
        is None
    )
    # Submitting before a slot is free: still full, the issue stays.
    result = await start_fix_flow(hass, issue_id)
    manager = hass.data["repairs"]["flow_manager"]
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] == "abort"
    assert result["reason"] == "still_full"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    # The owner frees a slot; the fix flow creates the container.
    simulator.rest.containers.pop("c000000000003")
    result = await start_fix_flow(hass, issue_id)
    assert result["step_id"] == "confirm"
    manager = hass.data["repairs"]["flow_manager"]
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] == "create_entry"
    assert entry.data[CONF_CONTAINER_ID]
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


def test_rest_values() -> None:
    assert rest_value("42") == 42
    assert rest_value("-1.5") == -1.5
    assert rest_value("asn_istrue") is True
    assert rest_value("CLOSED") == "CLOSED"
    assert rest_value(None) is None
    assert isinstance(dt.datetime.now(dt.UTC), dt.datetime)


async def test_first_setup_ends_quietly_when_login_is_gone(
    hass: HomeAssistant, simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """BMW refused the login: the first set-up stops without a task error,
    calls nothing, and runs again at the next start (after a new login)."""
    entry = await setup_rest(hass, make_entry(simulator))
    await VehicleRecord(hass, entry.entry_id).async_remove()
    simulator.oauth.revoke_refresh_tokens(GCID_A)
    with pytest.raises(ConfigEntryAuthFailed):
        await entry.runtime_data.tokens.async_force_refresh()
    calls = sim_calls(simulator)

    record = VehicleRecord(hass, entry.entry_id)
    await record.async_load()
    await async_bootstrap(  # must not raise
        entry.runtime_data.rest, record, lambda _m: None, lambda _v, _b: None
    )

    assert sim_calls(simulator) == calls
    assert "incomplete (ConfigEntryAuthFailed)" in caplog.text
    record = VehicleRecord(hass, entry.entry_id)
    await record.async_load()
    assert not record.done


@pytest.mark.parametrize(
    ("status", "code", "one_car"),
    [
        (404, "CU-404", True),  # a code outside BMW's guide (the simulator's)
        (404, None, True),  # BMW's body without a code
        (403, "CU-104", True),  # the VIN is not permitted
        (403, "CU-429", False),  # the quota: the set-up stops
        (403, "CU-101", False),  # the token
        (500, "CU-500", False),
        (403, None, False),  # a gateway in front of BMW
    ],
)
def test_which_basic_data_errors_concern_one_car(
    status: int, code: str | None, one_car: bool
) -> None:
    """A car BMW has no basic data of is skipped; other errors stop the set-up."""
    body = {"exveErrorId": code} if code else {}
    assert no_basic_data(classify_api_error(status, body)) is one_car
