"""When BMW's stream clock counts as off (pure logic of data/clock.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging

import pytest

from custom_components.cardata.data.clock import StreamClock, describe

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CAR = "car-1"
OTHER = "car-2"


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_offsets_are_described_rounded_to_the_minute() -> None:
    assert describe(timedelta(hours=-2, seconds=-0.4)) == "2 h 00 min behind"
    assert describe(timedelta(minutes=12, seconds=31)) == "13 min ahead of"
    assert describe(timedelta(hours=5, minutes=30)) == "5 h 30 min ahead of"


def test_skew_starts_at_ten_minutes_and_ends_below_five(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = StreamClock()
    clock.follow(CAR, NOW - timedelta(minutes=9), NOW)
    assert not clock.skewed(CAR)
    clock.follow(CAR, NOW - timedelta(minutes=10), NOW)
    assert clock.skewed(CAR)
    clock.follow(CAR, NOW - timedelta(minutes=6), NOW)  # between: still off
    assert clock.skewed(CAR)
    clock.follow(CAR, None, NOW)  # no time of sending: says nothing
    assert clock.skewed(CAR)
    clock.follow(CAR, NOW - timedelta(minutes=4), NOW)
    assert not clock.skewed(CAR)
    assert len(_warnings(caplog)) == 1


def test_a_day_off_is_a_stale_message_not_a_clock() -> None:
    clock = StreamClock()
    clock.follow(CAR, NOW - timedelta(days=2), NOW)
    clock.follow(OTHER, NOW + timedelta(days=30), NOW)
    assert not clock.skewed(CAR)
    assert not clock.skewed(OTHER)
    assert clock.offsets() == []


def test_one_warning_per_account_until_all_clocks_agree(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = StreamClock()
    clock.follow(CAR, NOW + timedelta(hours=2), NOW)
    clock.follow(OTHER, NOW + timedelta(hours=2), NOW)
    assert clock.offsets() == [timedelta(hours=2), timedelta(hours=2)]
    clock.follow(CAR, NOW, NOW)
    clock.follow(CAR, NOW + timedelta(hours=2), NOW)
    assert len(_warnings(caplog)) == 1
    assert "2 h 00 min ahead of" in _warnings(caplog)[0]
    clock.follow(CAR, NOW, NOW)
    clock.follow(OTHER, NOW, NOW)
    clock.follow(OTHER, NOW - timedelta(hours=1), NOW)  # off again: told again
    assert len(_warnings(caplog)) == 2
    assert "1 h 00 min behind" in _warnings(caplog)[1]
