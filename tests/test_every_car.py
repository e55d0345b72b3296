"""A Neue Klasse car and a MINI without basic data appear named right, with
every role the card and the prediction read filled (simulator tier).

The roles are the card's own table (``frontend/www/card-logic.js``, read with
node as the card's tests do); the cars are the simulator's account C: its
Neue Klasse iX3 (charge level on ``stateOfCharge.displayed`` only, header VIN
fields empty) and a MINI shared with the account (BMW gives no basic data).
"""

from __future__ import annotations

import json
from pathlib import Path
import shutil
import subprocess
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.cardata.catalogue.charging import DISPLAYED
from custom_components.cardata.const import DOMAIN
from tests.entity_helpers import SOC, device_for, entity_id, make_entry, setup_entry
from tests.simulator import CLIENT_C, GCID_C, VIN_NK, Simulator
from tests.waiting import wait_for

CARD = (
    Path(__file__).parents[1] / "custom_components/cardata/frontend/www/card-logic.js"
)
VIN_MINI = "WMW00000000MNE007"
ELECTRIC_ROLES = (
    "soc",
    "soc_predicted",
    "soc_target",
    "range_electric",
    "range_total",
    "charging_state",
    "charging_power",
    "charging_time",
    "plugged",
    "lock",
    "hood",
    "trunk",
    "mileage",
    "last_data",
)
"""The card's roles (translation keys of the car's entities); the position is
found by its domain, device_tracker."""


def _card_roles() -> dict[str, list[str]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not found (scripts/test needs it for the card)")
    script = "import(process.argv[1]).then(m => console.log(JSON.stringify(m.ROLES)))"
    out = subprocess.run(  # noqa: S603 - our own file, node from PATH
        [node, "-e", script, CARD.as_uri()],
        capture_output=True,
        check=True,
        text=True,
        timeout=30,
    )
    roles: dict[str, list[str]] = json.loads(out.stdout)
    return roles


def _state(sim: Simulator, vin: str) -> dict[str, Any]:
    return {name: held.value for name, held in sim.vehicles[vin].state.items()}


async def test_a_neue_klasse_car_and_a_mini_without_basic_data(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    roles = _card_roles()
    simulator.add_vehicle(GCID_C, VIN_MINI, "BEV", mapping="SECONDARY", streams=True)
    entry = make_entry(simulator, GCID_C, CLIENT_C)
    coordinator = await setup_entry(hass, entry)
    # What each car sends on its stream (the Neue Klasse car: no header VIN).
    for vin in (VIN_NK, VIN_MINI):
        assert await simulator.publish(vin, _state(simulator, vin)) == 1
    await wait_for(lambda: coordinator.get(VIN_MINI, SOC) is not None)
    await wait_for(lambda: coordinator.get(VIN_NK, DISPLAYED) is not None)
    await hass.async_block_till_done()

    nk = device_for(hass, entry, VIN_NK)
    assert (nk.manufacturer, nk.name, nk.model) == ("BMW", "BMW L006", "iX3 50 xDrive")
    mini = device_for(hass, entry, VIN_MINI)
    assert (mini.manufacturer, mini.name) == ("MINI", "MINI E007")

    registry = er.async_get(hass)
    for vin, device in ((VIN_NK, nk), (VIN_MINI, mini)):
        entities = [
            e
            for e in er.async_entries_for_device(registry, device.id)
            if e.platform == DOMAIN
        ]
        keys = {e.translation_key for e in entities}
        empty = [
            role
            for role in ELECTRIC_ROLES
            if not any(key in keys for key in roles[role])
        ]
        assert empty == [], f"{vin[-4:]}: roles without an entity"
        assert any(e.domain == "device_tracker" for e in entities)
    # The Neue Klasse car's charge level feeds the prediction.
    predicted = hass.states.get(entity_id(hass, "sensor", f"{VIN_NK}_predicted_soc"))
    assert predicted is not None
    assert predicted.attributes["charge_level_descriptor"] == DISPLAYED
    assert float(predicted.state) == 70.0
