"""Config flow: device-code login against the simulator, every failure, reauth,
reconfigure, development defaults and the Configure menu."""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER
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
from tests.simulator import (
    CLIENT_A,
    CLIENT_B,
    CLIENT_NO_STREAM,
    GCID_A,
    GCID_B,
    Simulator,
)

UNKNOWN_CLIENT = "0f0e0d0c-0b0a-4909-8807-060504030201"


@pytest.fixture
def sim(simulator: Simulator) -> Simulator:
    """The simulator, polled without waiting between device-code polls."""
    simulator.oauth.interval = 0
    return simulator


@pytest.fixture(autouse=True)
def no_entry_setup() -> Iterator[AsyncMock]:
    """The flow is under test here, not the set-up of the entry it makes."""
    with (
        patch("custom_components.cardata.async_setup_entry", return_value=True) as m,
        patch("custom_components.cardata.async_unload_entry", return_value=True),
    ):
        yield m


async def _init(hass: HomeAssistant) -> dict[str, Any]:
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )


def _form(client_id: str, endpoints: dict[str, Any], **extra: Any) -> dict[str, Any]:
    fields = {k: v for k, v in {**endpoints, **extra}.items() if v is not None}
    return {CONF_CLIENT_ID: client_id, "endpoints": fields}


async def _submit(
    hass: HomeAssistant, sim: Simulator, client_id: str = CLIENT_A, **extra: Any
) -> dict[str, Any]:
    result = await _init(hass)
    assert result["type"] is FlowResultType.FORM
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(client_id, sim.endpoints, **extra)
    )


async def _finish(hass: HomeAssistant, flow_id: str) -> dict[str, Any]:
    """Wait for the login task and take the step after the progress step."""
    await hass.async_block_till_done()
    return await hass.config_entries.flow.async_configure(flow_id)


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
    result = await _submit(hass, sim, f"  {CLIENT_A.upper()} ")
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "login"
    assert result["progress_action"] == "wait_for_approval"
    placeholders = result["description_placeholders"]
    code = placeholders["code"]
    assert code in sim.oauth.pending_user_codes()
    assert placeholders["url"].startswith(sim.endpoints["auth_url"] + "/verify")
    assert placeholders["expires"]

    sim.oauth.approve(code)
    result = await _finish(hass, result["flow_id"])
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
    result = await _submit(hass, sim)
    assert (await _finish(hass, result["flow_id"]))[
        "type"
    ] is FlowResultType.CREATE_ENTRY

    result = await _submit(hass, sim)
    result = await _finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await _submit(hass, sim, CLIENT_B)
    result = await _finish(hass, result["flow_id"])
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
    result = await _init(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _form(extra.pop(CONF_CLIENT_ID, CLIENT_A), sim.endpoints, **extra),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: error}
    assert not sim.oauth.codes
    assert sim.oauth.token_calls == calls


async def test_device_code_errors(hass: HomeAssistant, sim: Simulator) -> None:
    """Refusals of the device-code request come back on the form."""
    result = await _submit(hass, sim, CLIENT_NO_STREAM)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "scope_not_granted"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(UNKNOWN_CLIENT, sim.endpoints)
    )
    assert result["errors"] == {"base": "unknown_client"}

    closed = {**sim.endpoints, "auth_url": "http://127.0.0.1:9"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(CLIENT_A, closed)
    )
    assert result["errors"] == {"base": "cannot_connect"}

    # Fixing the input and submitting again starts the login.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(CLIENT_A, sim.endpoints)
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS


async def _login_error(hass: HomeAssistant, sim: Simulator, act: Any) -> dict[str, Any]:
    result = await _submit(hass, sim)
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    act(result["description_placeholders"]["code"])
    return await _finish(hass, result["flow_id"])


def _revoke_stream_scope(sim: Simulator) -> None:
    sim.accounts[GCID_A].clients[CLIENT_A] = frozenset({"cardata:api:read"})


@pytest.mark.parametrize(
    ("act", "error"),
    [
        (lambda sim, code: sim.oauth.deny(code), "access_denied"),
        (lambda sim, _code: sim.advance(3600), "code_expired"),
        (lambda sim, _code: setattr(sim.faults, "token_errors", 10), "cannot_connect"),
        (
            lambda sim, _code: sim.accounts[GCID_A].clients.pop(CLIENT_A),
            "unknown_client",
        ),
        (
            lambda sim, code: (sim.oauth.approve(code), _revoke_stream_scope(sim)),
            "scope_not_granted",
        ),
    ],
    ids=["denied", "expired", "unreachable", "unknown_client", "scope"],
)
async def test_login_errors(
    hass: HomeAssistant, sim: Simulator, act: Any, error: str
) -> None:
    """Each failure while waiting ends on the form with a message; retry works."""
    result = await _login_error(hass, sim, lambda code: act(sim, code))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": error}

    # The user fixes things and submits the same form again.
    sim.faults.used_device_code = False
    sim.faults.token_errors = 0
    sim.add_account(GCID_A, CLIENT_A)
    sim.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(CLIENT_A, sim.endpoints)
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    result = await _finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_login_times_out(hass: HomeAssistant, sim: Simulator) -> None:
    """A code nobody confirms ends as expired even if BMW keeps saying pending."""
    with patch.object(config_flow, "LOGIN_GRACE", -1000.0):
        result = await _submit(hass, sim)
        result = await _finish(hass, result["flow_id"])
    assert result["errors"] == {"base": "code_expired"}


