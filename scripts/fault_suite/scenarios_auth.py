"""Scenarios of the login, the REST API, the account and the secrets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import ssl
import threading
from typing import Any

from tests.simulator.world import GCID_A, VIN_BEV

from .account import secrets
from .harness import HOST, wait_until
from .runner import Run, Verdict, scenario

TELEMATIC = "fetch_telematic_data"
PROTO = "h-proto's refresh and stream fixes"


async def _issue(run: Run, prefix: str, limit: float) -> float | None:
    async def shown() -> bool:
        return any(i.startswith(prefix) for i in await run.h.issues())

    return await wait_until(shown, limit, 1.0)


def _reason(answer: Any) -> str:
    return str(answer.get("reason")) if isinstance(answer, dict) else str(answer)


# ------------------------------------------------------------------ tokens
@scenario("token endpoint answers 5xx", quick=True)
async def token_5xx(run: Run) -> Verdict:
    await run.h.faults(token_errors=3)
    loop = asyncio.get_running_loop()
    start = loop.time()
    reasons = []
    for _ in range(4):
        reasons.append(_reason(await run.h.refresh_tokens()))
        if reasons[-1] == "tokens_refreshed":
            break
        await asyncio.sleep(2)
    took = await run.probe(60)
    reauth = await run.h.reauth_flows()
    held = reasons[-1] == "tokens_refreshed" and took is not None and reauth == 0
    return Verdict(held, loop.time() - start, f"{len(reasons)} tries; reauth {reauth}")


@scenario("token endpoint answers after 45 s", needs=PROTO)
async def token_slow(run: Run) -> Verdict:
    await run.h.faults(token_timeouts=1, timeout_seconds=45.0)
    start = asyncio.get_running_loop().time()
    first = _reason(await run.h.refresh_tokens())
    second = _reason(await run.h.refresh_tokens())
    reauth = await run.h.reauth_flows()
    took = await run.probe(60)
    held = second == "tokens_refreshed" and reauth == 0 and took is not None
    return Verdict(
        held,
        asyncio.get_running_loop().time() - start,
        f"first: {first}; then: {second}; reauth {reauth}",
    )


@scenario("refresh token revoked (invalid_grant)", order=2)
async def invalid_grant(run: Run) -> Verdict:
    calls = (await run.h.stats())["token_calls"]
    await run.h.world("revoke")
    answer = _reason(await run.h.refresh_tokens())

    async def one_reauth() -> bool:
        return await run.h.reauth_flows() == 1

    shown = await wait_until(one_reauth, 60)
    await asyncio.sleep(20)  # no loop of refreshes or reconnects
    spent = (await run.h.stats())["token_calls"] - calls
    flows = await run.h.reauth_flows()
    held = shown is not None and flows == 1 and spent <= 3
    return Verdict(
        held, shown, f"{answer}; {flows} reauth flow(s); {spent} token calls"
    )


@scenario("token endpoint down, stream kept", needs=PROTO)
async def token_down(run: Run) -> Verdict:
    connects = (await run.h.stats())["connects"]
    await run.h.faults(token_errors=1000)
    answer = _reason(await run.h.refresh_tokens())
    await asyncio.sleep(60)
    took = await run.probe(60)
    spent = (await run.h.stats())["connects"] - connects
    await run.h.faults(token_errors=0)
    held = took is not None and spent <= 1 and not await run.h.reauth_flows()
    return Verdict(held, took, f"{answer}; {spent} reconnects in 2 min")


@scenario("Home Assistant killed during a token refresh", order=2)
async def kill_during_refresh(run: Run) -> Verdict:
    """BMW rotates the token after Home Assistant died: one new login, no loop."""
    h = run.h
    calls = (await h.stats())["token_calls"]
    await h.faults(token_timeouts=1, timeout_seconds=20.0)
    pending = asyncio.create_task(h.refresh_tokens())

    async def in_flight() -> bool:
        return bool((await h.stats())["token_calls"] > calls)

    await wait_until(in_flight, 30)
    await h.stop_hass(signal.SIGKILL)
    pending.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await pending
    await asyncio.sleep(22)  # BMW's side completes and rotates meanwhile
    await h.start_hass()
    took = await run.probe(120)  # the id token is still valid
    answer = _reason(await h.refresh_tokens())
    await asyncio.sleep(10)
    flows = await h.reauth_flows()
    held = took is not None and flows <= 1
    return Verdict(held, took, f"stream back; then {answer}; {flows} reauth flow(s)")


@scenario("read-only storage during a refresh")
async def storage_read_only(run: Run) -> Verdict:
    """BMW rotates the token while ``.storage`` takes no write (root's neither).

    The new token must stay in use (a second refresh spends it, the stream
    moves to its id token, no new login), a repair must say why, and once
    ``.storage`` is writable again the token must end up saved: Home
    Assistant's own write of the config entry failed meanwhile, so the
    restart at the end proves it with a refresh BMW accepts.
    """
    h = run.h

    async def on_new_token() -> bool:
        return bool((await h.stats())["stream_on_newest_token"])

    if reason := h.storage_read_only():
        return Verdict(held=False, note=f"cannot make .storage read-only: {reason}")
    try:
        first = _reason(await h.refresh_tokens())
        told = await _issue(run, "token_not_saved", 30)
        streamed = await wait_until(on_new_token, 60)
        second = _reason(await h.refresh_tokens())
        streamed_again = await wait_until(on_new_token, 60)
        reauth = await h.reauth_flows()
    finally:
        h.storage_writable()

    async def issue_gone() -> bool:
        return not any(i.startswith("token_not_saved") for i in await h.issues())

    saved = await wait_until(issue_gone, 150, 1.0)  # retry after <= 2 min
    stale = "older login than the token file"
    stale_before = h.log_text().count(stale)
    await run.restart_hass()
    await wait_until(run.entry_loaded, 120)
    from_file = h.log_text().count(stale) > stale_before
    third = _reason(await h.refresh_tokens())
    took = await run.probe(60)
    reauth += await h.reauth_flows()
    checks = {
        "refreshed": first == second == third == "tokens_refreshed",
        "repair shown": told is not None,
        "stream on new token": streamed is not None and streamed_again is not None,
        "saved": saved is not None,
        "no reauth": reauth == 0,
        "stream after restart": took is not None,
    }
    failed = [name for name, ok in checks.items() if not ok]
    note = f"refreshes {first}/{second}/{third}; reauth {reauth}; " + (
        f"NOT: {', '.join(failed)}" if failed else "repair shown, stream on new token"
    )
    if from_file:
        note += "; restart took the token file (config entry was stale)"
    return Verdict(not failed, saved, note)


@scenario("simulator clock jumps 2 h ahead (id token expired)", order=3)
async def clock_jump(run: Run) -> Verdict:
    await run.h.world("advance", seconds=7200)
    took = await run.probe(240)
    reauth = await run.h.reauth_flows()
    return Verdict(took is not None and reauth == 0, took, f"reauth {reauth}")


# ------------------------------------------------------------------ stream owner
@scenario("another client takes the stream (simulated)", needs=PROTO)
async def eviction(run: Run) -> Verdict:
    await run.h.world("evict", hold_for=50)
    told = await _issue(run, "stream_evicted", 60)
    await run.h.world("release")
    took = await run.probe(330)  # an evicted stream retries slowly (<= 5 min)
    held = told is not None and took is not None
    return Verdict(held, told, "repair shown" if told is not None else "no repair")


@scenario("a real second MQTT client on the account", needs=PROTO)
async def second_client(run: Run) -> Verdict:
    h = run.h
    memory = json.loads(h.state_file.read_text(encoding="utf-8"))
    ids = [
        (r["expires_at"], token)
        for token, r in memory["tokens"].items()
        if r["kind"] == "id" and r["gcid"] == GCID_A and not r["revoked"]
    ]
    if not ids:
        return Verdict(held=False, note="no id token in the simulator's memory")
    password = max(ids)[1]
    stop = threading.Event()
    thread = threading.Thread(
        target=_hold_stream, args=(h.info, password, stop, 45.0), daemon=True
    )
    thread.start()
    try:
        told = await _issue(run, "stream_evicted", 60)
    finally:
        stop.set()
        await asyncio.to_thread(thread.join, 10)
    took = await run.probe(330)  # an evicted stream retries slowly (<= 5 min)
    held = told is not None and took is not None
    return Verdict(held, told, "repair shown" if told is not None else "no repair")


def _hold_stream(
    info: dict[str, Any], password: str, stop: threading.Event, seconds: float
) -> None:
    """A paho client that keeps taking the account's stream back."""
    import paho.mqtt.client as mqtt  # noqa: PLC0415 - the integration's own

    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id="mosquitto_sub-faults"
    )
    client.username_pw_set(GCID_A, password)
    context = ssl.create_default_context(cafile=info["stream_ca_file"])
    client.tls_set_context(context)
    client.reconnect_delay_set(1, 2)
    with contextlib.suppress(OSError):
        client.connect(HOST, int(info["stream_port"]), keepalive=30)
    client.loop_start()
    stop.wait(seconds)
    client.disconnect()
    client.loop_stop()


