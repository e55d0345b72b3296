"""Fix flows of the repair issues raised in :mod:`.issues`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .api import ApiError, CarDataConnectionError
from .common.display import local_time
from .common.issues import (
    EVICTED,
    REMOVED,
    SCOPE_MISSING,
    TLS_FAILED,
    issue_id,
    vin_suffix,
)
from .const import CONF_REAUTH_REASON, DOMAIN, REAUTH_STREAM_SCOPE
from .flows.stream_security import (
    STEP,
    async_check,
    async_save,
    placeholders,
    security_schema,
)
from .rest.bootstrap import async_ensure_container
from .rest.quota import QuotaSpentError
from .rest.quota_policy import CallKind
from .vehicles.sync import async_remove_vehicle

if TYPE_CHECKING:
    from homeassistant.components.repairs import RepairsFlowResult

    from .runtime.data import CarDataConfigEntry


class _EntryFixFlow(RepairsFlow):
    """A confirm step, then the fix for one entry."""

    def __init__(self, entry_id: str, kind: str, vehicle: str = "") -> None:
        self._entry_id = entry_id
        self._kind = kind
        self._vehicle = vehicle

    def _entry(self) -> CarDataConfigEntry | None:
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or entry.state is not ConfigEntryState.LOADED:
            return None
        return entry

    async def async_step_init(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002
    ) -> RepairsFlowResult:
        """Start at the confirm step."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Explain, then fix on submit."""
        if user_input is None:
            issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
            return self.async_show_form(
                step_id="confirm",
                description_placeholders=issue.translation_placeholders
                if issue
                else None,
            )
        if (entry := self._entry()) is None:
            return self.async_abort(reason="not_loaded")
        return await self._fix(entry)

    async def _fix(self, entry: CarDataConfigEntry) -> RepairsFlowResult:
        runtime = entry.runtime_data
        if self._kind == EVICTED:
            runtime.stream.async_request_reconnect()
        elif self._kind == SCOPE_MISSING:
            entry.async_start_reauth(
                self.hass, data={CONF_REAUTH_REASON: REAUTH_STREAM_SCOPE}
            )
        elif self._kind == REMOVED:
            return self._remove_vehicle(entry)
        else:
            return await self._fix_container(entry)
        ir.async_delete_issue(self.hass, DOMAIN, issue_id(self._kind, entry.entry_id))
        return self.async_create_entry(data={})

    def _remove_vehicle(self, entry: CarDataConfigEntry) -> RepairsFlowResult:
        vins = [
            vin
            for vin in entry.runtime_data.coordinator.vehicles
            if vin_suffix(vin) == self._vehicle
        ]
        for vin in vins:
            async_remove_vehicle(self.hass, entry, vin)
        ir.async_delete_issue(
            self.hass, DOMAIN, issue_id(REMOVED, entry.entry_id, self._vehicle)
        )
        return self.async_create_entry(data={})

    async def _fix_container(self, entry: CarDataConfigEntry) -> RepairsFlowResult:
        try:
            container_id = await async_ensure_container(
                entry.runtime_data.rest, CallKind.USER
            )
        except QuotaSpentError as err:
            if err.until is None:
                return self.async_abort(reason="quota_spent_unknown")
            return self.async_abort(
                reason="quota_spent",
                description_placeholders={
                    "until": local_time(err.until, round_up=True)
                },
            )
        except (ApiError, CarDataConnectionError) as err:
            return self.async_abort(
                reason="api_error", description_placeholders={"error": _error(err)}
            )
        if container_id is None:
            return self.async_abort(reason="still_full")
        return self.async_create_entry(data={})


class _StreamSecurityFixFlow(RepairsFlow):
    """The Stream security form, opened from the issue that says what failed."""

    def __init__(self, entry_id: str) -> None:
        self._entry_id = entry_id

    async def async_step_init(
        self,
        user_input: dict[str, str] | None = None,  # noqa: ARG002
    ) -> RepairsFlowResult:
        """Start at the form."""
        return await self.async_step_stream_security()

    async def async_step_stream_security(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Show what failed and the settings; saving reconnects (no new login)."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="not_loaded")
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await async_check(self.hass, user_input)
            if not errors:
                async_save(self.hass, entry, user_input)
                return self.async_create_entry(data={})
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        shown = {"reason": "-", **placeholders(entry)}
        if issue is not None and issue.translation_placeholders:
            shown |= issue.translation_placeholders
        return self.async_show_form(
            step_id=STEP,
            data_schema=security_schema(user_input or entry.data),
            errors=errors,
            description_placeholders=shown,
        )


def _error(err: Exception) -> str:
    if isinstance(err, ApiError):
        return f"{err.error_id or ''} HTTP {err.status}".strip()
    return "BMW unreachable"


async def async_create_fix_flow(
    hass: HomeAssistant,  # noqa: ARG001
    issue_id: str,  # noqa: ARG001 - the data says which entry and kind
    data: dict[str, Any] | None,
) -> RepairsFlow:
    """Create the fix flow of one of our fixable issues."""
    data = data or {}
    if data.get("kind") == TLS_FAILED:
        return _StreamSecurityFixFlow(str(data.get("entry_id", "")))
    return _EntryFixFlow(
        str(data.get("entry_id", "")),
        str(data.get("kind", "")),
        str(data.get("vehicle", "")),
    )
