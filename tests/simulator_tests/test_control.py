"""The simulator's fault switchboard and its save-on-change memory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp

from tests.simulator import CLIENT_A, GCID_A, VIN_BEV, Simulator
from tests.waiting import wait_for

ODO = "vehicle.vehicle.travelledDistance"


async def _started(**kwargs: Any) -> Simulator:
    sim = Simulator(control=True, **kwargs)
    sim.load_default_world()
    await sim.start()
    return sim


async def test_faults_are_set_by_name(socket_enabled: None) -> None:
    sim = await _started()
    base = sim.endpoints["api_url"] + "/_sim"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(
                base + "/faults", json={"token_errors": 2, "timeout_seconds": 45}
            ) as resp:
                assert resp.status == 200
                assert (await resp.json())["token_errors"] == 2
            assert sim.faults.token_errors == 2
            assert sim.faults.timeout_seconds == 45.0
            for bad in ({"no_such_fault": 1}, {"token_errors": "many"}):
                async with session.post(base + "/faults", json=bad) as resp:
                    assert resp.status == 400
            async with session.post(
                base + "/faults", json={"used_device_code": 1}
            ) as resp:
                assert resp.status == 400
            assert sim.faults.token_errors == 2  # nothing half-applied
            # The stream's flapping and clock-skew modes, by name too.
            async with session.post(
                base + "/faults",
                json={"stream_flap_seconds": 30, "stream_clock_skew_hours": -2},
            ) as resp:
                assert resp.status == 200
            assert sim.faults.stream_clock_skew_hours == -2.0

            async def stats() -> dict[str, Any]:
                async with session.get(base + "/stats") as resp:
                    return await resp.json()  # type: ignore[no-any-return]

            async def flapping() -> bool:
                return bool((await stats())["flapping"])

            async def steady() -> bool:
                return not await flapping()

            # The broker takes it up within a check interval.
            await wait_for(flapping)
            assert 0 < sim.faults.stream_flap_seconds <= 30
            async with session.post(base + "/faults/reset") as resp:
                assert resp.status == 200
            assert sim.faults.token_errors == 0
            assert sim.faults.stream_clock_skew_hours == 0
            await wait_for(steady)
    finally:
        await sim.stop()


async def test_world_commands_and_stats(socket_enabled: None) -> None:
    sim = await _started()
    base = sim.endpoints["api_url"] + "/_sim"
    try:
        async with aiohttp.ClientSession() as session:

            async def world(**body: Any) -> dict[str, Any]:
                async with session.post(base + "/world", json=body) as resp:
                    assert resp.status == 200, await resp.text()
                    return await resp.json()  # type: ignore[no-any-return]

            await world(command="publish", vin=VIN_BEV, values={ODO: 7})
            assert sim.vehicles[VIN_BEV].state[ODO].value == 7
            await world(command="publish_raw", vin=VIN_BEV, payload="{not json")
            await world(command="publish_raw", vin=VIN_BEV, size=300_000)
            assert sim.messages[-2][1] == b"{not json"
            assert len(sim.messages[-1][1]) > 300_000
            before = sim.now()
            await world(command="advance", seconds=3600)
            assert (sim.now() - before).total_seconds() >= 3600
            await world(command="quota_exhaust", mode="429")
            assert sim.quota.remaining(GCID_A) == 0
            assert sim.quota.mode == "429"
            await world(command="quota_reset")
            assert sim.quota.remaining(GCID_A) == 50
            await world(command="fill_containers")
            assert len(sim.rest.containers) == sim.rest.container_limit
            assert (await world(command="delete_containers"))["deleted"] == 10
            tokens = sim.oauth.issue_tokens(GCID_A, CLIENT_A)
            await world(command="revoke")
            assert not sim.oauth.refresh_token_valid(tokens["refresh_token"])
            await world(command="evict", hold_for=5)
            await world(command="release")
            await world(command="restart_scenario", vin=VIN_BEV, speed=20_000)
            await wait_for(lambda: ODO in sim.vehicles[VIN_BEV].state)
            unknown = {"command": "restart_scenario", "vin": "WBA00000000NONE00"}
            async with session.post(base + "/world", json=unknown) as resp:
                assert resp.status == 400
            await world(command="stop_scenarios")
            async with session.post(base + "/world", json={"command": "x"}) as resp:
                assert resp.status == 400
            async with session.get(base + "/stats") as resp:
                stats = await resp.json()
            assert stats["connections"] == 0
            assert stats["quota_used"] == 0
    finally:
        await sim.stop()


async def test_only_loopback_peers_reach_the_switchboard(socket_enabled: None) -> None:
    sim = await _started(host="0.0.0.0")  # noqa: S104 - to see a non-loopback peer
    port = sim.endpoints["api_url"].rsplit(":", 1)[1]
    try:
        # 127.0.0.2 is loopback too, but not one of the two addresses let in:
        # it stands for any other peer.
        connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.get(f"http://127.0.0.1:{port}/_sim/faults") as resp,
        ):
            assert resp.status == 403
    finally:
        await sim.stop()


async def test_no_switchboard_unless_asked(simulator: Simulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(simulator.endpoints["api_url"] + "/_sim/faults") as resp,
    ):
        assert resp.status == 404


async def test_a_killed_simulator_keeps_its_tokens(
    socket_enabled: None, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    sim = await _started(state_file=str(state))
    try:
        tokens = sim.oauth.issue_tokens(GCID_A, CLIENT_A)
        # No stop(): what is on disk now is what a kill -9 leaves.
        await wait_for(
            lambda: (
                tokens["refresh_token"]
                in (state.read_text(encoding="utf-8") if state.is_file() else "")
            ),
            timeout=10,
        )
        saved = json.loads(state.read_text(encoding="utf-8"))
        assert saved["tokens"][tokens["refresh_token"]]["revoked"] is False
    finally:
        await sim.stop()
