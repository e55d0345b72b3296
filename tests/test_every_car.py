"""A Neue Klasse car and a MINI without basic data appear named right, with
every role the card and the prediction read filled (simulator tier).

The roles are the card's own table (``frontend/www/card-logic.js``, read with
node as the card's tests do); the cars are the simulator's account C: its
Neue Klasse iX3 (charge level on ``stateOfCharge.displayed`` only, header VIN
fields empty), a MINI shared with the account (BMW refuses it REST calls, so
no basic data) and a MINI of its own BMW keeps no basic data of (basicData
answers 404): both MINIs are named after their VIN's maker code.
"""

from __future__ import annotations

import json
from pathlib import Path
import shutil
import subprocess
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest

from custom_components.cardata.catalogue.charging import DISPLAYED
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.vehicles.sync import CHECK_EVERY, SILENT_FOR
from tests.entity_helpers import SOC, device_for, entity_id, make_entry, setup_entry
from tests.rest_helpers import planner, sim_calls
from tests.simulator import CLIENT_C, GCID_C, VIN_MILES, VIN_NK, VIN_NO_BASIC, Simulator
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


def _entities(hass: HomeAssistant, device: dr.DeviceEntry) -> list[er.RegistryEntry]:
    return [
        e
        for e in er.async_entries_for_device(er.async_get(hass), device.id)
        if e.platform == DOMAIN
    ]


def _empty_roles(
    entities: list[er.RegistryEntry], roles: dict[str, list[str]]
) -> list[str]:
    """The card's roles of an electric car no entity of the device fills."""
    keys = {e.translation_key for e in entities}
    return [
        role for role in ELECTRIC_ROLES if not any(key in keys for key in roles[role])
    ]


def _basic_data_calls(sim: Simulator, vin: str) -> list[int]:
    """Statuses of BMW's answers to the car's basicData calls, in order."""
    return [
        status
        for _, path, status in sim.rest.calls
        if path.endswith(f"/{vin}/basicData")
    ]


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

    for vin, device in ((VIN_NK, nk), (VIN_MINI, mini)):
        entities = _entities(hass, device)
        assert _empty_roles(entities, roles) == [], f"{vin[-4:]}: roles without one"
        assert any(e.domain == "device_tracker" for e in entities)
    # The Neue Klasse car's charge level feeds the prediction.
    predicted = hass.states.get(entity_id(hass, "sensor", f"{VIN_NK}_predicted_soc"))
    assert predicted is not None
    assert predicted.attributes["charge_level_descriptor"] == DISPLAYED
    assert float(predicted.state) == 70.0


async def test_a_mini_whose_basic_data_bmw_lacks(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """BMW answers the MINI's basicData with 404: the first set-up goes on
    (container, every car's values), the car is a MINI by its VIN with its
    charge level, range, charging and position, and basicData is not asked
    again at a restart; later only with a due mappings read (a day apart)."""
    roles = _card_roles()
    entry = make_entry(simulator, GCID_C, CLIENT_C)
    coordinator = await setup_entry(hass, entry)
    # No stream message: the first set-up's container read filled the car.
    assert coordinator.get(VIN_NO_BASIC, SOC) is not None
    assert _basic_data_calls(simulator, VIN_NO_BASIC) == [404]
    # mappings, three basicData, the container (list, create), three reads.
    assert sim_calls(simulator, GCID_C) == planner(entry).used() == 9
    await hass.async_block_till_done()

    mini = device_for(hass, entry, VIN_NO_BASIC)
    assert (mini.manufacturer, mini.name, mini.model) == ("MINI", "MINI D008", None)
    # The other cars keep what their basic data says.
    assert device_for(hass, entry, VIN_MILES).model == "Cooper SE"
    assert device_for(hass, entry, VIN_NK).model == "iX3 50 xDrive"
    entities = _entities(hass, mini)
    assert _empty_roles(entities, roles) == []
    assert all(e.entity_id.split(".")[1].startswith("mini_d008") for e in entities)
    shown = {
        role: [e.entity_id for e in entities if e.translation_key in roles[role]]
        for role in ("soc", "range_electric", "charging_state")
    }
    for role, ids in shown.items():
        states = [hass.states.get(i) for i in ids]
        assert any(
            s is not None and s.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE)
            for s in states
        ), role
    tracker = next(e.entity_id for e in entities if e.domain == "device_tracker")
    assert hass.states.get(tracker).attributes["latitude"] is not None

    # The owner asking for it hears BMW's answer, translated.
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "fetch_basic_data",
            {"vin": VIN_NO_BASIC},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "api_failed"
    assert _basic_data_calls(simulator, VIN_NO_BASIC) == [404, 404]

    # A restart asks nothing.
    calls = sim_calls(simulator, GCID_C)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert sim_calls(simulator, GCID_C) == calls
    assert device_for(hass, entry, VIN_NO_BASIC).name == "MINI D008"

    # BMW's mappings are read again only when a car has been silent for days
    # and not within a day of the last read; each read asks the car once.
    sync = entry.runtime_data.poller.sync
    now = dt_util.utcnow()
    assert not sync.due(now + CHECK_EVERY)
    assert sync.due(now + SILENT_FOR + CHECK_EVERY)
    assert await sync.async_check()
    assert _basic_data_calls(simulator, VIN_NO_BASIC) == [404, 404, 404]
    assert sim_calls(simulator, GCID_C) == calls + 2
    assert not sync.due(dt_util.utcnow() + CHECK_EVERY / 2)
