"""The ledger's own daily read of BMW's charging history.

Per electrified vehicle at most one ``chargingHistory`` call a day, through
the quota planner as :attr:`CallKind.LEDGER` (never into the reserve it
keeps for the owner's own actions, and in its call log like every call),
asking only for the days since the last read (:mod:`.reading`). The first
read imports the last 30 days once, with as many pages as the day's budget
allows; later reads take one page, and when BMW says there is a next page,
the next day's read goes on from it. A refused or failed read is tried
again the next day, never in a loop, and shared (SECONDARY) cars are never
read: the schedule is the one every daily read shares (:mod:`..rest.daily`).

With the opt-in extra *Charging history* switched on, its daily read (the
last 30 days, :mod:`..rest.extras`) is the one call: the ledger takes that
answer (:meth:`DailyHistoryRead.served`) and asks BMW nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Final

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.util import dt as dt_util

from ..api import ApiError, CarDataConnectionError
from ..api.rest import MAX_PAGES, ChargingHistory
from ..common.settings import OPT_CHARGING_HISTORY, extra_enabled
from ..rest.bootstrap import RestContext
from ..rest.daily import CHECK_EVERY, DailyRead
from ..rest.quota_policy import CallKind
from .reading import ReadState, after_failure, after_read, covers, plan_read

__all__ = ["CHECK_EVERY", "READ", "DailyHistoryRead"]

READ: Final = "ledger_history"
"""The planner's name of the daily read (once a day per vehicle)."""


class DailyHistoryRead:
    """Reads each vehicle's new charging sessions once a day (module docstring)."""

    def __init__(
        self,
        rest: RestContext,
        vehicles: Callable[[], list[str]],
        state: Callable[[str], ReadState],
        keep: Callable[[str, ReadState], None],
        deliver: Callable[[str, ChargingHistory], None],
    ) -> None:
        """Read for ``vehicles()``; ``state``/``keep`` hold how far each was read."""
        self.rest = rest
        self._state = state
        self._keep = keep
        self._deliver = deliver
        self._schedule = DailyRead(
            rest, READ, vehicles, self._async_read, paused=self.extra_reads
        )

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Look for due reads on the shared daily schedule; return the stop."""
        return self._schedule.async_start()

    def extra_reads(self) -> bool:
        """Whether the opt-in extra's daily read serves the ledger too."""
        return extra_enabled(self.rest.entry.options, OPT_CHARGING_HISTORY)

    async def _async_read(self, vin: str) -> bool:
        planner = self.rest.planner
        state = self._state(vin)
        plan = plan_read(state, dt_util.utcnow())
        # The first import may take the pages the day's budget has left.
        pages = (
            max(1, min(MAX_PAGES, planner.remaining(CallKind.LEDGER)))
            if plan.first
            else 1
        )
        try:
            history = await planner.async_call(
                CallKind.LEDGER,
                partial(
                    self.rest.api.get_charging_history_pages,
                    vin,
                    plan.start,
                    plan.end,
                    max_pages=pages,
                    token=plan.token,
                ),
                calls=pages,
            )
        except ApiError, CarDataConnectionError:
            self._keep(vin, after_failure(state))
            raise
        self._keep(vin, after_read(state, plan, history.complete, history.next_token))
        self._deliver(vin, history)
        return True

    def served(self, vin: str, history: ChargingHistory) -> None:
        """Another read's answer (the extra's): it may stand for today's read."""
        state = self._state(vin)
        now = dt_util.utcnow()
        if history.end is None or not covers(
            state, now, history.start, history.end, history.complete
        ):
            return
        self._keep(vin, ReadState(until=max(history.end, state.until or history.end)))
        self._schedule.mark_read(vin)
