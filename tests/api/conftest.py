"""Fixtures of the api tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.simulator import Simulator


@pytest_asyncio.fixture
async def short_sim(socket_enabled: None) -> AsyncIterator[Simulator]:
    """A simulator whose access and id tokens live 4 s."""
    sim = Simulator(id_token_lifetime=4, access_token_lifetime=4)
    sim.load_default_world()
    sim.oauth.interval = 1
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()
