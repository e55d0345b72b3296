"""The price entity's price per hour, read from the recorder's history.

An hour's price is the time-weighted mean of the entity's states in it, as
the recorder's own hourly statistics weigh a measurement; the last state
before the hour counts from its start until the first change in it. Only
ended hours are read. An hour has no price (None; a debug line says so) when
any part of it has an unknown or unavailable state, a state that is no
number, a unit other than Home Assistant's currency per energy unit (what
the Energy dashboard takes for a price entity), or no state before it at
all (the recorder holds nothing that old).

Reads wait for the recorder's database, then go through the recorder's own
executor, never on the event loop: one
query per span of needed hours (at most :data:`MAX_SPAN` long, at most
:data:`MAX_ROWS` states; a span that hits the limit prices no hour past its
last state).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
import math
from typing import Final

from homeassistant.components.recorder import history
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, UnitOfEnergy
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.recorder import get_instance
from homeassistant.util.unit_conversion import EnergyConverter

from ..const import LOGGER
from .hours import HOUR

MAX_SPAN: Final = timedelta(days=7)
"""The longest stretch one history query covers."""
MAX_ROWS: Final = 20_000
"""The most states one history query returns."""
EDGE: Final = timedelta(seconds=1)

type Step = tuple[datetime, float | None]
"""From this time on, this price per kWh (None: no price)."""


def money_factor(unit: object, currency: str) -> float | None:
    """The factor from a price in ``unit`` to one per kWh; None if no price unit."""
    if not isinstance(unit, str) or "/" not in unit:
        return None
    money, energy = unit.split("/", 1)
    if money.strip() != currency or energy not in EnergyConverter.VALID_UNITS:
        return None
    return EnergyConverter.convert(1.0, UnitOfEnergy.KILO_WATT_HOUR, energy)


def state_price(state: State, currency: str) -> float | None:
    """A state's price per kWh in ``currency``; None when it is none."""
    factor = money_factor(state.attributes.get(ATTR_UNIT_OF_MEASUREMENT), currency)
    try:
        value = float(state.state)
    except ValueError:
        return None
    if factor is None or not math.isfinite(value):
        return None
    return value * factor


def hour_price(steps: list[Step], hour: datetime) -> float | None:
    """The mean price of the hour starting at ``hour`` (``steps`` in time order)."""
    end = hour + HOUR
    weighted = 0.0
    covered = hour
    for index, (at, price) in enumerate(steps):
        until = steps[index + 1][0] if index + 1 < len(steps) else end
        lo, hi = max(at, hour), min(until, end)
        if hi <= lo:
            continue
        if price is None or lo > covered:
            return None
        weighted += price * (hi - lo).total_seconds()
        covered = hi
    if covered < end:
        return None
    return weighted / HOUR.total_seconds()


def spans(hours: Iterable[datetime]) -> list[tuple[datetime, datetime]]:
    """The needed hours as query spans, each at most :data:`MAX_SPAN` long."""
    result: list[tuple[datetime, datetime]] = []
    for hour in sorted(set(hours)):
        if result and hour + HOUR - result[-1][0] <= MAX_SPAN:
            result[-1] = (result[-1][0], hour + HOUR)
        else:
            result.append((hour, hour + HOUR))
    return result


def _states(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[State]:
    """The entity's states from ``start`` (the one in force then) to ``end``.

    The history leaves out a state written at its start time exactly (neither
    before it nor after): it is asked from a second earlier.
    """
    found = history.state_changes_during_period(
        hass,
        start - EDGE,
        end,
        entity_id,
        no_attributes=False,
        limit=MAX_ROWS,
        include_start_time_state=True,
    )
    return found.get(entity_id, [])


async def async_read_prices(
    hass: HomeAssistant, entity_id: str, hours: Iterable[datetime]
) -> dict[datetime, float | None]:
    """The price of each of ``hours`` (ended ones) from the recorder's history."""
    if "recorder" not in hass.config.components:
        LOGGER.debug("Price entity %s: the recorder does not run", entity_id)
        return {}
    recorder = get_instance(hass)
    # Shielded: the read may be cancelled (the entry unloads), the future not.
    if not await asyncio.shield(recorder.async_db_ready):
        LOGGER.debug("Price entity %s: the recorder's database is not ready", entity_id)
        return {}
    wanted = sorted(set(hours))
    currency = hass.config.currency
    result: dict[datetime, float | None] = {}
    for start, end in spans(wanted):
        states = await recorder.async_add_executor_job(
            _states, hass, entity_id, start, end
        )
        steps = [(s.last_changed, state_price(s, currency)) for s in states]
        last = steps[-1][0] if len(steps) >= MAX_ROWS else end
        for hour in wanted:
            if start <= hour < end:
                result[hour] = hour_price(steps, hour) if hour + HOUR <= last else None
    if missing := sum(price is None for price in result.values()):
        LOGGER.debug(
            "Price entity %s: no price in %d of %d hours (unknown, unavailable,"
            " or not %s per kWh); those hours have no cost",
            entity_id,
            missing,
            len(result),
            currency,
        )
    return result
