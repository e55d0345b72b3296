"""Repair issues the stream raises: eviction by another client, a missing scope."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from ..api import StreamState
from ..auth.token_manager import TokenManager
from ..common.issues import (
    EVICTED,
    SCOPE_MISSING,
    STREAM_SCOPE,
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

    @callback
    def _on_stream() -> None:
        state = stream.state
        if state == StreamState.EVICTED:
            async_create_issue(hass, EVICTED, entry, fixable=True)
        elif state == StreamState.CONNECTED:
            ir.async_delete_issue(hass, DOMAIN, issue_id(EVICTED, entry.entry_id))

    entry.async_on_unload(stream.async_add_listener(_on_stream))
    # An unloaded entry has no stream to be evicted from; a reload raises the
    # issue again if the other client is still there.
    entry.async_on_unload(
        lambda: ir.async_delete_issue(hass, DOMAIN, issue_id(EVICTED, entry.entry_id))
    )
