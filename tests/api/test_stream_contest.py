"""How the stream reads the broker's refusals and drops (pure logic)."""

from __future__ import annotations

from custom_components.cardata.api.stream_contest import (
    StreamContest,
    Verdict,
    backoff,
)

KICK = 1.0
"""Seconds a connection lasts before another client kicks it."""
LOST = 30.0
"""Seconds a connection lasts before a flapping network drops it."""


def test_rc5_right_after_our_own_disconnect_is_transient() -> None:
    contest = StreamContest(grace=10.0)
    contest.own_disconnect(100.0)
    assert contest.refusal(102.0) is Verdict.TRANSIENT
    assert contest.refusal(109.9) is Verdict.TRANSIENT
    assert not contest.signs
    assert contest.refusal(110.0) is Verdict.RETRY


def test_persisting_refusal_refreshes_once_then_eviction() -> None:
    contest = StreamContest()
    assert [contest.refusal(0.0) for _ in range(4)] == [
        Verdict.RETRY,
        Verdict.REFRESH,
        Verdict.EVICTED,
        Verdict.EVICTED,
    ]
    contest.stable()
    assert contest.refusal(0.0) is Verdict.RETRY


def test_bad_credentials_refresh_once_then_refused() -> None:
    contest = StreamContest()
    assert contest.bad_credentials() is Verdict.REFRESH
    assert contest.bad_credentials() is Verdict.REFUSED


def test_kicks_right_after_connack_mean_eviction() -> None:
    """Another client: every attempt is accepted and kicked within seconds."""
    contest = StreamContest()
    assert contest.drop(KICK, stable=False) is Verdict.RETRY
    assert contest.drop(0.0, stable=False) is Verdict.RETRY  # before SUBACK
    assert contest.drop(KICK, stable=False) is Verdict.EVICTED
    contest.stable()
    # A stable connection closed, then kicked twice: the other client arrived.
    assert contest.drop(3600.0, stable=True) is Verdict.RETRY
    assert contest.drop(KICK, stable=False) is Verdict.RETRY
    assert contest.drop(KICK, stable=False) is Verdict.EVICTED


def test_drop_then_refusals_mean_eviction_after_a_refresh() -> None:
    contest = StreamContest()
    contest.stable()
    assert contest.drop(3600.0, stable=True) is Verdict.RETRY
    assert contest.refusal(0.0) is Verdict.REFRESH
    assert contest.refusal(0.0) is Verdict.EVICTED


def test_a_failed_connect_breaks_a_run_of_refusals() -> None:
    contest = StreamContest()
    assert contest.refusal(0.0) is Verdict.RETRY
    assert contest.failure(unreachable=False) is Verdict.RETRY
    assert contest.refusal(0.0) is Verdict.RETRY
    assert contest.refusal(0.0) is Verdict.REFRESH


def test_flapping_is_unstable_never_eviction() -> None:
    """Drops between connects that fail, and drops at long intervals: an
    unstable connection, however many short drops follow."""
    contest = StreamContest()
    assert contest.drop(KICK, stable=False) is Verdict.RETRY
    assert contest.failure(unreachable=True) is Verdict.RETRY
    assert contest.drop(KICK, stable=False) is Verdict.UNSTABLE
    assert contest.unstable
    for _ in range(5):  # still within the memory of the failed connect
        assert contest.drop(KICK, stable=False) is Verdict.UNSTABLE
    contest.stable()
    assert not contest.unstable
    assert contest.drop(LOST, stable=False) is Verdict.RETRY
    assert contest.drop(KICK, stable=False) is Verdict.RETRY
    assert contest.drop(KICK, stable=False) is Verdict.UNSTABLE


def test_a_fighting_client_outlasts_an_old_failure() -> None:
    """A failed connect long ago does not hide another client for good."""
    contest = StreamContest(memory=8)
    contest.failure(unreachable=True)
    verdicts = [contest.drop(KICK, stable=False) for _ in range(8)]
    assert verdicts[-1] is Verdict.EVICTED
    assert Verdict.EVICTED not in verdicts[:-1]


def test_an_outage_is_not_unstable() -> None:
    """The connection does not come back: ordinary backoff, not "unstable"."""
    contest = StreamContest()
    contest.stable()
    assert contest.drop(3600.0, stable=True) is Verdict.RETRY
    for _ in range(6):
        assert contest.failure(unreachable=True) is Verdict.RETRY
    assert not contest.unstable


def test_backoff_stays_within_its_bounds() -> None:
    for failures in range(1, 30):
        assert 2.0 <= backoff(2.0, 20.0, failures) <= 20.0
    assert backoff(2.0, 300.0, 10) >= 225.0
