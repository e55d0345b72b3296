"""The ledger's own daily read of BMW's charging history, against the simulator.

Counted from the simulator's record of calls: the first set-up imports the
last 30 days once, then each electrified car is read at most once a day; a
shared car never; a refused or failed read waits for the next day; with the
opt-in extra on, its read is the only one.
"""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest

from custom_components.cardata.common.settings import OPT_CHARGING_HISTORY
from custom_components.cardata.ledger.daily import CHECK_EVERY
from custom_components.cardata.rest.quota_policy import CallKind
from tests.daily_helpers import NO_POLLS, a_day, later, long_logins, stop_stream
from tests.entity_helpers import SOC, make_entry, setup_entry
from tests.rest_helpers import planner
from tests.simulator import GCID_A, VIN_BEV, VIN_PHEV, VIN_SECONDARY, Simulator
from tests.waiting import wait_for

CARS = (VIN_BEV, VIN_PHEV)
CANNED = 10
"""The simulator's canned sessions of the last 30 days (three a page)."""


def _reads(sim: Simulator, vin: str) -> list[int]:
    """The statuses of the history calls naming the vehicle, in order."""
    return [
        status
        for _gcid, path, status in sim.rest.calls
        if vin in path and path.endswith("/chargingHistory")
    ]


@pytest.fixture(autouse=True)
def _logins_outlast_the_test(simulator: Simulator) -> None:
    long_logins(simulator)  # see tests/daily_helpers.py


async def test_a_week_reads_each_car_once_a_day(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = make_entry(simulator, options=NO_POLLS)
    await setup_entry(hass, entry)
    assert await simulator.publish(VIN_SECONDARY, {SOC: 64})  # a shared car
    ledger = entry.runtime_data.ledger
    await wait_for(lambda: VIN_SECONDARY in entry.runtime_data.coordinator.vehicles)
    await stop_stream(entry)
    assert not any(_reads(simulator, vin) for vin in CARS)  # not at set-up
    # The first check: the import of the last 30 days, every page.
    await later(hass, freezer, CHECK_EVERY)
    pages = -(-CANNED // simulator.rest.history_page_size)
    for vin in CARS:
        assert _reads(simulator, vin) == [200] * pages
        assert len(ledger.vehicle_sessions(vin)) == CANNED
        assert ledger.reads[vin].until is not None
    counts = []
    for _ in range(7):
        before = {vin: len(_reads(simulator, vin)) for vin in CARS}
        await a_day(hass, freezer)
        counts.append({vin: len(_reads(simulator, vin)) - before[vin] for vin in CARS})
    assert counts == [dict.fromkeys(CARS, 1)] * 7
    assert all(status == 200 for vin in CARS for status in _reads(simulator, vin))
    assert not _reads(simulator, VIN_SECONDARY)
    # In the account's call log, under their own kind.
    kinds = {c["kind"] for c in planner(entry).day_log()}
    assert CallKind.LEDGER in kinds
    # The reserve for the owner's own actions is left alone.
    assert planner(entry).remaining(CallKind.USER) >= planner(entry).policy.reserve


async def test_the_import_is_made_once(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = make_entry(simulator, options=NO_POLLS)
    await setup_entry(hass, entry)
    await stop_stream(entry)
    await later(hass, freezer, CHECK_EVERY)
    imported = len(_reads(simulator, VIN_BEV))
    assert imported > 1
    # A restart: what was read is kept, the next day's read is one page.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await setup_entry(hass, entry, connected=False)
    await stop_stream(entry)
    await a_day(hass, freezer)
    assert len(_reads(simulator, VIN_BEV)) == imported + 1
    assert len(entry.runtime_data.ledger.vehicle_sessions(VIN_BEV)) >= CANNED


async def test_a_failed_read_waits_for_the_next_day(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = make_entry(simulator, options=NO_POLLS)
    await setup_entry(hass, entry)
    await stop_stream(entry)
    simulator.faults.rest_errors = 2
    await later(hass, freezer, CHECK_EVERY)
    failed = _reads(simulator, VIN_BEV) + _reads(simulator, VIN_PHEV)
    assert failed
    assert all(status == 500 for status in failed)
    # The same day: no second try.
    for _ in range(4):
        await later(hass, freezer, CHECK_EVERY)
    assert _reads(simulator, VIN_BEV) + _reads(simulator, VIN_PHEV) == failed
    # The next day: the import, as if nothing had been read.
    await a_day(hass, freezer)
    assert _reads(simulator, VIN_BEV)[-1] == 200
    assert len(entry.runtime_data.ledger.vehicle_sessions(VIN_BEV)) == CANNED


async def test_a_quota_refusal_waits_for_the_next_day(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = make_entry(simulator, options=NO_POLLS)
    await setup_entry(hass, entry)
    await stop_stream(entry)
    simulator.quota.exhaust(GCID_A)
    await later(hass, freezer, CHECK_EVERY)
    refused = _reads(simulator, VIN_BEV) + _reads(simulator, VIN_PHEV)
    assert len(refused) == 1  # BMW's refusal stops every further call
    assert refused[0] != 200
    for _ in range(4):
        await later(hass, freezer, CHECK_EVERY)
    assert _reads(simulator, VIN_BEV) + _reads(simulator, VIN_PHEV) == refused
    # BMW's stop lasts until the oldest call of the day is 24 hours old.
    await a_day(hass, freezer)
    await a_day(hass, freezer)
    for vin in CARS:
        assert _reads(simulator, vin)[-1] == 200
    assert len(entry.runtime_data.ledger.vehicle_sessions(VIN_BEV)) >= CANNED


async def test_the_extras_read_serves_the_ledger(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = make_entry(simulator, options={**NO_POLLS, OPT_CHARGING_HISTORY: True})
    await setup_entry(hass, entry)
    await stop_stream(entry)
    ledger = entry.runtime_data.ledger
    # The extra reads at once (the last 30 days); the ledger takes its answer.
    await wait_for(lambda: len(ledger.vehicle_sessions(VIN_BEV)) == CANNED)
    for _ in range(2):
        before = len(_reads(simulator, VIN_BEV))
        await a_day(hass, freezer)
        # The extra's read (in the background): the only one of the day.
        await wait_for(lambda b=before: len(_reads(simulator, VIN_BEV)) > b)
    kinds = {c["kind"] for c in planner(entry).day_log()}
    assert CallKind.LEDGER not in kinds
    assert ledger.reads[VIN_BEV].until is not None


async def test_no_read_into_the_reserve(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    entry = make_entry(simulator, options=NO_POLLS)
    await setup_entry(hass, entry)
    await stop_stream(entry)
    plan = planner(entry)
    for _ in range(50):  # bounded: the planner never allows more
        if plan.remaining(CallKind.LEDGER) == 0:
            break
        await plan.async_call(CallKind.USER, entry.runtime_data.api.get_mappings)
    assert plan.remaining(CallKind.LEDGER) == 0
    for _ in range(4):
        await later(hass, freezer, CHECK_EVERY)
    assert not any(_reads(simulator, vin) for vin in CARS)
    assert plan.remaining(CallKind.USER) == plan.policy.reserve  # left alone
    # The next day the calls of today have left the window: the import.
    await a_day(hass, freezer)
    for vin in CARS:
        assert _reads(simulator, vin)
        assert set(_reads(simulator, vin)) == {200}