# ------------------------------------------------------------------ REST
async def _fetch(run: Run, data: dict[str, Any] | None = None) -> Any:
    return await run.h.service(TELEMATIC, data or {"vin": VIN_BEV})


def _failed(answer: Any) -> bool:
    return isinstance(answer, dict) and "status" in answer


async def _quota(run: Run, mode: str) -> Verdict:
    """BMW refuses; the block holds across a restart; then a day passes."""
    await run.h.world("quota_exhaust", mode=mode)
    first = await _fetch(run)
    told = await _issue(run, "quota_exhausted", 30)
    await run.restart_hass()
    rest = (await run.h.stats())["rest_calls"]
    second = await _fetch(run)
    spent = (await run.h.stats())["rest_calls"] - rest
    await run.clear_quota_block()
    held = _failed(first) and _failed(second) and told is not None and spent == 0
    return Verdict(held, told, f"after the block and a restart: {spent} calls")


@scenario("daily quota used up (403 CU-429)", quick=True, order=1)
async def quota_403(run: Run) -> Verdict:
    return await _quota(run, "403")


@scenario("daily quota used up (429 with Retry-After)", order=1)
async def quota_429(run: Run) -> Verdict:
    return await _quota(run, "429")


@scenario("container gone at BMW (CU-105)")
async def container_gone(run: Run) -> Verdict:
    await run.h.world("delete_containers")
    answer = await _fetch(run)
    return Verdict(not _failed(answer), None, "created again once")


