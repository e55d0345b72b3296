"""The Configure menu through Home Assistant, every item."""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
import re

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest

from custom_components.cardata.api import StreamState, TelematicValue
from custom_components.cardata.common.display import local_time
from custom_components.cardata.common.settings import (
    OPT_BROKER_ENABLED,
    OPT_BROKER_HOST,
    OPT_BROKER_TLS,
    OPT_CHARGING_HISTORY,
    OPT_POLL_INTERVAL,
    custom_broker,
    poll_settings,
)
from custom_components.cardata.const import CONF_CONTAINER_ID
from custom_components.cardata.flows.answers import (
    SHOWN_VALUES,
    Shown,
    telematic_lines,
)
from custom_components.cardata.rest.quota_policy import CallKind
from tests.rest_helpers import make_entry, planner, setup_rest, sim_calls
from tests.simulator import CLIENT_C, GCID_A, GCID_C, VIN_BEV
from tests.waiting import wait_for

TRANSLATIONS = (
    Path(__file__).parents[1] / "custom_components/cardata/translations/en.json"
)


async def _open(hass: HomeAssistant, entry, item: str):
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert item in result["menu_options"]
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": item}
    )


async def test_menu_lists_every_item(hass: HomeAssistant, simulator) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["menu_options"] == [
        "reauth",
        "refresh_tokens",
        "settings",
        "stream_security",
        "energy",
        "wallbox",
        "reset_container",
        "fetch_now",
    ]
    assert result["description_placeholders"]["calls_left"] == "43"


async def test_log_in_again(hass: HomeAssistant, simulator) -> None:
    """The menu item opens the one "Log in again" dialog, saying why."""
    entry = await setup_rest(hass, make_entry(simulator))
    result = await _open(hass, entry, "reauth")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_started"
    flows = [
        f
        for f in hass.config_entries.flow.async_progress_by_handler("cardata")
        if f["context"]["source"] == "reauth"
    ]
    assert [f["step_id"] for f in flows] == ["reauth_asked"]
    # Nothing happens until its button: the entry keeps working.
    assert entry.runtime_data.tokens.auth_failed is False


def test_texts_name_what_exists() -> None:
    """The Log in again texts point to what Home Assistant shows, in one wording."""
    texts = json.loads(TRANSLATIONS.read_text("utf-8"))
    started = texts["options"]["abort"]["reauth_started"]
    assert "notification" not in started
    assert "Reconfigure" in started
    assert "notification" not in texts["exceptions"]["auth_failed"]["message"]
    steps = texts["config"]["step"]
    button = steps["reauth_confirm"]["menu_options"]["log_in"]
    dialogs = ("reauth_confirm", "reauth_asked", "reauth_stream_scope")
    # Same title and button whatever the reason; each says its reason.
    assert {steps[s]["title"] for s in dialogs} == {steps["reauth_confirm"]["title"]}
    assert {steps[s]["menu_options"]["log_in"] for s in dialogs} == {button}
    assert all(button in steps[s]["description"] for s in dialogs)
    assert button in started
    assert button in texts["exceptions"]["auth_failed"]["message"]
    assert "no longer accepts" in steps["reauth_confirm"]["description"]
    assert "no longer accepts" not in steps["reauth_asked"]["description"]


async def test_refresh_tokens_costs_no_call(hass: HomeAssistant, simulator) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    calls = sim_calls(simulator)
    connects = simulator.broker.connect_count(GCID_A)
    old = entry.runtime_data.tokens.tokens.access_token
    result = await _open(hass, entry, "refresh_tokens")
    assert result["type"] is FlowResultType.FORM
    assert result["description_placeholders"]["expires_at"] == local_time(
        entry.runtime_data.tokens.expires_at
    )
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "tokens_refreshed"
    shown = result["description_placeholders"]["expires_at"]
    assert shown == local_time(entry.runtime_data.tokens.expires_at)
    assert re.fullmatch(r"(\d{4}-\d\d-\d\d )?\d\d:\d\d", shown)
    assert entry.runtime_data.tokens.tokens.access_token != old
    # The stream reconnects with the new id token.
    stream = entry.runtime_data.stream
    await wait_for(
        lambda: (
            simulator.broker.connect_count(GCID_A) > connects
            and stream.state is StreamState.CONNECTED
        ),
    )
    assert sim_calls(simulator) == calls


