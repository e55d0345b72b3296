"""The trip-ended-away blueprint: valid for Home Assistant, and it runs.

The blueprint is checked against Home Assistant's automation blueprint
schema, then used by an automation while the simulator's commute trace
plays: the trip that ends at work notifies once with the range left; the
trip back home does not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml
from pytest_homeassistant_custom_component.common import async_mock_service

from tests.entity_helpers import age_rest_data, entity_id, push, setup_entry
from tests.simulator import VIN_BEV, Simulator
from tests.simulator.traces import WORK, commute
from tests.simulator.world import HOME

BLUEPRINT = (
    Path(__file__).parent.parent
    / "blueprints"
    / "automation"
    / "cardata"
    / "trip_ended_away.yaml"
)


def test_blueprint_is_valid() -> None:
    """Home Assistant's own schema accepts it, with every input it uses."""
    data = load_yaml(BLUEPRINT)
    assert isinstance(data, dict)
    blueprint = Blueprint(
        data, expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )
    assert set(blueprint.inputs) == {"trip_event", "notify_action", "title"}


async def test_blueprint_notifies_when_a_trip_ends_away(
    hass: HomeAssistant, simulator: Simulator, make_entry: Callable[..., Any]
) -> None:
    """One notification for the trip to work, none for the trip home."""
    hass.config.latitude, hass.config.longitude = HOME
    assert await async_setup_component(
        hass,
        "zone",
        {"zone": [{"name": "Work", "latitude": WORK[0], "longitude": WORK[1]}]},
    )
    target = Path(hass.config.path("blueprints", "automation", "cardata"))
    await hass.async_add_executor_job(
        lambda: (
            target.mkdir(parents=True, exist_ok=True),
            shutil.copy(BLUEPRINT, target / BLUEPRINT.name),
        )
    )
    start = dt_util.utcnow() - timedelta(days=1)
    await age_rest_data(simulator, start - timedelta(days=1))
    entry = make_entry(simulator)
    await setup_entry(hass, entry)
    event = entity_id(hass, "event", f"{VIN_BEV}_trip")
    calls = async_mock_service(hass, "notify", "phone")
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "use_blueprint": {
                    "path": f"cardata/{BLUEPRINT.name}",
                    "input": {"trip_event": event, "notify_action": "notify.phone"},
                }
            }
        },
    )
    await hass.async_block_till_done()

    car = commute(VIN_BEV, start)
    for at, values in car.messages:
        await push(hass, entry.runtime_data.coordinator, VIN_BEV, values, at)
    await hass.async_block_till_done()

    assert len(calls) == 1
    message = calls[0].data["message"]
    assert "Work" in message
    state = hass.states.get(event)
    assert state is not None
    assert calls[0].data["title"] == "Trip ended"
    assert "Range left: " in message
    assert "unknown" not in message.split("Range left: ")[1]
