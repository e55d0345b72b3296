"""The ledger's recorder: sessions open and close with the car's charging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.cardata.ledger.model import (
    GRID_FACTOR,
    Session,
    SessionClass,
    Source,
)
from custom_components.cardata.ledger.recorder import Reading, SessionRecorder

T0 = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _idle(recorder: SessionRecorder, minutes: float = -1) -> None:
    recorder.baseline(Reading(at=_at(minutes), charging=False, plugged=False))


def test_a_charge_with_power_is_integrated() -> None:
    recorder = SessionRecorder()
    _idle(recorder)
    start = Reading(
        at=_at(0),
        charging=True,
        plugged=True,
        level=40,
        watts=11_000,
        latitude=48.1,
        longitude=11.5,
        capacity_kwh=80,
    )
    assert recorder.observe(start) is None
    assert recorder.session is not None
    for minute in range(10, 61, 10):
        level = 40 + minute / 6
        reading = Reading(
            at=_at(minute), charging=True, plugged=True, level=level, watts=11_000
        )
        assert recorder.observe(reading) is None
    closed = recorder.observe(
        Reading(at=_at(60), charging=False, plugged=False, level=50)
    )
    assert closed is not None
    assert closed.source is Source.POWER
    assert closed.energy_kwh == pytest.approx(11.0)
    assert closed.start_level == 40
    assert closed.end_level == 50
    assert (closed.latitude, closed.longitude) == (48.1, 11.5)
    assert closed.duration_s == 3600
    assert sum(b.kwh for b in closed.blocks) == pytest.approx(11.0)
    assert recorder.session is None


def test_without_power_the_level_change_counts() -> None:
    recorder = SessionRecorder()
    _idle(recorder)
    recorder.observe(
        Reading(at=_at(0), charging=True, plugged=None, level=20, capacity_kwh=50)
    )
    closed = recorder.observe(
        Reading(at=_at(120), charging=False, plugged=None, level=60)
    )
    assert closed is not None
    assert closed.source is Source.LEVEL
    assert closed.energy_kwh == pytest.approx(0.4 * 50 * GRID_FACTOR)


def test_a_pause_with_the_plug_in_is_one_session() -> None:
    recorder = SessionRecorder()
    _idle(recorder)
    recorder.observe(Reading(at=_at(0), charging=True, plugged=True, watts=7_000))
    assert recorder.observe(Reading(at=_at(60), charging=False, plugged=True)) is None
    assert recorder.session is not None
    recorder.observe(Reading(at=_at(180), charging=True, plugged=True, watts=7_000))
    recorder.observe(Reading(at=_at(240), charging=False, plugged=True))
    closed = recorder.observe(Reading(at=_at(300), charging=False, plugged=False))
    assert closed is not None
    assert closed.end == _at(240)  # the last moment it charged
    assert closed.energy_kwh == pytest.approx(14.0)
    assert [(b.start, b.end) for b in closed.blocks] == [
        (_at(0), _at(60)),
        (_at(180), _at(240)),
    ]


def test_driving_away_closes_the_session() -> None:
    recorder = SessionRecorder()
    _idle(recorder)
    recorder.observe(Reading(at=_at(0), charging=True, plugged=True, watts=3_000))
    closed = recorder.observe(
        Reading(at=_at(30), charging=True, plugged=True, moving=True)
    )
    assert closed is not None
    assert closed.energy_kwh == pytest.approx(1.5)


def test_a_car_charging_when_first_heard_opens_nothing() -> None:
    """A baseline (restored values) is no change: BMW's history tells it."""
    recorder = SessionRecorder()
    recorder.baseline(Reading(at=_at(0), charging=True, plugged=True))
    assert recorder.observe(Reading(at=_at(5), charging=True, plugged=True)) is None
    assert recorder.session is None
    assert recorder.observe(Reading(at=_at(9), charging=False, plugged=False)) is None
    recorder.observe(Reading(at=_at(20), charging=True, plugged=True))
    assert recorder.session is not None


def test_an_open_session_survives_a_restart() -> None:
    recorder = SessionRecorder()
    _idle(recorder)
    recorder.observe(Reading(at=_at(0), charging=True, plugged=True, watts=6_000))
    recorder.observe(Reading(at=_at(30), charging=True, plugged=True, watts=6_000))
    again = SessionRecorder(recorder.state())
    again.baseline(Reading(at=_at(30), charging=True, plugged=True, watts=6_000))
    closed = again.observe(Reading(at=_at(60), charging=False, plugged=False))
    assert closed is not None
    assert closed.start == _at(0)
    assert closed.energy_kwh == pytest.approx(6.0)
    assert SessionRecorder(None).state() is None


def test_the_stored_form_reads_back() -> None:
    session = Session(
        start=_at(0),
        end=_at(60),
        start_level=10,
        end_level=30,
        latitude=1.0,
        longitude=2.0,
        energy_kwh=9.5,
        source=Source.BMW,
        public=True,
        owner_class=SessionClass.HOME,
        auto_class=SessionClass.ELSEWHERE,
        address="Somewhere 1",
    )
    assert Session.from_dict(session.to_dict()) == session
    hidden = session.to_dict(places=False)
    assert "latitude" not in hidden
    assert "address" not in hidden
    assert session.session_class is SessionClass.HOME
    assert Session.from_dict({"start": "never"}) is None
    assert Session.from_dict([]) is None
    assert Session.from_dict({"start": "2026-03-01T18:00:00"}) is None  # no zone
    row = session.to_dict() | {"blocks": [["x", "y", 1.0], [1]], "source": "??"}
    assert Session.from_dict(row) == session.with_changes(source=Source.NONE)
