"""Pytest fixture ``simulator``: a started simulator with the default world."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .core import Simulator


@pytest_asyncio.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[Simulator]:
    """A running simulator (default world, device-code interval 1 s)."""
    sim = Simulator()
    sim.load_default_world()
    sim.oauth.interval = 1
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()
