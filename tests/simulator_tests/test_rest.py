"""Every REST answer of the simulator validates against BMW's OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
import datetime as dt
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.simulator import (
    CLIENT_A,
    CLIENT_B,
    CLIENT_C,
    GCID_A,
    GCID_B,
    GCID_C,
    VIN_BEV,
    VIN_ID6,
    VIN_NO_BASIC,
    VIN_PHEV,
    VIN_SECONDARY,
    Simulator,
)

from .openapi import CARDATA, OpenApi, optional

SOC = "vehicle.drivetrain.batteryManagement.header"
ODO = "vehicle.vehicle.travelledDistance"
FUEL = "vehicle.drivetrain.fuelSystem.level"


class Api:
    """A plain aiohttp client that validates each answer."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        sim: Simulator,
        openapi: OpenApi | None,
        token: str,
    ) -> None:
        self.session, self.sim, self.openapi, self.token = session, sim, openapi, token

    async def call(
        self,
        method: str,
        template: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        **path: str,
    ) -> tuple[int, Any]:
        sent = {"Authorization": f"Bearer {self.token}", "x-version": "v1"}
        sent |= headers or {}
        sent = {k: v for k, v in sent.items() if v}
        url = self.sim.endpoints["api_url"] + template.format(**path)
        async with self.session.request(
            method, url, params=params, json=json, headers=sent
        ) as resp:
            if resp.content_type == "application/json":
                body: Any = await resp.json()
            else:
                body = await resp.read()
            self.last_headers = resp.headers
            status = resp.status
            if status == 200 and template.endswith("/image"):
                assert resp.content_type == "image/png"
                assert body.startswith(b"\x89PNG\r\n\x1a\n")
                body = None  # schema: a string of bytes; checked above
                if self.openapi:
                    self.openapi.checked.add((method, template, status))
                return status, body
        if self.openapi:
            self.openapi.validate(
                method, template, status, body if body != b"" else None
            )
        return status, body


@pytest.fixture(scope="module")
def openapi() -> OpenApi | None:
    # Without BMW's file the behaviour is still checked, the shapes are not.
    return optional(CARDATA)


def test_reference_file_present() -> None:
    OpenApi(CARDATA)  # skips with the reason where the file is absent


@pytest_asyncio.fixture
async def api(simulator: Simulator, openapi: OpenApi | None) -> AsyncIterator[Api]:
    token = simulator.oauth.issue_tokens(GCID_A, CLIENT_A)["access_token"]
    async with aiohttp.ClientSession() as session:
        yield Api(session, simulator, openapi, token)


VEHICLE = "/customers/vehicles/{vin}"


