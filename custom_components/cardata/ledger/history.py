"""BMW's charging history read into the ledger's sessions, and merged (pure).

Both shapes of BMW's answer are read: the older one with
``chargingCostInformation``, and the newer one without it and with the
battery-side ``energyDecreaseHvbKwh`` / ``energyDischargedKwh``. What both
carry is what counts: start and end, ``energyConsumedFromPowerGridKwh``,
the displayed charge levels, ``chargingLocation`` (map-matched place,
address), ``publicChargingPoint`` and ``chargingBlocks``.

:func:`merge` puts BMW's sessions over the stream's: a stream session that
overlaps a BMW session (or starts within :data:`MATCH` of it) takes BMW's
grid energy, blocks, end, charge levels and place, keeps its start (its id,
so the owner's correction stays with it) and becomes confirmed; a BMW
session no stream session matches (the car charged while Home Assistant was
down, or the stream missed it) is added.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any, Final

from ..api.models import parse_timestamp
from .model import Block, Session, Source

MATCH: Final = timedelta(minutes=20)
"""How far apart the stream's and BMW's starts of one session may lie."""
KEPT_RATIOS: Final = 10
"""Sessions the charge level factor is learned from (the newest)."""
FACTOR_RANGE: Final = (0.5, 1.5)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _blocks(rows: Any) -> tuple[Block, ...]:
    if not isinstance(rows, list):
        return ()
    blocks = [
        Block(start, end, kw)
        for row in rows
        if isinstance(row, Mapping)
        and (start := parse_timestamp(row.get("startTime"))) is not None
        and (end := parse_timestamp(row.get("endTime"))) is not None
        and end > start
        and (kw := _number(row.get("averagePowerGridKw"))) is not None
    ]
    return tuple(sorted(blocks, key=lambda b: b.start))


def read_session(row: Any) -> Session | None:
    """One of BMW's sessions (either shape); None when it has no start."""
    if not isinstance(row, Mapping):
        return None
    start = parse_timestamp(row.get("startTime"))
    if start is None:
        return None
    end = parse_timestamp(row.get("endTime"))
    energy = _number(row.get("energyConsumedFromPowerGridKwh"))
    blocks = _blocks(row.get("chargingBlocks"))
    if energy is not None and blocks:
        blocks = _scaled(blocks, energy)
    place = row.get("chargingLocation")
    place = place if isinstance(place, Mapping) else {}
    public = row.get("publicChargingPoint")
    matches = (
        public.get("potentialChargingPointMatches")
        if isinstance(public, Mapping)
        else None
    )
    address = place.get("formattedAddress")
    return Session(
        start=start,
        end=end,
        start_level=_number(row.get("displayedStartSoc")),
        end_level=_number(row.get("displayedSoc")),
        latitude=_number(place.get("mapMatchedLatitude")),
        longitude=_number(place.get("mapMatchedLongitude")),
        energy_kwh=energy,
        source=Source.BMW if energy is not None else Source.NONE,
        blocks=blocks,
        public=bool(matches),
        address=address if isinstance(address, str) else None,
    )


def _scaled(blocks: tuple[Block, ...], energy: float) -> tuple[Block, ...]:
    """Blocks whose energies add up to BMW's grid energy.

    Their powers are rounded averages; the session's figure is the one BMW
    bills by.
    """
    drawn = sum(b.kwh for b in blocks)
    if drawn <= 0:
        return blocks
    factor = energy / drawn
    return tuple(Block(b.start, b.end, b.kw * factor) for b in blocks)


def read_history(rows: Iterable[Any]) -> list[Session]:
    """Every readable session of a history answer, oldest first."""
    sessions = [s for row in rows if (s := read_session(row)) is not None]
    return sorted(sessions, key=lambda s: s.start)


def same_session(held: Session, bmw: Session) -> bool:
    """Whether two sessions are one charge (start near, or times overlap)."""
    if abs(held.start - bmw.start) <= MATCH:
        return True
    held_end = held.end or held.start
    bmw_end = bmw.end or bmw.start
    return held.start < bmw_end and bmw.start < held_end


def level_ratios(held: list[Session], bmw: list[Session]) -> list[float]:
    """BMW's grid energy over the stream's level-based figure, per matched session.

    A car that sends no charging power gets its energy from the charge level
    change x a capacity that may be the gross one (basicData): what BMW
    answers later teaches the factor (:func:`level_factor`).
    """
    ratios: list[float] = []
    for session in held:
        if session.source is not Source.LEVEL or not session.energy_kwh:
            continue
        for found in bmw:
            if found.energy_kwh and same_session(session, found):
                ratios.append(found.energy_kwh / session.energy_kwh)
                break
    return ratios


def level_factor(ratios: list[float]) -> float:
    """The median of the newest ratios, within :data:`FACTOR_RANGE`; 1 without."""
    kept = sorted(ratios[-KEPT_RATIOS:])
    if not kept:
        return 1.0
    middle = len(kept) // 2
    median = kept[middle] if len(kept) % 2 else (kept[middle - 1] + kept[middle]) / 2
    return min(max(median, FACTOR_RANGE[0]), FACTOR_RANGE[1])


def merge(held: list[Session], bmw: list[Session]) -> list[Session]:
    """The held sessions with BMW's figures over them, and BMW's new ones."""
    result = list(held)
    for found in bmw:
        index = next((i for i, s in enumerate(result) if same_session(s, found)), None)
        if index is None:
            result.append(found)
            continue
        old = result[index]
        if found.energy_kwh is None:
            continue  # BMW knows no more than the stream
        result[index] = found.with_changes(
            start=old.start,
            latitude=found.latitude if found.latitude is not None else old.latitude,
            longitude=(
                found.longitude if found.longitude is not None else old.longitude
            ),
            start_level=(
                found.start_level if found.start_level is not None else old.start_level
            ),
            owner_class=old.owner_class,
        )
    return sorted(result, key=lambda s: s.start)
