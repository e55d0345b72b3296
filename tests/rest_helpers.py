"""Helpers of the REST-side tests: a logged-in entry with the REST side running."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata.const import DOMAIN
from custom_components.cardata.rest.bootstrap import CONTAINER_NAME, CONTAINER_PURPOSE
from custom_components.cardata.rest.quota import QuotaPlanner
from tests.entity_helpers import make_entry, setup_entry
from tests.simulator import GCID_A

__all__ = [
    "CONTAINER_NAME",
    "CONTAINER_PURPOSE",
    "make_entry",
    "planner",
    "setup_rest",
    "sim_calls",
    "start_fix_flow",
]


async def setup_rest(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    *,
    connected: bool = True,
) -> MockConfigEntry:
    """Set the entry up and wait for its first REST set-up calls to end."""
    await setup_entry(hass, entry, connected=connected)
    return entry


async def start_fix_flow(hass: HomeAssistant, issue_id: str) -> dict[str, Any]:
    """Open the fix flow of one of our repair issues, as the UI does."""
    assert await async_setup_component(hass, "repairs", {})
    manager = hass.data["repairs"]["flow_manager"]
    return dict(await manager.async_init(DOMAIN, data={"issue_id": issue_id}))


def planner(entry: MockConfigEntry) -> QuotaPlanner:
    """The entry's quota planner."""
    return entry.runtime_data.quota


def sim_calls(sim: Any, gcid: str = GCID_A) -> int:
    """Calls the simulator counted against the account."""
    return int(sim.quota.calls(gcid))
