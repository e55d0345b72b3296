"""The capacity estimator at its edges: what counts, DC, outliers, the interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.cardata.health.estimate import (
    KEPT_SESSIONS,
    estimate,
    session_capacity,
)
from custom_components.cardata.ledger.model import Block, Session, Source

T0 = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


def _session(
    kwh: float | None,
    levels: tuple[float | None, float | None] = (20.0, 70.0),
    *,
    source: Source = Source.BMW,
    kw: float = 11.0,
    day: int = 0,
) -> Session:
    start = T0 + timedelta(days=day)
    end = start + timedelta(hours=2)
    return Session(
        start=start,
        end=end,
        start_level=levels[0],
        end_level=levels[1],
        energy_kwh=kwh,
        source=source,
        blocks=(Block(start, end, kw),),
    )


def test_a_session_measures_grid_energy_times_efficiency_over_the_level_change() -> (
    None
):
    # 50 points, 50 kWh from the grid, 90 % on AC: 90 kWh.
    assert session_capacity(_session(50.0)) == pytest.approx(90.0)
    # The stream's integrated power counts like BMW's grid energy.
    assert session_capacity(_session(50.0, source=Source.POWER)) == pytest.approx(90.0)
    # On DC (more than AC can draw) the car loses less: 95 %.
    assert session_capacity(_session(50.0, kw=150.0)) == pytest.approx(95.0)


@pytest.mark.parametrize(
    "session",
    [
        # Made from the configured capacity: it would only give it back.
        _session(50.0, source=Source.LEVEL),
        _session(None, source=Source.NONE),
        _session(None),
        # Too few points for whole-percent levels.
        _session(10.0, (50.0, 65.0)),
        _session(50.0, (None, 70.0)),
        _session(50.0, (20.0, None)),
        # A capacity no battery has.
        _session(500.0),
    ],
)
def test_sessions_that_measure_nothing(session: Session) -> None:
    assert session_capacity(session) is None


def test_the_median_of_the_newest_sessions_with_an_interval() -> None:
    assert estimate([_session(50.0), _session(50.0, day=1)]) is None
    sessions = [_session(kwh, day=n) for n, kwh in enumerate((49.0, 50.0, 51.0))]
    found = estimate(sessions)
    assert found is not None
    assert found.kwh == pytest.approx(90.0)
    assert found.sessions == 3
    assert found.low < 90.0 < found.high
    # One odd session (a missed level) does not move it.
    odd = estimate([*sessions, _session(70.0, day=3)])
    assert odd is not None
    assert 89.0 < odd.kwh < 91.0
    # Identical sessions: no spread.
    same = estimate([_session(50.0, day=n) for n in range(4)])
    assert same is not None
    assert same.low == same.kwh == same.high
    # Only the newest sessions count: the battery aged.
    aged = [_session(50.0, day=n) for n in range(KEPT_SESSIONS)]
    aged += [_session(45.0, day=100 + n) for n in range(KEPT_SESSIONS)]
    found = estimate(aged)
    assert found is not None
    assert found.kwh == pytest.approx(81.0)
    assert found.sessions == KEPT_SESSIONS
