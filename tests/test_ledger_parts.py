"""The ledger's pure parts at their edges: history, hours, classes, prices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from homeassistant.core import HomeAssistant, State
import pytest

from custom_components.cardata.ledger.classify import Classifier
from custom_components.cardata.ledger.history import (
    level_factor,
    level_ratios,
    merge,
    read_history,
    read_session,
)
from custom_components.cardata.ledger.hours import first_hour, session_hours
from custom_components.cardata.ledger.model import (
    GRID_FACTOR_DC,
    Block,
    Session,
    SessionClass,
    Source,
)
from custom_components.cardata.ledger.price import Pricing
from custom_components.cardata.ledger.recorder import Reading, SessionRecorder
from custom_components.cardata.ledger.series import hourly
from custom_components.cardata.ledger.tariff import (
    hour_price,
    money_factor,
    spans,
    state_price,
)

T0 = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def test_unreadable_history_rows_are_skipped() -> None:
    rows = [
        "not a session",
        {"endTime": _ms(T0)},  # no start
        {
            "startTime": _ms(T0),
            "endTime": _ms(T0 + timedelta(hours=1)),
            "energyConsumedFromPowerGridKwh": 5.0,
            "chargingBlocks": [
                {"startTime": _ms(T0), "endTime": _ms(T0), "averagePowerGridKw": 1},
                {"startTime": "x"},
                {"startTime": _ms(T0), "endTime": _ms(T0 + timedelta(hours=1))},
            ],
            "chargingLocation": "somewhere",
        },
    ]
    (session,) = read_history(rows)
    assert session.blocks == ()
    assert session.energy_kwh == 5.0
    assert session.latitude is None
    assert read_session({"startTime": _ms(T0)}).source is Source.NONE  # type: ignore[union-attr]


def test_blocks_without_power_are_kept_as_they_are() -> None:
    row = {
        "startTime": _ms(T0),
        "energyConsumedFromPowerGridKwh": 5.0,
        "chargingBlocks": [
            {
                "startTime": _ms(T0),
                "endTime": _ms(T0 + timedelta(hours=1)),
                "averagePowerGridKw": 0.0,
            }
        ],
    }
    session = read_session(row)
    assert session is not None
    assert [b.kw for b in session.blocks] == [0.0]
    # Without drawn blocks the energy is spread from start to end.
    assert sum(
        session_hours(session.with_changes(end=T0 + timedelta(hours=2))).values()
    ) == pytest.approx(5.0)


def test_bmw_without_energy_leaves_the_stream_session_alone() -> None:
    held = Session(start=T0, end=T0 + timedelta(hours=1), energy_kwh=4.0)
    bmw = Session(start=T0 + timedelta(minutes=5), end=T0 + timedelta(hours=1))
    assert merge([held], [bmw]) == [held]
    later = Session(start=T0 + timedelta(hours=3), end=T0 + timedelta(hours=4))
    overlapping = Session(
        start=T0 - timedelta(hours=1), end=T0 + timedelta(minutes=30), energy_kwh=6.0
    )
    merged = merge([held], [later, overlapping])
    assert [s.energy_kwh for s in merged] == [6.0, None]
    assert merged[0].start == T0


def test_hours_of_odd_sessions() -> None:
    assert session_hours(Session(start=T0, energy_kwh=0.0)) == {}
    instant = Session(start=T0, end=T0, energy_kwh=2.0, source=Source.LEVEL)
    assert session_hours(instant) == {T0.replace(minute=0): 2.0}
    unclassed = hourly([instant], Pricing())
    assert unclassed[T0.replace(minute=0)]["total"] == 2.0
    assert unclassed[T0.replace(minute=0)]["cost"] == 0.0
    blocks = (Block(T0, T0 + timedelta(hours=1), 2.0),)
    spread = session_hours(instant.with_changes(blocks=blocks))
    assert spread == {
        T0.replace(minute=0): pytest.approx(1.0),
        T0.replace(minute=0) + timedelta(hours=1): pytest.approx(1.0),
    }
    assert first_hour([]) is None


def test_an_unclassed_session_has_a_price_only_when_both_are_the_same() -> None:
    session = Session(start=T0, energy_kwh=10.0)
    assert Pricing(home=0.3, elsewhere=0.3).cost(session) == 3.0
    assert Pricing(home=0.3, elsewhere=0.5).cost(session) is None
    assert Pricing(home=0.3).cost(session.with_changes(energy_kwh=None)) is None
    assert (
        Pricing.from_options({"ledger_price_home": -1, "ledger_price_elsewhere": True})
        == Pricing()
    )
    # With a price entity an unclassed session has no price: home is by the hour.
    tariff = Pricing(home=0.3, elsewhere=0.3, entity="sensor.tariff")
    assert tariff.cost(session) is None
    hour = T0.replace(minute=0)
    home = session.with_changes(owner_class=SessionClass.HOME)
    assert tariff.cost(home) is None  # its hour not read yet
    assert tariff.with_hours({hour: 0.25}).cost(home) == 2.5
    assert tariff.with_hours({hour: None}).cost(home) is None
    assert Pricing(entity="sensor.tariff").cost(home.with_changes(energy_kwh=0.0)) == 0
    assert Pricing.from_options({"ledger_price_entity": ""}).entity is None


def test_an_hour_price_is_the_mean_of_the_states_in_it() -> None:
    hour = T0.replace(minute=0)
    quarter = timedelta(minutes=15)
    assert hour_price([(hour - quarter, 0.2)], hour) == 0.2
    steps = [(hour - quarter, 0.2), (hour + quarter, 0.4), (hour + 3 * quarter, 0.2)]
    assert hour_price(steps, hour) == pytest.approx(0.3)
    # No state before the hour, or one without a price in it: no price.
    assert hour_price([(hour + quarter, 0.2)], hour) is None
    assert hour_price([(hour, 0.2), (hour + quarter, None)], hour) is None
    assert hour_price([], hour) is None
    # The needed hours in spans of at most a week.
    hours = [hour, hour + timedelta(hours=1), hour + timedelta(days=9)]
    assert spans(hours) == [
        (hour, hour + timedelta(hours=2)),
        (hour + timedelta(days=9), hour + timedelta(days=9, hours=1)),
    ]
    long = [hour + timedelta(days=day) for day in range(9)]
    assert len(spans(long)) == 2


def test_a_price_unit_is_the_currency_per_energy_unit() -> None:
    assert money_factor("EUR/kWh", "EUR") == 1.0
    assert money_factor("EUR/MWh", "EUR") == pytest.approx(0.001)
    assert money_factor("EUR/Wh", "EUR") == pytest.approx(1000.0)
    assert money_factor("SEK/kWh", "EUR") is None
    assert money_factor("ct/kWh", "EUR") is None
    assert money_factor("EUR/m³", "EUR") is None
    assert money_factor("EUR", "EUR") is None
    assert money_factor(None, "EUR") is None
    unit = {"unit_of_measurement": "EUR/kWh"}
    assert state_price(State("sensor.t", "0.3", unit), "EUR") == 0.3
    assert state_price(State("sensor.t", "nan", unit), "EUR") is None
    assert state_price(State("sensor.t", "0.3", {}), "EUR") is None


async def test_classes_need_a_place_and_a_zone(hass: HomeAssistant) -> None:
    classifier = Classifier(hass, "zone.work")
    placed = Session(start=T0, latitude=48.0, longitude=11.0)
    assert classifier.classify(Session(start=T0)) is None
    assert classifier.classify(placed) is None  # no such zone
    hass.states.async_set("zone.work", "0", {"latitude": "north"})
    assert classifier.classify(placed) is None
    hass.states.async_set("zone.work", "0", {"latitude": 48.0, "longitude": 11.001})
    assert classifier.classify(placed) is SessionClass.HOME  # 74 m: radius 100
    assert (
        classifier.classify(placed.with_changes(public=True)) is SessionClass.ELSEWHERE
    )
    far = placed.with_changes(latitude=48.01)
    assert classifier.classify(far) is SessionClass.ELSEWHERE
    # A position alone (a wallbox feeds its car's estimate only at home).
    assert classifier.home(48.0, 11.0) is True
    assert classifier.home(48.01, 11.0) is False
    assert classifier.home(None, 11.0) is None
    hass.states.async_remove("zone.work")
    assert classifier.home(48.0, 11.0) is None


def test_a_paused_session_and_a_fall_in_level_survive_a_restart() -> None:
    recorder = SessionRecorder()
    recorder.baseline(Reading(at=T0, charging=False, plugged=True))
    recorder.observe(
        Reading(at=T0, charging=True, plugged=True, level=50, capacity_kwh=40)
    )
    recorder.observe(Reading(at=T0 + timedelta(hours=1), charging=False, plugged=True))
    again = SessionRecorder(recorder.state())
    closed = again.observe(
        Reading(at=T0 + timedelta(hours=2), charging=False, plugged=False, level=45)
    )
    assert closed is not None
    assert closed.source is Source.NONE  # the level fell: no figure
    assert [(b.start, b.end) for b in closed.blocks] == [(T0, T0 + timedelta(hours=1))]
    assert SessionRecorder({"session": "broken"}).session is None


def test_bmw_teaches_the_level_factor() -> None:
    """A car without power: BMW's energy over the level-based one, the median."""
    held = [
        Session(
            start=T0, end=T0 + timedelta(hours=1), energy_kwh=10.0, source=Source.LEVEL
        ),
        Session(start=T0 + timedelta(days=1), energy_kwh=5.0, source=Source.POWER),
    ]
    bmw = [
        Session(
            start=T0 + timedelta(minutes=2), end=T0 + timedelta(hours=1), energy_kwh=9.0
        ),
        Session(start=T0 + timedelta(days=1), energy_kwh=5.5),
    ]
    assert level_ratios(held, bmw) == [pytest.approx(0.9)]
    assert level_factor([]) == 1.0
    assert level_factor([0.8, 0.9, 1.0, 3.0]) == pytest.approx(0.95)
    assert level_factor([0.1]) == 0.5  # bounded
    recorder = SessionRecorder()
    recorder.level_factor = 0.9
    recorder.baseline(Reading(at=T0, charging=False, plugged=True))
    recorder.observe(
        Reading(at=T0, charging=True, plugged=True, level=20, capacity_kwh=50, dc=True)
    )
    closed = recorder.observe(
        Reading(at=T0 + timedelta(hours=1), charging=False, plugged=False, level=60)
    )
    assert closed is not None
    assert closed.energy_kwh == pytest.approx(0.4 * 50 * GRID_FACTOR_DC * 0.9)
