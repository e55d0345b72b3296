"""Repair issues an owner can act on: raised and cleared here.

The flows that fix the fixable ones live in :mod:`.repairs`.

- ``quota_exhausted``: BMW stopped the calls of the day; shown until the
  wait is over (nothing to fix, but the owner can find the other user of
  the quota).
- ``container_limit``: no free container slot; fixable: after the owner
  freed a slot the flow creates the container.
- ``secondary_user``: a vehicle shared with this account; BMW serves only
  the primary user.
- ``vehicle_removed``: a vehicle no longer mapped to the account; fixable:
  confirming removes it with its entities.
- ``stream_evicted``: another client took the stream; fixable: reconnect
  once the other client is stopped.
- ``stream_scope_missing``: the login lacks the streaming permission;
  fixable: start a new login.
- ``token_not_saved``: BMW rotated the login but it could not be written to
  disk; it is kept in memory and saving is retried. Cleared by the first
  save that works (nothing to confirm: the owner frees space or fixes the
  folder's permissions).
- ``stream_tls_failed``: BMW's broker's certificate is not trusted (or the
  CA file is not usable); fixable: the Stream security settings, saved
  from the fix flow, reconnect the stream. Cleared when the stream connects.
- ``broker_tls_failed``: the same for a custom broker, whose TLS is set in
  the Settings; explained only.
- ``container_lacks_fields``: the telematic container's answer lacks fields
  the integration needs for its core roles (charge level, range, charging,
  position); explained only (the steps in BMW's portal). Cleared by the
  first read whose container holds them all.
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..const import DOMAIN
from .display import local_time
from .redact import vin_hash

QUOTA = "quota_exhausted"
CONTAINER_LIMIT = "container_limit"
SECONDARY = "secondary_user"
REMOVED = "vehicle_removed"
EVICTED = "stream_evicted"
SCOPE_MISSING = "stream_scope_missing"
TOKEN_NOT_SAVED = "token_not_saved"  # noqa: S105 - an issue kind
TLS_FAILED = "stream_tls_failed"
BROKER_TLS_FAILED = "broker_tls_failed"
CONTAINER_LACKS = "container_lacks_fields"
STREAM_SCOPE = "cardata:streaming:read"


def issue_id(kind: str, entry_id: str, suffix: str = "") -> str:
    """Return the issue id of ``kind`` for one entry."""
    return f"{kind}_{entry_id}{'_' + suffix if suffix else ''}"


def async_create_issue(
    hass: HomeAssistant,
    kind: str,
    entry: ConfigEntry,
    *,
    fixable: bool,
    severity: ir.IssueSeverity = ir.IssueSeverity.WARNING,
    suffix: str = "",
    placeholders: dict[str, str] | None = None,
    persistent: bool = False,
) -> None:
    """Raise one repair issue of an entry (``suffix`` names a vehicle by hash)."""
    data: dict[str, str | int | float | None] = {
        "entry_id": entry.entry_id,
        "kind": kind,
    }
    if suffix:
        data["vehicle"] = suffix  # a hash: no VIN is stored with the issue
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id(kind, entry.entry_id, suffix),
        is_fixable=fixable,
        is_persistent=persistent,
        severity=severity,
        translation_key=kind,
        translation_placeholders=placeholders,
        data=data,
    )


@callback
def async_report_quota(
    hass: HomeAssistant, entry: ConfigEntry, until: datetime | None
) -> None:
    """Show or clear the quota issue (``until`` None clears it)."""
    if until is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id(QUOTA, entry.entry_id))
        return
    async_create_issue(
        hass,
        QUOTA,
        entry,
        fixable=False,
        placeholders={"until": local_time(until, round_up=True)},
    )


@callback
def async_report_container_limit(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Show that no container slot is free."""
    async_create_issue(hass, CONTAINER_LIMIT, entry, fixable=True)


