"""The stream's TLS: a failure explained and repaired, a CA file replaced in place.

Against the simulator's broker presenting certificates the entry's CA does
not trust (its switchboard's ``present_certificate``) and replacing its CA
file in place (``rotate_ca``).
"""

from __future__ import annotations

from collections.abc import Callable
import logging
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata.api import StreamState
from custom_components.cardata.common.settings import (
    OPT_BROKER_CA_FILE,
    OPT_BROKER_ENABLED,
    OPT_BROKER_HOST,
    OPT_BROKER_PORT,
    OPT_BROKER_TLS,
)
from custom_components.cardata.const import (
    CONF_STREAM_CA_FILE,
    CONF_STREAM_TLS,
    CONF_TOKENS,
    DOMAIN,
)
from tests.rest_helpers import make_entry, setup_rest, start_fix_flow
from tests.simulator import GCID_A, Simulator
from tests.waiting import wait_for

UNTRUSTED = "unable to get local issuer certificate"
EXPIRED = "certificate has expired"


def _issue(hass: HomeAssistant, kind: str, entry: MockConfigEntry) -> Any:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{entry.entry_id}")


def _tls_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
        and r.name.startswith("custom_components.cardata")
        and "TLS with" in r.getMessage()
    ]


def _failed_attempts(entry: MockConfigEntry) -> int:
    return sum(
        "not trusted" in reason or "TLS settings" in reason
        for _, reason in entry.runtime_data.stream.history
    )


def _reauth_flows(hass: HomeAssistant) -> int:
    return sum(
        f["context"]["source"] == "reauth"
        for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    )


async def _fail_tls(hass: HomeAssistant, sim: Simulator, entry: Any, kind: str) -> None:
    """The broker presents an untrusted certificate; the stream tries it 3 times."""
    owner = entry.runtime_data.stream
    before = _failed_attempts(entry)
    sim.present_certificate(kind)
    await sim.broker.drop(GCID_A)
    for attempt in range(1, 4):
        await wait_for(
            lambda n=attempt: (
                _failed_attempts(entry) >= before + n
                and owner.state is StreamState.TLS_FAILED
                and owner.next_attempt is not None
            ),
        )
        owner.async_request_reconnect()  # the next attempt now, not after the backoff


async def _connected_again(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """The entry reloaded (no new login) and its stream connected."""
    await wait_for(
        lambda: (
            entry.state is ConfigEntryState.LOADED
            and entry.runtime_data.stream.state is StreamState.CONNECTED
        ),
    )


async def _open_security(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert "stream_security" in result["menu_options"]
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "stream_security"}
    )


