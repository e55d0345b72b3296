"""The default world sends what real cars send (words, units, REST shapes)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from tests.simulator import (
    CLIENT_A,
    CLIENT_C,
    GCID_A,
    GCID_C,
    VIN_BEV,
    VIN_MILES,
    VIN_PHEV,
    Simulator,
    Step,
)

CHG = "vehicle.drivetrain.electricEngine.charging."
ODO = "vehicle.vehicle.travelledDistance"
PLUGGED = "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged"
MOVING = "vehicle.isMoving"
RANGE = "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange"
TOTAL = "vehicle.drivetrain.totalRemainingRange"
TIMER = "vehicle.cabin.climate.timers.weekdaysTimer1.action"
EXTRA = "vehicle.powertrain.electric.battery.stateOfCharge.displayed"


def _messages(sim: Simulator, gcid: str, vin: str) -> list[dict[str, Any]]:
    return [json.loads(p) for t, p in sim.messages if t == f"{gcid}/{vin}"]


async def test_charging_status_words_and_never_moving_while_plugged(
    simulator: Simulator,
) -> None:
    # Two days in a row: the second drive starts plugged in from the first charge.
    steps = simulator.scenario(VIN_BEV)
    await simulator.run_scenario(VIN_BEV, [*steps, *steps], speed=50_000)
    plugged = moving = False
    words: list[str] = []
    for message in _messages(simulator, GCID_A, VIN_BEV):
        data = message["data"]
        plugged = data.get(PLUGGED, {}).get("value", plugged)
        moving = data.get(MOVING, {}).get("value", "asn_isfalse") == "asn_istrue" or (
            moving and MOVING not in data
        )
        assert not (plugged and moving)
        if CHG + "status" in data:
            words.append(data[CHG + "status"]["value"])
    assert {"NOCHARGING", "INITIALIZATION", "CHARGINGACTIVE", "CHARGINGENDED"} <= set(
        words
    )


async def test_miles_car_streams_miles(simulator: Simulator) -> None:
    steps = [Step("park_unlocked", 10), Step("drive", 300, 60)]
    await simulator.run_scenario(VIN_MILES, steps, speed=50_000)
    messages = _messages(simulator, GCID_C, VIN_MILES)
    odo = [m["data"][ODO] for m in messages if ODO in m["data"]]
    assert odo
    assert {entry["unit"] for entry in odo} == {"mi"}
    # 12,345 km at the start, in miles now.
    assert 7_670 < odo[-1]["value"] < 7_700
    level = [m["data"][CHG + "level"] for m in messages if CHG + "level" in m["data"]]
    assert level
    assert all("unit" not in entry for entry in level)


async def _telematic(sim: Simulator, gcid: str, client: str, vin: str) -> Any:
    token = sim.oauth.issue_tokens(gcid, client)["access_token"]
    headers = {"Authorization": f"Bearer {token}", "x-version": "v1"}
    base = sim.endpoints["api_url"]
    keys = [ODO, RANGE, TOTAL, CHG + "level", CHG + "status", TIMER, EXTRA]
    keys += [
        "vehicle.drivetrain.fuelSystem.level",
        "vehicle.body.chargingPort.dcStatus",
    ]
    async with aiohttp.ClientSession(headers=headers) as session:
        body = {"name": "n", "purpose": "p", "technicalDescriptors": keys}
        async with session.post(f"{base}/customers/containers", json=body) as resp:
            assert resp.status == 201, await resp.text()
            cid = (await resp.json())["containerId"]
        url = f"{base}/customers/vehicles/{vin}/telematicData"
        async with session.get(url, params={"containerId": cid}) as resp:
            assert resp.status == 200
            return (await resp.json())["telematicData"]


async def test_rest_values_are_strings_and_units_as_bmw_spells_them(
    simulator: Simulator,
) -> None:
    miles = await _telematic(simulator, GCID_C, CLIENT_C, VIN_MILES)
    assert miles[ODO]["unit"] is None
    assert isinstance(miles[ODO]["value"], str)
    assert miles[RANGE]["unit"] == "miles"
    assert miles[TOTAL]["unit"] == "miles"
    assert miles[CHG + "level"]["unit"] == "%"
    assert miles[TIMER]["value"] == "deactive"
    # Not supported by the car: null value and timestamp.
    assert miles["vehicle.drivetrain.fuelSystem.level"] == {
        "value": None,
        "unit": "%",
        "timestamp": None,
    }
    assert miles[EXTRA]["value"] is None
    km = await _telematic(simulator, GCID_A, CLIENT_A, VIN_BEV)
    assert km[TOTAL]["unit"] == "kilometers"
    assert km[CHG + "status"]["value"] == "NOCHARGING"
    phev = await _telematic(simulator, GCID_A, CLIENT_A, VIN_PHEV)
    assert phev["vehicle.body.chargingPort.dcStatus"]["value"] == "INVALID"


def test_basic_data_of_a_uk_mini_uses_real_field_names(simulator: Simulator) -> None:
    data = simulator.basic_data(VIN_MILES)
    assert data["brand"] == "MINI"
    assert data["countryCode"] == "GB"
    assert "colourCodeRaw" in data
    assert "countryCodeISO" not in data