async def test_every_path_answers_to_schema(api: Api, openapi: OpenApi | None) -> None:
    status, body = await api.call("GET", "/customers/vehicles/mappings")
    assert status == 200
    assert {(m["vin"], m["mappingType"]) for m in body} == {
        (VIN_BEV, "PRIMARY"),
        (VIN_PHEV, "PRIMARY"),
        (VIN_SECONDARY, "SECONDARY"),
    }
    status, body = await api.call("GET", VEHICLE + "/basicData", vin=VIN_BEV)
    assert (status, body["vin"]) == (200, VIN_BEV)
    status, body = await api.call("GET", "/customers/containers")
    assert (status, body) == (200, {"containers": []})
    descriptors = [SOC, ODO, FUEL, "vehicle.look.image"]
    status, created = await api.call(
        "POST",
        "/customers/containers",
        json={
            "name": "ha",
            "purpose": "Home Assistant",
            "technicalDescriptors": descriptors,
        },
    )
    assert status == 201
    cid = created["containerId"]
    assert len(cid) == 13
    assert created["state"] == "ACTIVE"
    status, body = await api.call(
        "GET", "/customers/containers/{containerId}", containerId=cid
    )
    assert body["technicalDescriptors"] == descriptors
    status, body = await api.call("GET", "/customers/containers")
    assert [c["containerId"] for c in body["containers"]] == [cid]
    assert "technicalDescriptors" not in body["containers"][0]
    status, body = await api.call(
        "GET", VEHICLE + "/telematicData", vin=VIN_BEV, params={"containerId": cid}
    )
    assert status == 200
    data = body["telematicData"]
    assert set(data) == {SOC, ODO, FUEL}  # dedicated-endpoint keys are left out
    assert data[SOC]["value"] == "80"
    assert data[SOC]["unit"] == "%"
    assert data[SOC]["timestamp"].endswith(".000Z")
    assert data[FUEL] == {
        "value": None,
        "unit": "%",
        "timestamp": None,
    }  # a BEV has no tank
    now = dt.datetime.now(dt.UTC)
    window = {"from": (now - dt.timedelta(days=40)).isoformat(), "to": now.isoformat()}
    status, body = await api.call(
        "GET", VEHICLE + "/chargingHistory", vin=VIN_BEV, params=window
    )
    sessions = list(body["data"])
    assert status == 200
    assert "next_token" in body
    for _ in range(20):  # bounded: ten sessions come in a few pages
        if "next_token" not in body:
            break
        status, body = await api.call(
            "GET",
            VEHICLE + "/chargingHistory",
            vin=VIN_BEV,
            params={**window, "nextToken": body["next_token"]},
        )
        assert status == 200
        sessions += body["data"]
    assert len(sessions) == 10
    status, body = await api.call(
        "GET", VEHICLE + "/smartMaintenanceTyreDiagnosis", vin=VIN_BEV
    )
    assert status == 200
    assert "passengerCar" in body
    status, _ = await api.call("GET", VEHICLE + "/image", vin=VIN_BEV)
    assert status == 200
    status, body = await api.call(
        "GET", VEHICLE + "/locationBasedChargingSettings", vin=VIN_BEV
    )
    assert status == 200
    assert body["data"]
    status, _ = await api.call(
        "DELETE", "/customers/containers/{containerId}", containerId=cid
    )
    assert status == 204
    status, body = await api.call(
        "DELETE", "/customers/containers/{containerId}", containerId=cid
    )
    assert (status, body["exveErrorId"]) == (208, "CU-122")
    status, body = await api.call(
        "GET", "/customers/containers/{containerId}", containerId=cid
    )
    assert body["state"] == "DELETED"
    status, body = await api.call(
        "GET", VEHICLE + "/telematicData", vin=VIN_BEV, params={"containerId": cid}
    )
    assert (status, body["exveErrorId"]) == (403, "CU-105")
    assert api.sim.quota.calls(GCID_A) == 18
    if openapi is not None:
        documented = {
            (m.upper(), p) for p, ops in openapi.doc["paths"].items() for m in ops
        }
        assert documented <= {(m, p) for m, p, _ in openapi.checked}


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({"Authorization": ""}, 401, "CU-100"),
        ({"Authorization": "Basic abc"}, 401, "CU-101"),
        ({"Authorization": "Bearer nope"}, 403, "CU-101"),
        ({"x-version": ""}, 400, "CU-400"),
        ({"x-version": "v2"}, 400, "CU-401"),
    ],
)
async def test_header_errors(
    api: Api, headers: dict[str, str], status: int, code: str
) -> None:
    got, body = await api.call("GET", "/customers/vehicles/mappings", headers=headers)
    assert (got, body["exveErrorId"]) == (status, code)
    assert set(body) == {"exveErrorId", "exveErrorRef", "exveErrorMsg", "exveNote"}


async def test_token_checks(api: Api, simulator: Simulator) -> None:
    simulator.advance(3600)
    status, body = await api.call("GET", "/customers/vehicles/mappings")
    assert (status, body["exveErrorId"]) == (403, "CU-102")
    api.token = simulator.oauth.issue_tokens(GCID_A, CLIENT_A)["id_token"]
    status, body = await api.call("GET", "/customers/vehicles/mappings")
    assert (status, body["exveErrorId"]) == (403, "CU-101")


