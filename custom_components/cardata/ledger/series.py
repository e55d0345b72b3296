"""A vehicle's hourly series: energy in total, at home, elsewhere, and the cost (pure).

Each session's energy sits in the hours it was drawn (:mod:`.hours`); each
hour's cost is that energy times the price of that hour (:mod:`.price`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Final

from .hours import session_hours
from .model import Session
from .price import Pricing

TOTAL: Final = "total"
HOME: Final = "home"
ELSEWHERE: Final = "elsewhere"
COST: Final = "cost"
SERIES: Final = (TOTAL, HOME, ELSEWHERE, COST)

type Hourly = dict[datetime, dict[str, float]]


def hourly(sessions: Iterable[Session], pricing: Pricing) -> Hourly:
    """Every series' figure per hour, for the hours anything was drawn.

    An hour without a price (none set, or the price entity had none then)
    adds nothing to the cost.
    """
    result: Hourly = defaultdict(lambda: dict.fromkeys(SERIES, 0.0))
    for session in sessions:
        cls = session.session_class
        for hour, kwh in session_hours(session).items():
            row = result[hour]
            row[TOTAL] += kwh
            if cls is not None:
                row[cls.value] += kwh
            if (price := pricing.at(cls, hour)) is not None:
                row[COST] += kwh * price
    return dict(result)
