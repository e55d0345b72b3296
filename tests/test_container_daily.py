"""The daily container read of what BMW does not stream, against the simulator.

Counted from the simulator's record of calls: each car's container is read
at most once a day (a read of the last day, the first set-up's included,
stands for it); a field the simulator answers only by container gets its
entity with the read's value and time; a refused or failed read waits for
the next day; no read into the reserve; a shared car never.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.cardata.const import DOMAIN
from custom_components.cardata.rest.daily import CHECK_EVERY
from custom_components.cardata.rest.quota_policy import CallKind
from tests.daily_helpers import NO_POLLS, a_day, later, long_logins, stop_stream
from tests.entity_helpers import SOC, make_entry, setup_entry
from tests.rest_helpers import planner
from tests.simulator import GCID_A, VIN_BEV, VIN_PHEV, VIN_SECONDARY, Simulator
from tests.simulator.world import STATE_OF_HEALTH, StateValue
from tests.waiting import wait_for

CARS = (VIN_BEV, VIN_PHEV)


def _reads(sim: Simulator, vin: str) -> list[int]:
    """The statuses of the container reads naming the vehicle, in order."""
    return [
        status
        for _gcid, path, status in sim.rest.calls
        if vin in path and path.endswith("/telematicData")
    ]


def _counts(sim: Simulator) -> dict[str, int]:
    return {vin: len(_reads(sim, vin)) for vin in CARS}


def _since(sim: Simulator, before: dict[str, int]) -> list[int]:
    """The statuses of the cars' reads made after ``before`` was counted."""
    return [status for vin in CARS for status in _reads(sim, vin)[before[vin] :]]


@pytest.fixture(autouse=True)
def _logins_outlast_the_test(simulator: Simulator) -> None:
    long_logins(simulator)  # see tests/daily_helpers.py


async def _set_up(hass: HomeAssistant, simulator: Simulator) -> MockConfigEntry:
    entry = make_entry(simulator, options=NO_POLLS)
    await setup_entry(hass, entry)
    return entry


async def _check(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    first: Callable[[], Awaitable[None]],
) -> None:
    """The next check, with ``first`` done at its moment, just before it."""
    freezer.tick(CHECK_EVERY)
    await first()
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


def _sensor(hass: HomeAssistant, vin: str, descriptor: str) -> str | None:
    return er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{vin}_{descriptor}"
    )