@callback
def async_clear_container_limit(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The container exists again."""
    ir.async_delete_issue(hass, DOMAIN, issue_id(CONTAINER_LIMIT, entry.entry_id))


@callback
def async_report_container_lacks(
    hass: HomeAssistant, entry: ConfigEntry, missing: list[str]
) -> None:
    """Show the core fields the container lacks (an empty list clears it)."""
    if not missing:
        ir.async_delete_issue(hass, DOMAIN, issue_id(CONTAINER_LACKS, entry.entry_id))
        return
    async_create_issue(
        hass,
        CONTAINER_LACKS,
        entry,
        fixable=False,
        placeholders={"fields": ", ".join(missing)},
    )


@callback
def async_report_token_not_saved(
    hass: HomeAssistant, entry: ConfigEntry, folder: str, error: str | None
) -> None:
    """Show that the newest login is only in memory (``error`` None clears it)."""
    if error is None:
        ir.async_delete_issue(hass, DOMAIN, issue_id(TOKEN_NOT_SAVED, entry.entry_id))
        return
    async_create_issue(
        hass,
        TOKEN_NOT_SAVED,
        entry,
        fixable=False,
        severity=ir.IssueSeverity.ERROR,
        placeholders={"folder": folder, "error": error},
    )


def container_limit_reported(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Return whether the container-limit issue is open (then no automatic retry)."""
    registry = ir.async_get(hass)
    found = registry.async_get_issue(DOMAIN, issue_id(CONTAINER_LIMIT, entry.entry_id))
    return found is not None


def _delete_matching(
    hass: HomeAssistant, prefix: str, keep: frozenset[str] = frozenset()
) -> None:
    """Delete our issues whose id starts with ``prefix``, except ``keep``."""
    for domain, existing in list(ir.async_get(hass).issues):
        if domain == DOMAIN and existing.startswith(prefix) and existing not in keep:
            ir.async_delete_issue(hass, DOMAIN, existing)


@callback
def async_delete_entry_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every issue of a removed entry: none of them can be fixed now."""
    kinds = (
        QUOTA,
        CONTAINER_LIMIT,
        SECONDARY,
        REMOVED,
        EVICTED,
        SCOPE_MISSING,
        TOKEN_NOT_SAVED,
        TLS_FAILED,
        BROKER_TLS_FAILED,
        CONTAINER_LACKS,
    )
    for kind in kinds:
        _delete_matching(hass, issue_id(kind, entry_id))


def vin_suffix(vin: str) -> str:
    """The part of an issue id that names a vehicle without its VIN."""
    return vin_hash(vin, 12)


@callback
def async_sync_secondary_vehicles(
    hass: HomeAssistant, entry: ConfigEntry, vins: list[str]
) -> None:
    """Show one issue per vehicle the account is only a secondary user of."""
    _sync_vehicle_issues(hass, entry, SECONDARY, vins, fixable=False)


@callback
def async_clear_secondary_vehicle(
    hass: HomeAssistant, entry: ConfigEntry, vin: str
) -> None:
    """The shared vehicle streams to the account: it is shown, no issue."""
    ir.async_delete_issue(
        hass, DOMAIN, issue_id(SECONDARY, entry.entry_id, vin_suffix(vin))
    )


@callback
def async_sync_removed_vehicles(
    hass: HomeAssistant, entry: ConfigEntry, vins: list[str]
) -> None:
    """Show one fixable issue per vehicle no longer mapped to the account."""
    _sync_vehicle_issues(hass, entry, REMOVED, vins, fixable=True)


@callback
def _sync_vehicle_issues(
    hass: HomeAssistant,
    entry: ConfigEntry,
    kind: str,
    vins: list[str],
    *,
    fixable: bool,
) -> None:
    """Keep exactly one ``kind`` issue per vehicle in ``vins``.

    Found only by reading the mappings (an API call): kept over a restart
    until the mappings are read again.
    """
    wanted = frozenset(issue_id(kind, entry.entry_id, vin_suffix(vin)) for vin in vins)
    _delete_matching(hass, issue_id(kind, entry.entry_id), keep=wanted)
    for vin in vins:
        async_create_issue(
            hass,
            kind,
            entry,
            fixable=fixable,
            suffix=vin_suffix(vin),
            placeholders={"vehicle": f"…{vin[-7:]}"},
            persistent=True,
        )
