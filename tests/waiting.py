"""The one way tests wait: poll a condition until it holds, with a deadline.

Every test that waits for something the network side, the simulator or a
background task does calls :func:`wait_for`; nothing else in the tests sleeps.

It works under the ``freezer`` fixture too. Home Assistant's loop clock stands
still there, so an ``asyncio.sleep`` would never end and ``asyncio.timeout``
would never fire (a test hung that way when the stream was not yet connected
on the first look). The pauses are therefore slept in a worker thread of this
module (started at import, so Home Assistant's check for lingering threads
counts it as there before every test), and the deadline is read from the
system's monotonic clock directly, which freezegun does not patch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
import inspect
import time

PAUSE = 0.01
"""Seconds between two looks at the condition."""

_PAUSES = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tests-wait-for")
_PAUSES.submit(time.sleep, 0).result()


def _now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


async def wait_for(
    condition: Callable[[], object | Awaitable[object]],
    *,
    timeout: float = 20.0,
) -> None:
    """Return once ``condition()`` is true; raise TimeoutError after ``timeout`` s.

    ``condition`` may be a coroutine function (a look that needs the network,
    such as whether a port listens); keep each look short. The deadline is
    real time, with or without the ``freezer`` fixture.
    """
    deadline = _now() + timeout
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if _now() >= deadline:
            what = getattr(condition, "__qualname__", repr(condition))
            msg = f"not true within {timeout} s: {what}"
            raise TimeoutError(msg)
        # Straight to the pause thread, not through the loop's executor API:
        # a test may forbid the loop's executor to the code under test.
        await asyncio.wrap_future(_PAUSES.submit(time.sleep, PAUSE))
