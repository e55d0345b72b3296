"""The REST side of a loaded entry: bootstrap, scheduled polls, repairs.

:func:`async_start_rest` is called once by the entry's set-up after the
platforms are set up. It connects the quota planner to the repair issues,
follows the stream for the eviction and scope issues, starts the first
set-up calls (only on the first set-up, see :mod:`.bootstrap`) and a timer
that asks the planner every minute which vehicles, if any, need a poll
because their stream has been silent (see :mod:`.quota_policy`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from homeassistant.core import callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.util import dt as dt_util

from ..api import (
    ApiError,
    BasicData,
    CarDataConnectionError,
    StreamState,
    VehicleMapping,
)
from ..api.vin import VIN_RE
from ..auth.token_manager import TokenManager
from ..common.issues import async_report_quota
from ..common.settings import extras_per_day
from ..const import CONF_CONTAINER_ID, DOMAIN, LOGGER
from ..rest.bootstrap import (
    RestContext,
    VehicleRecord,
    async_bootstrap,
    async_fetch_telematic,
)
from ..rest.quota import QuotaSpentError
from ..rest.quota_policy import CallKind, VehicleActivity
from ..stream.issues import async_setup_stream_issues
from ..stream.owner import StreamOwner
from .gate import VinGate
from .sync import VehicleSync

TICK = timedelta(minutes=1)


class Poller:
    """Scheduled telematic polls of one entry while its stream is silent."""

    def __init__(self, rest: RestContext, stream: StreamOwner) -> None:
        """Prepare; :meth:`async_start` starts the timer."""
        self.rest = rest
        self.hass = rest.hass
        self.entry = rest.entry
        self.stream = stream
        self.stream_down_since: datetime | None = dt_util.utcnow()
        self._running = False
        self.polls = 0
        self.bootstrap: asyncio.Task[None] | None = None
        self.sync = VehicleSync(rest, VehicleRecord(rest.hass, rest.entry.entry_id))

    @callback
    def async_start(self) -> None:
        """Follow the stream state and start the timer (stopped on unload)."""
        entry = self.entry
        entry.async_on_unload(self.stream.async_add_listener(self._on_stream))
        entry.async_on_unload(async_track_time_interval(self.hass, self._on_tick, TICK))
        self._on_stream()

    @callback
    def _on_stream(self) -> None:
        if self.stream.state == StreamState.CONNECTED:
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
        coordinator = self.rest.coordinator
        return {
            vin: VehicleActivity(last_message=vehicle.last_received_at)
            for vin, vehicle in coordinator.vehicles.items()
            if VIN_RE.match(vin) and not coordinator.shared(vin)  # BMW refuses them
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
        planner = self.rest.planner
        vehicles = self.activities()
        extras = extras_per_day(entry.options, len(vehicles))
        due = planner.due_polls(vehicles, self.stream_down_since, extras)
        done = 0
        for vin in due:
            planner.mark_polled(vin)
            try:
                await async_fetch_telematic(self.rest, vin, CallKind.SCHEDULED)
            except QuotaSpentError:
                break
            except (ApiError, CarDataConnectionError, ConfigEntryAuthFailed) as err:
                LOGGER.debug("Scheduled poll failed: %s", type(err).__name__)
                continue
            done += 1
        self.polls += done
        return done


async def async_start_rest(
    poller: Poller,
    tokens: TokenManager,
    gate: VinGate,
    on_basic_data: Callable[[str, BasicData], None],
) -> None:
    """Start the REST side of a loaded entry (see the module docstring)."""
    rest = poller.rest
    hass, entry, planner = rest.hass, rest.entry, rest.planner

    @callback
    def _on_block(until: datetime | None) -> None:
        async_report_quota(hass, entry, until)

    @callback
    def _on_mappings(mappings: list[VehicleMapping]) -> None:
        gate.async_set_mappings(mappings)

    planner.on_block_change = _on_block
    async_report_quota(hass, entry, planner.blocked_until)
    async_setup_stream_issues(hass, entry, tokens, poller.stream)
    await poller.sync.async_start()
    poller.async_start()
    poller.bootstrap = entry.async_create_background_task(
        hass,
        async_bootstrap(rest, poller.sync.record, _on_mappings, on_basic_data),
        f"{DOMAIN} first set-up",
    )
