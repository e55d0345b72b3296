"""The broker's certificates: untrusted ones, and a CA replaced in place."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
import ssl
from typing import Any

import aiohttp
import pytest

from tests.simulator import Simulator


async def _handshake(sim: Simulator, cafile: str) -> None:
    """Open and close one TLS connection that trusts ``cafile`` only."""
    context = ssl.create_default_context(cafile=cafile)
    _, writer = await asyncio.open_connection(
        sim.endpoints["stream_host"], sim.endpoints["stream_port"], ssl=context
    )
    writer.close()
    await writer.wait_closed()


def _file(path: str) -> tuple[bytes, int]:
    """Content and inode of a file."""
    return Path(path).read_bytes(), Path(path).stat().st_ino


async def _refused(sim: Simulator, cafile: str) -> str:
    """The verification failure a client that trusts ``cafile`` meets."""
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        await _handshake(sim, cafile)
    return str(caught.value.verify_message)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("expired", "certificate has expired"),
        ("untrusted", "unable to get local issuer certificate"),
        ("wrong_host", "mismatch"),  # "IP address mismatch" for 127.0.0.1
    ],
)
async def test_presented_certificate_is_not_trusted(
    simulator: Simulator, kind: str, reason: str
) -> None:
    await _handshake(simulator, simulator.ca_file)
    trusting = simulator.present_certificate(kind)
    assert reason in await _refused(simulator, simulator.ca_file)
    if kind == "untrusted":
        assert trusting != simulator.ca_file
        await _handshake(simulator, trusting)  # the other CA does trust it
    simulator.present_certificate("trusted")
    await _handshake(simulator, simulator.ca_file)


async def test_rotated_ca_is_written_in_place(
    make_simulator: Callable[..., Any], tmp_path: Path
) -> None:
    sim: Simulator = await make_simulator(cert_dir=str(tmp_path / "ca"))
    before, inode = _file(sim.ca_file)
    old = str(tmp_path / "ca" / "ca.pem.old")
    Path(old).write_bytes(before)  # noqa: ASYNC240 - a small test file
    await _handshake(sim, sim.ca_file)

    assert sim.rotate_ca() == sim.ca_file
    after, same_inode = _file(sim.ca_file)
    assert after != before
    assert same_inode == inode  # the same file, new content
    await _handshake(sim, sim.ca_file)
    assert "unable to get local issuer certificate" in await _refused(sim, old)


async def test_switchboard_presents_and_rotates(
    make_simulator: Callable[..., Any], tmp_path: Path
) -> None:
    sim: Simulator = await make_simulator(control=True, cert_dir=str(tmp_path / "ca"))
    url = sim.endpoints["api_url"] + "/_sim/world"
    async with aiohttp.ClientSession() as session:

        async def world(**body: Any) -> tuple[int, dict[str, Any]]:
            async with session.post(url, json=body) as resp:
                return resp.status, await resp.json()

        status, answer = await world(command="present_certificate", kind="expired")
        assert (status, answer["ca_file"]) == (200, sim.ca_file)
        assert "certificate has expired" in await _refused(sim, sim.ca_file)
        status, _ = await world(command="present_certificate", kind="nonsense")
        assert status == 400
        before, _ = _file(sim.ca_file)
        status, answer = await world(command="rotate_ca")
        assert (status, answer["ca_file"]) == (200, sim.ca_file)
        assert _file(sim.ca_file)[0] != before
        await _handshake(sim, sim.ca_file)  # rotation presents the new CA's cert
        async with session.get(sim.endpoints["api_url"] + "/_sim/stats") as resp:
            assert (await resp.json())["presented"] == "trusted"
