"""Config flow: device-code login against the simulator, every failure, reauth,
reconfigure, development defaults and the Configure menu."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata import config_flow
from custom_components.cardata.api import Endpoints, TokenSet
from custom_components.cardata.const import (
    CONF_CLIENT_ID,
    CONF_CONTAINER_ID,
    CONF_GCID,
    CONF_STREAM_CA_FILE,
    CONF_STREAM_TLS,
    CONF_TOKENS,
    DOMAIN,
    SIMULATOR_ENV,
)
from tests.flow_helpers import (
    finish,
    init_flow,
    no_entry_setup,
    sim,
    submit,
    user_form,
)
from tests.simulator import (
    CLIENT_A,
    CLIENT_B,
    GCID_A,
    GCID_B,
    Simulator,
)

pytestmark = pytest.mark.usefixtures("no_entry_setup")
__all__ = ["no_entry_setup", "sim"]  # fixtures, found by pytest by name
# The "Log in again" dialog's one button.
LOG_IN = {"next_step_id": "log_in"}


def _entry(sim: Simulator, gcid: str, client_id: str, **data: Any) -> MockConfigEntry:
    tokens = TokenSet.from_response(sim.oauth.issue_tokens(gcid, client_id))
    return MockConfigEntry(
        domain=DOMAIN,
        version=2,
        unique_id=gcid,
        title="BMW CarData",
        data={
            CONF_CLIENT_ID: client_id,
            CONF_GCID: gcid,
            CONF_TOKENS: tokens.to_dict(),
            **sim.endpoints,
            **data,
        },
    )


async def test_full_login(hass: HomeAssistant, sim: Simulator) -> None:
    """Messy client id in, progress with link and code, entry out."""
    result = await submit(hass, sim, f"  {CLIENT_A.upper()} ")
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "login"
    assert result["progress_action"] == "wait_for_approval"
    placeholders = result["description_placeholders"]
    code = placeholders["code"]
    assert code in sim.oauth.pending_user_codes()
    assert placeholders["url"].startswith(sim.endpoints["auth_url"] + "/verify")
    assert placeholders["expires"]

    sim.oauth.approve(code)
    result = await finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "BMW CarData"
    assert result["result"].unique_id == GCID_A
    data = result["data"]
    assert data[CONF_CLIENT_ID] == CLIENT_A
    assert data[CONF_GCID] == GCID_A
    assert Endpoints.from_dict(data) == Endpoints.from_dict(sim.endpoints)
    tokens = TokenSet.from_dict(data[CONF_TOKENS])
    assert sim.oauth.refresh_token_valid(tokens.refresh_token)
    assert CLIENT_A not in result["title"]


async def test_same_account_twice_and_second_account(
    hass: HomeAssistant, sim: Simulator
) -> None:
    sim.oauth.auto_approve = True
    result = await submit(hass, sim)
    assert (await finish(hass, result["flow_id"]))[
        "type"
    ] is FlowResultType.CREATE_ENTRY

    result = await submit(hass, sim)
    result = await finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await submit(hass, sim, CLIENT_B)
    result = await finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == GCID_B
    assert result["title"] == "BMW CarData 2"


@pytest.mark.parametrize(
    ("extra", "field", "error"),
    [
        ({CONF_CLIENT_ID: "not-a-client-id"}, CONF_CLIENT_ID, "invalid_client_id"),
        (
            {CONF_CLIENT_ID: "x", CONF_STREAM_TLS: "verify", CONF_STREAM_CA_FILE: None},
            CONF_CLIENT_ID,
            "invalid_client_id",
        ),
        ({"auth_url": "customer.example"}, "auth_url", "invalid_url"),
        ({"api_url": "ftp://example.com"}, "api_url", "invalid_url"),
        ({"stream_host": "  "}, "stream_host", "invalid_host"),
        ({CONF_STREAM_CA_FILE: ""}, CONF_STREAM_CA_FILE, "ca_file_required"),
        (
            {CONF_STREAM_CA_FILE: "/nonexistent/ca.pem"},
            CONF_STREAM_CA_FILE,
            "ca_file_not_found",
        ),
    ],
)
async def test_input_errors(
    hass: HomeAssistant, sim: Simulator, extra: dict[str, str], field: str, error: str
) -> None:
    """Wrong input is pointed out on the field, before BMW is asked."""
    calls = sim.oauth.token_calls
    extra = dict(extra)
    result = await init_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_form(extra.pop(CONF_CLIENT_ID, CLIENT_A), sim.endpoints, **extra),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert not sim.oauth.codes
    assert sim.oauth.token_calls == calls


async def test_endpoints_folded_away_with_bmw_defaults(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Normally the endpoints sit collapsed, set to BMW's production values."""
    monkeypatch.delenv(SIMULATOR_ENV, raising=False)
    result = await init_flow(hass)
    assert _collapsed(result)
    defaults = _defaults(result)
    assert defaults[CONF_CLIENT_ID] == ""
    assert Endpoints.from_dict(defaults) == Endpoints()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_form("nope", Endpoints().to_dict())
    )
    assert result["errors"] == {CONF_CLIENT_ID: "invalid_client_id"}


