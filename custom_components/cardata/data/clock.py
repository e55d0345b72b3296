"""BMW's stream clock against Home Assistant's: when BMW's order counts.

The coordinator drops a value whose BMW timestamp is older than the one it
holds (a late, out-of-order message). That needs BMW's clock to agree with
the one that stamped the held value: with BMW's clock two hours behind, a
value held from the REST API or restored at start (stamped with the true
time) would make every streamed value look old, and all of them would be
dropped.

The rule, per vehicle. A stream message carries BMW's own time of sending
(its outer ``timestamp``; the inner ones are when the car measured, which
may be long ago). It arrives within seconds, so its offset (BMW's time of
sending minus Home Assistant's time of arrival) is BMW's clock against ours:

- an offset of :data:`CLOCK_SKEW` (10 min) or more, either way, means the
  clocks disagree: until they agree again the vehicle's values (stream and
  REST alike) count in the order they arrive, not by BMW's timestamps;
- they agree again once a message's offset is below :data:`CLOCK_AGREES`
  (5 min; the gap keeps an offset near 10 min from switching back and
  forth);
- an offset beyond :data:`CLOCK_SKEW_LIMIT` (a day) is no clock's skew but
  a stale or replayed message: it changes nothing, and BMW's order counts.

One warning per account says the offset (rounded to the minute, no VIN)
when the clocks start to disagree; an info line when all vehicles agree
again. With the clocks agreeing, genuinely older values are still dropped.

Separately, a held timestamp more than :data:`CLOCK_SKEW` ahead of its own
arrival never blocks a later value: no measurement comes from the future,
so it was stamped by a clock that ran ahead (and may be right again).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from ..const import LOGGER

CLOCK_SKEW: Final = timedelta(minutes=10)
"""Offset from which BMW's clock and ours disagree."""
CLOCK_AGREES: Final = timedelta(minutes=5)
"""Offset below which they agree again."""
CLOCK_SKEW_LIMIT: Final = timedelta(days=1)
"""Offset beyond which a message is stale or replayed, not skewed."""


def describe(offset: timedelta) -> str:
    """Return the offset as "2 h 00 min behind" or "12 min ahead of"."""
    minutes = round(abs(offset).total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    size = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
    return f"{size} {'behind' if offset < timedelta(0) else 'ahead of'}"


class StreamClock:
    """Follows the offset of BMW's stream clock per vehicle (see the module)."""

    def __init__(self) -> None:
        """Start with every clock agreeing."""
        self._offsets: dict[str, timedelta] = {}
        self._warned = False

    def skewed(self, vin: str) -> bool:
        """Whether the vehicle's values count in the order they arrive."""
        return vin in self._offsets

    def offsets(self) -> list[timedelta]:
        """The offsets of the vehicles whose clocks disagree (no VINs)."""
        return list(self._offsets.values())

    def follow(self, vin: str, sent: datetime | None, received: datetime) -> None:
        """Read one stream message: sent by BMW at ``sent``, here at ``received``."""
        if sent is None:
            return
        offset = sent - received
        size = abs(offset)
        if size > CLOCK_SKEW_LIMIT:
            return
        if vin in self._offsets:
            if size < CLOCK_AGREES:
                del self._offsets[vin]
                if not self._offsets:
                    self._warned = False
                    LOGGER.info(
                        "BMW's message times agree with this system's clock "
                        "again; values count in BMW's order"
                    )
            else:
                self._offsets[vin] = offset
            return
        if size < CLOCK_SKEW:
            return
        self._offsets[vin] = offset
        if not self._warned:
            self._warned = True
            LOGGER.warning(
                "BMW's message times are %s this system's clock; until they "
                "agree, the stream's values are taken in the order they "
                "arrive (none is dropped as older). Check the system clock "
                "if this persists",
                describe(offset),
            )
