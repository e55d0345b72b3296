#!/usr/bin/env python3
"""REST calls per vehicle-day under the quota planner, on a simulated clock.

Drives the integration's pure quota policy (``quota_policy.QuotaPolicy``, the
same code the scheduled poller asks every minute) through the simulator's
standard day for 1 and 3 vehicles:

- 07:30 commute: the first half of the simulator's scenario (park unlocked,
  drive, park and lock);
- 17:30 back home: the simulator's whole scenario (park, drive, park, plug
  in, charge, charge complete, wait);
- parked and silent the rest of the time (overnight).

Message times come from the simulator's ``Step`` list (one message per tick
of drive/charge/wait, one at the start of the other steps). Day 0 holds the
first set-up (mappings, basic data, container list + create, one telematic
call per vehicle); days 1 and 2 are measured. A second run kills the stream
from 12:00 to 18:00 on day 1 (messages in that window are lost) and reports
the calls, the worst data age during the outage and the highest number of
calls counted in any 24 hours (must stay at or below 50).

A third part counts the polls after a charge or trip end (two trips and one
charge a day): none when the car sends its charge level itself, and the cost
when every end is silent (one ``telematicData`` call five minutes after the
end, at most ``end_polls_per_day`` per vehicle in 24 hours, never into the
reserve), the same rules ``prediction/end_poll.py`` applies.

Every run also makes the daily reads the integration makes with default
options (``common/settings.py``): each car's container once a day and the
ledger's charging history once a day per electrified car (all cars here are),
half an hour into the day (the first check after midnight); on day 0 the
first set-up's container read stands for the day's. The poller is told of
them (``extras_per_day``) as in ``vehicles/polling.py``; they are counted in
the calls per vehicle-day and printed apart.

Run: ``.venv/bin/python scripts/benchmark_quota.py``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.cardata.common.settings import (
    CONTAINER_DAILY_COST,
    DEFAULT_END_POLLS,
    LEDGER_DAILY_COST,
    PollSettings,
    extras_per_day,
)
from custom_components.cardata.prediction.end_poll import GRACE
from custom_components.cardata.rest.quota_policy import (
    DAILY_LIMIT,
    CallKind,
    LoggedCall,
    QuotaPolicy,
    VehicleActivity,
)
from tests.simulator import GCID_A, VIN_BEV, VIN_PHEV, Simulator

DAY0 = datetime(2026, 6, 1, tzinfo=UTC)
TICK = timedelta(minutes=1)
DAYS = 3
MEASURED = (1, 2)
EXTRA_VIN = "WBA00000000BEV777"
COMMUTE = timedelta(hours=7, minutes=30)
HOME = timedelta(hours=17, minutes=30)
OUTAGE = (timedelta(days=1, hours=12), timedelta(days=1, hours=18))
WHOLE_DAY = (timedelta(days=1), timedelta(days=2))
DAILY_AT = timedelta(minutes=30)
"""When the daily reads run: the first check after midnight."""
_DAILY_READS = (
    ("telematicData", CallKind.DAILY, CONTAINER_DAILY_COST),
    ("chargingHistory", CallKind.LEDGER, LEDGER_DAILY_COST),
)
_PERIODIC = {"drive", "charge", "wait"}
_ENDS = {"park_lock", "charge_complete"}  # a trip ends, a charge ends


def message_offsets(steps: list) -> list[timedelta]:
    """Offsets (from the start of the steps) at which messages go out."""
    offsets: list[timedelta] = []
    at = 0.0
    for step in steps:
        if step.action in _PERIODIC:
            ticks = max(int(step.seconds // step.tick), 1)
            offsets.extend(
                timedelta(seconds=at + step.tick * (n + 1)) for n in range(ticks)
            )
        else:
            offsets.append(timedelta(seconds=at))
        at += step.seconds
    return offsets


def end_offsets(steps: list) -> list[timedelta]:
    """Offsets at which a trip or a charge ends."""
    offsets: list[timedelta] = []
    at = 0.0
    for step in steps:
        if step.action in _ENDS:
            offsets.append(timedelta(seconds=at))
        at += step.seconds
    return offsets


def day_ends(sim: Simulator, vin: str, shift: timedelta) -> list[timedelta]:
    """Trip and charge ends within one day for one vehicle (2 trips, 1 charge)."""
    steps = sim.scenario(vin)
    return [COMMUTE + shift + o for o in end_offsets(steps[:3])] + [
        HOME + shift + o for o in end_offsets(steps)
    ]


def day_messages(sim: Simulator, vin: str, shift: timedelta) -> list[timedelta]:
    """Message offsets within one day for one vehicle."""
    steps = sim.scenario(vin)
    commute = steps[:3]  # park unlocked, drive, park and lock
    return [COMMUTE + shift + o for o in message_offsets(commute)] + [
        HOME + shift + o for o in message_offsets(steps)
    ]


@dataclass
class Result:
    """Figures of one run."""

    vehicles: int
    bootstrap_calls: int
    measured_calls: int
    max_rolling: int
    max_since_midnight: int
    worst_outage_age: timedelta | None = None
    per_day: dict[int, int] = field(default_factory=dict)
    end_polls: int = 0
    end_refused: int = 0
    daily_reads: int = 0

    @property
    def per_vehicle_day(self) -> float:
        return self.measured_calls / (self.vehicles * len(MEASURED))


def run(
    vins: list[str],
    sim: Simulator,
    *,
    outage: tuple[timedelta, timedelta] | None,
    silent_ends: bool = False,
) -> Result:
    policy = QuotaPolicy(settings=PollSettings(), started_at=DAY0)
    # First set-up: mappings, basic data per car, list + create, telematic per car.
    setup = 1 + len(vins) + 2 + len(vins)
    for n in range(setup):
        at = DAY0 + timedelta(seconds=n)
        policy.record(LoggedCall(at, "setup", None, "ok", CallKind.SETUP))
    for vin in vins:
        policy.last_fetch[vin] = DAY0  # the first telematic call of the set-up
    schedule: list[tuple[datetime, str]] = []
    for index, vin in enumerate(vins):
        shift = timedelta(minutes=7 * index)
        for day in range(DAYS):
            base = DAY0 + timedelta(days=day)
            schedule.extend((base + o, vin) for o in day_messages(sim, vin, shift))
    schedule.sort()
    ends: list[tuple[datetime, str]] = []
    if silent_ends:
        for index, vin in enumerate(vins):
            shift = timedelta(minutes=7 * index)
            for day in range(DAYS):
                base = DAY0 + timedelta(days=day)
                ends.extend((base + o + GRACE, vin) for o in day_ends(sim, vin, shift))
        ends.sort()
    end_polls: dict[str, list[datetime]] = {vin: [] for vin in vins}
    end_cursor = 0
    last: dict[str, datetime | None] = dict.fromkeys(vins, DAY0)
    result = Result(len(vins), setup, 0, 0, 0)
    down_from, down_to = (
        (DAY0 + outage[0], DAY0 + outage[1]) if outage else (None, None)
    )
    now = DAY0
    cursor = 0
    end = DAY0 + timedelta(days=DAYS)
    extras = extras_per_day({}, len(vins))
    while now < end:
        stream_down = down_from is not None and down_from <= now < down_to
        day = (now - DAY0).days
        if day > 0 and now - DAY0 - timedelta(days=day) == DAILY_AT:
            for vin in vins:
                for endpoint, kind, cost in _DAILY_READS:
                    for _ in range(cost):
                        if policy.can_call(now, kind):
                            policy.record(LoggedCall(now, endpoint, vin, "ok", kind))
                            if day in MEASURED:
                                result.daily_reads += 1
                                result.measured_calls += 1
        while cursor < len(schedule) and schedule[cursor][0] <= now:
            if not stream_down:
                last[schedule[cursor][1]] = schedule[cursor][0]
            cursor += 1
        while end_cursor < len(ends) and ends[end_cursor][0] <= now:
            vin = ends[end_cursor][1]
            end_cursor += 1
            recent = [t for t in end_polls[vin] if now - t < timedelta(hours=24)]
            if len(recent) >= DEFAULT_END_POLLS:
                continue
            if not policy.can_call(now, CallKind.SCHEDULED):
                result.end_refused += 1
                continue
            end_polls[vin] = [*recent, now]
            policy.record(
                LoggedCall(now, "telematicData", vin, "ok", CallKind.SCHEDULED)
            )
            if (now - DAY0).days in MEASURED:
                result.end_polls += 1
                result.measured_calls += 1
        activities = {vin: VehicleActivity(last_message=last[vin]) for vin in vins}
        for vin in policy.due_polls(
            now, activities, down_from if stream_down else None, extras
        ):
            policy.mark_polled(vin, now)
            policy.record(
                LoggedCall(now, "telematicData", vin, "ok", CallKind.SCHEDULED)
            )
            day = (now - DAY0).days
            result.per_day[day] = result.per_day.get(day, 0) + 1
            if day in MEASURED:
                result.measured_calls += 1
        result.max_rolling = max(result.max_rolling, policy.used_rolling(now))
        result.max_since_midnight = max(
            result.max_since_midnight, policy.used_since_midnight(now)
        )
        if stream_down:
            for vin in vins:
                # Until the stream died, it vouched for the data being current.
                known = (last[vin], policy.last_fetch.get(vin), down_from)
                fresh = max(t for t in known if t)
                age = now - fresh
                if result.worst_outage_age is None or age > result.worst_outage_age:
                    result.worst_outage_age = age
        now += TICK
    return result


def main() -> None:
    sim = Simulator()
    sim.load_default_world()
    sim.add_vehicle(GCID_A, EXTRA_VIN, "BEV")
    fleets = {1: [VIN_BEV], 3: [VIN_BEV, VIN_PHEV, EXTRA_VIN]}
    print("Quota planner on the simulator's standard day (defaults: stream silence")
    print("30 min, data age 12 h while connected, poll interval 30 min, reserve 10)")
    print()
    worst = 0
    runs = (
        ("healthy stream", None),
        ("stream dead 12:00-18:00 on day 1", OUTAGE),
        ("stress: stream dead all of day 1", WHOLE_DAY),
    )
    for title, outage in runs:
        print(f"== {title}")
        for count, vins in fleets.items():
            res = run(vins, sim, outage=outage)
            worst = max(worst, res.max_rolling, res.max_since_midnight)
            line = (
                f"  {count} vehicle(s): first set-up {res.bootstrap_calls} calls; "
                f"after it {res.per_vehicle_day:.2f} REST calls per vehicle-day "
                f"(days 1-2: {res.measured_calls}, of them daily reads"
                f" {res.daily_reads}); "
                f"most calls in any 24 h: {res.max_rolling}/{DAILY_LIMIT}"
            )
            print(line)
            if outage:
                hours = (res.worst_outage_age or timedelta()).total_seconds() / 3600
                print(
                    f"    day 1: {res.per_day.get(1, 0)} scheduled polls; during the "
                    f"outage the data was never more than {hours:.1f} h behind"
                )
    print(
        "== polls after a charge or trip end (2 trips, 1 charge a day;"
        f" at most {DEFAULT_END_POLLS} per vehicle a day)"
    )
    for count, vins in fleets.items():
        quiet = run(vins, sim, outage=None)
        silent = run(vins, sim, outage=None, silent_ends=True)
        worst = max(worst, silent.max_rolling, silent.max_since_midnight)
        print(
            f"  {count} vehicle(s): level sent at every end: 0 extra calls;"
            f" every end silent: {silent.end_polls / (count * len(MEASURED)):.2f}"
            " end polls per vehicle-day, total"
            f" {silent.per_vehicle_day:.2f} calls per vehicle-day"
            f" (was {quiet.per_vehicle_day:.2f}); refused at the reserve:"
            f" {silent.end_refused}; most calls in any 24 h:"
            f" {silent.max_rolling}/{DAILY_LIMIT}"
        )
    print()
    verdict = "never exceeded" if worst <= DAILY_LIMIT else "EXCEEDED"
    print(f"Budget of {DAILY_LIMIT} calls per 24 h: {verdict} (peak {worst}).")


if __name__ == "__main__":
    main()
