"""Fixtures of the api tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.simulator import Simulator


@pytest_asyncio.fixture
async def short_sim(socket_enabled: None) -> AsyncIterator[Simulator]:
    """A simulator whose access and id tokens live 8 s.

    Long enough that a swap 4 s ahead of expiry has time for a TLS reconnect
    with both cores busy; short enough for two expiries in a test.
    """
    sim = Simulator(id_token_lifetime=8, access_token_lifetime=8)
    sim.load_default_world()
    sim.oauth.interval = 1
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()