async def test_settings_saved_and_reloaded(hass: HomeAssistant, simulator) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    result = await _open(hass, entry, "settings")
    assert result["type"] is FlowResultType.FORM
    form = {
        OPT_POLL_INTERVAL: 90,
        "max_data_age_hours": 6,
        "stream_silence_minutes": 20,
        "reserve_calls": 12,
        "extra_vehicle_image": False,
        OPT_CHARGING_HISTORY: True,
        "extra_tyre_diagnosis": False,
        "broker": {OPT_BROKER_ENABLED: True, OPT_BROKER_TLS: "verify"},
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"broker": "broker_host_missing"}
    form["broker"] = {
        OPT_BROKER_ENABLED: True,
        OPT_BROKER_HOST: "bridge.local",
        OPT_BROKER_TLS: "custom_ca",
        "broker_ca_file": "/nonexistent/ca.pem",
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], form)
    assert result["errors"] == {"broker": "ca_file_missing"}
    # A bridge the owner runs (its connection is tested in test_sharing.py).
    form["broker"] = {
        OPT_BROKER_ENABLED: True,
        OPT_BROKER_HOST: "127.0.0.1",
        "broker_port": 9,
        OPT_BROKER_TLS: "custom_ca",
        "broker_ca_file": simulator.ca_file,
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[OPT_CHARGING_HISTORY] is True
    settings = poll_settings(entry.options)
    assert settings.poll_interval.total_seconds() == 90 * 60
    assert settings.reserve == 12
    broker = custom_broker(entry.options)
    assert broker is not None
    assert broker.port == 9
    # Defaults of a new custom broker: the bridges' layout under bmw/.
    config = entry.runtime_data.stream.config
    assert config.topic == "bmw/+"
    assert config.password == ""  # not None: never the id token
    assert GCID_A not in (config.username, config.client_id)
    prefixed = custom_broker(
        {**entry.options, "broker_topic_prefix": "cars", "broker_topic_layout": "bmw"}
    )
    assert prefixed is not None
    assert prefixed.stream_config(GCID_A).topic == f"cars/{GCID_A}/+"
    # The form shows the broker in force; switched off, nothing of it stays.
    result = await _open(hass, entry, "settings")
    assert "127.0.0.1:9" in result["description_placeholders"]["in_force"]
    form["broker"] = {OPT_BROKER_ENABLED: False, OPT_BROKER_HOST: "127.0.0.1"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert not any(key.startswith("broker_") for key in entry.options)
    result = await _open(hass, entry, "settings")
    assert result["description_placeholders"]["in_force"].startswith("BMW, ")
    await wait_for(lambda: entry.runtime_data.stream.state is StreamState.CONNECTED)
    # The reloaded planner uses the new thresholds.
    assert planner(entry).policy.settings.reserve == 12


async def test_reset_container(hass: HomeAssistant, simulator) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    old = entry.data[CONF_CONTAINER_ID]
    calls = sim_calls(simulator)
    result = await _open(hass, entry, "reset_container")
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "container_reset"
    assert result["description_placeholders"]["calls"] == "3"
    assert entry.data[CONF_CONTAINER_ID] != old
    assert simulator.rest.containers[old].state != "ACTIVE"
    assert sim_calls(simulator) == calls + 3


async def test_fetch_now_shows_what_came_back(hass: HomeAssistant, simulator) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    calls = sim_calls(simulator)
    result = await _open(hass, entry, "fetch_now")
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"items": []}
    )
    assert result["errors"] == {"items": "nothing_selected"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"items": ["mappings", "basic_data", "telematic_data"]}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "fetch_done"
    text = result["description_placeholders"]["result"]
    assert "PRIMARY" in text
    assert "SECONDARY" in text
    assert VIN_BEV not in text
    # BMW's answer, readable: the basic data, then values with data, bounded.
    assert "BMW" in text
    values = [line for line in text.splitlines() if line.startswith("- ")]
    assert values
    assert len(values) <= 2 * (SHOWN_VALUES + 1)
    # Cars are named as their devices are, not by a VIN tail.
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    cars = [d.name for d in devices if d.serial_number]
    assert cars
    assert all(f"**{car}** · telematicData" in text for car in cars)
    assert not re.search(r"\*\*….*\*\* · (telematicData|basicData)", text)
    # Values are named and shown as their entities are (in Home Assistant's
    # language and the owner's units).
    assert re.search(r"- Battery charge level: \d+ %", text)
    assert "batteryManagement.header" not in text
    assert "None" not in text  # unsupported descriptors are left out
    assert result["description_placeholders"]["shown"] == str(SHOWN_VALUES)
    assert sim_calls(simulator) == calls + 5


