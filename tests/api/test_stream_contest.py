"""How the stream reads the broker's refusals and drops (pure logic)."""

from __future__ import annotations

from custom_components.cardata.api.stream_contest import StreamContest, Verdict


def test_rc5_right_after_our_own_disconnect_is_transient() -> None:
    contest = StreamContest(grace=10.0)
    contest.own_disconnect(100.0)
    assert contest.refusal(102.0) is Verdict.TRANSIENT
    assert contest.refusal(109.9) is Verdict.TRANSIENT
    assert contest.refusals == 0
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


def test_drops_and_refusals_together_mean_eviction() -> None:
    contest = StreamContest()
    assert contest.drop() is Verdict.RETRY
    assert contest.drop() is Verdict.RETRY
    assert contest.drop() is Verdict.EVICTED
    contest.stable()
    assert contest.drop() is Verdict.RETRY
    # A drop, then the broker refuses: a token refresh first, then eviction.
    assert contest.refusal(0.0) is Verdict.REFRESH
    assert contest.refusal(0.0) is Verdict.EVICTED
    contest.other_failure()
    assert contest.refusals == 0
    assert contest.suspicion == 1
