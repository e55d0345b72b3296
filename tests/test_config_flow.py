"""Config flow: device-code login against the simulator, every failure, reauth,
reconfigure, the development login and the Configure menu."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata import config_flow
from custom_components.cardata.api import Endpoints, TokenSet
from custom_components.cardata.const import (
    CONF_CLIENT_ID,
    CONF_CONTAINER_ID,
    CONF_GCID,
    CONF_STREAM_TLS,
    CONF_TOKENS,
    DOMAIN,
)
from custom_components.cardata.flows.development import development_login
from tests.development import cardata_dev
from tests.flow_helpers import (
    finish,
    init_flow,
    login_at,
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


@pytest.mark.parametrize("client_id", ["not-a-client-id", "x", ""])
async def test_input_errors(
    hass: HomeAssistant, sim: Simulator, client_id: str
) -> None:
    """A wrong client id is pointed out on the field, before BMW is asked."""
    calls = sim.oauth.token_calls
    login_at(hass, sim.endpoints)
    result = await init_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_form(client_id)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_CLIENT_ID: "invalid_client_id"}
    assert not sim.oauth.codes
    assert sim.oauth.token_calls == calls


async def test_owner_form_asks_only_for_the_client_id(hass: HomeAssistant) -> None:
    """An owner is never shown BMW's addresses: a wrong one would receive the
    refresh token. (The fast tier's login answers at BMW's own addresses.)"""
    result = await init_flow(hass)
    assert list(result["data_schema"].schema) == [CONF_CLIENT_ID]
    assert _defaults(result) == {CONF_CLIENT_ID: ""}


def _defaults(result: dict[str, Any]) -> dict[str, Any]:
    """Default value of every field of a form."""
    out: dict[str, Any] = {}
    for marker in result["data_schema"].schema:
        out[str(marker)] = marker.default() if callable(marker.default) else None
    return out


async def test_development_companion_points_the_login_at_the_simulator(
    hass: HomeAssistant, sim: Simulator, tmp_path: Path
) -> None:
    """scripts/develop's companion reads the simulator's file; the form then
    offers the simulator's client id and logs in there."""
    hass.config.config_dir = str(tmp_path)
    (tmp_path / "sim.json").write_text(
        json.dumps({**sim.endpoints, CONF_CLIENT_ID: CLIENT_A}), encoding="utf-8"
    )
    assert await cardata_dev.async_setup(
        hass, {cardata_dev.DOMAIN: {cardata_dev.CONF_ENDPOINTS_FILE: "sim.json"}}
    )
    result = await init_flow(hass)
    assert _defaults(result) == {CONF_CLIENT_ID: CLIENT_A}
    sim.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_form(CLIENT_A)
    )
    result = await finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert Endpoints.from_dict(result["data"]) == Endpoints.from_dict(sim.endpoints)
    assert result["data"][CONF_STREAM_TLS] == "custom_ca"


@pytest.mark.parametrize("content", ["[1, 2]", "{not json", None])
async def test_development_companion_with_a_bad_file(
    hass: HomeAssistant,
    tmp_path: Path,
    content: str | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A missing or unreadable file fails the companion, loudly; logins stay
    at BMW."""
    hass.config.config_dir = str(tmp_path)
    if content is not None:
        (tmp_path / "sim.json").write_text(content, encoding="utf-8")
    assert not await cardata_dev.async_setup(
        hass, {cardata_dev.DOMAIN: {cardata_dev.CONF_ENDPOINTS_FILE: "sim.json"}}
    )
    assert "Cannot read the simulator's endpoints" in caplog.text
    assert development_login(hass) is None


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
        result["flow_id"], user_form(other_client)
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
        result["flow_id"], user_form("bad")
    )
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {CONF_CLIENT_ID: "invalid_client_id"}

    sim.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_form(CLIENT_B)
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
    errors = {key for _, key in config_flow._LOGIN_ERRORS} | {"invalid_client_id"}
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
