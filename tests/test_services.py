"""Service actions through Home Assistant against the simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er, selector
import pytest
import yaml

from custom_components.cardata.const import DOMAIN
from custom_components.cardata.rest.quota_policy import DAILY_LIMIT, CallKind
from tests.entity_helpers import device_for
from tests.rest_helpers import make_entry, planner, setup_rest, sim_calls
from tests.simulator import GCID_A, VIN_BEV, VIN_ID6, VIN_PHEV
from tests.simulator.rest import Container

SOC = "vehicle.drivetrain.batteryManagement.header"
SERVICES_YAML = Path(__file__).parents[1] / "custom_components/cardata/services.yaml"


async def _call(hass: HomeAssistant, service: str, **data: Any) -> dict[str, Any]:
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )


def _device_id(hass: HomeAssistant, entry, vin: str) -> str:
    return device_for(hass, entry, vin).id


@pytest.fixture
async def entry(hass: HomeAssistant, simulator):
    return await setup_rest(hass, make_entry(simulator))


async def test_fetch_telematic_by_vin_and_device(
    hass: HomeAssistant, simulator, entry
) -> None:
    before = sim_calls(simulator)
    simulator.vehicles[VIN_BEV].state[SOC].value = 33
    answer = await _call(hass, "fetch_telematic_data", vin=VIN_BEV)
    assert answer["vehicles"][VIN_BEV][SOC]["value"] == "33"
    assert entry.runtime_data.coordinator.get(VIN_BEV, SOC).value == 33
    answer = await _call(
        hass, "fetch_telematic_data", device_id=_device_id(hass, entry, VIN_PHEV)
    )
    assert set(answer["vehicles"]) == {VIN_PHEV}
    assert sim_calls(simulator) == before + 2


async def test_account_target_covers_every_vehicle(
    hass: HomeAssistant, simulator, entry
) -> None:
    before = sim_calls(simulator)
    answer = await _call(hass, "fetch_basic_data", config_entry_id=entry.entry_id)
    assert set(answer["vehicles"]) == {VIN_BEV, VIN_PHEV}
    assert answer["vehicles"][VIN_BEV]["vin"] == VIN_BEV
    assert sim_calls(simulator) == before + 2


async def test_mappings(hass: HomeAssistant, simulator, entry) -> None:
    answer = await _call(hass, "fetch_vehicle_mappings", config_entry_id=entry.entry_id)
    kinds = {m["vin"]: m["mappingType"] for m in answer["mappings"]}
    assert kinds[VIN_BEV] == "PRIMARY"
    assert "SECONDARY" in kinds.values()
    # A vehicle target means its account.
    answer = await _call(hass, "fetch_vehicle_mappings", vin=VIN_PHEV)
    assert len(answer["mappings"]) == 3


async def test_charging_history_tyres_image(
    hass: HomeAssistant, simulator, entry
) -> None:
    before = sim_calls(simulator)
    answer = await _call(hass, "fetch_charging_history", vin=VIN_BEV, days=30)
    history = answer["vehicles"][VIN_BEV]
    # Ten sessions, three a page: four pages, each one call.
    assert (len(history["sessions"]), history["pages"]) == (10, 4)
    assert history["complete"] is True
    assert sim_calls(simulator) == before + 4
    answer = await _call(hass, "fetch_tyre_diagnosis", vin=VIN_BEV)
    assert "passengerCar" in answer["vehicles"][VIN_BEV]
    answer = await _call(hass, "fetch_vehicle_image", vin=VIN_BEV)
    assert answer["vehicles"][VIN_BEV]["content_type"] == "image/png"
    assert answer["vehicles"][VIN_BEV]["bytes"] > 0


async def _spend_until(entry, left: int) -> None:
    """Make calls until ``left`` user calls remain (bounded by the limit)."""
    plan = planner(entry)
    for _ in range(DAILY_LIMIT):
        if plan.remaining(CallKind.USER) <= left:
            break
        await plan.async_call(CallKind.USER, entry.runtime_data.api.get_mappings)
    assert plan.remaining(CallKind.USER) == left


async def test_charging_history_cut_short_by_the_budget(
    hass: HomeAssistant, simulator, entry
) -> None:
    await _spend_until(entry, 1)
    before = sim_calls(simulator)
    answer = await _call(hass, "fetch_charging_history", vin=VIN_BEV, days=30)
    history = answer["vehicles"][VIN_BEV]
    # Four pages exist; the one call left fetched the first of them.
    assert sim_calls(simulator) == before + 1 == DAILY_LIMIT
    assert (len(history["sessions"]), history["pages"]) == (3, 1)
    assert history["complete"] is False
    assert planner(entry).remaining(CallKind.USER) == 0


async def test_charging_history_of_an_account_shares_the_budget(
    hass: HomeAssistant, simulator, entry
) -> None:
    await _spend_until(entry, 3)
    before = sim_calls(simulator)
    answer = await _call(
        hass, "fetch_charging_history", config_entry_id=entry.entry_id, days=30
    )
    # Every vehicle is asked; together they never use more than was left.
    assert set(answer["vehicles"]) == {VIN_BEV, VIN_PHEV}
    assert sim_calls(simulator) == before + 3 == DAILY_LIMIT
    pages = sorted(h["pages"] for h in answer["vehicles"].values())
    assert pages == [1, 2]
    assert all(h["complete"] is False for h in answer["vehicles"].values())
    calls = [c for c in planner(entry).day_log() if c["endpoint"] == "chargingHistory"]
    assert len(calls) == 3
    assert {c["kind"] for c in calls} == {"user"}


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({}, "target_missing"),
        ({"vin": VIN_BEV, "config_entry_id": "x"}, "target_ambiguous"),
        ({"vin": "wba123"}, "vin_invalid"),
        ({"vin": "WBA0000000000000I"}, "vin_invalid"),
        ({"vin": VIN_ID6}, "vehicle_unknown"),
        ({"config_entry_id": "nope"}, "account_unknown"),
        ({"device_id": "nope"}, "device_unknown"),
    ],
)
async def test_bad_input_is_refused(
    hass: HomeAssistant, simulator, entry, data: dict[str, Any], key: str
) -> None:
    before = sim_calls(simulator)
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "fetch_telematic_data", **data)
    assert err.value.translation_key == key
    assert sim_calls(simulator) == before


async def test_refused_when_quota_spent(hass: HomeAssistant, simulator, entry) -> None:
    plan = planner(entry)
    for _ in range(DAILY_LIMIT):  # bounded: the planner never allows more
        if not plan.remaining(CallKind.USER):
            break
        await plan.async_call(CallKind.USER, entry.runtime_data.api.get_mappings)
    assert sim_calls(simulator) == DAILY_LIMIT
    for service in (
        "fetch_telematic_data",
        "fetch_basic_data",
        "fetch_charging_history",
        "fetch_tyre_diagnosis",
        "fetch_vehicle_image",
    ):
        with pytest.raises(HomeAssistantError) as err:
            await _call(hass, service, vin=VIN_BEV)
        assert err.value.translation_key == "quota_spent"
    with pytest.raises(HomeAssistantError):
        await _call(hass, "fetch_vehicle_mappings", config_entry_id=entry.entry_id)
    assert sim_calls(simulator) == DAILY_LIMIT


async def test_too_many_vehicles_for_what_is_left(
    hass: HomeAssistant, simulator, entry
) -> None:
    plan = planner(entry)
    for _ in range(DAILY_LIMIT):  # bounded: the planner never allows more
        if plan.remaining(CallKind.USER) <= 1:
            break
        await plan.async_call(CallKind.USER, entry.runtime_data.api.get_mappings)
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "fetch_telematic_data", config_entry_id=entry.entry_id)
    assert err.value.translation_key == "too_many_vehicles"


async def test_bmw_error_and_block(hass: HomeAssistant, simulator, entry) -> None:
    simulator.quota.mode = "429"
    simulator.quota.exhaust(GCID_A)
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "fetch_telematic_data", vin=VIN_BEV)
    assert err.value.translation_key == "quota_spent"
    assert planner(entry).blocked_until is not None
    calls = sim_calls(simulator)
    with pytest.raises(HomeAssistantError):
        await _call(hass, "fetch_basic_data", vin=VIN_BEV)
    assert sim_calls(simulator) == calls  # nothing more reached BMW


async def test_bmw_failure_is_translated(hass: HomeAssistant, simulator, entry) -> None:
    simulator.faults.rest_errors = 1
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "fetch_basic_data", vin=VIN_BEV)
    assert err.value.translation_key == "api_failed"
    assert "500" in err.value.translation_placeholders["error"]
    assert VIN_BEV not in str(err.value.translation_placeholders)


async def test_quota_answer_without_retry_after(
    hass: HomeAssistant, simulator, entry
) -> None:
    simulator.quota.mode = "403"
    simulator.quota.exhaust(GCID_A)
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "fetch_tyre_diagnosis", vin=VIN_BEV)
    assert err.value.translation_key == "quota_spent_unknown"
    # Now blocked until BMW's reset: refused before calling.
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "fetch_tyre_diagnosis", vin=VIN_BEV)
    assert err.value.translation_key == "quota_spent"


async def test_no_container_slot(hass: HomeAssistant, simulator) -> None:
    for n in range(10):
        simulator.rest.containers[f"c{n:012d}"] = Container(
            f"c{n:012d}", GCID_A, f"tool {n}", "other", [SOC], simulator.now()
        )
    await setup_rest(hass, make_entry(simulator))
    with pytest.raises(HomeAssistantError) as err:
        await _call(hass, "fetch_telematic_data", vin=VIN_BEV)
    assert err.value.translation_key == "no_container"


async def test_vehicle_picker_offers_vehicles_only(
    hass: HomeAssistant, simulator, entry
) -> None:
    """The picker's filter takes the vehicles and leaves the account's device out;
    the action refuses the account's device with a message saying what to pick."""
    services = yaml.safe_load(SERVICES_YAML.read_text("utf-8"))
    for name, spec in services.items():
        config = spec["fields"]["device_id"]["selector"]
        picker = selector.selector(config)  # Home Assistant accepts it
        filters = picker.config["entity"]
        assert filters, name
        assert all(
            f["integration"] == [DOMAIN] or f["integration"] == DOMAIN for f in filters
        )
    filters = services["fetch_telematic_data"]["fields"]["device_id"]["selector"][
        "device"
    ]["entity"]
    domains = {f["domain"] for f in filters}

    def offered(device_id: str) -> bool:
        entities = er.async_entries_for_device(er.async_get(hass), device_id)
        return any(e.platform == DOMAIN and e.domain in domains for e in entities)

    account = device_for(hass, entry, entry.entry_id)
    assert not offered(account.id)
    assert offered(_device_id(hass, entry, VIN_BEV))
    assert offered(_device_id(hass, entry, VIN_PHEV))

    before = sim_calls(simulator)
    with pytest.raises(ServiceValidationError) as err:
        await _call(hass, "fetch_telematic_data", device_id=account.id)
    assert err.value.translation_key == "device_is_account"
    assert sim_calls(simulator) == before


async def test_telematic_answer_lists_values_with_data_first(
    hass: HomeAssistant, simulator, entry
) -> None:
    answer = await _call(hass, "fetch_telematic_data", vin=VIN_BEV)
    values = list(answer["vehicles"][VIN_BEV].values())
    with_data = [v["value"] is not None or v["timestamp"] is not None for v in values]
    assert any(with_data)
    assert not all(with_data)  # the container asks for more than the car has
    first_empty = with_data.index(False)
    assert all(with_data[:first_empty])
    assert not any(with_data[first_empty:])
