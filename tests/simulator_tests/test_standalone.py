"""``python -m tests.simulator`` runs on its own and stops on SIGTERM."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import signal
import sys

import aiohttp

from tests.simulator import CLIENT_A, GCID_A, VIN_BEV, Simulator
from tests.waiting import wait_for

ODO = "vehicle.vehicle.travelledDistance"

REPO = Path(__file__).resolve().parents[2]


async def test_standalone_run(socket_enabled: None, tmp_path: Path) -> None:
    endpoints = tmp_path / "endpoints.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.simulator",
        "--speed",
        "1000",
        "--cert-dir",
        str(tmp_path / "ca"),
        "--endpoints-file",
        str(endpoints),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await wait_for(lambda: endpoints.is_file() or process.returncode is not None)
        info = json.loads(endpoints.read_text(encoding="utf-8"))
        assert info["client_id"] == CLIENT_A
        assert info["stream_tls"] == "custom_ca"
        assert Path(info["stream_ca_file"]).is_file()  # noqa: ASYNC240
        async with (
            aiohttp.ClientSession() as session,
            session.get(info["verify_url"]) as resp,
        ):
            assert resp.status == 200
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    assert b"stopped" in output


async def test_state_survives_restart(socket_enabled: None, tmp_path: Path) -> None:
    state = str(tmp_path / "state.json")
    first = Simulator(state_file=state)
    first.load_default_world()
    await first.start()
    tokens = first.oauth.issue_tokens(GCID_A, CLIENT_A)
    first.quota.exhaust(GCID_A)
    await first.publish(VIN_BEV, {ODO: 20_000})
    await first.stop()
    second = Simulator(state_file=state)
    second.load_default_world()
    await second.start()
    try:
        assert second.oauth.refresh_token_valid(tokens["refresh_token"])
        assert second.oauth.lookup(tokens["id_token"], "id") is not None
        assert second.quota.calls(GCID_A) == 50
        assert second.vehicles[VIN_BEV].state[ODO].value == 20_000
    finally:
        await second.stop()
