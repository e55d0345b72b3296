"""BMW's check-control messages: the container's value read as a list.

The value's shapes (a list, its JSON text, empty, no value, malformed, a
type no table knows) and the sensor a container read feeds: the number of
messages, their translated type keys and the highest severity, the time BMW
read them, a malformed value shown unknown and logged without the VIN.
"""

from __future__ import annotations

from datetime import timedelta
import json
import logging
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache,
)

from custom_components.cardata.api import TelematicValue
from custom_components.cardata.checkcontrol.messages import (
    DESCRIPTOR,
    MAX_MESSAGES,
    SEVERITIES,
    TYPES,
    CheckControl,
    MalformedError,
    parse,
)
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.rest.bootstrap import apply_telematic

from .conftest import device_of
from .vehicles import BEV, NOW

SENSOR = "sensor.bmw_0001_check_control_messages"
TWO = [
    {"type": "TIRE_PRESSURE", "severity": "LOW"},
    {"type": "ENGINE_OIL", "severity": "MEDIUM"},
]
TRANSLATIONS = Path(__file__).parents[2] / "custom_components" / DOMAIN / "translations"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (TWO, CheckControl(("tire_pressure", "engine_oil"), "medium")),
        (json.dumps(TWO), CheckControl(("tire_pressure", "engine_oil"), "medium")),
        ([], CheckControl((), None)),
        ("[]", CheckControl((), None)),
        # A type no table knows keeps its key; a severity word none knows
        # counts for nothing.
        (
            [{"type": "AdBlueLevel", "severity": "SEVERE"}],
            CheckControl(("ad_blue_level",), None),
        ),
        ([{"type": "LIGHTS"}], CheckControl(("lights",), None)),
        (
            [{"type": "A", "severity": "HIGH"}, {"type": "B", "severity": "LOW"}],
            CheckControl(("a", "b"), "high"),
        ),
        # BMW has no value.
        (None, None),
        ("null", None),
        ("INVALID", None),
        ("", None),
    ],
    ids=[
        "list",
        "json_text",
        "empty_list",
        "empty_json",
        "unknown_type",
        "no_severity",
        "highest_severity",
        "none",
        "json_null",
        "invalid_word",
        "empty_text",
    ],
)
def test_the_shapes_bmw_sends(raw: Any, expected: CheckControl | None) -> None:
    assert parse(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("TIRE_PRESSURE LOW", "not_json"),
        ('[{"type": "TIRE', "not_json"),
        ({"type": "TIRE_PRESSURE"}, "not_a_list"),
        ('{"type": "TIRE_PRESSURE"}', "not_a_list"),
        (5, "not_a_list"),
        ([{"severity": "LOW"}], "message_without_type"),
        (["TIRE_PRESSURE"], "message_without_type"),
        ([{"type": 7}], "message_without_type"),
        ([{"type": "x" * 65}], "message_without_type"),
        ([{"type": "A"}] * (MAX_MESSAGES + 1), "too_many"),
    ],
    ids=[
        "words",
        "cut_json",
        "object",
        "object_json",
        "number",
        "no_type",
        "bare_word",
        "number_type",
        "long_type",
        "too_many",
    ],
)
def test_what_is_no_list_of_messages(raw: Any, reason: str) -> None:
    with pytest.raises(MalformedError) as err:
        parse(raw)
    assert str(err.value) == reason


def test_english_translates_every_type_and_severity() -> None:
    entity = json.loads((TRANSLATIONS / "en.json").read_text(encoding="utf-8"))
    attributes = entity["entity"]["sensor"]["status_check_control_messages"][
        "state_attributes"
    ]
    assert set(attributes["messages"]["state"]) == set(TYPES)
    assert set(attributes["severity"]["state"]) == set(SEVERITIES)


async def _read(hass: HomeAssistant, entry: Any, value: Any) -> None:
    """A container read of the iX answering ``value`` (read at NOW - 3 h)."""
    answer = TelematicValue.from_dict(
        {"value": value, "timestamp": (NOW - timedelta(hours=3)).isoformat()}
    )
    apply_telematic(entry.runtime_data.rest, BEV.vin, {DESCRIPTOR: answer})
    await hass.async_block_till_done()


