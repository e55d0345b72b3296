"""What a session cost: a fixed price per kWh for home and for elsewhere.

The owner sets the prices in the options (none set: no cost); the currency
is Home Assistant's. A session not yet classed is priced as elsewhere only
when both prices are the same, else it has no cost yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..common.settings import OPT_PRICE_ELSEWHERE, OPT_PRICE_HOME
from .model import Session, SessionClass


def _price(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)


@dataclass(frozen=True, slots=True)
class Pricing:
    """Fixed prices per kWh (None: no price for that class)."""

    home: float | None = None
    elsewhere: float | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Pricing:
        """The prices the owner set in the options."""
        return cls(
            home=_price(options.get(OPT_PRICE_HOME)),
            elsewhere=_price(options.get(OPT_PRICE_ELSEWHERE)),
        )

    def per_kwh(self, cls: SessionClass | None) -> float | None:
        """The price of a kWh charged in that class."""
        if cls is SessionClass.HOME:
            return self.home
        if cls is SessionClass.ELSEWHERE:
            return self.elsewhere
        return self.home if self.home == self.elsewhere else None

    def cost(self, session: Session) -> float | None:
        """What the session cost; None without energy or price."""
        price = self.per_kwh(session.session_class)
        if price is None or session.energy_kwh is None:
            return None
        return round(session.energy_kwh * price, 2)
