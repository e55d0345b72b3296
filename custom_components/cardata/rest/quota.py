"""Quota planner of one account: the call log in a Store and the gate to BMW.

Every REST call of the account is recorded through :meth:`QuotaPlanner.record_call`
(the API client's ``on_call`` hook), whoever made it, so the log is shared by
the bootstrap, the scheduled polls, the extras, the service actions and the
Configure menu. The log is kept in a Home Assistant ``Store`` per account and
survives restarts. Calls are admitted through :meth:`QuotaPlanner.async_call`,
which refuses what does not fit the budget (see :mod:`.quota_policy` for the
rules, including which reset rule the code assumes) and stops everything after
BMW answered that the quota is used up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import datetime
import secrets
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from ..api import ApiCall, QuotaExceededError, format_timestamp
from ..common.listeners import Listeners
from ..common.redact import Redactor, vin_hash
from ..common.settings import PollSettings
from ..const import DOMAIN, LOGGER
from .quota_policy import (
    DAILY_LIMIT,
    CallKind,
    LoggedCall,
    QuotaPolicy,
    VehicleActivity,
    start_of_day,
)

STORAGE_VERSION = 1
SAVE_DELAY = 5
_QUOTA_OUTCOMES = frozenset({"HTTP 429", "CU-429"})

_current_kind: ContextVar[CallKind] = ContextVar("cardata_call_kind")


class QuotaSpentError(Exception):
    """A call was refused before it was made: it does not fit the budget.

    Attributes:
        until: when a call of this kind is expected to fit again, if known.
        blocked: BMW said the quota is used up (not just our own budget).
    """

    def __init__(self, until: datetime | None, blocked: bool) -> None:
        """Store when the calls may resume."""
        super().__init__("daily API quota spent")
        self.until = until
        self.blocked = blocked


def storage_key(gcid: str) -> str:
    """Return the Store key of an account (the GCID only as a hash)."""
    return f"{DOMAIN}.quota.{vin_hash(gcid, 16)}"


class QuotaPlanner:
    """Budget keeper and call log of one BMW account."""

    def __init__(
        self,
        hass: HomeAssistant,
        gcid: str,
        settings: PollSettings | None = None,
        *,
        limit: int = DAILY_LIMIT,
        on_block_change: Callable[[datetime | None], None] | None = None,
    ) -> None:
        """Create the planner; call :meth:`async_load` before use."""
        self.hass = hass
        self.policy = QuotaPolicy(settings=settings or PollSettings(), limit=limit)
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, storage_key(gcid), private=True
        )
        self._salt = secrets.token_hex(16)
        self.redactor = Redactor(self._salt.encode())
        self._listeners = Listeners()
        self.on_block_change = on_block_change
        self._unblock_timer: CALLBACK_TYPE | None = None

    async def async_load(self) -> None:
        """Read the stored log (a restart keeps everything counted)."""
        data = await self._store.async_load()
        now = dt_util.utcnow()
        if isinstance(data, dict):
            self.policy.load_dict(data)
            salt = data.get("salt")
            if isinstance(salt, str) and salt:
                self._salt = salt
                self.redactor = Redactor(salt.encode())
        self.policy.started_at = now
        self.policy.prune(now)
        self._schedule_unblock()
        self._save()

    async def async_shutdown(self) -> None:
        """Write the log now and stop the timer (on unload)."""
        if self._unblock_timer is not None:
            self._unblock_timer()
            self._unblock_timer = None
        await self._store.async_save(self._data())

    def update_settings(self, settings: PollSettings) -> None:
        """Use new thresholds (from the options)."""
        self.policy.settings = settings

    # ----- the gate ---------------------------------------------------------

    async def async_call[T](
        self,
        kind: CallKind,
        func: Callable[[], Awaitable[T]],
        *,
        calls: int = 1,
    ) -> T:
        """Run ``func`` (which makes ``calls`` REST calls) if it fits the budget.

        Raises:
            QuotaSpentError: the calls do not fit; nothing was called.
            QuotaExceededError: BMW refused; every further call is stopped.
        """
        now = dt_util.utcnow()
        self._expire_block(now)
        if not self.policy.can_call(now, kind, calls):
            raise QuotaSpentError(
                self.policy.next_slot_at(now), self.policy.is_blocked(now)
            )
        self.policy.pending += calls
        token = _current_kind.set(kind)
        try:
            return await func()
        except QuotaExceededError as err:
            self.block(err.retry_after, err.error_id or str(err.status))
            raise
        finally:
            _current_kind.reset(token)
            self.policy.pending -= calls
            self._notify()

    @callback
    def record_call(self, call: ApiCall) -> None:
        """Log one HTTP request BMW counted (the API client's ``on_call``)."""
        kind = _current_kind.get(CallKind.OTHER)
        self.policy.record(
            LoggedCall(
                at=call.at,
                endpoint=call.endpoint,
                vin=self.vehicle_ref(call.vin) if call.vin else None,
                outcome=call.outcome,
                kind=kind,
            )
        )
        if kind is CallKind.OTHER and call.outcome.upper() in _QUOTA_OUTCOMES:
            self.block(None, call.outcome)
        self._save()
        self._notify()

    def block(self, retry_after: float | None, reason: str) -> None:
        """Stop every call until BMW's wait is over (shown as a repair issue)."""
        now = dt_util.utcnow()
        was_blocked = self.policy.is_blocked(now)
        self.policy.block(now, retry_after, reason)
        until = self.policy.blocked_until
        LOGGER.warning(
            "BMW reports the daily API quota used up; no calls until %s",
            dt_util.as_local(until).isoformat(sep=" ", timespec="seconds")
            if until
            else "BMW allows them again",
        )
        self._schedule_unblock()
        self._save()
        if not was_blocked and self.on_block_change is not None:
            self.on_block_change(self.policy.blocked_until)
        self._notify()

    def _expire_block(self, now: datetime) -> None:
        if self.policy.clear_block(now):
            self._save()
            if self.on_block_change is not None:
                self.on_block_change(None)
            self._notify()

    def _schedule_unblock(self) -> None:
        if self._unblock_timer is not None:
            self._unblock_timer()
            self._unblock_timer = None
        if (until := self.policy.blocked_until) is None:
            return

        @callback
        def _unblock(now: datetime) -> None:
            self._unblock_timer = None
            self._expire_block(max(now, until))

        self._unblock_timer = async_track_point_in_utc_time(self.hass, _unblock, until)

    # ----- reading ----------------------------------------------------------

    def remaining(self, kind: CallKind = CallKind.USER) -> int:
        """Return how many calls of ``kind`` fit now."""
        now = dt_util.utcnow()
        self._expire_block(now)
        return self.policy.remaining(now, kind)

    def used(self) -> int:
        """Return the calls counted against today's budget."""
        return self.policy.used(dt_util.utcnow())

    @property
    def blocked_until(self) -> datetime | None:
        """When BMW's stop ends, if it is in force."""
        now = dt_util.utcnow()
        return self.policy.blocked_until if self.policy.is_blocked(now) else None

    def due_polls(
        self,
        vehicles: dict[str, VehicleActivity],
        stream_down_since: datetime | None,
        extras_per_day: int = 0,
    ) -> list[str]:
        """Return the vehicles a scheduled poll may be made for now."""
        now = dt_util.utcnow()
        self._expire_block(now)
        refs = {self.vehicle_ref(vin): vin for vin in vehicles}
        due = self.policy.due_polls(
            now,
            {ref: vehicles[vin] for ref, vin in refs.items()},
            stream_down_since,
            extras_per_day,
        )
        return [refs[ref] for ref in due]

    def mark_polled(self, vin: str) -> None:
        """Remember a scheduled poll of ``vin`` (made or attempted)."""
        self.policy.mark_polled(self.vehicle_ref(vin), dt_util.utcnow())
        self._save()

    def extra_due(self, name: str, vin: str) -> bool:
        """Return whether the daily extra ``name`` may be fetched for ``vin``."""
        return self.policy.extra_due(dt_util.utcnow(), name, self.vehicle_ref(vin))

    def mark_extra(self, name: str, vin: str) -> None:
        """Remember that the daily extra ``name`` was fetched for ``vin``."""
        self.policy.mark_extra(dt_util.utcnow(), name, self.vehicle_ref(vin))
        self._save()

    def fetched_at(self, vin: str) -> datetime | None:
        """Return when a telematicData read of ``vin`` last answered."""
        return self.policy.last_fetch.get(self.vehicle_ref(vin))

    def vehicle_ref(self, vin: str) -> str:
        """Return the masked reference of a VIN (what the log stores)."""
        return self.redactor.ref("vin", vin)

    def day_log(self) -> list[dict[str, Any]]:
        """Return today's calls (since midnight UTC), VINs masked."""
        now = dt_util.utcnow()
        midnight = start_of_day(now)
        return [
            {
                "at": call.at.isoformat(),
                "vehicle": call.vin,
                "endpoint": self.redactor.text(call.endpoint),
                "outcome": call.outcome,
                "kind": call.kind,
            }
            for call in self.policy.calls
            if call.at >= midnight
        ]

    def summary(self) -> dict[str, Any]:
        """Return the counters shown by the sensor and in diagnostics."""
        now = dt_util.utcnow()
        self._expire_block(now)
        policy = self.policy
        next_slot = policy.next_slot_at(now)
        return {
            "limit": policy.limit,
            "reserve": policy.reserve,
            "used_last_24h": policy.used_rolling(now),
            "used_since_midnight_utc": policy.used_since_midnight(now),
            "reset_rule_assumed": "rolling_24h",
            "blocked_until": format_timestamp(self.blocked_until),
            "block_reason": policy.block_reason if policy.is_blocked(now) else None,
            "next_call_possible_at": format_timestamp(next_slot),
        }

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` whenever the counts change; return the remover."""
        return self._listeners.add(listener)

    # ----- internals --------------------------------------------------------

    def _notify(self) -> None:
        self._listeners.notify()

    def _data(self) -> dict[str, Any]:
        self.policy.prune(dt_util.utcnow())
        return {**self.policy.to_dict(), "salt": self._salt}

    def _save(self) -> None:
        self._store.async_delay_save(self._data, SAVE_DELAY)
