"""CarData's error answers and its quota: 50 calls per rolling day per account."""

from __future__ import annotations

from collections import deque
import datetime as dt
from typing import TYPE_CHECKING
import uuid

from aiohttp import web

if TYPE_CHECKING:
    from .core import Simulator

DAY = dt.timedelta(hours=24)

_MESSAGES = {
    "CU-100": "No token sent",
    "CU-101": "Authentication error",
    "CU-102": "Token expired",
    "CU-103": "Token-scope is not CarData",
    "CU-104": "No permission for specified VIN",
    "CU-105": "No permission for specified containerId",
    "CU-120": "Format of parameter VIN is invalid",
    "CU-121": "Format of parameter containerId is invalid",
    "CU-122": "Container already set for deletion",
    "CU-124": "Maximum number of containers reached",
    "CU-125": "Pagination-Token expired",
    "CU-126": "No vehicle image found for given VIN",
    "CU-127": "No LBCS data found",
    "CU-400": "Bad request",
    "CU-401": "Parameter Invalid",
    "CU-402": "Telematic key is invalid",
    # Not in BMW's guide: the OpenAPI's 404 of basicData ("Not found"), for a
    # car BMW keeps no basic data of. Codes outside the guide occur (CU-403).
    "CU-404": "Not found",
    "CU-429": "API rate limit reached",
    "CU-500": "Internal server error",
    "CU-503": "Service temporarily unavailable",
}


def error(status: int, code: str, note: str = "", **headers: str) -> web.Response:
    """A CarData error answer."""
    return web.json_response(
        {
            "exveErrorId": code,
            "exveErrorRef": str(uuid.uuid4()),
            "exveErrorMsg": _MESSAGES[code],
            "exveNote": note,
        },
        status=status,
        headers=headers or None,
    )


class Quota:
    """50 calls per rolling 24 h per account, all endpoints together."""

    def __init__(self, sim: Simulator, per_day: int) -> None:
        """Start with no calls made."""
        self._sim = sim
        self.per_day = per_day
        self.mode = "403"
        self._calls: dict[str, deque[dt.datetime]] = {}

    def _window(self, gcid: str) -> deque[dt.datetime]:
        calls = self._calls.setdefault(gcid, deque())
        limit = self._sim.now() - DAY
        while calls and calls[0] <= limit:
            calls.popleft()
        return calls

    def windows(self) -> dict[str, deque[dt.datetime]]:
        """Counted calls per account (for persistence)."""
        return self._calls

    def calls(self, gcid: str) -> int:
        """Calls counted in the current window."""
        return len(self._window(gcid))

    def remaining(self, gcid: str) -> int:
        """Calls left in the current window."""
        return max(self.per_day - self.calls(gcid), 0)

    def exhaust(self, gcid: str) -> None:
        """Use up the account's quota now."""
        calls = self._window(gcid)
        now = self._sim.now()
        calls.extend([now] * max(self.per_day - len(calls), 0))

    def reset(self, gcid: str | None = None) -> None:
        """Forget counted calls (of one account or all)."""
        if gcid is None:
            self._calls.clear()
        else:
            self._calls.pop(gcid, None)

    def take(self, gcid: str) -> web.Response | None:
        """Count one call; an error answer once the quota is spent."""
        calls = self._window(gcid)
        if len(calls) >= self.per_day:
            if self.mode == "429":
                if self._sim.faults.quota_without_retry_after:
                    return error(429, "CU-429", "Daily limit reached")
                wait = (calls[0] + DAY - self._sim.now()).total_seconds()
                return error(
                    429,
                    "CU-429",
                    "Daily limit reached",
                    **{"Retry-After": str(max(int(wait) + 1, 1))},
                )
            return error(403, "CU-429", "Daily limit reached")
        calls.append(self._sim.now())
        return None
