"""The BMW account of a fault run: a real device login, written as a config entry.

The login runs the integration's own client against the simulator (which
approves at once); the entry is written into Home Assistant's storage before
it starts, shaped as the config flow creates it.
"""

from __future__ import annotations

from datetime import UTC, datetime
import json
from typing import TYPE_CHECKING, Any
import uuid

import aiohttp

from custom_components.cardata.api import Endpoints, OAuthClient, TokenSet

if TYPE_CHECKING:
    from .harness import Harness

ENDPOINT_KEYS = (
    "auth_url",
    "api_url",
    "stream_host",
    "stream_port",
    "stream_tls",
    "stream_ca_file",
)


async def log_in(h: Harness) -> TokenSet:
    """A device login against the simulator (auto-approved)."""
    endpoints = Endpoints.from_dict({k: h.info[k] for k in ENDPOINT_KEYS})
    async with aiohttp.ClientSession() as session:
        oauth = OAuthClient(session, endpoints)
        authorization = await oauth.request_device_code(h.info["client_id"])
        return await oauth.poll_tokens(h.info["client_id"], authorization)


def write_entry(h: Harness, tokens: TokenSet) -> None:
    """Write (or replace the tokens of) the entry in ``core.config_entries``."""
    storage = h.config / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    path = storage / "core.config_entries"
    data = {k: h.info[k] for k in ENDPOINT_KEYS} | {
        "client_id": h.info["client_id"],
        "gcid": tokens.gcid,
        "tokens": tokens.to_dict(),
    }
    if path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        for entry in stored["data"]["entries"]:
            if entry["entry_id"] == h.entry_id:
                entry["data"] = entry["data"] | {"tokens": tokens.to_dict()}
    else:
        h.entry_id = uuid.uuid4().hex
        now = datetime.now(UTC).isoformat()
        entry: dict[str, Any] = {
            "created_at": now,
            "data": data,
            "discovery_keys": {},
            "disabled_by": None,
            "domain": "cardata",
            "entry_id": h.entry_id,
            "minor_version": 1,
            "modified_at": now,
            "options": {},
            "pref_disable_new_entities": False,
            "pref_disable_polling": False,
            "source": "user",
            "subentries": [],
            "title": "BMW CarData",
            "unique_id": tokens.gcid,
            "version": 2,
        }
        stored = {
            "version": 1,
            "minor_version": 5,
            "key": "core.config_entries",
            "data": {"entries": [entry]},
        }
    path.write_text(json.dumps(stored, indent=2), encoding="utf-8")


def secrets(h: Harness) -> dict[str, set[str]]:
    """What must not leak: tokens (from the simulator's memory) and ids."""
    from tests.simulator import world  # noqa: PLC0415 - the suite's own import

    tokens: set[str] = set()
    if h.state_file.is_file():
        memory = json.loads(h.state_file.read_text(encoding="utf-8"))
        tokens = set(memory.get("tokens", {}))
    ids = {
        str(getattr(world, name))
        for name in ("GCID_A", "GCID_B", "CLIENT_A", "CLIENT_B", "CLIENT_NO_STREAM")
    }
    vins = {
        str(getattr(world, name))
        for name in ("VIN_BEV", "VIN_PHEV", "VIN_SECONDARY", "VIN_ID6")
    }
    return {"tokens": tokens, "ids": ids, "vins": vins}
