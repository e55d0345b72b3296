"""The one wait of the end-to-end run: poll a condition until a deadline.

Every wait of the run (the processes starting, a value reaching the page, a
layout settling) goes through :func:`wait_until`; there is no other sleep.
Playwright's own ``expect`` assertions and actions wait on their own, with
the timeout set in driver.py.
"""

from __future__ import annotations

from collections.abc import Callable
import time

INTERVAL = 0.5
"""Seconds between two looks."""


def wait_until[T](
    what: str,
    check: Callable[[], T],
    seconds: float,
    *,
    pause: Callable[[float], object] = time.sleep,
    detail: Callable[[], object] | None = None,
) -> T:
    """Look at ``check`` until it returns something truthy, and return that.

    Bounded by a deadline ``seconds`` from now (time spent in ``check``
    counts) and by the number of looks. ``pause`` waits between two looks
    (the browser passes its own, which keeps Playwright's events flowing).
    On time-out, raises :class:`TimeoutError` naming ``what`` and, when given,
    ``detail()`` (what was seen last).
    """
    deadline = time.monotonic() + seconds
    for _ in range(int(seconds / INTERVAL) + 2):
        if result := check():
            return result
        left = deadline - time.monotonic()
        if left <= 0:
            break
        pause(min(INTERVAL, left))
    msg = f"timed out after {seconds:.0f} s waiting for {what}"
    if detail is not None:
        msg += f" (last seen: {detail()})"
    raise TimeoutError(msg)
