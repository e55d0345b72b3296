"""The REST side of a loaded entry: bootstrap, scheduled polls, repairs.

:func:`async_setup_rest` is called once by ``async_setup_entry`` after the
platforms are set up. It connects the quota planner to the repair issues,
follows the stream for the eviction and scope issues, starts the first
set-up calls (only on the first set-up, see :mod:`.bootstrap`) and a timer
that asks the planner every minute which vehicles, if any, need a poll
because their stream has been silent (see :mod:`.quota_policy`).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from ..api import ApiError, CarDataConnectionError, StreamState
from ..api.vin import VIN_RE
from ..common.issues import async_report_quota, async_setup_stream_issues
from ..common.settings import extras_per_day
from ..const import CONF_CONTAINER_ID, DOMAIN, LOGGER
from ..rest.bootstrap import async_bootstrap, async_fetch_telematic
from ..rest.quota import QuotaSpentError, planner_of
from ..rest.quota_policy import CallKind, VehicleActivity
from ..runtime.data import CarDataConfigEntry
from .sync import VehicleSync

TICK = timedelta(minutes=1)


class Poller:
    """Scheduled telematic polls of one entry while its stream is silent."""

    def __init__(self, hass: HomeAssistant, entry: CarDataConfigEntry) -> None:
        """Prepare; :meth:`async_start` starts the timer."""
        self.hass = hass
        self.entry = entry
        self.stream_down_since: datetime | None = dt_util.utcnow()
        self._running = False
        self.polls = 0
        self.bootstrap: asyncio.Task[None] | None = None
        self.sync = VehicleSync(hass, entry)

    @callback
    def async_start(self) -> None:
        """Follow the stream state and start the timer (stopped on unload)."""
        entry = self.entry
        entry.async_on_unload(
            entry.runtime_data.stream.async_add_listener(self._on_stream)
        )
        entry.async_on_unload(async_track_time_interval(self.hass, self._on_tick, TICK))
        self._on_stream()

    @callback
    def _on_stream(self) -> None:
        if self.entry.runtime_data.stream.state == StreamState.CONNECTED:
            self.stream_down_since = None
        elif self.stream_down_since is None:
            self.stream_down_since = dt_util.utcnow()

    @callback
    def _on_tick(self, _now: datetime) -> None:
        if self._running:
            return
        self.entry.async_create_background_task(
            self.hass, self.async_poll_due(), f"{DOMAIN} scheduled poll"
        )

    def activities(self) -> dict[str, VehicleActivity]:
        """Return what the planner needs to know about each vehicle."""
        coordinator = self.entry.runtime_data.coordinator
        return {
            vin: VehicleActivity(last_message=vehicle.last_received_at)
            for vin, vehicle in coordinator.vehicles.items()
            if VIN_RE.match(vin)
        }

    async def async_poll_due(self) -> int:
        """Poll the vehicles the planner lets through now; return how many.

        Afterwards, rarely, read the mappings again (see :mod:`.vehicle_sync`).
        """
        entry = self.entry
        if CONF_CONTAINER_ID not in entry.data:
            return 0  # the first set-up (or the container repair) comes first
        self._running = True
        try:
            done = await self._async_poll_due()
            if self.sync.due(dt_util.utcnow()):
                await self.sync.async_check()
        finally:
            self._running = False
        return done

    async def _async_poll_due(self) -> int:
        entry = self.entry
        planner = planner_of(entry)
        vehicles = self.activities()
        extras = extras_per_day(entry.options, len(vehicles))
        due = planner.due_polls(vehicles, self.stream_down_since, extras)
        done = 0
        for vin in due:
            planner.mark_polled(vin)
            try:
                await async_fetch_telematic(self.hass, entry, vin, CallKind.SCHEDULED)
            except QuotaSpentError:
                break
            except (ApiError, CarDataConnectionError, ConfigEntryAuthFailed) as err:
                LOGGER.debug("Scheduled poll failed: %s", type(err).__name__)
                continue
            done += 1
        self.polls += done
        return done


async def async_setup_rest(hass: HomeAssistant, entry: CarDataConfigEntry) -> Poller:
    """Start the REST side of a loaded entry (see the module docstring)."""
    planner = planner_of(entry)

    @callback
    def _on_block(until: datetime | None) -> None:
        async_report_quota(hass, entry, until)

    planner.on_block_change = _on_block
    async_report_quota(hass, entry, planner.blocked_until)
    async_setup_stream_issues(hass, entry)
    poller = Poller(hass, entry)
    planner.poller = poller
    await poller.sync.async_start()
    poller.async_start()
    poller.bootstrap = entry.async_create_background_task(
        hass,
        async_bootstrap(hass, entry, poller.sync.record),
        f"{DOMAIN} first set-up",
    )
    return poller
