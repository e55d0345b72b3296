"""Repair issues the stream raises: eviction, a missing scope, an untrusted CA."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..api import StreamState
from ..auth.token_manager import TokenManager
from ..common.issues import (
    BROKER_TLS_FAILED,
    EVICTED,
    SCOPE_MISSING,
    STREAM_SCOPE,
    TLS_FAILED,
    async_create_issue,
    issue_id,
)
from ..const import DOMAIN
from .owner import StreamOwner


@callback
def async_setup_stream_issues(
    hass: HomeAssistant, entry: ConfigEntry, tokens: TokenManager, stream: StreamOwner
) -> None:
    """Follow the stream: eviction and a missing streaming scope become issues."""
    scope = tokens.tokens.scope.split()
    if STREAM_SCOPE not in scope:
        async_create_issue(
            hass, SCOPE_MISSING, entry, fixable=True, severity=ir.IssueSeverity.ERROR
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id(SCOPE_MISSING, entry.entry_id))

    # A custom broker's TLS is set in the Settings, BMW's in Stream security.
    tls_kind = BROKER_TLS_FAILED if stream.custom_broker else TLS_FAILED

    @callback
    def _delete(*kinds: str) -> None:
        for kind in kinds:
            ir.async_delete_issue(hass, DOMAIN, issue_id(kind, entry.entry_id))

    @callback
    def _on_stream() -> None:
        state = stream.state
        if state == StreamState.EVICTED:
            async_create_issue(hass, EVICTED, entry, fixable=True)
        elif state == StreamState.TLS_FAILED:
            async_create_issue(
                hass,
                tls_kind,
                entry,
                fixable=tls_kind == TLS_FAILED,
                severity=ir.IssueSeverity.ERROR,
                placeholders={
                    "host": f"{stream.config.host}:{stream.config.port}",
                    "reason": stream.tls_reason or "-",
                },
            )
        elif state == StreamState.CONNECTED:
            _delete(EVICTED, tls_kind)

    entry.async_on_unload(stream.async_add_listener(_on_stream))
    # An unloaded entry has no stream to be evicted from or to fail; a reload
    # raises the issues again if the other client or the certificate still is.
    entry.async_on_unload(lambda: _delete(EVICTED, TLS_FAILED, BROKER_TLS_FAILED))