async def test_closing_the_dialog_stops_polling(
    hass: HomeAssistant, sim: Simulator
) -> None:
    result = await _submit(hass, sim)
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    flow = hass.config_entries.flow._progress[result["flow_id"]]
    task = flow._login_task
    assert task is not None
    hass.config_entries.flow.async_abort(result["flow_id"])
    await hass.async_block_till_done()
    assert task.cancelled()
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_endpoints_folded_away_with_bmw_defaults(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Normally the endpoints sit collapsed, set to BMW's production values."""
    monkeypatch.delenv(SIMULATOR_ENV, raising=False)
    result = await _init(hass)
    assert _collapsed(result)
    defaults = _defaults(result)
    assert defaults[CONF_CLIENT_ID] == ""
    assert Endpoints.from_dict(defaults) == Endpoints()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form("nope", Endpoints().to_dict())
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
    result = await _init(hass)
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
    result = await _init(hass)
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
    result = await _init(hass)
    assert _collapsed(result)


async def test_reauth_same_account(hass: HomeAssistant, sim: Simulator) -> None:
    entry = _entry(sim, GCID_A, CLIENT_A, **{CONF_CONTAINER_ID: "container-1"})
    entry.add_to_hass(hass)
    old = TokenSet.from_dict(entry.data[CONF_TOKENS])
    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"

    sim.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    result = await _finish(hass, result["flow_id"])
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
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await _finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.data[CONF_TOKENS] == before[CONF_TOKENS]


async def test_reauth_error_back_on_confirm(
    hass: HomeAssistant, sim: Simulator
) -> None:
    entry = _entry(sim, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    sim.oauth.deny(result["description_placeholders"]["code"])
    result = await _finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": "access_denied"}
    assert result["description_placeholders"]["title"] == "BMW CarData"


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
        result["flow_id"], _form(other_client, sim.endpoints)
    )
    result = await _finish(hass, result["flow_id"])
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
        result["flow_id"], _form("bad", sim.endpoints)
    )
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {CONF_CLIENT_ID: "invalid_client_id"}

    sim.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(CLIENT_B, sim.endpoints)
    )
    result = await _finish(hass, result["flow_id"])
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
    # The owner confirms first (see test_options_flow.test_log_in_again).
    assert result["type"] is FlowResultType.FORM
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_started"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == [SOURCE_REAUTH]


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
    assert {"auth_failed", "cannot_connect"} <= set(strings["exceptions"])


def _error_text(key: str, language: str = "en") -> str:
    path = Path(config_flow.__file__).parent / "translations" / f"{language}.json"
    return str(json.loads(path.read_text("utf-8"))["config"]["error"][key])


async def test_gateway_fault_while_polling_is_survived(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """BMW's gateway 500 between "pending" answers: polling goes on and the
    approval still logs in (it used to end as "code used up")."""
    sim.faults.token_gateway_faults = 3
    result = await _submit(hass, sim)
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    sim.oauth.approve(result["description_placeholders"]["code"])
    result = await _finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert sim.faults.token_gateway_faults == 0
    assert result["result"].unique_id == GCID_A


async def test_gateway_fault_until_the_code_expires(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """The fault lasts until the code expires: the owner is told that BMW's
    login service kept failing and to recreate the client in BMW's portal."""
    sim.oauth.code_lifetime = 1
    sim.faults.token_gateway_faults = 100_000
    result = await _login_error(hass, sim, lambda _code: None)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "login_service_failing"}
    assert "portal" in _error_text("login_service_failing")
    assert "Portal" in _error_text("login_service_failing", "de")


async def test_access_denied_after_approval(
    hass: HomeAssistant, sim: Simulator
) -> None:
    """BMW answers access_denied although the owner approved: the message says
    BMW refused the code (not that the owner declined); a new try works."""
    sim.faults.access_denied_flakes = 1
    result = await _login_error(hass, sim, sim.oauth.approve)
    assert result["errors"] == {"base": "access_denied"}
    assert "BMW refused this code" in _error_text("access_denied")
    assert "declined" not in _error_text("access_denied")
    sim.oauth.auto_approve = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(CLIENT_A, sim.endpoints)
    )
    result = await _finish(hass, result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