async def test_a_read_creates_the_sensor(
    hass: HomeAssistant, setup_integration
) -> None:
    entry = await setup_integration()
    assert hass.states.get(SENSOR) is None  # no read has brought the field yet
    await _read(hass, entry, TWO)
    state = hass.states.get(SENSOR)
    assert state is not None
    assert state.state == "2"
    assert state.attributes["messages"] == ["tire_pressure", "engine_oil"]
    assert state.attributes["severity"] == "medium"
    registered = er.async_get(hass).async_get(SENSOR)
    assert registered is not None
    assert registered.unique_id == f"{BEV.vin}_{DESCRIPTOR}"
    assert registered.translation_key == "status_check_control_messages"
    assert registered.entity_category is None  # a fault the owner wants to see
    assert registered.disabled_by is None
    # The value carries the time BMW read it, not the time it arrived.
    held = entry.runtime_data.coordinator.get(BEV.vin, DESCRIPTOR)
    assert held is not None
    assert held.timestamp == NOW - timedelta(hours=3)
    # The next day's read: the messages are gone.
    await _read(hass, entry, "[]")
    state = hass.states.get(SENSOR)
    assert state.state == "0"
    assert state.attributes["messages"] == []
    assert state.attributes["severity"] is None
    # A restart shows the last read (the value store keeps its JSON text).
    await _read(hass, entry, TWO[:1])
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(SENSOR)
    assert state.state == "1"
    assert state.attributes["messages"] == ["tire_pressure"]
    assert state.attributes["severity"] == "low"


async def test_a_malformed_value_is_unknown_and_logged_once(
    hass: HomeAssistant, setup_integration, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await setup_integration()
    await _read(hass, entry, TWO)
    caplog.set_level(logging.DEBUG, logger="custom_components.cardata")
    await _read(hass, entry, "TIRE_PRESSURE LOW")
    await _read(hass, entry, "TIRE_PRESSURE HIGH")
    state = hass.states.get(SENSOR)
    assert state.state == "unknown"
    assert state.attributes["messages"] is None
    assert state.attributes["severity"] is None
    logged = [r.getMessage() for r in caplog.records if "Check-control" in r.message]
    assert logged == ["Check-control value dropped (not_json): 1"]
    assert BEV.vin not in caplog.text
    assert "TIRE_PRESSURE" not in caplog.text
    # A good read shows again.
    await _read(hass, entry, TWO)
    assert hass.states.get(SENSOR).state == "2"


@pytest.mark.parametrize(
    ("attributes", "shown"),
    [
        ({"messages": ["engine_oil"], "severity": "high"}, ("1", "high")),
        ({"messages": ["engine_oil"], "severity": "odd"}, ("1", None)),
        ({"messages": "engine_oil", "severity": "high"}, ("unknown", None)),
        (None, ("unknown", None)),
    ],
    ids=["saved", "odd_severity", "not_a_list", "nothing_saved"],
)
async def test_the_last_state_comes_back_without_a_stored_value(
    hass: HomeAssistant,
    setup_integration,
    stored_state: MockConfigEntry,
    attributes: dict[str, Any] | None,
    shown: tuple[str, str | None],
) -> None:
    """Home Assistant's saved state stands in when the value store has none."""
    device = device_of(dr.async_get(hass), stored_state.entry_id, BEV.vin)
    er.async_get(hass).async_get_or_create(
        "sensor",
        DOMAIN,
        f"{BEV.vin}_{DESCRIPTOR}",
        suggested_object_id="bmw_0001_check_control_messages",
        config_entry=stored_state,
        device_id=device.id,
    )
    if attributes is not None:
        mock_restore_cache(hass, [State(SENSOR, "1", attributes)])
    await setup_integration()
    state = hass.states.get(SENSOR)
    assert (state.state, state.attributes["severity"]) == shown
