"""Stopping the entry's background tasks the same way everywhere."""

from __future__ import annotations

import asyncio
from typing import Any


async def async_cancel(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and wait until it has ended.

    The task's own cancellation is swallowed; a cancellation of the caller
    (for example the entry's unload being cancelled) still goes through.
    """
    if task is None or task.done():
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():  # pragma: no cover
            raise
