"""Diagnostics through Home Assistant: useful facts, no secret in clear."""

from __future__ import annotations

import json
import re
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from syrupy.assertion import SnapshotAssertion

from tests.entity_helpers import HOOD, LAT, LON, SOC, device_for, in_snapshots_dir
from tests.rest_helpers import make_entry, setup_rest
from tests.simulator import world
from tests.simulator.world import GCID_A, VIN_BEV, VIN_PHEV
from tests.waiting import wait_for

PLACE = (48.177_123, 11.559_876)


def _secrets(sim) -> set[str]:
    known = {
        str(getattr(world, name))
        for name in dir(world)
        if name.startswith(("GCID_", "CLIENT_", "VIN_"))
        and isinstance(getattr(world, name), str)
    }
    return known | set(sim.oauth.tokens) | {str(PLACE[0]), str(PLACE[1])}


def _assert_clean(dump: object, secrets: set[str]) -> str:
    text = json.dumps(dump)
    leaked = sorted(s for s in secrets if len(s) >= 6 and s in text)
    assert not leaked, f"secret in diagnostics: {len(leaked)} strings"
    return text


async def _download(hass: HomeAssistant, hass_client, path: str) -> dict[str, Any]:
    """The diagnostics file of ``config_entry/<path>`` as the UI downloads it."""
    assert await async_setup_component(hass, "diagnostics", {})
    client = await hass_client()
    response = await client.get(f"/api/diagnostics/config_entry/{path}")
    assert response.status == 200
    return dict(await response.json())


async def _entry_with_traffic(hass: HomeAssistant, simulator):
    entry = await setup_rest(hass, make_entry(simulator))
    coordinator = entry.runtime_data.coordinator
    await simulator.publish(
        VIN_BEV, {LAT: PLACE[0], LON: PLACE[1], SOC: 77, HOOD: "HALF_OPEN"}
    )
    await wait_for(lambda: coordinator.get(VIN_BEV, LAT) is not None)
    return entry


async def test_entry_diagnostics_redacted(
    hass: HomeAssistant, hass_client, simulator
) -> None:
    entry = await _entry_with_traffic(hass, simulator)
    full = await _download(hass, hass_client, entry.entry_id)
    text = _assert_clean(full, _secrets(simulator))
    data = full["data"]
    # The useful parts are there.
    assert data["entry"]["endpoints"]["api_host"] == "127.0.0.1"
    assert data["entry"]["data"]["tokens"] == "**REDACTED**"
    assert data["stream"]["state"] == "connected"
    # A word no binary sensor can read is listed (the word, never the VIN).
    assert data["stream"]["unread_words"] == {HOOD: ["half_open"]}
    assert data["token_state"]["expires_at"]
    assert data["quota"]["used_last_24h"] == 7
    assert len(data["quota"]["log"]) == 7
    assert data["quota"]["reset_rule_assumed"] == "rolling_24h"
    assert "raw_messages" in data
    vehicles = data["vehicles"]
    assert len(vehicles) == 2
    ref = next(k for k in vehicles if vehicles[k]["descriptors"].get(LAT))
    assert vehicles[ref]["descriptors"][LON] == "**REDACTED**"
    assert ref.startswith("vin_")
    age = vehicles[ref]["descriptors"][SOC]["seconds_since_received"]
    assert isinstance(age, int)
    # Consistent masking: the same VIN has the same reference everywhere.
    logged = {c["vin"] for c in data["quota"]["log"] if c["vin"]}
    assert ref in logged
    assert text.count(ref) >= 2
    assert "gcid_" in data["token_state"]["gcid"]


async def test_device_diagnostics_redacted(
    hass: HomeAssistant, hass_client, simulator
) -> None:
    entry = await _entry_with_traffic(hass, simulator)
    device = device_for(hass, entry, VIN_BEV)
    full = await _download(hass, hass_client, f"{entry.entry_id}/device/{device.id}")
    _assert_clean(full, _secrets(simulator))
    data = full["data"]
    assert data["device"]["model"]
    (ref,) = data["vehicles"]
    assert data["device"]["identifiers"] == [ref]
    assert data["vehicles"][ref]["descriptors"][SOC]["type"] == "int"
    assert data["vehicles"][ref]["descriptors"][LAT] == "**REDACTED**"
    other = device_for(hass, entry, VIN_PHEV)
    full = await _download(hass, hass_client, f"{entry.entry_id}/device/{other.id}")
    assert ref not in json.dumps(full)
    assert GCID_A not in json.dumps(full)


async def test_raw_messages_redacted_when_kept(
    hass: HomeAssistant, hass_client, simulator
) -> None:
    entry = await _entry_with_traffic(hass, simulator)
    full = await _download(hass, hass_client, entry.entry_id)
    kept = full["data"]["raw_messages"]
    assert kept  # the owner keeps the latest parsed messages
    assert all(item["vin"].startswith("vin_") for item in kept)
    assert all(set(item) == {"vin", "data", "timestamp"} for item in kept)  # no body
    _assert_clean(full, _secrets(simulator))
    # Positions are removed, other values stay readable.
    datas = [item["data"] for item in kept]
    assert any(data.get(LAT) == "**REDACTED**" for data in datas)
    assert any(data.get(SOC, {}).get("value") == 77 for data in datas)


def _normalized(value: object, refs: dict[str, str] | None = None) -> object:
    """Replace what differs between runs (references, times, ports, ages).

    References are keyed with a random per-installation secret, so each is
    renumbered in order of appearance: equal references stay equal.
    """
    refs = {} if refs is None else refs

    def ref(match: re.Match[str]) -> str:
        kind = match.group(1)
        if match.group(0) not in refs:
            count = sum(1 for r in refs.values() if r.startswith(kind))
            refs[match.group(0)] = f"{kind}_#{count + 1}"
        return refs[match.group(0)]

    if isinstance(value, dict):
        return {
            str(_normalized(k, refs)): "<varies>"
            if k in _VOLATILE
            else _normalized(v, refs)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_normalized(v, refs) for v in value]
    if isinstance(value, str):
        value = _REF.sub(ref, value)
        return "<time>" if _TIME.match(value) else value
    return value


_REF = re.compile(r"\b(vin|gcid|client|token)_[0-9a-f]{10}\b")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_VOLATILE = frozenset(
    {
        "container_id",
        "port",
        "seconds_since_bmw_timestamp",
        "seconds_since_received",
        "stream_ca_file",
        "stream_port",
    }
)


async def test_entry_diagnostics_snapshot(
    hass: HomeAssistant, hass_client, simulator, snapshot: SnapshotAssertion
) -> None:
    """The whole dump, as an owner would attach it to an issue."""
    entry = await _entry_with_traffic(hass, simulator)
    full = await _download(hass, hass_client, entry.entry_id)
    _assert_clean(full, _secrets(simulator))
    assert _normalized(full["data"]) == in_snapshots_dir(snapshot)