@scenario("no free container slot (CU-124)")
async def container_limit(run: Run) -> Verdict:
    await run.h.world("delete_containers")
    await run.h.world("fill_containers")
    answer = await _fetch(run)
    told = await _issue(run, "container_limit", 30)
    await run.h.world("delete_containers")  # the owner frees the slots
    again = await _fetch(run)
    held = told is not None and not _failed(again)
    return Verdict(held, told, f"first: {'error' if _failed(answer) else 'ok'}")


@scenario("REST API answers 5xx")
async def rest_5xx(run: Run) -> Verdict:
    await run.h.faults(rest_errors=1)
    rest = (await run.h.stats())["rest_calls"]
    first = await _fetch(run)
    spent = (await run.h.stats())["rest_calls"] - rest
    second = await _fetch(run)
    held = _failed(first) and not _failed(second) and spent == 1
    return Verdict(held, None, f"{spent} call for the failing one")


@scenario("bad service input")
async def bad_input(run: Run) -> Verdict:
    rest = (await run.h.stats())["rest_calls"]
    answers = [
        await _fetch(run, {"vin": "NOT-A-VIN"}),
        await _fetch(run, {"vin": VIN_BEV, "entry": "nope"}),
        await _fetch(run, {"device_id": ["nope"]}),
    ]
    spent = (await run.h.stats())["rest_calls"] - rest
    held = all(_failed(a) and a["status"] == 400 for a in answers) and spent == 0
    return Verdict(held, None, f"statuses {[a.get('status') for a in answers]}")


# ------------------------------------------------------------------ secrets
@scenario("no secret in logs and .storage", quick=True, order=9)
async def no_secrets(run: Run) -> Verdict:
    found = secrets(run.h)
    leaks: list[str] = []
    log = run.h.log_text()
    for kind, values in found.items():
        if any(value in log for value in values):
            leaks.append(f"log: {kind}")
    storage = run.h.config / ".storage"
    tokens = f"cardata.tokens.{run.h.entry_id}"  # the integration's token file
    allowed = {
        "tokens": {"core.config_entries", tokens},
        "ids": {"core.config_entries", tokens},
        "vins": {"core.device_registry", "core.entity_registry", "core.restore_state"},
    }
    for path in sorted(storage.iterdir()) if storage.is_dir() else []:
        text = path.read_text(encoding="utf-8", errors="replace")
        for kind, values in found.items():
            if path.name not in allowed[kind] and any(v in text for v in values):
                leaks.append(f"{path.name}: {kind}")
    bad = [
        line for line in log.splitlines() if re.search(r"ey[A-Za-z0-9_-]{20,}\.", line)
    ]
    if bad:
        leaks.append("log: JWT-like text")
    return Verdict(not leaks, None, ", ".join(leaks) or "clean")
