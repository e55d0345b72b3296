"""Fix flows of the repair issues raised in :mod:`.issues`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.repairs import RepairsFlow
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .api import ApiError, CarDataConnectionError
from .bootstrap import async_ensure_container
from .const import DOMAIN
from .issues import EVICTED, SCOPE_MISSING, issue_id
from .quota import QuotaSpentError
from .quota_policy import CallKind

if TYPE_CHECKING:
    from homeassistant.components.repairs import RepairsFlowResult

    from .runtime import CarDataConfigEntry


class _EntryFixFlow(RepairsFlow):
    """A confirm step, then the fix for one entry."""

    def __init__(self, entry_id: str, kind: str) -> None:
        self._entry_id = entry_id
        self._kind = kind

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
            return self.async_show_form(step_id="confirm")
        if (entry := self._entry()) is None:
            return self.async_abort(reason="not_loaded")
        return await self._fix(entry)

    async def _fix(self, entry: CarDataConfigEntry) -> RepairsFlowResult:
        runtime = entry.runtime_data
        if self._kind == EVICTED:
            runtime.stream.async_request_reconnect()
        elif self._kind == SCOPE_MISSING:
            entry.async_start_reauth(self.hass)
        else:
            return await self._fix_container(entry)
        ir.async_delete_issue(self.hass, DOMAIN, issue_id(self._kind, entry.entry_id))
        return self.async_create_entry(data={})

    async def _fix_container(self, entry: CarDataConfigEntry) -> RepairsFlowResult:
        try:
            container_id = await async_ensure_container(self.hass, entry, CallKind.USER)
        except QuotaSpentError as err:
            until = err.until.isoformat(timespec="minutes") if err.until else "-"
            return self.async_abort(
                reason="quota_spent", description_placeholders={"until": until}
            )
        except (ApiError, CarDataConnectionError) as err:
            return self.async_abort(
                reason="api_error", description_placeholders={"error": _error(err)}
            )
        if container_id is None:
            return self.async_abort(reason="still_full")
        return self.async_create_entry(data={})


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
    return _EntryFixFlow(str(data.get("entry_id", "")), str(data.get("kind", "")))
