"""The daily container read: what BMW does not stream at all.

Some fields come only in a telematicData read, never on the stream (the
high-voltage battery's state of health, the check-control messages, the
service data, the lifetime counters; :mod:`..catalogue.streaming`). Per
vehicle the container is read at most once a day on the schedule every daily
read shares (:mod:`.daily`), as :attr:`CallKind.DAILY`, never into the
reserve for the owner's own actions. A container read of the last day (the
first set-up's, a poll while the stream was silent) stands for it: BMW is
not asked twice. The answer reaches the coordinator like every REST value,
each with the time BMW read it (:func:`.bootstrap.apply_telematic`).
"""

from __future__ import annotations

from typing import Final

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.util import dt as dt_util

from .bootstrap import RestContext, async_fetch_telematic
from .daily import DailyRead
from .quota_policy import WINDOW, CallKind

READ: Final = "container"
"""The planner's name of the daily read."""


class DailyContainerRead:
    """Reads each vehicle's container once a day (module docstring)."""

    def __init__(self, rest: RestContext) -> None:
        """Read every vehicle the coordinator knows."""
        self.rest = rest
        self._schedule = DailyRead(
            rest, READ, lambda: rest.coordinator.vehicles, self._async_read
        )

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Look for due reads on the shared daily schedule; return the stop."""
        return self._schedule.async_start()

    async def _async_read(self, vin: str) -> bool:
        fetched = self.rest.planner.fetched_at(vin)
        if fetched is not None and dt_util.utcnow() - fetched < WINDOW:
            return False  # read in the last day already
        return await async_fetch_telematic(self.rest, vin, CallKind.DAILY) is not None
