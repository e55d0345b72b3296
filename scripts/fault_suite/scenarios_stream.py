"""Scenarios of the stream side: payloads, VINs, values, crashes of either side."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import re
import signal
import time

from tests.simulator.world import GCID_A, VIN_BEV, VIN_ID6, VIN_SECONDARY

from .harness import wait_until
from .runner import SOC, Run, Verdict, scenario

TYRE = "vehicle.chassis.axle.row1.wheel.left.tire.pressure"
MILEAGE = "vehicle.vehicle.travelledDistance"
UNMAPPED_VIN = "WBA00000000UNK009"
SETTLE = 5.0
"""Seconds a dropped message gets to do harm before the check."""


async def _no_harm(run: Run, note: str) -> Verdict:
    """Stream still delivers, nothing new appeared, no error in the log."""
    await asyncio.sleep(SETTLE)
    took = await run.probe(60)
    errors = [
        line
        for line in run.h.log_text().splitlines()
        if (" ERROR " in line or "Traceback" in line) and "cardata" in line
    ]
    held = took is not None and not errors
    return Verdict(held, took, note if held else f"{note}; errors: {len(errors)}")


def _raw(vin: str, body_vin: str | None = None) -> str:
    return json.dumps(
        {
            "vin": body_vin or vin,
            "entityId": GCID_A,
            "topic": body_vin or vin,
            "timestamp": "2026-01-01T00:00:00Z",
            "data": {SOC: {"value": 3, "unit": "%"}},
        }
    )


@scenario("baseline: value reaches Home Assistant", quick=True)
async def baseline(run: Run) -> Verdict:
    took = await run.probe(60)
    return Verdict(took is not None, took)


@scenario("broker drops the connection", quick=True)
async def broker_drop(run: Run) -> Verdict:
    await run.h.world("drop")
    took = await run.probe(120)
    return Verdict(took is not None, took)


@scenario("stream refused once, then back")
async def refusals(run: Run) -> Verdict:
    """One refusal is retried soon (repeated ones mean eviction: slow retries)."""
    connects = (await run.h.stats())["connects"]
    await run.h.faults(stream_refusals=1)
    await run.h.world("drop")
    took = await run.probe(120)
    spent = (await run.h.stats())["connects"] - connects
    return Verdict(took is not None and spent <= 2, took, f"{spent} new connections")


@scenario("malformed payload", quick=True)
async def malformed(run: Run) -> Verdict:
    await run.h.world("publish_raw", vin=VIN_BEV, payload="{not json")
    verdict = await _no_harm(run, "")
    logged = "Stream payload dropped (invalid_json)" in run.h.log_text()
    verdict.held = verdict.held and logged
    verdict.note = "debug line written" if logged else "no debug line"
    return verdict


@scenario("oversized payload (300 kB)")
async def oversized(run: Run) -> Verdict:
    await run.h.world("publish_raw", vin=VIN_BEV, size=300_000)
    verdict = await _no_harm(run, "")
    verdict.held = verdict.held and "(oversized)" in run.h.log_text()
    return verdict


@scenario("non-UTF-8 payload")
async def not_utf8(run: Run) -> Verdict:
    payload = base64.b64encode(b'{"vin": "\xc3\x28"}').decode()
    await run.h.world("publish_raw", vin=VIN_BEV, payload_b64=payload)
    verdict = await _no_harm(run, "")
    verdict.held = verdict.held and "(not_utf8)" in run.h.log_text()
    return verdict


@scenario("deeply nested payload")
async def nested(run: Run) -> Verdict:
    await run.h.world(
        "publish_raw",
        vin=VIN_BEV,
        payload='{"data": ' + "[" * 50_000 + "]" * 50_000 + "}",
    )
    verdict = await _no_harm(run, "")
    verdict.held = verdict.held and "(too_deep)" in run.h.log_text()
    return verdict


@scenario("foreign VIN on the account's topic", quick=True)
async def foreign_vin(run: Run) -> Verdict:
    await run.h.world("publish_raw", vin=VIN_ID6, payload=_raw(VIN_ID6))
    verdict = await _no_harm(run, "")
    phantom = VIN_ID6 in await run.vins_with_devices()
    verdict.held = verdict.held and not phantom
    verdict.note = "device created" if phantom else "no device"
    return verdict


@scenario("message body names another car")
async def body_vin(run: Run) -> Verdict:
    await run.h.world("publish_raw", vin=VIN_BEV, payload=_raw(VIN_BEV, VIN_ID6))
    verdict = await _no_harm(run, "")
    phantom = VIN_ID6 in await run.vins_with_devices()
    verdict.held = verdict.held and not phantom and "(vin_mismatch)" in run.h.log_text()
    return verdict


@scenario("secondary user's car on the stream")
async def secondary_vin(run: Run) -> Verdict:
    await run.h.world("publish_raw", vin=VIN_SECONDARY, payload=_raw(VIN_SECONDARY))
    verdict = await _no_harm(run, "")
    verdict.held = verdict.held and VIN_SECONDARY not in await run.vins_with_devices()
    return verdict


@scenario("unknown VIN, three times")
async def unknown_vin(run: Run) -> Verdict:
    for _ in range(3):
        await run.h.world("publish_raw", vin=UNMAPPED_VIN, payload=_raw(UNMAPPED_VIN))
    verdict = await _no_harm(run, "")
    verdict.held = verdict.held and UNMAPPED_VIN not in await run.vins_with_devices()
    verdict.note = "at most one mappings call a day"
    return verdict


@scenario("tyre pressure 'abc' after 250 kPa", quick=True)
async def bad_value(run: Run) -> Verdict:
    await run.publish({TYRE: 250})
    unique_id = f"{VIN_BEV}_{TYRE}"

    async def good() -> bool:
        return await run.h.state(unique_id) == "250"

    if await wait_until(good, 60) is None:
        return Verdict(held=False, note="250 never shown")
    await run.publish({TYRE: "abc"})
    await asyncio.sleep(SETTLE)
    kept = await good()
    await run.restart_hass()
    after_restart = await wait_until(good, 60) is not None
    return Verdict(
        kept and after_restart,
        None,
        "kept, also after a restart" if kept and after_restart else "lost",
    )


async def _crash_keeps_values(run: Run, sig: int) -> Verdict:
    """Publish, let the store write, kill or stop hass, compare after start."""
    marker = 40_000 + int(asyncio.get_running_loop().time()) % 10_000
    await run.publish({MILEAGE: marker})
    unique_id = f"{VIN_BEV}_{MILEAGE}"

    async def shown() -> bool:
        return await run.h.state(unique_id) == str(marker)

    if await wait_until(shown, 60) is None:
        return Verdict(held=False, note="value never shown")

    async def stored() -> bool:
        # The value store writes at most once a minute while values flow.
        files = (run.h.config / ".storage").glob("cardata.values.*")
        number = re.compile(rf"(?<![\d.]){marker}(?![\d.])")
        return any(number.search(path.read_text("utf-8")) for path in files)

    if await wait_until(stored, 90) is None:
        return Verdict(held=False, note="value store not written within 90 s")
    start = asyncio.get_running_loop().time()
    await run.restart_hass(sig)
    kept = await wait_until(shown, 30) is not None
    took = await run.probe(120)
    recovery = asyncio.get_running_loop().time() - start
    held = kept and took is not None
    return Verdict(
        held, recovery, "last value back" if kept else "older value after restart"
    )


@scenario("Home Assistant killed (kill -9)", quick=True)
async def hass_kill9(run: Run) -> Verdict:
    return await _crash_keeps_values(run, signal.SIGKILL)


@scenario("Home Assistant restarted")
async def hass_restart(run: Run) -> Verdict:
    calls = (await run.h.stats())["rest_calls"]
    verdict = await _crash_keeps_values(run, signal.SIGTERM)
    spent = (await run.h.stats())["rest_calls"] - calls
    verdict.held = verdict.held and spent == 0
    verdict.note += f"; {spent} REST calls at restart"
    return verdict


async def _sim_down(run: Run, sig: int) -> Verdict:
    start = asyncio.get_running_loop().time()
    await run.h.stop_sim(sig)
    await asyncio.sleep(3)
    await run.h.start_sim()
    took = await run.probe(240)
    reauth = await run.h.reauth_flows()
    recovery = asyncio.get_running_loop().time() - start
    held = took is not None and reauth == 0
    return Verdict(
        held, recovery, "no new login needed" if held else f"reauth {reauth}"
    )


@scenario("simulator stopped and restarted")
async def sim_restart(run: Run) -> Verdict:
    return await _sim_down(run, signal.SIGTERM)


@scenario("simulator killed (kill -9)", quick=True)
async def sim_kill9(run: Run) -> Verdict:
    return await _sim_down(run, signal.SIGKILL)


@scenario("both killed (kill -9)")
async def both_kill9(run: Run) -> Verdict:
    start = asyncio.get_running_loop().time()
    await asyncio.sleep(3)
    await run.h.stop_sim(signal.SIGKILL)
    await run.h.stop_hass(signal.SIGKILL)
    await run.h.start_sim()
    await run.h.start_hass()
    took = await run.probe(240)
    reauth = await run.h.reauth_flows()
    return Verdict(
        took is not None and reauth == 0,
        asyncio.get_running_loop().time() - start,
        f"reauth flows: {reauth}",
    )


@scenario("CA file changed in place")
async def ca_changed_in_place(run: Run) -> Verdict:
    """A new CA written over the entry's CA file, the broker on its certificate.

    The stream reads the CA file for every connection: the next one trusts
    the new CA, with no reload, no new login and no TLS failure on the way.
    """
    h = run.h
    warnings = h.log_text().count("TLS with")
    answer = await h.world("rotate_ca")
    same_path = answer.get("ca_file") == h.info["stream_ca_file"]
    await h.world("drop")
    took = await run.probe(120)
    reauth = await h.reauth_flows()
    failed = h.log_text().count("TLS with") - warnings
    issue = any(i.startswith("stream_tls_failed") for i in await h.issues())
    held = took is not None and same_path and reauth == 0 and not failed and not issue
    note = (
        "same path, new CA: next connection trusted it"
        if held
        else f"same path {same_path}; TLS warnings {failed}; issue {issue}; "
        f"reauth {reauth}"
    )
    return Verdict(held, took, note)


FLAP_SECONDS = 60.0
"""How long the broker flaps in the scenario."""
BACK_WITHIN = 30.0
"""Seconds after the broker is stable again by which a value must show."""


@scenario("flapping broker")
async def flapping(run: Run) -> Verdict:
    """Drops at irregular intervals and connects that fail, for a minute:
    shown as an unstable connection, never eviction. The broker turns
    stable while the stream waits to retry (the worst moment); recovery is
    counted from then until a new value shows."""
    h = run.h
    entity = await h.entity_id(f"{h.entry_id}_stream_state")
    if entity is None:
        return Verdict(held=False, note="no stream state sensor")
    await h.faults(stream_flap_seconds=FLAP_SECONDS * 5, stream_flap_down=3.0)
    states: set[str] = set()
    longest = 0.0  # the longest wait for the next attempt the sensor showed
    start = time.monotonic()

    async def waiting_late() -> bool:
        nonlocal longest
        shown = await h.api("GET", f"/api/states/{entity}")
        state = str(shown.get("state"))
        states.add(state)
        if state_time := shown.get("attributes", {}).get("next_attempt"):
            wait = dt.datetime.fromisoformat(state_time) - dt.datetime.now(dt.UTC)
            longest = max(longest, wait.total_seconds())
        return time.monotonic() - start > FLAP_SECONDS and state == "unstable"

    await wait_until(waiting_late, FLAP_SECONDS * 2)
    await h.faults(stream_flap_seconds=0.0)  # stable from now on
    took = await run.probe(120)
    evicted = [i for i in await h.issues() if i.startswith("stream_evicted")]
    drops = (await h.stats())["flap_drops"]
    held = (
        "unstable" in states
        and "evicted" not in states
        and took is not None
        and took <= BACK_WITHIN
        and not evicted
        and "another client is using" not in h.log_text()
    )
    note = (
        f"{drops} drops; states {', '.join(sorted(states))}; "
        f"{'eviction repair' if evicted else 'no eviction repair'}; "
        f"longest retry wait {longest:.0f} s; recovery from broker stable"
    )
    return Verdict(held, took, note)


@scenario("clock skew of two hours")
async def clock_skew(run: Run) -> Verdict:
    """BMW's stream clock two hours behind, right, two hours ahead, right:
    every value shows (none dropped as older); one warning each time it is
    off, with the offset."""
    h = run.h
    before = len(h.log_text())
    slowest = 0.0
    for hours in (-2.0, 0.0, 2.0, 0.0):
        await h.faults(stream_clock_skew_hours=hours)
        took = await run.probe(60)
        if took is None:
            return Verdict(held=False, note=f"value not shown at {hours:+.0f} h")
        slowest = max(slowest, took)
    lines = h.log_text()[before:].splitlines()
    warned = [line for line in lines if "BMW's message times are 2 h 00 min" in line]
    told = len(warned) == 2  # behind, then (after agreeing) ahead
    note = f"values shown at -2, 0, +2, 0 h; {len(warned)} warnings with the offset"
    return Verdict(told, slowest, note)
