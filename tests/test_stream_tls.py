"""The stream's TLS settings: the Configure menu's Stream security action."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata.api import StreamState
from custom_components.cardata.const import CONF_STREAM_CA_FILE, CONF_STREAM_TLS
from tests.rest_helpers import make_entry, setup_rest, wait_for
from tests.simulator import Simulator


async def _open_security(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert "stream_security" in result["menu_options"]
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "stream_security"}
    )


async def test_stream_security_form_checks_and_keeps_one_place(
    hass: HomeAssistant, simulator: Simulator, tmp_path: Path
) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    result = await _open_security(hass, entry)
    schema = result["data_schema"]({})
    assert schema[CONF_STREAM_TLS] == "custom_ca"  # from the entry's data
    for path, error in (
        ("  ", "ca_file_required"),
        (str(tmp_path / "nowhere.pem"), "ca_file_missing"),
        (str(tmp_path), "ca_file_missing"),
    ):
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_STREAM_TLS: "custom_ca", CONF_STREAM_CA_FILE: path}
        )
        assert result["errors"] == {CONF_STREAM_CA_FILE: error}
    # System CAs: the CA file is not kept; the simulator's CA is not trusted then.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_STREAM_TLS: "verify", CONF_STREAM_CA_FILE: simulator.ca_file},
    )
    assert result["reason"] == "stream_security_saved"
    await wait_for(
        hass,
        lambda: (
            entry.state is ConfigEntryState.LOADED
            and entry.runtime_data.stream.state is StreamState.TLS_FAILED
        ),
    )
    assert entry.data[CONF_STREAM_TLS] == "verify"
    assert entry.data[CONF_STREAM_CA_FILE] is None
    assert entry.options == {}
