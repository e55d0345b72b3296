"""Times as an owner reads them: local time zone, hours and minutes.

Messages about the token expiry or the end of a quota block show the time in
Home Assistant's time zone, as the login step does: ``14:07`` today,
``2026-12-03 14:07`` on another day. The end of a wait is rounded up to the
next minute, so the owner never tries while the wait still runs.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from homeassistant.util import dt as dt_util


def local_time(
    when: datetime, *, round_up: bool = False, now: datetime | None = None
) -> str:
    """Return ``when`` in the local time zone, to the minute.

    Args:
        when: an aware time.
        round_up: the end of a wait: a part-minute counts as a whole one.
        now: the present (for tests); the date is left out when it is today.

    """
    if round_up and (when.second or when.microsecond):
        when += timedelta(minutes=1)
    local = dt_util.as_local(when.replace(second=0, microsecond=0))
    today = dt_util.as_local(now or dt_util.utcnow()).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")