async def test_a_week_reads_each_car_once_a_day(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _set_up(hass, simulator)
    assert await simulator.publish(VIN_SECONDARY, {SOC: 64})  # a shared car
    await wait_for(lambda: VIN_SECONDARY in entry.runtime_data.coordinator.vehicles)
    await stop_stream(entry)
    # The first set-up read every car: that is the day's read.
    assert [len(_reads(simulator, vin)) for vin in CARS] == [1, 1]
    await later(hass, freezer, CHECK_EVERY)
    assert [len(_reads(simulator, vin)) for vin in CARS] == [1, 1]
    counts = []
    for _ in range(7):
        before = {vin: len(_reads(simulator, vin)) for vin in CARS}
        await a_day(hass, freezer)
        counts.append({vin: len(_reads(simulator, vin)) - before[vin] for vin in CARS})
    assert counts == [dict.fromkeys(CARS, 1)] * 7
    assert {s for vin in CARS for s in _reads(simulator, vin)} == {200}
    assert not _reads(simulator, VIN_SECONDARY)
    # In the account's call log, under their own kind.
    kinds = {c["kind"] for c in planner(entry).day_log()}
    assert CallKind.DAILY in kinds
    # The reserve for the owner's own actions is left alone.
    assert planner(entry).remaining(CallKind.USER) >= planner(entry).policy.reserve


async def test_a_field_only_a_read_answers_gets_its_entity(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    car = simulator.vehicles[VIN_BEV]
    del car.state[STATE_OF_HEALTH]  # BMW has no value at the first set-up
    entry = await _set_up(hass, simulator)
    await stop_stream(entry)
    coordinator = entry.runtime_data.coordinator
    assert _sensor(hass, VIN_BEV, STATE_OF_HEALTH) is None
    await later(hass, freezer, CHECK_EVERY)  # the set-up's read stands for it
    # BMW measures it later; the stream never says so.
    measured = dt_util.utcnow().replace(microsecond=0) + timedelta(hours=2)
    car.state[STATE_OF_HEALTH] = StateValue(95, measured)
    await a_day(hass, freezer)
    assert len(_reads(simulator, VIN_BEV)) == 2
    # BMW's own sensor (off by default) and the battery's health, which shows
    # BMW's figure once the car has one.
    assert _sensor(hass, VIN_BEV, STATE_OF_HEALTH) is not None
    state = hass.states.get(_sensor(hass, VIN_BEV, "battery_health") or "")
    assert state is not None
    assert float(state.state) == 95
    assert state.attributes["source"] == "bmw"
    # The value carries the time BMW read it, not the time it arrived.
    held = coordinator.get(VIN_BEV, STATE_OF_HEALTH)
    assert held is not None
    assert held.timestamp == measured
    # The other car's value came with the first set-up's read.
    other = hass.states.get(_sensor(hass, VIN_PHEV, "battery_health") or "")
    assert other is not None
    assert other.state == "91.0"


async def _to_the_next_read(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """From a fresh set-up to just before the next day's read is due."""
    await later(hass, freezer, CHECK_EVERY)  # the set-up's read stands for it
    await later(hass, freezer, timedelta(hours=23, minutes=50))


async def test_a_failed_read_waits_for_the_next_day(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _set_up(hass, simulator)
    await stop_stream(entry)
    await _to_the_next_read(hass, freezer)
    before = _counts(simulator)
    simulator.faults.rest_errors = 10  # every call of the next check fails
    await later(hass, freezer, CHECK_EVERY)
    assert _since(simulator, before) == [500, 500]
    simulator.faults.rest_errors = 0
    # The same day: no second try.
    for _ in range(4):
        await later(hass, freezer, CHECK_EVERY)
    assert _since(simulator, before) == [500, 500]
    # The next day: read again.
    await a_day(hass, freezer)
    for vin in CARS:
        assert _reads(simulator, vin)[-1] == 200


async def test_a_quota_refusal_waits_for_the_next_day(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _set_up(hass, simulator)
    await stop_stream(entry)
    await _to_the_next_read(hass, freezer)
    before = _counts(simulator)

    async def exhaust() -> None:
        simulator.quota.exhaust(GCID_A)

    await _check(hass, freezer, exhaust)
    # BMW's refusal (of this read or the ledger's) stops every further call.
    refused = _since(simulator, before)
    assert len(refused) <= 1
    assert 200 not in refused
    for _ in range(4):
        await later(hass, freezer, CHECK_EVERY)
    assert _since(simulator, before) == refused
    # BMW's stop lasts until the oldest call of the day is 24 hours old.
    await a_day(hass, freezer)
    await a_day(hass, freezer)
    for vin in CARS:
        assert _reads(simulator, vin)[-1] == 200


async def test_no_read_into_the_reserve(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = await _set_up(hass, simulator)
    await stop_stream(entry)
    await _to_the_next_read(hass, freezer)
    before = _counts(simulator)
    plan = planner(entry)

    async def only_the_reserve_left() -> None:
        for _ in range(50):  # bounded: the planner never allows more
            if plan.remaining(CallKind.DAILY) == 0:
                break
            await plan.async_call(CallKind.USER, entry.runtime_data.api.get_mappings)
        assert plan.remaining(CallKind.DAILY) == 0

    for _ in range(4):  # at each check (calls leave the window meanwhile)
        await _check(hass, freezer, only_the_reserve_left)
    assert _counts(simulator) == before
    assert plan.remaining(CallKind.USER) == plan.policy.reserve  # left alone
    # The next day the calls of today have left the window: read again.
    await a_day(hass, freezer)
    for vin in CARS:
        assert _reads(simulator, vin)[-1] == 200
