"""Scenarios of the stream side: payloads, VINs, values, crashes of either side."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import signal

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
