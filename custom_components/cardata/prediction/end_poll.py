"""One telematic poll when a charge or a trip ends in silence.

When a charge ends (the status leaves charging, or the power drops to zero)
or a trip ends, the car usually sends its charge level. When the stream has
not delivered it a few minutes later, and the car is not charging or driving
again by then (it was a pause), one ``telematicData`` call fetches it,
through the quota planner as a scheduled call (so never into the reserve),
and at most a set number of times per vehicle in 24 hours (an option).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from ..api import ApiError, CarDataConnectionError
from ..common.settings import end_polls_per_day
from ..const import CONF_CONTAINER_ID, DOMAIN, LOGGER
from ..rest.bootstrap import RestContext, async_fetch_telematic
from ..rest.quota import QuotaSpentError
from ..rest.quota_policy import CallKind
from .inputs import VehicleFeed

GRACE: Final = timedelta(minutes=5)
"""How long the car gets to send its charge level itself."""
WINDOW: Final = timedelta(hours=24)


class EndPoller:
    """Polls after charge and trip ends the stream left without a level."""

    def __init__(
        self,
        rest: RestContext,
        feed: Callable[[str], VehicleFeed],
        save: Callable[[], None],
    ) -> None:
        """Prepare; ``feed`` gives a vehicle's feed, ``save`` stores the polls."""
        self.rest = rest
        self.hass = rest.hass
        self.entry = rest.entry
        self._feed = feed
        self._save = save
        self.polls = 0
        """Polls made since the entry was set up."""
        self.skipped: dict[str, int] = {}
        """Why polls were not made (reason -> count)."""
        self._made: dict[str, list[datetime]] = {}
        self._timers: dict[str, CALLBACK_TYPE] = {}

    def load(self, vin: str, raw: Any) -> None:
        """Read the poll times stored for a vehicle."""
        times: list[datetime] = []
        for item in raw if isinstance(raw, list) else ():
            parsed = dt_util.parse_datetime(item) if isinstance(item, str) else None
            if parsed is not None:
                times.append(parsed)
        self._made[vin] = times

    def stored(self, vin: str) -> list[str]:
        """Poll times of the last 24 hours, for the store."""
        return [at.isoformat() for at in self._recent(vin)]

    def _recent(self, vin: str) -> list[datetime]:
        cutoff = dt_util.utcnow() - WINDOW
        recent = [at for at in self._made.get(vin, ()) if at > cutoff]
        self._made[vin] = recent
        return recent

    @callback
    def schedule(self, vin: str, ended_at: datetime, *, trip: bool = False) -> None:
        """A charge or (``trip``) a trip ended at ``ended_at`` (message arrival)."""
        if (cancel := self._timers.pop(vin, None)) is not None:
            cancel()

        @callback
        def _due(_now: datetime) -> None:
            self._timers.pop(vin, None)
            self.entry.async_create_background_task(
                self.hass,
                self.async_check(vin, ended_at, trip=trip),
                f"{DOMAIN} poll after charge or trip end",
            )

        self._timers[vin] = async_call_later(self.hass, GRACE, _due)

    @callback
    def async_stop(self) -> None:
        """Cancel what is scheduled (on unload)."""
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()

    def _skip(self, reason: str) -> bool:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        LOGGER.debug("No poll after a charge or trip end: %s", reason)
        return False

    def _why_not(self, vin: str, ended_at: datetime, *, trip: bool) -> str | None:
        """Why no poll is needed or allowed now; ``None`` when it is."""
        entry = self.entry
        if self.rest.coordinator.shared(vin):
            return "shared"  # BMW refuses REST calls for a shared car
        feed = self._feed(vin)
        if feed.source is not None:
            state = self.rest.coordinator.get(vin, feed.source)
            if state is not None and state.received_at >= ended_at:
                return "delivered"
        if feed.predictor.moving if trip else feed.predictor.charging:
            # A pause (a stop on the way, a cloud over a solar wallbox) and
            # not the end: the level comes with the real end.
            return "resumed"
        if CONF_CONTAINER_ID not in entry.data:
            return "no_container"
        if len(self._recent(vin)) >= end_polls_per_day(entry.options):
            return "daily_limit"
        return None

    async def async_check(
        self, vin: str, ended_at: datetime, *, trip: bool = False
    ) -> bool:
        """Poll once when no charge level arrived since ``ended_at``."""
        if (reason := self._why_not(vin, ended_at, trip=trip)) is not None:
            return self._skip(reason)
        self._made.setdefault(vin, []).append(dt_util.utcnow())
        self._save()
        try:
            await async_fetch_telematic(self.rest, vin, CallKind.SCHEDULED)
        except QuotaSpentError:
            self._made[vin].pop()  # nothing was called
            return self._skip("budget")
        except (ApiError, CarDataConnectionError, ConfigEntryAuthFailed) as err:
            return self._skip(type(err).__name__)
        self.polls += 1
        return True
