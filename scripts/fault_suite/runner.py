"""Run scenarios one after another, measure each, keep the run healthy between them.

Every scenario gets: REST calls spent (the simulator's count of account A),
states lost (entities that had a value before and are unknown, unavailable or
gone after) and its own verdict with the recovery time. Between two
scenarios the faults are reset and, when a scenario left the entry without a
login or a process down, the run is repaired (a new login, a restart).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import itertools
import json
import signal
import time
from typing import Any

from tests.simulator.world import VIN_BEV

from .account import log_in, write_entry
from .harness import FaultSuiteError, Harness, wait_until

SOC = "vehicle.drivetrain.batteryManagement.header"
BAD_STATES = frozenset({"unknown", "unavailable"})
SCENARIO_TIMEOUT = 420.0


@dataclass
class Verdict:
    """What a scenario itself decides."""

    held: bool
    recovery: float | None = None
    note: str = ""


@dataclass
class Result:
    """One row of the matrix."""

    name: str
    held: bool
    recovery: float | None
    rest: int
    lost: int
    note: str
    seconds: float


type Scenario = Callable[["Run"], Awaitable[Verdict]]


@dataclass(frozen=True)
class Entry:
    """A registered scenario."""

    name: str
    func: Scenario
    quick: bool
    needs: str = ""
    """The fix it depends on (said in the matrix when it does not hold)."""
    order: int = 0
    """Scenarios that change the world for good (clock, login) run late."""


SCENARIOS: list[Entry] = []


def scenario(
    name: str, *, quick: bool = False, needs: str = "", order: int = 0
) -> Callable[[Scenario], Scenario]:
    """Register a scenario (``quick``: part of ``--quick``)."""

    def register(func: Scenario) -> Scenario:
        SCENARIOS.append(Entry(name, func, quick, needs, order))
        SCENARIOS.sort(key=lambda entry: entry.order)
        return func

    return register


class Run:
    """A prepared run: helpers the scenarios share."""

    def __init__(self, h: Harness) -> None:
        """Bind to a started harness."""
        self.h = h
        self._values = itertools.count(11)

    async def setup(self) -> None:
        """Simulator, login, entry, Home Assistant; wait for the first values."""
        h = self.h
        h.write_config()
        await h.start_sim()
        write_entry(h, await log_in(h))
        await h.start_hass()
        if await wait_until(self.entry_loaded, 120) is None:
            raise FaultSuiteError("the entry did not load")
        if await self.probe(180) is None:
            raise FaultSuiteError("no value reached Home Assistant")

    async def entry_loaded(self) -> bool:
        """The entry is loaded."""
        return await self.h.entry_state() == "loaded"

    async def connected(self) -> bool:
        """The simulator sees the stream connected."""
        return bool((await self.h.stats())["connections"] >= 1)

    async def probe(self, limit: float = 120) -> float | None:
        """Seconds until a freshly published value shows in Home Assistant.

        Publishes again every few seconds (a message sent while the stream
        is down is lost, as at BMW) until it shows or time is up.
        """
        value = next(self._values) % 90 + 5
        unique_id = f"{VIN_BEV}_{SOC}"
        start = time.monotonic()
        deadline = start + limit
        while time.monotonic() < deadline:
            await self.h.world("publish", vin=VIN_BEV, values={SOC: value})
            for _ in range(10):
                if await self.h.state(unique_id) == str(value):
                    return time.monotonic() - start
                await asyncio.sleep(0.5)
        return None

    async def publish(self, values: dict[str, Any], vin: str = VIN_BEV) -> None:
        """Publish values of a car to its owner's stream."""
        await self.h.world("publish", vin=vin, values=values)

    async def vins_with_devices(self) -> set[str]:
        """VINs that have a device."""
        return {
            ident
            for device in await self.h.devices()
            for domain, ident in device.get("identifiers", [])
            if domain == "cardata" and ident != self.h.entry_id
        }

    async def ensure_healthy(self) -> None:
        """Processes up, faults off, logged in, stream delivering."""
        h = self.h
        if h.sim_proc is None or h.sim_proc.returncode is not None:
            await h.start_sim()
        await h.sim("/faults/reset", {})
        await h.world("release")
        await h.world("quota_reset")
        if h.hass_proc is None or h.hass_proc.returncode is not None:
            await h.start_hass()
        if await h.reauth_flows() or not await self.entry_loaded():
            await self.relogin()
        if await self.probe(60) is None:
            await h.stop_hass()
            await h.start_hass()
            await wait_until(self.entry_loaded, 120)

    async def relogin(self) -> None:
        """A new device login, as the owner would do after a refused one."""
        h = self.h
        await h.stop_hass()
        write_entry(h, await log_in(h))
        await h.start_hass()
        await wait_until(self.entry_loaded, 120)

    async def clear_quota_block(self) -> None:
        """A day passes for the quota: Home Assistant forgets BMW's block.

        The block is kept across restarts (as it must be), so the run edits
        the integration's quota store while Home Assistant is stopped.
        """
        h = self.h
        await h.stop_hass()
        for path in (h.config / ".storage").glob("cardata.quota.*"):
            stored = json.loads(path.read_text(encoding="utf-8"))
            stored["data"]["blocked_until"] = None
            stored["data"]["block_reason"] = None
            path.write_text(json.dumps(stored), encoding="utf-8")
        await h.world("quota_reset")
        await h.start_hass()
        await wait_until(self.entry_loaded, 120)

    async def restart_hass(self, sig: int = signal.SIGTERM) -> float:
        """Stop or kill Home Assistant and start it again."""
        await self.h.stop_hass(sig)
        return await self.h.start_hass()


