"""Diagnostics of an account and of one vehicle, with every secret masked.

Tokens and positions are replaced by ``**REDACTED**``; the client id, the
GCID and every VIN by a stable keyed reference (``vin_1a2b3c4d5e``), the
same one in every part of the dump and in the calls-left sensor, so two
records can still be compared. Endpoints appear as hosts only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.util import dt as dt_util

from .api import format_timestamp
from .auth.token_manager import token_diagnostics
from .common.redact import SECRET_KEYS, Redactor, is_position_key
from .common.settings import OPT_BROKER_PASSWORD, OPT_BROKER_USERNAME
from .const import (
    CONF_API_URL,
    CONF_AUTH_URL,
    CONF_CLIENT_ID,
    CONF_GCID,
    CONF_STREAM_HOST,
    CONF_STREAM_PORT,
    CONF_STREAM_TLS,
    CONF_TOKENS,
    DOMAIN,
)
from .runtime.data import CarDataConfigEntry

RAW_MESSAGES = 50
TO_REDACT = SECRET_KEYS | {CONF_TOKENS, OPT_BROKER_PASSWORD, OPT_BROKER_USERNAME}


def _redactor(entry: CarDataConfigEntry) -> Redactor:
    """Return the account's redactor, taught every secret known to the entry."""
    runtime = entry.runtime_data
    redactor = runtime.quota.redactor
    tokens = runtime.tokens.tokens
    redactor.learn(
        "token", (tokens.access_token, tokens.id_token, tokens.refresh_token)
    )
    redactor.learn("client", (runtime.client_id, entry.data.get(CONF_CLIENT_ID)))
    redactor.learn("gcid", (tokens.gcid, entry.data.get(CONF_GCID), entry.unique_id))
    redactor.learn("vin", runtime.coordinator.vehicles)
    return redactor


def _host(url: Any) -> str | None:
    return urlsplit(url).hostname if isinstance(url, str) else None


def _ages(entry: CarDataConfigEntry, vins: Iterable[str]) -> dict[str, Any]:
    """Per vehicle, per descriptor: age of the value (never the value)."""
    now = dt_util.utcnow()
    coordinator = entry.runtime_data.coordinator
    result: dict[str, Any] = {}
    for vin in vins:
        vehicle = coordinator.vehicles.get(vin)
        if vehicle is None:
            continue
        result[vin] = {
            "descriptors_known": len(vehicle.known_descriptors),
            "last_received_at": format_timestamp(vehicle.last_received_at),
            "last_bmw_timestamp": format_timestamp(vehicle.last_timestamp),
            "descriptors": {
                name: {
                    "seconds_since_received": round(
                        (now - state.received_at).total_seconds()
                    ),
                    "seconds_since_bmw_timestamp": round(
                        (now - state.timestamp).total_seconds()
                    )
                    if state.timestamp
                    else None,
                    "unit": state.unit,
                    "type": type(state.value).__name__,
                }
                for name, state in sorted(vehicle.descriptors.items())
            },
        }
    return result


def _raw_messages(entry: CarDataConfigEntry) -> list[Any]:
    """The last stream messages the stream owner kept, positions removed."""
    recent = list(entry.runtime_data.stream.recent_messages)[-RAW_MESSAGES:]
    # The parsed fields only: BMW's body names the account and every position.
    return [
        _positions_out(
            {key: value for key, value in asdict(message).items() if key != "payload"}
        )
        for message in recent
    ]