async def test_vehicle_errors(api: Api) -> None:
    status, body = await api.call("GET", VEHICLE + "/basicData", vin=VIN_SECONDARY)
    assert (status, body["exveErrorId"]) == (403, "CU-104")
    status, body = await api.call(
        "GET", VEHICLE + "/basicData", vin=VIN_ID6
    )  # another account's car
    assert (status, body["exveErrorId"]) == (403, "CU-104")
    status, body = await api.call(
        "GET", VEHICLE + "/basicData", vin="wby00000000bev001"
    )
    assert (status, body["exveErrorId"]) == (400, "CU-120")
    status, body = await api.call(
        "GET", VEHICLE + "/telematicData", vin=VIN_BEV, params={"containerId": "short"}
    )
    assert (status, body["exveErrorId"]) == (400, "CU-121")
    status, body = await api.call(
        "GET", VEHICLE + "/telematicData", vin=VIN_BEV, params={"containerId": "a" * 13}
    )
    assert (status, body["exveErrorId"]) == (403, "CU-105")
    status, body = await api.call("GET", VEHICLE + "/telematicData", vin=VIN_BEV)
    assert (status, body["exveErrorId"]) == (400, "CU-400")
    status, body = await api.call(
        "GET",
        VEHICLE + "/chargingHistory",
        vin=VIN_BEV,
        params={"from": "yesterday", "to": "today"},
    )
    assert (status, body["exveErrorId"]) == (400, "CU-401")
    status, body = await api.call(
        "GET",
        VEHICLE + "/chargingHistory",
        vin=VIN_BEV,
        params={"from": "x", "to": "y", "nextToken": "stale"},
    )
    assert (status, body["exveErrorId"]) == (400, "CU-125")


async def test_old_car_has_no_image_nor_lbcs(simulator: Simulator, api: Api) -> None:
    api.token = simulator.oauth.issue_tokens(GCID_B, CLIENT_B)["access_token"]
    status, body = await api.call("GET", VEHICLE + "/image", vin=VIN_ID6)
    assert (status, body["exveErrorId"]) == (404, "CU-126")
    status, body = await api.call(
        "GET", VEHICLE + "/locationBasedChargingSettings", vin=VIN_ID6
    )
    assert (status, body["exveErrorId"]) == (404, "CU-127")
    status, body = await api.call("GET", VEHICLE + "/basicData", vin=VIN_ID6)
    assert (body["propulsionType"], body["driveTrain"]) == ("BE", "CONV")


async def test_a_car_without_basic_data(simulator: Simulator, api: Api) -> None:
    """basicData answers 404 with BMW's error body; the car is read otherwise."""
    api.token = simulator.oauth.issue_tokens(GCID_C, CLIENT_C)["access_token"]
    status, body = await api.call("GET", VEHICLE + "/basicData", vin=VIN_NO_BASIC)
    assert (status, body["exveErrorId"]) == (404, "CU-404")
    assert set(body) == {"exveErrorId", "exveErrorRef", "exveErrorMsg", "exveNote"}
    status, _ = await api.call("GET", VEHICLE + "/image", vin=VIN_NO_BASIC)
    assert status == 200
    # The knob is the car's: a world without it answers as for any car.
    simulator.vehicles[VIN_NO_BASIC].has_basic_data = True
    status, body = await api.call("GET", VEHICLE + "/basicData", vin=VIN_NO_BASIC)
    assert (status, body["vin"]) == (200, VIN_NO_BASIC)


