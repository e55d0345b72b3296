"""The scenario publishes a plausible day in BMW's message shape."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.cardata.ledger.history import read_history
from tests.simulator import (
    GCID_A,
    GCID_B,
    GCID_C,
    VIN_BEV,
    VIN_ID6,
    VIN_NK,
    VIN_PHEV,
    Simulator,
    Step,
)
from tests.simulator.market import stream_unit
from tests.simulator.rest_data import charging_sessions
from tests.simulator.world import BUILTIN

GPS = "vehicle.cabin.infotainment.navigation.currentLocation."
SOC = "vehicle.drivetrain.batteryManagement.header"
DISPLAYED = "vehicle.powertrain.electric.battery.stateOfCharge.displayed"
ODO = "vehicle.vehicle.travelledDistance"


def _messages(sim: Simulator, gcid: str, vin: str) -> list[dict[str, Any]]:
    return [json.loads(p) for t, p in sim.messages if t == f"{gcid}/{vin}"]


def _series(messages: list[dict[str, Any]], name: str) -> list[Any]:
    return [m["data"][name]["value"] for m in messages if name in m["data"]]


async def test_bev_day(simulator: Simulator) -> None:
    await simulator.run_scenario(VIN_BEV, speed=20_000)
    messages = _messages(simulator, GCID_A, VIN_BEV)
    assert len(messages) > 50
    for message in messages:
        assert set(message) == {"vin", "entityId", "topic", "timestamp", "data"}
        assert message["vin"] == VIN_BEV
        assert message["entityId"] == GCID_A
        assert message["timestamp"].endswith("Z")
        for entry in message["data"].values():
            assert set(entry) <= {"value", "unit", "timestamp"}
    # Latitude and longitude never share a message.
    assert not any(
        GPS + "latitude" in m["data"] and GPS + "longitude" in m["data"]
        for m in messages
    )
    odo = _series(messages, ODO)
    assert odo == sorted(odo)
    assert odo[-1] > odo[0]
    soc = _series(messages, SOC)
    low = soc.index(min(soc))
    assert 0 < low < len(soc) - 1  # falls while driving, rises while charging
    assert soc[-1] > soc[low]
    moving = _series(messages, "vehicle.isMoving")
    assert "asn_istrue" in moving
    assert moving[-1] == "asn_isfalse"
    status = _series(messages, "vehicle.drivetrain.electricEngine.charging.hvStatus")
    assert status[:1] == ["CHARGING"]
    assert status[-1] == "FINISHED_FULLY_CHARGED"
    power = _series(messages, "vehicle.powertrain.electric.battery.charging.power")
    assert max(power) == 11_000
    assert power[-1] == 0
    units = {m["data"][SOC].get("unit") for m in messages if SOC in m["data"]}
    assert units == {"percent"}
    level = "vehicle.drivetrain.electricEngine.charging.level"
    assert all("unit" not in m["data"][level] for m in messages if level in m["data"])


async def test_idrive6_sends_only_at_trip_end(simulator: Simulator) -> None:
    steps = [Step("park_unlocked", 10), Step("drive", 600, 60), Step("park_lock", 60)]
    await simulator.run_scenario(VIN_ID6, steps, speed=20_000)
    messages = _messages(simulator, GCID_B, VIN_ID6)
    # unlock, one trip-end batch, latitude, longitude, lock
    assert len(messages) == 5
    batch = messages[1]["data"]
    assert ODO in batch
    assert "vehicle.drivetrain.fuelSystem.level" in batch
    assert list(messages[2]["data"]) == [GPS + "latitude"]
    assert list(messages[3]["data"]) == [GPS + "longitude"]


async def test_phev_and_background_task(simulator: Simulator) -> None:
    task = simulator.start_scenario(VIN_PHEV, speed=50_000)
    await task
    assert _series(_messages(simulator, GCID_A, VIN_PHEV), SOC)
    simulator.start_scenario(VIN_BEV, speed=1, loop=True)
    await simulator.stop_scenarios()


async def test_publish_updates_rest_state(simulator: Simulator) -> None:
    await simulator.publish(VIN_BEV, {SOC: 42.5}, unit="")
    assert simulator.vehicles[VIN_BEV].state[SOC].value == 42.5
    message = json.loads(simulator.messages[-1][1])
    assert "unit" not in message["data"][SOC]


async def test_publish_with_own_timestamp(simulator: Simulator) -> None:
    await simulator.publish(VIN_BEV, {ODO: 1}, timestamp="2026-01-02T03:04:05Z")
    message = json.loads(simulator.messages[-1][1])
    assert message["data"][ODO]["timestamp"] == "2026-01-02T03:04:05Z"
    assert simulator.vehicles[VIN_BEV].state[ODO].timestamp.year == 2026


async def test_works_without_bmw_catalogue(
    monkeypatch: pytest.MonkeyPatch, socket_enabled: None, tmp_path: Path
) -> None:
    monkeypatch.setenv("CARDATA_REFERENCE_DIR", str(tmp_path))
    sim = Simulator()
    assert sim.catalogue == {}
    sim.load_default_world()
    await sim.start()
    try:
        await sim.run_scenario(VIN_PHEV, speed=50_000)
        assert sim.known_descriptor(SOC)
        assert sim.known_descriptor("vehicle.some.futureKey")
        assert not sim.known_descriptor("vehicle.bad key")
        assert sim.descriptor(SOC) is not None
    finally:
        await sim.stop()


async def test_scenario_speaks_the_catalogue(simulator: Simulator) -> None:
    if not simulator.catalogue:
        pytest.skip("BMW catalogue CSV absent (set CARDATA_REFERENCE_DIR)")
    for vin in (VIN_BEV, VIN_PHEV, VIN_ID6):
        await simulator.run_scenario(vin, speed=100_000)
    seen: dict[str, set[Any]] = {}
    for _, payload in simulator.messages:
        message = json.loads(payload)
        vehicle = simulator.vehicles[message["vin"]]
        for name, entry in message["data"].items():
            seen.setdefault(name, set()).add(entry["value"])
            info = simulator.catalogue[name]  # every key is BMW's
            if "unit" in entry:
                # The catalogue's unit, or the car's own distance unit.
                assert entry["unit"] == stream_unit(vehicle, name, info)
    for name, values in seen.items():
        info = simulator.catalogue[name]
        # The catalogue's words, and those real cars send where its value
        # range is wrong or incomplete (the simulator's built-in table).
        real = BUILTIN[name].values if name in BUILTIN else ()
        words = {
            w.lower()
            for w in re.findall(r"[A-Za-z0-9_\-]+", " ".join((*info.values, *real)))
        }
        for value in values:
            if isinstance(value, str) and info.data_type in {"string", "boolean", "-"}:
                assert value.lower() in words or not words, (name, value)


async def test_neue_klasse_day(simulator: Simulator) -> None:
    """The Neue Klasse car (default world, account C): its charge level on
    stateOfCharge.displayed only, and the header's VIN fields empty."""
    await simulator.run_scenario(VIN_NK, speed=20_000)
    messages = _messages(simulator, GCID_C, VIN_NK)
    assert len(messages) > 50
    assert all(m["vin"] == "" and m["topic"] == "" for m in messages)
    assert _series(messages, SOC) == []
    level = _series(messages, DISPLAYED)
    low = level.index(min(level))
    assert 0 < low < len(level) - 1  # falls while driving, rises while charging
    status = _series(messages, "vehicle.drivetrain.electricEngine.charging.status")
    assert "CHARGINGACTIVE" in status


async def test_charging_history_agrees_with_the_stream(simulator: Simulator) -> None:
    """The history answers the charge the car streamed, in both of BMW's shapes."""
    await simulator.run_scenario(VIN_BEV, speed=20_000)
    messages = _messages(simulator, GCID_A, VIN_BEV)
    status = "vehicle.drivetrain.electricEngine.charging.hvStatus"
    charging = [m for m in messages if m["data"].get(status, {}).get("value")]
    started = charging[0]["timestamp"]
    vehicle = simulator.vehicles[VIN_BEV]
    classic = charging_sessions(vehicle, simulator.now())
    assert len(classic) == 1
    assert "chargingCostInformation" in classic[0]
    vehicle.history_shape = "v15"
    (row,) = charging_sessions(vehicle, simulator.now())
    assert "chargingCostInformation" not in row
    assert "energyDischargedKwh" in row
    (session,) = read_history([row])
    assert abs(session.start.timestamp() - _seconds(started)) <= 60
    soc = _series(messages, SOC)
    assert session.end_level == round(soc[-1])
    assert session.energy_kwh is not None
    assert session.energy_kwh > 0
    assert sum(b.kwh for b in session.blocks) == pytest.approx(session.energy_kwh)


def _seconds(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp).timestamp()
