"""Fault switchboard of a running simulator (``scripts/faults`` drives it).

Served under ``/_sim/`` (a path no BMW client calls) and only to loopback
peers. Everything is JSON:

``GET /_sim/faults``
    The :class:`~tests.simulator.core.Faults` fields and their values.
``POST /_sim/faults`` ``{"token_errors": 3, "timeout_seconds": 45}``
    Sets fields by name (any field, so new ones work without a change here);
    an unknown name or a value of the wrong type is refused with 400. For
    example ``{"stream_flap_seconds": 40}`` (the stream flaps for 40 s, then
    is stable) or ``{"stream_clock_skew_hours": -2}`` (BMW's stream clock two
    hours behind).
``POST /_sim/faults/reset``
    Every field back to its default.
``POST /_sim/world`` ``{"command": "...", ...}``
    World commands, see :data:`COMMANDS` (publish, publish_raw, drop, evict,
    release, advance, revoke, quota_exhaust, quota_reset, quota_mode,
    delete_containers, fill_containers, stop_scenarios, present_certificate,
    rotate_ca).
``GET /_sim/stats?gcid=...``
    Connections, refusals, evictions, REST and token calls of an account.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .rest import Container
from .world import GCID_A

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from .core import Simulator

PREFIX = "/_sim"
LOOPBACK = frozenset({"127.0.0.1", "::1"})

type Command = Callable[[Simulator, dict[str, Any]], Awaitable[dict[str, Any]]]


class CommandError(Exception):
    """A control request that cannot be carried out (answered with 400)."""


def _coerce(current: Any, value: Any, name: str) -> Any:
    """``value`` as the type of the field's current value (bool, int, float, str)."""
    kind = type(current)
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise CommandError(f"{name} takes true or false")
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CommandError(f"{name} takes a number")
        return kind(value)
    if current is None or isinstance(value, kind):
        return value
    raise CommandError(f"{name} takes a {kind.__name__}")


def set_faults(sim: Simulator, changes: dict[str, Any]) -> dict[str, Any]:
    """Set fields of ``sim.faults`` by name; all or nothing."""
    fields = {f.name for f in dataclasses.fields(sim.faults)}
    coerced: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in fields:
            raise CommandError(f"unknown fault {name!r}")
        coerced[name] = _coerce(getattr(sim.faults, name), value, name)
    for name, value in coerced.items():
        setattr(sim.faults, name, value)
    return dataclasses.asdict(sim.faults)


def _gcid(args: dict[str, Any]) -> str:
    return str(args.get("gcid") or GCID_A)


async def _publish(sim: Simulator, args: dict[str, Any]) -> dict[str, Any]:
    values = args.get("values")
    if not isinstance(values, dict) or "vin" not in args:
        raise CommandError("publish takes vin and values")
    sent = await sim.publish(str(args["vin"]), values, timestamp=args.get("timestamp"))
    return {"sent": sent}


async def _publish_raw(sim: Simulator, args: dict[str, Any]) -> dict[str, Any]:
    """``payload`` (text), ``payload_b64`` (bytes) or ``size`` (filler bytes)."""
    if "payload_b64" in args:
        payload = base64.b64decode(str(args["payload_b64"]))
    elif "size" in args:
        payload = b'{"data": "' + b"x" * int(args["size"]) + b'"}'
    else:
        payload = str(args.get("payload", "")).encode()
    sent = await sim.publish_raw(_gcid(args), str(args["vin"]), payload)
    return {"sent": sent}


async def _drop(sim: Simulator, args: dict[str, Any]) -> dict[str, Any]:
    await sim.broker.drop(_gcid(args))
    return {}


async def _evict(sim: Simulator, args: dict[str, Any]) -> dict[str, Any]:
    hold = args.get("hold_for")
    sim.evict(_gcid(args), None if hold is None else float(hold))
    return {}


async def _release(sim: Simulator, args: dict[str, Any]) -> dict[str, Any]:
    sim.release(_gcid(args))
    return {}


async def _advance(sim: Simulator, args: dict[str, Any]) -> dict[str, Any]:
    sim.advance(float(args.get("seconds", 0)))
    return {"now": sim.now().isoformat()}


async def _revoke(sim: Simulator, args: dict[str, Any]) -> dict[str, Any]:
    sim.oauth.revoke_refresh_tokens(_gcid(args))
    return {}


async def _quota_exhaust(sim: Simulator, args: dict[str, Any]) -> dict[str, Any]:
    if "mode" in args:
        sim.quota.mode = str(args["mode"])
    sim.quota.exhaust(_gcid(args))
    return {"remaining": sim.quota.remaining(_gcid(args))}


async def _quota_reset(sim: Simulator, args: dict[str, Any]) -> dict[str, Any]:
    sim.quota.reset(_gcid(args))
    sim.quota.mode = str(args.get("mode", "403"))
    return {"remaining": sim.quota.remaining(_gcid(args))}


async def _delete_containers(sim: Simulator, args: dict[str, Any]) -> dict[str, Any]:
    """Containers gone at BMW (the next use answers CU-105)."""
    gcid = _gcid(args)
    gone = [cid for cid, c in sim.rest.containers.items() if c.gcid == gcid]
    for cid in gone:
        del sim.rest.containers[cid]
    return {"deleted": len(gone)}


