"""The monthly statement: one vehicle's sessions of a month as CSV (pure).

A CSV is data, not a text for the owner: the header names are English and
fixed, numbers use a dot and no thousands separator, times are ISO 8601 in
Home Assistant's time zone with their offset (a session over midnight or a
clock change reads without doubt). The address column is always there; it
is filled only for home sessions, and only when the owner allows it.
"""

from __future__ import annotations

import csv
from datetime import datetime, tzinfo
import io
import re
from typing import Final

from .model import Session, SessionClass
from .price import Pricing

HEADER: Final = (
    "date",
    "start",
    "end",
    "energy_kwh",
    "class",
    "cost",
    "currency",
    "address",
)
MONTH_RE: Final = re.compile(r"^(\d{4})-(\d{2})$")
"""A month as the statement's URL names it: ``YYYY-MM``."""
_FORMULA: Final = ("=", "+", "-", "@")
"""A cell starting so would run as a formula in a spreadsheet."""


def month_bounds(month: str, tz: tzinfo) -> tuple[datetime, datetime] | None:
    """Local midnight of the month's first day and of the next month's; None if odd."""
    match = MONTH_RE.match(month)
    if match is None:
        return None
    year, number = int(match[1]), int(match[2])
    if not 1 <= number <= 12 or year < 2000:  # noqa: PLR2004 - the calendar
        return None
    start = datetime(year, number, 1, tzinfo=tz)
    following = (year + 1, 1) if number == 12 else (year, number + 1)  # noqa: PLR2004
    return start, datetime(*following, 1, tzinfo=tz)


def month_name(at: datetime) -> str:
    """The ``YYYY-MM`` of a (local) time."""
    return at.strftime("%Y-%m")


def statement_url(entry_id: str, device_id: str, month: str) -> str:
    """Where the statement of one vehicle and month is downloaded."""
    return f"/api/cardata/statement/{entry_id}/{device_id}/{month}.csv"


def _number(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _cell(text: str | None) -> str:
    if not text:
        return ""
    return f"'{text}" if text.startswith(_FORMULA) else text


def statement_csv(
    sessions: list[Session],
    pricing: Pricing,
    *,
    tz: tzinfo,
    currency: str,
    addresses: bool,
) -> str:
    """The CSV of ``sessions`` (header only when there is none)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for session in sessions:
        start = session.start.astimezone(tz)
        cls = session.session_class
        cost = pricing.cost(session)
        home = cls is SessionClass.HOME
        writer.writerow(
            (
                start.date().isoformat(),
                start.isoformat(timespec="seconds"),
                (
                    session.end.astimezone(tz).isoformat(timespec="seconds")
                    if session.end is not None
                    else ""
                ),
                _number(session.energy_kwh, 3),
                cls.value if cls is not None else "",
                _number(cost, 2),
                currency if cost is not None else "",
                _cell(session.address) if addresses and home else "",
            )
        )
    return out.getvalue()
