"""Stream security: how the connection to BMW's stream is secured.

The TLS mode and the CA file stay where the set-up put them, in the entry's
data (with the other endpoints), so the stream reads them from one place.
Changing them here needs no new login: the entry is saved and reloaded, and
the stream connects with the new settings. Used by the Configure menu and by
the fix flow of the ``stream_tls_failed`` repair issue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from ..api import Endpoints, StreamTls, check_ca_file
from ..common.schema import vol
from ..const import CONF_STREAM_CA_FILE, CONF_STREAM_TLS

STEP = "stream_security"
_CA_ERRORS = {"missing": "ca_file_missing", "invalid": "ca_file_invalid"}


def security_schema(values: Mapping[str, Any]) -> vol.Schema:
    """The TLS mode and the CA file, filled with ``values`` (entry data or input)."""
    endpoints = Endpoints.from_dict(values)
    return vol.Schema(
        {
            vol.Required(
                CONF_STREAM_TLS, default=str(endpoints.stream_tls)
            ): SelectSelector(
                SelectSelectorConfig(
                    options=[str(mode) for mode in StreamTls],
                    translation_key="stream_tls",
                    mode=SelectSelectorMode.LIST,
                )
            ),
            vol.Optional(
                CONF_STREAM_CA_FILE,
                description={"suggested_value": endpoints.stream_ca_file},
            ): TextSelector(),
        }
    )


def placeholders(entry: ConfigEntry) -> dict[str, str]:
    """Where the stream connects to (shown on the form)."""
    endpoints = Endpoints.from_dict(entry.data)
    return {"host": f"{endpoints.stream_host}:{endpoints.stream_port}"}


async def async_check(
    hass: HomeAssistant, user_input: Mapping[str, Any]
) -> dict[str, str]:
    """Errors of a submitted form: a custom CA needs a PEM certificate file."""
    if user_input.get(CONF_STREAM_TLS) != StreamTls.CUSTOM_CA:
        return {}
    path = str(user_input.get(CONF_STREAM_CA_FILE) or "").strip()
    if not path:
        return {CONF_STREAM_CA_FILE: "ca_file_required"}
    problem = await hass.async_add_executor_job(check_ca_file, path)
    return {CONF_STREAM_CA_FILE: _CA_ERRORS[problem]} if problem else {}


def async_save(
    hass: HomeAssistant, entry: ConfigEntry, user_input: Mapping[str, Any]
) -> None:
    """Store the settings in the entry's data and reconnect (reload, no login).

    The CA file is kept only with a custom CA, so nothing out of force is
    stored. A reload also when nothing changed: it retries at once.
    """
    tls = StreamTls(user_input[CONF_STREAM_TLS])
    path = str(user_input.get(CONF_STREAM_CA_FILE) or "").strip()
    hass.config_entries.async_update_entry(
        entry,
        data={
            **entry.data,
            CONF_STREAM_TLS: str(tls),
            CONF_STREAM_CA_FILE: path if tls is StreamTls.CUSTOM_CA else None,
        },
    )
    hass.config_entries.async_schedule_reload(entry.entry_id)