async def test_fetch_now_with_a_car_bmw_has_no_basic_data_of(
    hass: HomeAssistant, simulator
) -> None:
    """Its 404 is shown on its line; the other cars' answers still come."""
    entry = await setup_rest(hass, make_entry(simulator, GCID_C, CLIENT_C))
    calls = sim_calls(simulator, GCID_C)
    result = await _open(hass, entry, "fetch_now")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"items": ["basic_data", "telematic_data"]}
    )
    assert result["reason"] == "fetch_done"
    text = result["description_placeholders"]["result"]
    assert "**MINI D008** · basicData: CU-404 (HTTP 404)" in text
    assert "**MINI D008** · telematicData" in text
    assert "MINI Cooper SE" in text
    assert "BMW iX3 50 xDrive" in text
    assert sim_calls(simulator, GCID_C) == calls + 6


@pytest.mark.parametrize("item", ["fetch_now", "reset_container"])
async def test_bmw_unreachable_has_its_own_text(
    hass: HomeAssistant, simulator, item: str
) -> None:
    """No answer at all (the connection broke): a translated text of its own,
    with no English words put into it."""
    entry = await setup_rest(hass, make_entry(simulator))
    result = await _open(hass, entry, item)
    simulator.faults.rest_drops = 5
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "api_unreachable"
    assert not result.get("description_placeholders")


async def test_fetch_now_refused_when_spent(hass: HomeAssistant, simulator) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    plan = planner(entry)
    for _ in range(50):  # bounded: BMW's daily limit
        if not plan.remaining(CallKind.USER):
            break
        await plan.async_call(CallKind.USER, entry.runtime_data.api.get_mappings)
    calls = sim_calls(simulator)
    result = await _open(hass, entry, "fetch_now")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"items": ["telematic_data"]}
    )
    assert result["reason"] == "quota_spent"
    result = await _open(hass, entry, "reset_container")
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["reason"] == "quota_spent"
    assert sim_calls(simulator) == calls


async def test_not_loaded(hass: HomeAssistant, simulator) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    assert await hass.config_entries.async_unload(entry.entry_id)
    for item in ("refresh_tokens", "reset_container", "fetch_now"):
        result = await _open(hass, entry, item)
        assert result["reason"] == "not_loaded"


async def test_refresh_tokens_failure_is_shown(hass: HomeAssistant, simulator) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    simulator.faults.token_errors = 1
    result = await _open(hass, entry, "refresh_tokens")
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    # Unreachable: its own translated text, no English placeholder.
    assert result["reason"] == "token_refresh_unreachable"
    assert not result.get("description_placeholders")
    # A refresh token BMW no longer knows: log in again (translated steps).
    simulator.oauth.revoke_refresh_tokens(GCID_A)
    result = await _open(hass, entry, "refresh_tokens")
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["reason"] == "token_refresh_login_expired"
    assert not result.get("description_placeholders")


def test_settings_read_defensively() -> None:
    odd = {OPT_POLL_INTERVAL: "ten", "reserve_calls": -3, "max_data_age_hours": True}
    settings = poll_settings(odd)
    assert settings.poll_interval == timedelta(minutes=30)
    assert settings.reserve == 10
    assert settings.max_data_age == timedelta(hours=12)
    assert custom_broker({OPT_BROKER_ENABLED: True, OPT_BROKER_HOST: "  "}) is None
    assert custom_broker({OPT_BROKER_ENABLED: False, OPT_BROKER_HOST: "x"}) is None
    broker = custom_broker(
        {OPT_BROKER_ENABLED: True, OPT_BROKER_HOST: "h", OPT_BROKER_TLS: "bogus"}
    )
    assert broker is not None
    assert broker.tls.value == "verify"
    assert broker.port == 8883
    config = broker.stream_config(GCID_A)
    # Never BMW's login on another broker: no credentials configured, none sent.
    assert config.password == ""  # not None: never the id token
    assert not config.username
    assert not config.password
    assert config.topic == "+"


def test_fetch_lines_with_two_entities_of_one_name() -> None:
    """Names the owner gave may repeat; the lines are still made."""
    values = {
        "vehicle.a": TelematicValue("1", None, None),
        "vehicle.b": TelematicValue("2", None, None),
    }
    shown = {"vehicle.a": Shown("Door", "Open"), "vehicle.b": Shown("Door", "Closed")}
    lines = telematic_lines("iX", values, shown)
    assert lines == ["**iX** · telematicData: 2", "- Door: Open", "- Door: Closed"]