def _positions_out(value: Any) -> Any:
    """Drop values of position descriptors in nested message dicts."""
    if isinstance(value, Mapping):
        return {
            str(k): "**REDACTED**" if is_position_key(str(k)) else _positions_out(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_positions_out(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _stream(entry: CarDataConfigEntry) -> dict[str, Any]:
    runtime = entry.runtime_data
    stream = runtime.stream
    gate = runtime.vin_gate
    return {
        **stream.diagnostics(),
        "history": [(at.isoformat(), reason) for at, reason in stream.history],
        # What was not applied, by reason (counts only, no content).
        "dropped_by_vin_gate": dict(gate.dropped) if gate is not None else {},
        "dropped_values": dict(runtime.coordinator.value_check.dropped),
        "unread_words": {
            name: sorted(words)
            for name, words in sorted(
                runtime.coordinator.value_check.unread_words.items()
            )
        },
        "sharing": runtime.sharing.diagnostics() if runtime.sharing else None,
    }


def _entry_part(entry: CarDataConfigEntry) -> dict[str, Any]:
    data = entry.data
    shown = {
        key: _host(value) if key in (CONF_AUTH_URL, CONF_API_URL) else value
        for key, value in data.items()
    }
    return {
        "title": entry.title,
        "version": entry.version,
        "data": async_redact_data(shown, TO_REDACT),
        "options": async_redact_data(dict(entry.options), TO_REDACT),
        "endpoints": {
            "auth_host": _host(data.get(CONF_AUTH_URL)),
            "api_host": _host(data.get(CONF_API_URL)),
            "stream_host": data.get(CONF_STREAM_HOST),
            "stream_port": data.get(CONF_STREAM_PORT),
            "stream_tls": data.get(CONF_STREAM_TLS),
        },
    }


def _tokens(entry: CarDataConfigEntry) -> dict[str, Any]:
    manager = entry.runtime_data.tokens
    facts = dict(token_diagnostics(manager))
    refresh_expiry = manager.tokens.refresh_expires_at
    facts["refresh_token_expires_at"] = format_timestamp(refresh_expiry)
    facts["gcid"] = manager.tokens.gcid
    return facts


def _quota(entry: CarDataConfigEntry) -> dict[str, Any]:
    planner = entry.runtime_data.quota
    return {
        **planner.summary(),
        "settings": {
            key: str(value) for key, value in asdict(planner.policy.settings).items()
        },
        "log": [call.to_dict() for call in planner.policy.calls],
        "last_scheduled_poll": {
            ref: at.isoformat() for ref, at in planner.policy.last_poll.items()
        },
        "last_telematic_fetch": {
            ref: at.isoformat() for ref, at in planner.policy.last_fetch.items()
        },
    }


def _finish(redactor: Redactor, dump: dict[str, Any]) -> dict[str, Any]:
    """Mask every known secret string anywhere in the dump (keys too)."""
    result = redactor.data(dump)
    assert isinstance(result, dict)  # noqa: S101 - data() keeps mappings
    return result


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001 - Home Assistant's signature
    entry: CarDataConfigEntry,
) -> dict[str, Any]:
    """Return diagnostics of the account."""
    redactor = _redactor(entry)
    coordinator = entry.runtime_data.coordinator
    dump = {
        "entry": _entry_part(entry),
        "stream": _stream(entry),
        "token_state": _tokens(entry),
        "quota": _quota(entry),
        "stream_state_mirror": coordinator.stream_state,
        "vehicles": _ages(entry, list(coordinator.vehicles)),
        "raw_messages": _raw_messages(entry),
        # Sessions without places; vehicles by hash.
        "energy_ledger": entry.runtime_data.ledger.diagnostics(),
    }
    return _finish(redactor, dump)


async def async_get_device_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001 - Home Assistant's signature
    entry: CarDataConfigEntry,
    device: DeviceEntry,
) -> dict[str, Any]:
    """Return diagnostics of one vehicle (or of the account device)."""
    redactor = _redactor(entry)
    vins = [ident for domain, ident in device.identifiers if domain == DOMAIN]
    dump = {
        "device": {
            "manufacturer": device.manufacturer,
            "model": device.model,
            "model_id": device.model_id,
            "sw_version": device.sw_version,
            "identifiers": vins,
        },
        "stream": {"state": str(entry.runtime_data.stream.state)},
        "quota": entry.runtime_data.quota.summary(),
        "vehicles": _ages(entry, vins),
    }
    hub = entry.runtime_data.prediction
    dump["predicted_charge_level"] = {vin: hub.diagnostics(vin) for vin in vins}
    # The journal's figures and times; never a place or a coordinate.
    trips = entry.runtime_data.trips
    dump["trips"] = {vin: trips.diagnostics(vin) for vin in vins}
    # Which fields arrived, and how: names and counts, never a value.
    coverage = entry.runtime_data.coverage
    dump["data_coverage"] = {vin: coverage.diagnostics(vin) for vin in vins}
    return _finish(redactor, dump)