async def test_container_rules(api: Api, simulator: Simulator) -> None:
    path = "/customers/containers"
    status, body = await api.call(
        "POST",
        path,
        json={
            "name": "x",
            "purpose": "y",
            "technicalDescriptors": ["no.such.key"],
        },
    )
    assert (status, body["exveErrorId"]) == (400, "CU-402")
    status, body = await api.call(
        "POST", path, json={"name": "x", "purpose": "y", "technicalDescriptors": []}
    )
    assert (status, body["exveErrorId"]) == (400, "CU-401")
    made = []
    for i in range(10):
        status, body = await api.call(
            "POST",
            path,
            json={"name": f"c{i}", "purpose": "p", "technicalDescriptors": [SOC]},
        )
        assert status == 201
        made.append(body["containerId"])
    status, body = await api.call(
        "POST",
        path,
        json={"name": "c10", "purpose": "p", "technicalDescriptors": [SOC]},
    )
    assert (status, body["exveErrorId"]) == (403, "CU-124")
    await api.call("DELETE", path + "/{containerId}", containerId=made[0])
    status, _ = await api.call(
        "POST",
        path,
        json={"name": "c10", "purpose": "p", "technicalDescriptors": [SOC]},
    )
    assert status == 201
    # Another account cannot see or delete these.
    api.token = simulator.oauth.issue_tokens(GCID_B, CLIENT_B)["access_token"]
    status, body = await api.call(
        "DELETE", path + "/{containerId}", containerId=made[1]
    )
    assert (status, body["exveErrorId"]) == (403, "CU-105")


@pytest.mark.parametrize("mode", ["403", "429"])
async def test_quota(api: Api, simulator: Simulator, mode: str) -> None:
    simulator.quota.mode = mode
    for _ in range(49):
        status, _ = await api.call(
            "GET", "/customers/vehicles/mappings", headers={"x-version": ""}
        )
        assert status == 400  # refused calls count too
    status, _ = await api.call("GET", "/customers/vehicles/mappings")
    assert status == 200
    assert simulator.quota.calls(GCID_A) == 50
    status, body = await api.call("GET", "/customers/containers")
    assert body["exveErrorId"] == "CU-429"
    if mode == "429":
        assert status == 429
        assert 0 < int(api.last_headers["Retry-After"]) <= 86400
    else:
        assert status == 403
    assert simulator.quota.calls(GCID_B) == 0
    simulator.advance(86400)
    status, _ = await api.call("GET", "/customers/containers")
    # The access token expired meanwhile; the quota window has rolled.
    assert status == 403
    assert simulator.quota.calls(GCID_A) == 0
    api.token = simulator.oauth.issue_tokens(GCID_A, CLIENT_A)["access_token"]
    simulator.quota.exhaust(GCID_A)
    status, body = await api.call("GET", "/customers/containers")
    assert body["exveErrorId"] == "CU-429"


async def test_faults(api: Api, simulator: Simulator) -> None:
    simulator.faults.rest_errors = 1
    simulator.faults.rest_unavailable = 1
    status, body = await api.call("GET", "/customers/vehicles/mappings")
    assert (status, body["exveErrorId"]) == (500, "CU-500")
    status, body = await api.call("GET", "/customers/vehicles/mappings")
    assert (status, body["exveErrorId"]) == (503, "CU-503")
    status, _ = await api.call("GET", "/customers/vehicles/mappings")
    assert status == 200
    assert simulator.quota.calls(GCID_A) == 3


async def test_bmw_error_faults(api: Api, simulator: Simulator) -> None:
    """403 CU-127 for a refused token, a 403 without BMW's body, CU-429
    without Retry-After (issue 9)."""
    simulator.faults.rest_invalid_token = 1
    status, body = await api.call("GET", "/customers/vehicles/mappings")
    assert (status, body["exveErrorId"]) == (403, "CU-127")
    simulator.faults.rest_bare_403 = 1
    simulator.faults.rest_bare_403_body = "<html>Forbidden</html>"
    async with api.session.get(
        simulator.endpoints["api_url"] + "/customers/vehicles/mappings",
        headers={"Authorization": f"Bearer {api.token}", "x-version": "v1"},
    ) as resp:
        assert resp.status == 403
        assert await resp.text() == "<html>Forbidden</html>"
    simulator.quota.mode = "429"
    simulator.faults.quota_without_retry_after = True
    simulator.quota.exhaust(GCID_A)
    status, body = await api.call("GET", "/customers/vehicles/mappings")
    assert (status, body["exveErrorId"]) == (429, "CU-429")
    assert "Retry-After" not in api.last_headers