async def test_untrusted_certificate_explained_then_fixed_in_stream_security(
    hass: HomeAssistant, simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    owner = entry.runtime_data.stream
    tokens = entry.data[CONF_TOKENS]
    codes = len(simulator.oauth.codes)

    await _fail_tls(hass, simulator, entry, "untrusted")
    assert owner.state is StreamState.TLS_FAILED  # not "refused"
    state = hass.states.get("sensor.bmw_cardata_stream_state")
    assert state is not None
    assert state.state == "tls_failed"
    warnings = _tls_warnings(caplog)
    assert len(warnings) == 1, warnings  # three attempts, one reason: one warning
    assert UNTRUSTED in warnings[0]
    assert "Stream security" in warnings[0]
    issue = _issue(hass, "stream_tls_failed", entry)
    assert issue is not None
    assert issue.is_fixable
    assert issue.severity is ir.IssueSeverity.ERROR
    assert issue.translation_placeholders == {
        "host": f"127.0.0.1:{simulator.broker.port}",
        "reason": UNTRUSTED,
    }

    # Another reason is worth another warning, once.
    await _fail_tls(hass, simulator, entry, "expired")
    warnings = _tls_warnings(caplog)
    assert len(warnings) == 2, warnings
    assert EXPIRED in warnings[1]
    issue = _issue(hass, "stream_tls_failed", entry)
    assert issue.translation_placeholders["reason"] == EXPIRED

    # The broker now has a certificate of another CA; the owner trusts that CA.
    other_ca = simulator.present_certificate("untrusted")
    result = await _open_security(hass, entry)
    assert result["type"] is FlowResultType.FORM
    assert result["description_placeholders"] == {
        "host": f"127.0.0.1:{simulator.broker.port}"
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_STREAM_TLS: "custom_ca", CONF_STREAM_CA_FILE: other_ca}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "stream_security_saved"
    await _connected_again(hass, entry)

    assert entry.data[CONF_STREAM_TLS] == "custom_ca"
    assert entry.data[CONF_STREAM_CA_FILE] == other_ca
    # The same login: the tokens were refreshed for the reconnect (BMW refuses
    # the id token of a session that ended), never a new device login.
    assert entry.data[CONF_TOKENS]["gcid"] == tokens["gcid"]
    assert len(simulator.oauth.codes) == codes  # no device login started
    assert _reauth_flows(hass) == 0
    assert _issue(hass, "stream_tls_failed", entry) is None
    assert len(_tls_warnings(caplog)) == 2


async def test_fix_flow_checks_the_ca_file_and_reconnects(
    hass: HomeAssistant, simulator: Simulator, tmp_path: Path
) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    await _fail_tls(hass, simulator, entry, "untrusted")
    issue = _issue(hass, "stream_tls_failed", entry)
    assert issue is not None

    result = await start_fix_flow(hass, issue.issue_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "stream_security"
    assert result["description_placeholders"]["reason"] == UNTRUSTED
    manager = hass.data["repairs"]["flow_manager"]
    text = tmp_path / "notes.pem"
    text.write_text("not a certificate\n", encoding="utf-8")
    for path, error in (
        ("", "ca_file_required"),
        (str(tmp_path / "nowhere.pem"), "ca_file_missing"),
        (str(text), "ca_file_invalid"),
    ):
        result = await manager.async_configure(
            result["flow_id"], {CONF_STREAM_TLS: "custom_ca", CONF_STREAM_CA_FILE: path}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_STREAM_CA_FILE: error}

    other_ca = simulator.present_certificate("untrusted")
    result = await manager.async_configure(
        result["flow_id"], {CONF_STREAM_TLS: "custom_ca", CONF_STREAM_CA_FILE: other_ca}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await _connected_again(hass, entry)
    assert entry.data[CONF_STREAM_CA_FILE] == other_ca
    assert _reauth_flows(hass) == 0
    assert _issue(hass, "stream_tls_failed", entry) is None


async def test_ca_file_replaced_in_place_is_used_without_a_reload(
    hass: HomeAssistant, make_simulator: Callable[..., Any], tmp_path: Path
) -> None:
    sim: Simulator = await make_simulator(cert_dir=str(tmp_path / "ca"))
    entry = await setup_rest(hass, make_entry(sim))
    owner = entry.runtime_data.stream
    seen: list[StreamState] = []
    entry.async_on_unload(owner.async_add_listener(lambda: seen.append(owner.state)))
    connects = sim.broker.connect_count(GCID_A)

    assert sim.rotate_ca() == entry.data[CONF_STREAM_CA_FILE]  # same path, new CA
    await sim.broker.drop(GCID_A)
    await wait_for(
        lambda: (
            sim.broker.connect_count(GCID_A) > connects
            and owner.state is StreamState.CONNECTED
        ),
    )
    assert entry.runtime_data.stream is owner  # no reload
    assert StreamState.TLS_FAILED not in seen
    assert _issue(hass, "stream_tls_failed", entry) is None


async def test_unusable_ca_file_is_a_tls_problem(
    hass: HomeAssistant, simulator: Simulator, tmp_path: Path
) -> None:
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_STREAM_CA_FILE: str(tmp_path / "gone.pem")}
    )
    await setup_rest(hass, entry, connected=False)
    owner = entry.runtime_data.stream
    await wait_for(lambda: owner.state is StreamState.TLS_FAILED)
    issue = _issue(hass, "stream_tls_failed", entry)
    assert issue is not None
    assert issue.translation_placeholders["reason"] == (
        "CA file not usable (No such file or directory)"
    )


async def test_custom_broker_tls_failure_points_to_the_settings(
    hass: HomeAssistant, simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    simulator.present_certificate("expired")
    entry = make_entry(
        simulator,
        options={
            OPT_BROKER_ENABLED: True,
            OPT_BROKER_HOST: "127.0.0.1",
            OPT_BROKER_PORT: simulator.broker.port,
            OPT_BROKER_TLS: "custom_ca",
            OPT_BROKER_CA_FILE: simulator.ca_file,
        },
    )
    await setup_rest(hass, entry, connected=False)
    owner = entry.runtime_data.stream
    await wait_for(lambda: owner.state is StreamState.TLS_FAILED)
    issue = _issue(hass, "broker_tls_failed", entry)
    assert issue is not None
    assert not issue.is_fixable
    assert issue.translation_placeholders["reason"] == EXPIRED
    assert _issue(hass, "stream_tls_failed", entry) is None
    assert "Custom MQTT broker" in _tls_warnings(caplog)[0]
    await hass.config_entries.async_unload(entry.entry_id)
    assert _issue(hass, "broker_tls_failed", entry) is None


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
        lambda: (
            entry.state is ConfigEntryState.LOADED
            and entry.runtime_data.stream.state is StreamState.TLS_FAILED
        ),
    )
    assert entry.data[CONF_STREAM_TLS] == "verify"
    assert entry.data[CONF_STREAM_CA_FILE] is None
    assert entry.options == {}
