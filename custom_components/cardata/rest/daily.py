"""Once a day per vehicle: the schedule the daily REST reads share.

A :class:`DailyRead` looks for due reads every :data:`CHECK_EVERY` (the
first check: this long after the start). A vehicle's read is due when the
planner has no attempt of it (by the read's name) in the last day and a
call still fits outside the reserve for the owner's own actions. The
attempt is stored in the planner before the call, whatever comes of it, so
a failed read and a refused one wait for the next day, never a loop; a
refusal by the budget ends the check (nothing more fits today). Shared
(SECONDARY) cars are never read: BMW refuses them.

What a read asks and what it does with the answer is the caller's ``read``
(the ledger's charging history, the daily container read).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Final

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_track_time_interval

from ..api import ApiError, CarDataConnectionError
from ..api.vin import VIN_RE
from ..const import DOMAIN, LOGGER
from .bootstrap import RestContext
from .quota import QuotaSpentError

CHECK_EVERY: Final = timedelta(minutes=30)
"""How often due reads are looked for."""


class DailyRead:
    """Runs ``read(vin)`` at most once a day per vehicle (module docstring)."""

    def __init__(
        self,
        rest: RestContext,
        name: str,
        vehicles: Callable[[], Iterable[str]],
        read: Callable[[str], Awaitable[bool]],
        *,
        paused: Callable[[], bool] = lambda: False,
    ) -> None:
        """Read ``vehicles()`` under the planner's ``name``.

        ``read`` returns whether BMW was asked (``False``: served otherwise);
        while ``paused()`` nothing is read.
        """
        self.rest = rest
        self.name = name
        self._vehicles = vehicles
        self._read = read
        self._paused = paused
        self._running = False

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Look for due reads every :data:`CHECK_EVERY`; return the stop callback."""
        return async_track_time_interval(self.rest.hass, self._check, CHECK_EVERY)

    @callback
    def _check(self, _now: datetime) -> None:
        self.rest.entry.async_create_task(
            self.rest.hass, self.async_run(), f"{DOMAIN} daily {self.name} read"
        )

    def mark_read(self, vin: str) -> None:
        """Today's read of ``vin`` is done (another read's answer served)."""
        self.rest.planner.mark_extra(self.name, vin)

    async def async_run(self) -> int:
        """Make the reads that are due; return how many asked BMW."""
        if self._running or self._paused():
            return 0
        self._running = True
        try:
            return await self._async_read_due()
        finally:
            self._running = False

    async def _async_read_due(self) -> int:
        planner, coordinator = self.rest.planner, self.rest.coordinator
        done = 0
        for vin in list(self._vehicles()):
            if not VIN_RE.match(vin) or coordinator.shared(vin):
                continue
            if not planner.extra_due(self.name, vin):
                continue
            planner.mark_extra(self.name, vin)  # tried today, whatever comes of it
            try:
                asked = await self._read(vin)
            except QuotaSpentError:
                return done  # nothing was called; tomorrow again
            except (ApiError, CarDataConnectionError, ConfigEntryAuthFailed) as err:
                # The login's own repair (reauth) is the token manager's.
                LOGGER.debug("Daily %s read failed: %s", self.name, type(err).__name__)
                continue
            done += int(asked)
        return done
