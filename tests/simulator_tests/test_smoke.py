"""The fixture starts and stops the simulator cleanly."""

from __future__ import annotations

import aiohttp

from tests.simulator import GCID_A, VIN_BEV, Simulator


async def test_fixture_serves_http(simulator: Simulator) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(simulator.endpoints["auth_url"] + "/") as resp,
    ):
        assert resp.status == 200
        body = await resp.json()
    assert body["endpoints"]["stream_tls"] == "custom_ca"
    assert simulator.broker.active_connections(GCID_A) == 0
    assert await simulator.publish(VIN_BEV, {"vehicle.isMoving": "asn_istrue"}) == 0
