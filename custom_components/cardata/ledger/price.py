"""What a session cost: its energy in each hour times that hour's price (pure).

The owner sets the prices in the options (none set: no cost); the currency
is Home Assistant's. Home: a price entity (a dynamic tariff), whose price
per hour is read from the recorder (:mod:`.tariff`) into :attr:`Pricing.hours`,
else a fixed price per kWh; elsewhere: a fixed price per kWh. A session not
yet classed is priced only when there is no price entity and both fixed
prices are the same, else it has no cost yet. A session with an hour that
has no price (not read yet, or the entity had none then) has no cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..common.settings import OPT_PRICE_ELSEWHERE, OPT_PRICE_ENTITY, OPT_PRICE_HOME
from .hours import session_hours
from .model import Session, SessionClass


def _price(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)


@dataclass(frozen=True, slots=True)
class Pricing:
    """Fixed prices per kWh, or a price entity for home (None: no price)."""

    home: float | None = None
    elsewhere: float | None = None
    entity: str | None = None
    """The price entity's id: when set, it wins over the fixed home price."""
    hours: Mapping[datetime, float | None] = field(default_factory=dict)
    """The entity's price per kWh in each hour read (None: it had none)."""

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Pricing:
        """The prices the owner set in the options."""
        entity = options.get(OPT_PRICE_ENTITY)
        return cls(
            home=_price(options.get(OPT_PRICE_HOME)),
            elsewhere=_price(options.get(OPT_PRICE_ELSEWHERE)),
            entity=entity if isinstance(entity, str) and entity else None,
        )

    def with_hours(self, hours: Mapping[datetime, float | None]) -> Pricing:
        """The same prices with more of the entity's hours known."""
        return replace(self, hours={**self.hours, **hours})

    def priced(self, cls: SessionClass | None) -> bool:
        """Whether a kWh charged in that class has a price at all."""
        if cls is SessionClass.HOME:
            return self.entity is not None or self.home is not None
        if cls is SessionClass.ELSEWHERE:
            return self.elsewhere is not None
        return (
            self.entity is None
            and self.home is not None
            and self.home == self.elsewhere
        )

    def at(self, cls: SessionClass | None, hour: datetime) -> float | None:
        """The price of a kWh charged in that class in the hour starting then."""
        if cls is SessionClass.ELSEWHERE:
            return self.elsewhere
        if cls is None and (self.entity is not None or self.home != self.elsewhere):
            return None
        if self.entity is not None:
            return self.hours.get(hour)
        return self.home

    def cost(self, session: Session) -> float | None:
        """What the session cost; None without energy, or an hour without price."""
        cls = session.session_class
        if session.energy_kwh is None or not self.priced(cls):
            return None
        total = 0.0
        for hour, kwh in session_hours(session).items():
            if (price := self.at(cls, hour)) is None:
                return None
            total += kwh * price
        return round(total, 2)