async def _fill_containers(sim: Simulator, args: dict[str, Any]) -> dict[str, Any]:
    """Other apps hold every container slot (creating one answers CU-124)."""
    gcid = _gcid(args)
    rest = sim.rest
    mine = [c for c in rest.containers.values() if c.gcid == gcid]
    for number in range(max(rest.container_limit - len(mine), 0)):
        cid = f"other{number:08d}"
        rest.containers[cid] = Container(
            cid, gcid, f"Other app {number}", "x", ["vehicle.x"], sim.now()
        )
    return {"containers": rest.container_limit}


async def _present_certificate(sim: Simulator, args: dict[str, Any]) -> dict[str, Any]:
    """``kind``: trusted, untrusted, expired or wrong_host (next connections)."""
    kind = str(args.get("kind", ""))
    try:
        ca_file = sim.present_certificate(kind)
    except ValueError:
        raise CommandError(
            "kind is one of trusted, untrusted, expired, wrong_host"
        ) from None
    return {"kind": kind, "ca_file": ca_file}


async def _rotate_ca(sim: Simulator, _args: dict[str, Any]) -> dict[str, Any]:
    """A new CA written over the CA file (same path); the broker uses it."""
    return {"ca_file": sim.rotate_ca()}


async def _stop_scenarios(sim: Simulator, _args: dict[str, Any]) -> dict[str, Any]:
    await sim.stop_scenarios()
    return {}


async def _restart_scenario(sim: Simulator, args: dict[str, Any]) -> dict[str, Any]:
    vin = str(args["vin"])
    if vin not in sim.vehicles:
        raise CommandError(f"unknown vehicle {vin[-4:]}")
    await sim.restart_scenario(vin, speed=float(args.get("speed", 1.0)))
    return {}


COMMANDS: dict[str, Command] = {
    "publish": _publish,
    "publish_raw": _publish_raw,
    "drop": _drop,
    "evict": _evict,
    "release": _release,
    "advance": _advance,
    "revoke": _revoke,
    "quota_exhaust": _quota_exhaust,
    "quota_reset": _quota_reset,
    "delete_containers": _delete_containers,
    "fill_containers": _fill_containers,
    "stop_scenarios": _stop_scenarios,
    "restart_scenario": _restart_scenario,
    "present_certificate": _present_certificate,
    "rotate_ca": _rotate_ca,
}


def stats(sim: Simulator, gcid: str) -> dict[str, Any]:
    """What a fault run measures about one account."""
    broker = sim.broker
    newest_id_token = max(
        (
            r.expires_at
            for r in sim.oauth.tokens.values()
            if r.kind == "id" and r.gcid == gcid
        ),
        default=None,
    )
    return {
        "now": sim.now().isoformat(),
        # The open stream logged in with the id token issued last.
        "stream_on_newest_token": newest_id_token is not None
        and newest_id_token in broker.open_token_expiries(gcid),
        "connections": broker.active_connections(gcid),
        "connects": broker.connect_count(gcid),
        "refused": broker.refused_count(gcid),
        "evictions": broker.eviction_count(gcid),
        "max_concurrent": broker.max_concurrent(gcid),
        "flapping": broker.flapping,
        "flap_drops": broker.flap_drops(gcid),
        "flap_resets": broker.flap_resets,
        "close_reasons": broker.close_reasons(gcid)[-20:],
        "rest_calls": sum(1 for call in sim.rest.calls if call[0] == gcid),
        "quota_used": sim.quota.calls(gcid),
        "token_calls": sim.oauth.token_calls,
        "published": broker.published,
        "presented": str(sim.presented),
    }


class Control:
    """The ``/_sim/`` routes of one simulator."""

    def __init__(self, sim: Simulator) -> None:
        """Bind to the simulator."""
        self._sim = sim

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the simulator's HTTP app."""
        return [
            web.get(PREFIX + "/faults", self._guard(self._get_faults)),
            web.post(PREFIX + "/faults", self._guard(self._post_faults)),
            web.post(PREFIX + "/faults/reset", self._guard(self._reset_faults)),
            web.post(PREFIX + "/world", self._guard(self._world)),
            web.get(PREFIX + "/stats", self._guard(self._stats)),
        ]

    def _guard(
        self, handler: Callable[[web.Request], Awaitable[dict[str, Any]]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def guarded(request: web.Request) -> web.Response:
            if request.remote not in LOOPBACK:
                return web.json_response({"error": "loopback only"}, status=403)
            try:
                return web.json_response(await handler(request))
            except (CommandError, KeyError, TypeError, ValueError) as err:
                return web.json_response({"error": str(err)}, status=400)

        return guarded

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        body = await request.json() if request.can_read_body else {}
        if not isinstance(body, dict):
            raise CommandError("body must be a JSON object")
        return body

    async def _get_faults(self, _request: web.Request) -> dict[str, Any]:
        return dataclasses.asdict(self._sim.faults)

    async def _post_faults(self, request: web.Request) -> dict[str, Any]:
        return set_faults(self._sim, await self._body(request))

    async def _reset_faults(self, _request: web.Request) -> dict[str, Any]:
        self._sim.faults = type(self._sim.faults)()
        return dataclasses.asdict(self._sim.faults)

    async def _world(self, request: web.Request) -> dict[str, Any]:
        body = await self._body(request)
        command = COMMANDS.get(str(body.get("command")))
        if command is None:
            raise CommandError(f"commands: {', '.join(sorted(COMMANDS))}")
        return {"ok": True} | await command(self._sim, body)

    async def _stats(self, request: web.Request) -> dict[str, Any]:
        return stats(self._sim, request.query.get("gcid") or GCID_A) | {
            "at": dt.datetime.now(dt.UTC).isoformat()
        }
