"""The automation blueprints of ``blueprints/automation/cardata``: valid and working.

Each is checked against Home Assistant's blueprint schema, then installed in
the test's configuration folder, instantiated as an automation with inputs
and driven with the simulator's charging traces and the clock; the notify
action it calls is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
import shutil
from typing import Any

from homeassistant.components.blueprint.models import Blueprint
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from tests.entity_helpers import age_rest_data, entity_id, push, setup_entry
from tests.simulator import VIN_BEV, Simulator
from tests.simulator.charging_traces import PLUGGED, PORT, REASONS, session

REPO = Path(__file__).resolve().parent.parent
FOLDER = REPO / "blueprints" / "automation" / "cardata"
RAW = "https://raw.githubusercontent.com/cardata-ha/cardata/main/"
NAMES = (
    "charging_ended.yaml",
    "not_plugged_in_evening.yaml",
    "trip_ended_away.yaml",  # run by tests/test_blueprint_trip_ended.py
)
SOC = "vehicle.drivetrain.batteryManagement.header"

type Automations = Callable[[HomeAssistant], list[dict[str, Any]]]


@pytest.mark.parametrize("name", NAMES)
def test_valid_blueprint(name: str) -> None:
    """Home Assistant's schema takes it; its source is this repository's file."""
    path = FOLDER / name
    blueprint = Blueprint(
        load_yaml_dict(path), expected_domain="automation", schema=BLUEPRINT_SCHEMA
    )
    assert blueprint.validate() is None  # this Home Assistant is new enough
    relative = path.relative_to(REPO).as_posix()
    assert blueprint.metadata["source_url"] == RAW + relative
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert relative.replace("/", "%2F") in readme  # the import link


def test_every_blueprint_is_tested() -> None:
    assert {path.name for path in FOLDER.glob("*.yaml")} == set(NAMES)


async def _setup(
    hass: HomeAssistant,
    sim: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    automations: Automations,
) -> tuple[MockConfigEntry, list[ServiceCall]]:
    """The entry, the blueprints installed, the automations made from them."""
    await age_rest_data(sim, dt_util.utcnow() - timedelta(hours=6))
    entry = make_entry(sim)
    await setup_entry(hass, entry)
    target = Path(hass.config.path("blueprints", "automation", "cardata"))
    await hass.async_add_executor_job(
        lambda: shutil.copytree(FOLDER, target, dirs_exist_ok=True)
    )
    calls = async_mock_service(hass, "notify", "mobile_app_phone")
    config = [
        {"alias": f"from blueprint {n}", "use_blueprint": blueprint}
        for n, blueprint in enumerate(automations(hass))
    ]
    assert await async_setup_component(hass, "automation", {"automation": config})
    await hass.async_block_till_done()
    assert len(hass.states.async_entity_ids("automation")) == len(config)
    return entry, calls


async def _play(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    messages: list[tuple[datetime, dict[str, Any]]],
) -> None:
    for at, values in messages:
        await push(hass, entry.runtime_data.coordinator, VIN_BEV, values, at)


@pytest.mark.parametrize(
    ("group", "only_problems", "sent"),
    [
        ("target_reached", False, "The charge target was reached."),
        ("target_reached", True, None),
        ("error", True, f"An error stopped it ({REASONS['error']})."),
        ("other", False, f"BMW's reason: {REASONS['other']}."),
    ],
)
async def test_charging_ended_tells_the_phone(
    hass: HomeAssistant,
    *,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    group: str,
    only_problems: bool,
    sent: str | None,
) -> None:
    """One message per ended charge, with the reason; none for the start."""

    def automations(hass: HomeAssistant) -> list[dict[str, Any]]:
        event = entity_id(hass, "event", f"{VIN_BEV}_charging_event")
        return [
            {
                "path": "cardata/charging_ended.yaml",
                "input": {
                    "charging_event": event,
                    "notify_action": "notify.mobile_app_phone",
                    "only_problems": only_problems,
                },
            }
        ]

    entry, calls = await _setup(hass, simulator, make_entry, automations)
    start = dt_util.utcnow() - timedelta(hours=4)
    await _play(hass, entry, session(start, reason=REASONS[group]).messages)
    if sent is None:
        assert calls == []
        return
    assert len(calls) == 1
    data = calls[0].data
    assert data["title"] == "BMW V001: charging ended"
    assert data["message"].startswith(sent)
    assert "Charge level 6" in data["message"]


def _evening(plug_sensor: bool) -> Automations:
    def automations(hass: HomeAssistant) -> list[dict[str, Any]]:
        plug = entity_id(hass, "binary_sensor", f"{VIN_BEV}_{PLUGGED}")
        return [
            {
                "path": "cardata/not_plugged_in_evening.yaml",
                "input": {
                    "at": "20:00:00",
                    "threshold": 60,
                    "charge_level": entity_id(hass, "sensor", f"{VIN_BEV}_{SOC}"),
                    "plug_event": entity_id(hass, "event", f"{VIN_BEV}_plug_event"),
                    "plug_sensor": plug if plug_sensor else "",
                    "notify_action": "notify.mobile_app_phone",
                },
            }
        ]

    return automations


async def _evening_passes(hass: HomeAssistant, day: int) -> None:
    """The clock passes 20:00 local time, ``day`` days from today."""
    now = dt_util.now()
    at = now.replace(hour=20, minute=0, second=0, microsecond=0)
    async_fire_time_changed(hass, at + timedelta(days=day))
    await hass.async_block_till_done()


@pytest.mark.parametrize("plug_sensor", [True, False])
async def test_not_plugged_in_in_the_evening(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: Callable[..., MockConfigEntry],
    plug_sensor: bool,
) -> None:
    """A reminder at 20:00 while unplugged below the level; none plugged in
    or above it. Without the plug sensor, the last plug event tells."""
    entry, calls = await _setup(hass, simulator, make_entry, _evening(plug_sensor))
    at = dt_util.utcnow() - timedelta(hours=3)
    coordinator = entry.runtime_data.coordinator
    # Plugged in, then out again (the plug event's last type: unplugged).
    plug_in = {PLUGGED: True, PORT: "CONNECTED", SOC: 40}
    await push(hass, coordinator, VIN_BEV, plug_in, at)
    await _evening_passes(hass, 1)
    assert calls == []  # plugged in
    unplug = {PLUGGED: False, PORT: "DISCONNECTED"}
    await push(hass, coordinator, VIN_BEV, unplug, at + timedelta(minutes=5))
    await _evening_passes(hass, 2)
    assert len(calls) == 1
    assert calls[0].data["title"] == "BMW V001 is not plugged in"
    assert calls[0].data["message"].startswith("The charge level is 40 %, below 60 %")
    await push(hass, coordinator, VIN_BEV, {SOC: 75}, at + timedelta(minutes=10))
    await _evening_passes(hass, 3)
    assert len(calls) == 1  # above the threshold
    # Off: the time trigger's timer ends with the test.
    await hass.services.async_call(
        "automation", "turn_off", {"entity_id": "all"}, blocking=True
    )
