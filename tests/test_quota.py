"""Quota policy (pure, simulated clock) and the Store-backed planner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest

from custom_components.cardata.api import QuotaExceededError
from custom_components.cardata.common.settings import PollSettings
from custom_components.cardata.rest.quota import QuotaSpentError
from custom_components.cardata.rest.quota_policy import (
    DAILY_LIMIT,
    CallKind,
    LoggedCall,
    QuotaPolicy,
    VehicleActivity,
    start_of_day,
)
from tests.rest_helpers import make_entry, setup_rest
from tests.simulator import GCID_A

T0 = datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
VIN1 = "WBA00000000000001"
VIN2 = "WBA00000000000002"


def _call(at: datetime, kind: CallKind = CallKind.SCHEDULED, vin: str | None = None):
    return LoggedCall(at, "telematicData", vin, "ok", kind)


def test_counts_both_reset_rules_and_uses_the_stricter() -> None:
    policy = QuotaPolicy()
    for minute in range(30):
        policy.record(_call(T0 + timedelta(minutes=minute)))
    after_midnight = T0 + timedelta(hours=3)  # 01:00 UTC the next day
    policy.record(_call(after_midnight))
    assert policy.used_since_midnight(after_midnight) == 1
    assert policy.used_rolling(after_midnight) == 31
    assert policy.used(after_midnight) == 31
    # A midnight reset does not give the 30 calls of 22:00 back.
    assert policy.remaining(after_midnight, CallKind.USER) == DAILY_LIMIT - 31
    # 24 h after they were made they leave the window.
    later = T0 + timedelta(hours=24, minutes=30)
    assert policy.used(later) == 1


def test_never_exceeds_the_limit_and_keeps_the_reserve() -> None:
    policy = QuotaPolicy(settings=PollSettings(reserve=10))
    now = T0
    scheduled = 0
    for _ in range(100):
        if policy.can_call(now, CallKind.SCHEDULED):
            policy.record(_call(now))
            scheduled += 1
        now += timedelta(minutes=1)
    assert scheduled == 40
    assert policy.remaining(now, CallKind.SCHEDULED) == 0
    assert policy.remaining(now, CallKind.USER) == 10
    for _ in range(20):
        if policy.can_call(now, CallKind.USER):
            policy.record(_call(now, CallKind.USER))
    assert policy.used(now) == DAILY_LIMIT
    assert not policy.can_call(now, CallKind.USER)
    assert policy.next_slot_at(now) == T0 + timedelta(hours=24)


def test_pending_calls_count() -> None:
    policy = QuotaPolicy(limit=3, settings=PollSettings(reserve=0))
    policy.pending = 3
    assert not policy.can_call(T0, CallKind.USER)


def test_block_honours_retry_after() -> None:
    policy = QuotaPolicy()
    policy.block(T0, 120.0, "429")
    assert policy.is_blocked(T0 + timedelta(seconds=119))
    assert policy.remaining(T0, CallKind.USER) == 0
    assert policy.next_slot_at(T0) == T0 + timedelta(seconds=120)
    assert not policy.clear_block(T0 + timedelta(seconds=60))
    assert policy.clear_block(T0 + timedelta(seconds=120))
    assert policy.remaining(T0 + timedelta(seconds=120), CallKind.USER) == DAILY_LIMIT


def test_block_without_retry_after_is_safe_for_both_rules() -> None:
    policy = QuotaPolicy()
    policy.record(_call(T0 - timedelta(hours=1)))  # 21:00
    policy.block(T0, None, "CU-429")
    # Next midnight is 00:00, the oldest call leaves the window at 21:00.
    assert policy.blocked_until == T0 + timedelta(hours=23)
    empty = QuotaPolicy()
    empty.block(T0, None, "CU-429")
    assert empty.blocked_until == start_of_day(T0) + timedelta(days=1)
    # A later, shorter block never shortens a running one.
    empty.block(T0, 10, "429")
    assert empty.blocked_until == start_of_day(T0) + timedelta(days=1)


def test_no_polls_while_the_vehicle_streams() -> None:
    policy = QuotaPolicy(started_at=T0 - timedelta(days=1))
    vehicles = {VIN1: VehicleActivity(last_message=T0 - timedelta(minutes=5))}
    assert policy.due_polls(T0, vehicles, None) == []


def test_parked_car_with_healthy_stream_waits_for_max_data_age() -> None:
    settings = PollSettings(max_data_age=timedelta(hours=12))
    policy = QuotaPolicy(settings=settings, started_at=T0 - timedelta(days=1))
    last = T0 - timedelta(hours=11)
    vehicles = {VIN1: VehicleActivity(last_message=last)}
    assert policy.due_polls(T0, vehicles, None) == []
    assert policy.due_polls(T0 + timedelta(hours=1), vehicles, None) == [VIN1]


def test_dead_stream_polls_each_interval_once() -> None:
    settings = PollSettings(
        stream_silence=timedelta(minutes=30), poll_interval=timedelta(hours=1)
    )
    policy = QuotaPolicy(settings=settings, started_at=T0 - timedelta(days=1))
    down = T0
    vehicles = {VIN1: VehicleActivity(last_message=T0)}
    assert policy.due_polls(T0 + timedelta(minutes=20), vehicles, down) == []
    now = T0 + timedelta(hours=1)
    assert policy.due_polls(now, vehicles, down) == [VIN1]
    policy.mark_polled(VIN1, now)
    policy.record(_call(now, vin=VIN1))
    assert policy.due_polls(now + timedelta(minutes=59), vehicles, down) == []
    assert policy.due_polls(now + timedelta(minutes=60), vehicles, down) == [VIN1]


def test_restart_never_polls_at_once() -> None:
    policy = QuotaPolicy(started_at=T0)
    vehicles = {VIN1: VehicleActivity(last_message=None)}
    assert policy.due_polls(T0 + timedelta(minutes=1), vehicles, T0) == []


def test_interval_stretches_with_vehicles_and_extras() -> None:
    policy = QuotaPolicy(settings=PollSettings(reserve=10))
    # One car: the 40 calls outside the reserve allow a poll every 36 minutes.
    assert policy.effective_poll_interval(1) == timedelta(minutes=36)
    assert policy.effective_poll_interval(3) == timedelta(hours=24) / 13
    assert (
        policy.effective_poll_interval(3, extras_per_day=6) == timedelta(hours=24) / 11
    )
    assert policy.effective_poll_interval(50) == timedelta(hours=24)


def test_most_out_of_date_first_and_budget_cut() -> None:
    policy = QuotaPolicy(
        limit=12, settings=PollSettings(reserve=10), started_at=T0 - timedelta(days=2)
    )
    vehicles = {
        VIN1: VehicleActivity(last_message=T0 - timedelta(hours=13)),
        VIN2: VehicleActivity(last_message=T0 - timedelta(hours=20)),
    }
    assert policy.due_polls(T0, vehicles, None) == [VIN2, VIN1]
    policy.record(_call(T0))
    assert policy.due_polls(T0, vehicles, None) == [VIN2]


def test_extras_once_a_day() -> None:
    policy = QuotaPolicy()
    assert policy.extra_due(T0, "tyres", VIN1)
    policy.mark_extra(T0, "tyres", VIN1)
    assert not policy.extra_due(T0 + timedelta(hours=23), "tyres", VIN1)
    assert policy.extra_due(T0 + timedelta(hours=24), "tyres", VIN1)
    assert policy.extra_due(T0, "tyres", VIN2)


def test_round_trip_and_tolerant_load() -> None:
    policy = QuotaPolicy()
    policy.record(_call(T0, vin=VIN1))
    policy.block(T0, 60, "429")
    policy.mark_polled(VIN1, T0)
    policy.mark_extra(T0, "tyres", VIN1)
    other = QuotaPolicy()
    other.load_dict(policy.to_dict())
    assert other.to_dict() == policy.to_dict()
    assert other.last_fetch == {VIN1: T0}
    broken = QuotaPolicy()
    broken.load_dict(
        {
            "calls": [{"at": "nonsense"}, "x", {"endpoint": "no time"}],
            "blocked_until": 5,
            "last_poll": {"a": "bad", "b": 3},
            "last_extra": [],
        }
    )
    assert broken.calls == []
    assert broken.blocked_until is None
    assert broken.last_poll == {}


@pytest.mark.parametrize("hours", [0, 5, 23])
def test_start_of_day(hours: int) -> None:
    now = datetime(2026, 1, 2, hours, 30, tzinfo=UTC)
    assert start_of_day(now) == datetime(2026, 1, 2, tzinfo=UTC)


# ----- the planner inside Home Assistant, against the simulator ----------------


async def _planner_entry(hass, simulator):
    return await setup_rest(hass, make_entry(simulator))


def _left_state(hass, entry):
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", "cardata", f"{entry.entry_id}_api_calls_left"
    )
    return hass.states.get(entity_id)


async def test_log_survives_a_restart(hass, simulator) -> None:
    entry = await _planner_entry(hass, simulator)
    plan = entry.runtime_data.quota
    for _ in range(3):
        await plan.async_call(CallKind.USER, entry.runtime_data.api.get_mappings)
    assert plan.used() == 10
    assert await hass.config_entries.async_unload(entry.entry_id)
    await setup_rest(hass, entry)
    plan = entry.runtime_data.quota
    assert plan.used() == 10
    assert [c.kind for c in plan.policy.calls[-3:]] == ["user"] * 3
    assert _left_state(hass, entry).state == str(DAILY_LIMIT - 10)


async def test_scheduled_polls_only_for_silent_vehicles(hass, simulator) -> None:
    entry = await _planner_entry(hass, simulator)
    plan = entry.runtime_data.quota
    poller = entry.runtime_data.poller
    calls = simulator.quota.calls(GCID_A)
    # Healthy stream, fresh data: nothing to do.
    assert await poller.async_poll_due() == 0
    # The stream has been down for hours and the cars are silent.
    past = datetime.now(UTC) - timedelta(hours=3)
    plan.policy.started_at = past
    plan.policy.last_fetch.clear()
    for vehicle in entry.runtime_data.coordinator.vehicles.values():
        vehicle.last_received_at = past
    poller.stream_down_since = past
    assert await poller.async_poll_due() == 2
    assert simulator.quota.calls(GCID_A) == calls + 2
    # At most one per vehicle per interval.
    assert await poller.async_poll_due() == 0
    assert simulator.quota.calls(GCID_A) == calls + 2


async def test_exhaustion_stops_everything(hass, simulator) -> None:
    entry = await _planner_entry(hass, simulator)
    plan = entry.runtime_data.quota
    simulator.quota.mode = "429"
    simulator.quota.exhaust(GCID_A)
    with pytest.raises(QuotaExceededError):
        await plan.async_call(CallKind.USER, entry.runtime_data.api.get_mappings)
    calls = simulator.quota.calls(GCID_A)
    assert plan.blocked_until is not None
    await hass.async_block_till_done()
    state = _left_state(hass, entry)
    assert state.state == "0"
    assert state.attributes["blocked_until"]
    assert ir.async_get(hass).async_get_issue(
        "cardata", f"quota_exhausted_{entry.entry_id}"
    )
    # Nothing more is called: not by hand, not scheduled.
    with pytest.raises(QuotaSpentError):
        await plan.async_call(CallKind.USER, entry.runtime_data.api.get_mappings)
    past = datetime.now(UTC) - timedelta(hours=3)
    plan.policy.started_at = past
    entry.runtime_data.poller.stream_down_since = past
    assert await entry.runtime_data.poller.async_poll_due() == 0
    assert simulator.quota.calls(GCID_A) == calls


async def test_scheduled_polls_end_quietly_when_login_is_gone(hass, simulator) -> None:
    """Due polls meet a refused login: none is counted, nothing raises."""
    entry = await _planner_entry(hass, simulator)
    plan = entry.runtime_data.quota
    poller = entry.runtime_data.poller
    past = datetime.now(UTC) - timedelta(hours=3)
    plan.policy.started_at = past
    plan.policy.last_fetch.clear()
    for vehicle in entry.runtime_data.coordinator.vehicles.values():
        vehicle.last_received_at = past
    poller.stream_down_since = past
    simulator.oauth.revoke_refresh_tokens(GCID_A)
    with pytest.raises(ConfigEntryAuthFailed):
        await entry.runtime_data.tokens.async_force_refresh()
    calls = simulator.quota.calls(GCID_A)

    assert await poller.async_poll_due() == 0

    assert simulator.quota.calls(GCID_A) == calls
