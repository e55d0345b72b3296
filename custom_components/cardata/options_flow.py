"""The Configure menu of a BMW CarData entry.

Minimal version from the core work: one item, "log in again now". The REST
side extends this menu with its settings.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlowResult, OptionsFlowWithReload


class CarDataOptionsFlow(OptionsFlowWithReload):
    """Menu of actions and settings for one account."""

    async def async_step_init(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Show the menu."""
        return self.async_show_menu(step_id="init", menu_options=["reauth"])

    async def async_step_reauth(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Start a new device login for this entry."""
        self.config_entry.async_start_reauth(self.hass)
        return self.async_abort(reason="reauth_started")
