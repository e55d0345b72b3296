"""Keep the simulator's memory across restarts (used by ``scripts/develop``).

BMW remembers issued tokens, containers and quota between two runs of Home
Assistant; a restarted simulator should too, or every restart would force a
new login.
"""

from __future__ import annotations

import asyncio
from collections import deque
import datetime as dt
import json
from pathlib import Path
import threading
from typing import TYPE_CHECKING, Any

from .oauth import IssuedToken
from .rest import Container
from .world import StateValue

if TYPE_CHECKING:
    from .core import Simulator

SAVE_INTERVAL = 0.5
"""Seconds between two looks for a change (a crash loses at most these)."""


def dump(sim: Simulator) -> dict[str, Any]:
    """Tokens, containers, quota windows and vehicle values as JSON data."""
    return {
        "tokens": {
            token: {
                "kind": r.kind,
                "gcid": r.gcid,
                "client_id": r.client_id,
                "scopes": sorted(r.scopes),
                "expires_at": r.expires_at.isoformat(),
                "revoked": r.revoked,
            }
            for token, r in sim.oauth.tokens.items()
        },
        "containers": [
            {
                "container_id": c.container_id,
                "gcid": c.gcid,
                "name": c.name,
                "purpose": c.purpose,
                "descriptors": c.descriptors,
                "created": c.created.isoformat(),
                "state": c.state,
            }
            for c in sim.rest.containers.values()
        ],
        "quota": {
            gcid: [moment.isoformat() for moment in calls]
            for gcid, calls in sim.quota.windows().items()
        },
        "vehicles": {
            vin: {
                name: [value.value, value.timestamp.isoformat()]
                for name, value in vehicle.state.items()
            }
            for vin, vehicle in sim.vehicles.items()
        },
    }


def restore(sim: Simulator, data: dict[str, Any]) -> None:
    """Load what :func:`dump` wrote (accounts and vehicles must exist)."""
    when = dt.datetime.fromisoformat
    for token, r in data.get("tokens", {}).items():
        if r["gcid"] in sim.accounts:
            sim.oauth.tokens[token] = IssuedToken(
                r["kind"],
                r["gcid"],
                r["client_id"],
                frozenset(r["scopes"]),
                when(r["expires_at"]),
                r["revoked"],
            )
    for c in data.get("containers", []):
        if c["gcid"] in sim.accounts:
            sim.rest.containers[c["container_id"]] = Container(
                c["container_id"],
                c["gcid"],
                c["name"],
                c["purpose"],
                list(c["descriptors"]),
                when(c["created"]),
                c["state"],
            )
    for gcid, calls in data.get("quota", {}).items():
        sim.quota.windows()[gcid] = deque(when(m) for m in calls)
    for vin, values in data.get("vehicles", {}).items():
        vehicle = sim.vehicles.get(vin)
        if vehicle:
            for name, (value, stamp) in values.items():
                vehicle.state[name] = StateValue(value, when(stamp))


def save(sim: Simulator, path: Path) -> None:
    """Write the memory file (atomically)."""
    write_atomically(path, json.dumps(dump(sim), indent=1) + "\n")


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` so that a reader sees the old file or the whole new one."""
    tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


async def autosave(sim: Simulator, path: Path) -> None:
    """Write the memory file whenever it changed (until cancelled).

    Each look serialises the memory on the loop (a copy, so no handler
    changes it mid-write) and writes only when it differs from the last.
    """
    last = ""
    while True:
        text = json.dumps(dump(sim), indent=1) + "\n"
        if text != last:
            await asyncio.to_thread(write_atomically, path, text)
            last = text
        await asyncio.sleep(SAVE_INTERVAL)


def load(sim: Simulator, path: Path) -> bool:
    """Read the memory file when there is one; False if absent or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError, ValueError:
        return False
    restore(sim, data)
    return True