def lost_states(before: dict[str, str], after: dict[str, str]) -> int:
    """Entities that had a value before and have none after."""
    return sum(
        1
        for entity, state in before.items()
        if state not in BAD_STATES and after.get(entity, "unavailable") in BAD_STATES
    )


async def run_one(run: Run, entry: Entry) -> Result:
    """Run one scenario and measure it."""
    h = run.h
    start = time.monotonic()
    before = await h.states()
    rest_before = (await h.stats())["rest_calls"]
    try:
        async with asyncio.timeout(SCENARIO_TIMEOUT):
            verdict = await entry.func(run)
    except TimeoutError:
        verdict = Verdict(held=False, note="scenario timed out")
    except (FaultSuiteError, KeyError, TypeError, ValueError) as err:
        verdict = Verdict(held=False, note=f"error: {err}")
    after: dict[str, str] = {}
    rest = 0
    try:
        after = await h.states()
        rest = (await h.stats())["rest_calls"] - rest_before
    except Exception as err:
        verdict.note = (verdict.note + f"; after: {type(err).__name__}").strip("; ")
    note = verdict.note
    if not verdict.held and entry.needs:
        note = f"{note} (needs {entry.needs})".strip()
    return Result(
        entry.name,
        verdict.held,
        verdict.recovery,
        rest,
        lost_states(before, after) if after else -1,
        note,
        time.monotonic() - start,
    )


def matrix(results: list[Result]) -> str:
    """The matrix as printed."""
    rows = [("scenario", "held", "recovery s", "REST calls", "states lost", "note")]
    rows.extend(
        (
            r.name,
            "yes" if r.held else "NO",
            "-" if r.recovery is None else f"{r.recovery:.1f}",
            str(r.rest),
            str(r.lost),
            r.note,
        )
        for r in results
    )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for index, row in enumerate(rows):
        cells = [row[i].ljust(widths[i]) for i in range(5)]
        lines.append(" | ".join([*cells, row[5]]).rstrip())
        if index == 0:
            lines.append("-+-".join("-" * w for w in widths) + "-+-----")
    held = sum(r.held for r in results)
    lines.append(f"{held} of {len(results)} scenarios held")
    return "\n".join(lines)