def _defaults(result: dict[str, Any]) -> dict[str, Any]:
    """Default (or suggested) value of every field, sections flattened."""
    out: dict[str, Any] = {}

    def walk(schema: dict[Any, Any]) -> None:
        for marker, value in schema.items():
            if isinstance(value, section):
                walk(value.schema.schema)
                continue
            default = marker.default() if callable(marker.default) else None
            if default is None and marker.description:
                default = marker.description.get("suggested_value")
            out[str(marker)] = default

    walk(result["data_schema"].schema)
    return out


def _collapsed(result: dict[str, Any]) -> bool:
    return result["data_schema"].schema["endpoints"].options["collapsed"]


async def test_simulator_file_prefills(
    hass: HomeAssistant, sim: Simulator, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scripts/develop's simulator file makes the form point at the simulator."""
    monkeypatch.delenv(SIMULATOR_ENV, raising=False)
    hass.config.config_dir = str(tmp_path)
    (tmp_path / ".cardata-simulator.json").write_text(
        json.dumps({"endpoints": sim.endpoints, CONF_CLIENT_ID: CLIENT_A})
    )
    result = await init_flow(hass)
    assert not _collapsed(result)
    defaults = _defaults(result)
    assert defaults[CONF_CLIENT_ID] == CLIENT_A
    assert defaults["auth_url"] == sim.endpoints["auth_url"]
    assert defaults[CONF_STREAM_TLS] == "custom_ca"
    assert defaults[CONF_STREAM_CA_FILE] == sim.ca_file


@pytest.mark.parametrize("as_path", [True, False])
async def test_simulator_env_prefills(
    hass: HomeAssistant,
    sim: Simulator,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    as_path: bool,
) -> None:
    text = json.dumps(sim.endpoints)
    if as_path:
        path = tmp_path / "sim.json"
        path.write_text(text)
        text = str(path)
    monkeypatch.setenv(SIMULATOR_ENV, text)
    result = await init_flow(hass)
    assert _defaults(result)["api_url"] == sim.endpoints["api_url"]


@pytest.mark.parametrize("content", ["[1, 2]", "{not json", None])
async def test_bad_simulator_settings_ignored(
    hass: HomeAssistant,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    content: str | None,
) -> None:
    hass.config.config_dir = str(tmp_path)
    if content is None:
        monkeypatch.setenv(SIMULATOR_ENV, str(tmp_path / "missing.json"))
    else:
        monkeypatch.delenv(SIMULATOR_ENV, raising=False)
        (tmp_path / ".cardata-simulator.json").write_text(content)
    result = await init_flow(hass)
    assert _collapsed(result)


async def test_reauth_same_account(hass: HomeAssistant, sim: Simulator) -> None:
    entry = _entry(sim, GCID_A, CLIENT_A, **{CONF_CONTAINER_ID: "container-1"})
    entry.add_to_hass(hass)
    old = TokenSet.from_dict(entry.data[CONF_TOKENS])
    result = await entry.start_reauth_flow(hass)
    # One dialog: why (BMW refused the saved login), and one button.
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "reauth_confirm"
    assert result["menu_options"] == ["log_in"]
    assert result["description_placeholders"] == {"title": entry.title}

    sim.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(result["flow_id"], LOG_IN)
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    result = await finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    new = TokenSet.from_dict(entry.data[CONF_TOKENS])
    assert new.refresh_token != old.refresh_token
    assert entry.data[CONF_CONTAINER_ID] == "container-1"
    assert entry.unique_id == GCID_A


async def test_reauth_other_account_refused(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """Logging in as someone else must not take over this entry."""
    entry = _entry(sim, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    before = dict(entry.data)
    # The stored client id now belongs to account B (the login goes there).
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_CLIENT_ID: CLIENT_B}
    )
    result = await entry.start_reauth_flow(hass)
    sim.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(result["flow_id"], LOG_IN)
    result = await finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data[CONF_TOKENS] == before[CONF_TOKENS]


async def test_reauth_error_back_on_confirm(
    hass: HomeAssistant, sim: Simulator
) -> None:
    entry = _entry(sim, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], LOG_IN)
    sim.oauth.deny(result["description_placeholders"]["code"])
    result = await finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_retry"
    assert result["errors"] == {"base": "access_denied"}
    assert result["description_placeholders"]["title"] == "BMW CarData"
    # Submitting the retry form starts a new login.
    sim.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"


