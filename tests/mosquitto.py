"""A real MQTT broker for tests: Debian's mosquitto on a free loopback port.

Tests that use :func:`mosquitto` skip with a clear reason when the binary is
not installed (``scripts/setup`` installs it when run as root on Debian).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from dataclasses import dataclass
from pathlib import Path
import shutil
import socket

import pytest

from tests.waiting import wait_for

HOST = "127.0.0.1"
START_TIMEOUT = 5.0


def mosquitto_binary() -> str | None:
    """Return the mosquitto executable, if installed."""
    found = shutil.which("mosquitto")
    if found:
        return found
    for candidate in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"):
        if Path(candidate).is_file():
            return candidate
    return None


def free_port() -> int:
    """Return a free TCP port on the loopback address."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Broker:
    """A running mosquitto."""

    host: str
    port: int
    log: Path

    def log_text(self) -> str:
        """Return what mosquitto logged so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


async def _listening(port: int) -> bool:
    try:
        _reader, writer = await asyncio.open_connection(HOST, port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def _wait_listening(port: int) -> None:
    try:
        await wait_for(lambda: _listening(port), timeout=START_TIMEOUT)
    except TimeoutError:
        msg = f"mosquitto did not listen on port {port}"
        raise RuntimeError(msg) from None


@contextlib.asynccontextmanager
async def mosquitto(directory: Path) -> AsyncIterator[Broker]:
    """Run mosquitto (anonymous access, no persistence) until the block ends."""
    binary = mosquitto_binary()
    if binary is None:
        pytest.skip("mosquitto is not installed (scripts/setup installs it as root)")
    port = free_port()
    config = directory / "mosquitto.conf"
    log = directory / "mosquitto.log"
    config.write_text(
        f"listener {port} {HOST}\nallow_anonymous true\npersistence false\n"
        "log_dest stderr\nlog_type all\nmax_queued_messages 100000\n",
        encoding="utf-8",
    )
    with log.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            binary,
            "-c",
            str(config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log_file,
        )
    try:
        await _wait_listening(port)
        yield Broker(HOST, port, log)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(10):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
