"""The ledger in Home Assistant's Energy dashboard: external statistics.

Per vehicle four series, as Home Assistant's own utility integrations import
late readings (``async_add_external_statistics``): charged energy in total,
at home and elsewhere (kWh) and the charging cost (Home Assistant's
currency). Each session's energy sits in the hours it was drawn
(:mod:`.series`). A change (a new session, BMW's figures, the owner's class)
rewrites every hour from the first one it touched up to the last hour ever
written, with the running sums recomputed from there: a correction moves the
sums, never shows as a meter reset, and an hour that lost its energy is
written again with the new sum. Statistic ids name no vehicle (a salted hash
of the VIN); the names are the device's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import HomeAssistant
from homeassistant.util.unit_conversion import EnergyConverter

from ..common.redact import vin_hash
from ..const import DOMAIN
from .hours import HOUR, hour_of
from .series import COST, ELSEWHERE, HOME, SERIES, TOTAL, Hourly

NAMES: Final = {
    TOTAL: "charged energy",
    HOME: "charged energy at home",
    ELSEWHERE: "charged energy elsewhere",
    COST: "charging cost",
}
"""Statistic names after the device's (Home Assistant translates none)."""


def statistic_id(entry_id: str, vin: str, series: str) -> str:
    """The id of one series of one vehicle (no VIN in it)."""
    return f"{DOMAIN}:{vin_hash(vin, 12, salt=entry_id)}_{series}"


class LedgerStatistics:
    """Writes the ledger's hourly series (see the module docstring)."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind to Home Assistant's recorder (written only while it runs)."""
        self.hass = hass
        self.entry_id = entry_id

    @property
    def recording(self) -> bool:
        """Whether Home Assistant's recorder is set up."""
        return "recorder" in self.hass.config.components

    def write(
        self,
        vin: str,
        name: str,
        hours: Hourly,
        since: datetime,
        written_until: datetime | None,
    ) -> datetime | None:
        """Write every hour from ``since`` on; return the last hour written.

        ``written_until`` is the last hour an earlier write reached: hours up
        to it are written again (one may have lost its energy).
        """
        if not self.recording or not hours:
            return written_until
        first = hour_of(since)
        last = max(hours)
        if written_until is not None and written_until > last:
            last = written_until
        sums = dict.fromkeys(SERIES, 0.0)
        for hour, before in hours.items():
            if hour < first:
                for series in SERIES:
                    sums[series] += before[series]
        rows: dict[str, list[StatisticData]] = {series: [] for series in SERIES}
        hour = first
        while hour <= last:
            row = hours.get(hour)
            for series in SERIES:
                value = row[series] if row is not None else 0.0
                sums[series] += value
                rows[series].append(
                    StatisticData(
                        start=hour, state=round(value, 4), sum=round(sums[series], 4)
                    )
                )
            hour += HOUR
        for series in SERIES:
            cost = series == COST
            meta = StatisticMetaData(
                mean_type=StatisticMeanType.NONE,
                has_sum=True,
                name=f"{name} {NAMES[series]}",
                source=DOMAIN,
                statistic_id=statistic_id(self.entry_id, vin, series),
                unit_class=None if cost else EnergyConverter.UNIT_CLASS,
                unit_of_measurement=(
                    self.hass.config.currency if cost else UnitOfEnergy.KILO_WATT_HOUR
                ),
            )
            async_add_external_statistics(self.hass, meta, rows[series])
        return last