async def test_reconfigure(hass: HomeAssistant, sim: Simulator) -> None:
    """Another client id of the same account: new login, same entry."""
    entry = _entry(sim, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    other_client = "4e5f6071-8293-4dae-8f10-3b4c5d6e7f80"
    sim.add_account(GCID_A, other_client)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert _defaults(result)[CONF_CLIENT_ID] == CLIENT_A

    sim.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_form(other_client, sim.endpoints)
    )
    result = await finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_CLIENT_ID] == other_client
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_reconfigure_other_account_and_error(
    hass: HomeAssistant, sim: Simulator
) -> None:
    entry = _entry(sim, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_form("bad", sim.endpoints)
    )
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {CONF_CLIENT_ID: "invalid_client_id"}

    sim.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_form(CLIENT_B, sim.endpoints)
    )
    result = await finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data[CONF_CLIENT_ID] == CLIENT_A


async def test_options_menu_starts_reauth(hass: HomeAssistant, sim: Simulator) -> None:
    entry = _entry(sim, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert "reauth" in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "reauth"}
    )
    # The one "Log in again" dialog opens; nothing happens until its button.
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_started"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]
    assert [f["step_id"] for f in flows] == ["reauth_asked"]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_every_message_translated(lang: str) -> None:
    """Each error and abort the flow can show has a text in both languages."""
    path = Path(config_flow.__file__).parent / "translations" / f"{lang}.json"
    strings = json.loads(path.read_text("utf-8"))
    config = strings["config"]
    errors = {key for _, key in config_flow._LOGIN_ERRORS} | {
        "invalid_client_id",
        "invalid_url",
        "invalid_host",
        "ca_file_required",
        "ca_file_not_found",
    }
    assert errors <= set(config["error"])
    assert {
        "already_configured",
        "reauth_successful",
        "reconfigure_successful",
        "wrong_account",
    } <= set(config["abort"])
    progress = config["progress"]["wait_for_approval"]
    assert all(f"{{{name}}}" in progress for name in ("url", "code", "expires"))
    assert "auth_failed" in strings["exceptions"]
