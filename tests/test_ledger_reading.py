"""What the ledger's daily history read asks for, and what its answer leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.cardata.ledger.reading import (
    FIRST_DAYS,
    OVERLAP,
    ReadState,
    after_failure,
    after_read,
    covers,
    plan_read,
)

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_the_first_read_imports_the_last_30_days() -> None:
    plan = plan_read(ReadState(), NOW)
    assert (plan.start, plan.end, plan.token, plan.first) == (
        NOW - timedelta(days=FIRST_DAYS),
        NOW,
        None,
        True,
    )
    state = after_read(ReadState(), plan, complete=True, token=None)
    assert state == ReadState(until=NOW)


def test_later_reads_ask_for_the_days_since() -> None:
    plan = plan_read(ReadState(until=NOW), NOW + DAY)
    assert (plan.start, plan.end, plan.first) == (NOW - OVERLAP, NOW + DAY, False)


def test_a_page_left_is_read_the_next_day() -> None:
    state = ReadState(until=NOW)
    plan = plan_read(state, NOW + DAY)
    cut = after_read(state, plan, complete=False, token="next")
    assert cut.until == NOW  # not read through yet
    going_on = plan_read(cut, NOW + 2 * DAY)
    assert (going_on.start, going_on.end, going_on.token) == (
        plan.start,
        plan.end,
        "next",
    )
    done = after_read(cut, going_on, complete=True, token=None)
    assert done == ReadState(until=NOW + DAY)
    # Kept across a restart.
    assert ReadState.from_dict(cut.to_dict()) == cut


def test_a_refused_page_is_not_asked_again() -> None:
    cut = ReadState(until=NOW, start=NOW - OVERLAP, end=NOW + DAY, token="next")
    assert after_failure(cut) == ReadState(until=NOW)
    assert plan_read(after_failure(cut), NOW + 2 * DAY).token is None


def test_broken_stored_forms_count_as_never_read() -> None:
    assert ReadState.from_dict(None) == ReadState()
    assert ReadState.from_dict({"until": "soon", "token": 5}) == ReadState()
    assert ReadState.from_dict({"token": "t"}) == ReadState()


def test_another_answer_may_stand_for_the_read() -> None:
    state = ReadState(until=NOW - DAY)
    month = NOW - timedelta(days=FIRST_DAYS)
    assert covers(state, NOW, month, NOW, complete=True)
    assert not covers(state, NOW, month, NOW, complete=False)
    assert not covers(state, NOW, NOW - OVERLAP, NOW, complete=True)  # too late
    assert not covers(ReadState(), NOW, NOW - DAY, NOW, complete=True)
    assert covers(ReadState(), NOW, month, NOW, complete=True)
