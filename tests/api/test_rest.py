"""Every REST endpoint and error mapping against the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from custom_components.cardata.api import (
    ApiAuthError,
    ApiCall,
    BadRequestError,
    CarDataApi,
    CarDataConnectionError,
    ContainerInvalidError,
    ContainerLimitError,
    NotFoundError,
    QuotaExceededError,
    ServerError,
    ServiceUnavailableError,
    VehicleNotPermittedError,
)
from tests.simulator import (
    CLIENT_A,
    CLIENT_B,
    GCID_A,
    GCID_B,
    VIN_BEV,
    VIN_ID6,
    VIN_PHEV,
    VIN_SECONDARY,
    Simulator,
)

from .helpers import SimTokens, issued

DESCRIPTORS = (
    "vehicle.drivetrain.batteryManagement.header",
    "vehicle.cabin.door.status",
    "vehicle.drivetrain.fuelSystem.level",
)


@contextlib.asynccontextmanager
async def api_for(
    sim: Simulator, gcid: str = GCID_A, client_id: str = CLIENT_A
) -> AsyncIterator[tuple[CarDataApi, list[ApiCall], SimTokens]]:
    calls: list[ApiCall] = []
    async with aiohttp.ClientSession() as session:
        auth = SimTokens(session, sim, client_id, issued(sim, gcid, client_id))
        yield CarDataApi(auth, on_call=calls.append), calls, auth


async def test_mappings_and_basic_data(simulator: Simulator) -> None:
    async with api_for(simulator) as (api, calls, _):
        mappings = await api.get_mappings()
        basic = await api.get_basic_data(VIN_BEV)
    by_vin = {m.vin: m for m in mappings}
    assert set(by_vin) == {VIN_BEV, VIN_PHEV, VIN_SECONDARY}
    assert by_vin[VIN_BEV].is_primary
    assert not by_vin[VIN_SECONDARY].is_primary
    assert by_vin[VIN_BEV].mapped_since is not None
    assert basic.brand
    assert basic.raw
    assert [(c.endpoint, c.vin, c.outcome) for c in calls] == [
        ("mappings", None, "ok"),
        ("basicData", VIN_BEV, "ok"),
    ]
    assert all(c.at.tzinfo is UTC for c in calls)
    assert simulator.quota.calls(GCID_A) == 2


async def test_container_life_cycle_and_telematic_data(simulator: Simulator) -> None:
    async with api_for(simulator) as (api, calls, _):
        created = await api.create_container("ha", "Home Assistant", DESCRIPTORS)
        assert created.is_active
        assert created.descriptors == DESCRIPTORS
        listed = await api.list_containers()
        assert [c.container_id for c in listed] == [created.container_id]
        fetched = await api.get_container(created.container_id)
        assert fetched.descriptors == DESCRIPTORS
        values = await api.get_telematic_data(VIN_BEV, created.container_id)
        soc = values["vehicle.drivetrain.batteryManagement.header"]
        assert isinstance(soc.value, str)
        assert float(soc.value) == 80.0
        assert soc.timestamp is not None
        # Not supported by a BEV: null value and timestamp.
        fuel = values["vehicle.drivetrain.fuelSystem.level"]
        assert fuel.value is None
        assert fuel.timestamp is None
        await api.delete_container(created.container_id)
        # Already marked: CU-122 counts as success.
        await api.delete_container(created.container_id)
        assert not (await api.get_container(created.container_id)).is_active
        with pytest.raises(ContainerInvalidError):
            await api.get_telematic_data(VIN_BEV, created.container_id)
        with pytest.raises(ContainerInvalidError):
            await api.get_container("1234567890123")
        with pytest.raises(ContainerInvalidError):
            await api.get_container("short")
    outcomes = [c.outcome for c in calls]
    assert outcomes.count("ok") == 6
    assert "CU-122" in outcomes
    assert outcomes[-3:] == ["CU-105", "CU-105", "CU-121"]
    assert simulator.quota.calls(GCID_A) == len(calls)


async def test_container_limit_and_bad_descriptors(simulator: Simulator) -> None:
    simulator.rest.container_limit = 1
    async with api_for(simulator) as (api, _calls, _):
        await api.create_container("a", "p", DESCRIPTORS)
        with pytest.raises(ContainerLimitError) as err:
            await api.create_container("b", "p", DESCRIPTORS)
        assert err.value.error_id == "CU-124"
        assert err.value.status == 403
        with pytest.raises(BadRequestError) as bad:
            await api.create_container("c", "p", ["no.such.descriptor"])
        assert bad.value.error_id == "CU-402"


async def test_charging_history_follows_every_page(simulator: Simulator) -> None:
    now = datetime.now(UTC)
    async with api_for(simulator) as (api, calls, _):
        sessions = await api.get_charging_history(
            VIN_BEV, now - timedelta(days=40), now
        )
        none = await api.get_charging_history(VIN_PHEV, now - timedelta(hours=1), now)
    assert len(sessions) == 10
    assert len({s["startTime"] for s in sessions}) == 10
    # Three sessions per page: four pages, each one call.
    assert [c.endpoint for c in calls].count("chargingHistory") == 5
    assert none == []


async def test_charging_history_stops_after_max_pages(simulator: Simulator) -> None:
    now = datetime.now(UTC)
    start = now - timedelta(days=40)
    async with api_for(simulator) as (api, calls, _):
        cut = await api.get_charging_history_pages(VIN_BEV, start, now, max_pages=2)
        assert simulator.quota.calls(GCID_A) == 2
        whole = await api.get_charging_history_pages(VIN_BEV, start, now, max_pages=4)
        listed = await api.get_charging_history(VIN_BEV, start, now, max_pages=1)
        with pytest.raises(ValueError, match="max_pages"):
            await api.get_charging_history_pages(VIN_BEV, start, now, max_pages=0)
    # Three sessions per page: two pages hold six of ten, and more were left.
    assert (len(cut.sessions), cut.pages, cut.complete) == (6, 2, False)
    assert (len(whole.sessions), whole.pages, whole.complete) == (10, 4, True)
    assert len(listed) == 3
    assert [c.endpoint for c in calls] == ["chargingHistory"] * 7
    assert simulator.quota.calls(GCID_A) == 7


async def test_dedicated_endpoints(simulator: Simulator) -> None:
    async with api_for(simulator) as (api, _calls, _):
        tyres = await api.get_tyre_diagnosis(VIN_BEV)
        image = await api.get_image(VIN_BEV)
        lbcs = await api.get_location_based_charging_settings(VIN_BEV)
    assert tyres
    assert image.startswith(b"\x89PNG")
    assert lbcs["data"][0]["chargingMode"] == "IMMEDIATE_CHARGING"
    assert "nextToken" not in lbcs


async def test_no_image_and_no_lbcs_for_old_car(simulator: Simulator) -> None:
    async with api_for(simulator, GCID_B, CLIENT_B) as (api, calls, _):
        with pytest.raises(NotFoundError) as err:
            await api.get_image(VIN_ID6)
        assert err.value.error_id == "CU-126"
        assert await api.get_location_based_charging_settings(VIN_ID6) == {}
    assert [c.outcome for c in calls] == ["CU-126", "CU-127"]


async def test_vehicle_not_permitted_and_bad_vin(simulator: Simulator) -> None:
    async with api_for(simulator) as (api, calls, _):
        with pytest.raises(VehicleNotPermittedError) as err:
            await api.get_basic_data(VIN_SECONDARY)
        assert err.value.error_id == "CU-104"
        assert "CU-104" in str(err.value)
        with pytest.raises(BadRequestError):
            await api.get_basic_data("short")
    assert [c.outcome for c in calls] == ["CU-104", "CU-120"]


@pytest.mark.parametrize("mode", ["403", "429"])
async def test_quota_exhausted(simulator: Simulator, mode: str) -> None:
    simulator.quota.mode = mode
    simulator.quota.exhaust(GCID_A)
    async with api_for(simulator) as (api, calls, _):
        with pytest.raises(QuotaExceededError) as err:
            await api.get_mappings()
    assert err.value.error_id == "CU-429"
    assert err.value.status == int(mode)
    if mode == "429":
        assert err.value.retry_after is not None
        assert err.value.retry_after > 0
    else:
        assert err.value.retry_after is None
    # Never retried: exactly one request.
    assert len(calls) == 1


async def test_server_errors_are_not_retried(simulator: Simulator) -> None:
    simulator.faults.rest_errors = 1
    simulator.faults.rest_unavailable = 0
    async with api_for(simulator) as (api, calls, _):
        with pytest.raises(ServerError):
            await api.get_mappings()
        simulator.faults.rest_unavailable = 1
        with pytest.raises(ServiceUnavailableError):
            await api.get_mappings()
        assert len(await api.get_mappings()) == 3
    assert [c.outcome for c in calls] == ["CU-500", "CU-503", "ok"]


async def test_auth_errors(simulator: Simulator) -> None:
    async with api_for(simulator) as (api, calls, auth):
        auth.tokens = replace(auth.tokens, access_token="bogus")
        with pytest.raises(ApiAuthError) as err:
            await api.get_mappings()
    assert err.value.status == 403
    assert "bogus" not in str(err.value)
    assert calls[0].outcome == "CU-101"


async def test_unreachable_api(simulator: Simulator) -> None:
    async with aiohttp.ClientSession() as session:
        auth = SimTokens(
            session, simulator, CLIENT_A, issued(simulator, GCID_A, CLIENT_A)
        )
        auth.api_url = "http://127.0.0.1:9"
        calls: list[ApiCall] = []
        api = CarDataApi(auth, on_call=calls.append)
        with pytest.raises(CarDataConnectionError):
            await api.get_mappings()
    assert calls[0].outcome == "connection_error"


async def test_hook_errors_do_not_break_calls(simulator: Simulator) -> None:
    def broken(_call: ApiCall) -> None:
        raise RuntimeError("hook failed")

    async with aiohttp.ClientSession() as session:
        auth = SimTokens(
            session, simulator, CLIENT_A, issued(simulator, GCID_A, CLIENT_A)
        )
        assert len(await CarDataApi(auth, on_call=broken).get_mappings()) == 3
