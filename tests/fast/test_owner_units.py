"""The owner's units and words: tyre pressure per country, a state icon per state."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, UnitOfPressure
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.cardata.catalogue.descriptors import (
    ValueKind,
    catalogue_descriptors,
    describe,
)

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

REPO = Path(__file__).parents[2]
ICONS = json.loads(
    (REPO / "custom_components" / "cardata" / "icons.json").read_text("utf-8")
)["entity"]["sensor"]


async def _tyre_units(hass: HomeAssistant, setup_integration) -> set[str]:
    entry = await setup_integration()
    registry = er.async_get(hass)
    units: set[str] = set()
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.unique_id.endswith(".tire.pressure"):
            state = hass.states.get(entity.entity_id)
            assert state is not None
            units.add(state.attributes[ATTR_UNIT_OF_MEASUREMENT])
    return units


@pytest.mark.parametrize(
    ("country", "unit"),
    [
        ("DE", UnitOfPressure.BAR),
        ("PL", UnitOfPressure.BAR),
        ("US", UnitOfPressure.PSI),
        ("GB", UnitOfPressure.PSI),
        ("JP", UnitOfPressure.KPA),  # nothing suggested: the unit system's choice
    ],
)
async def test_tyre_pressure_in_the_countrys_unit(
    hass: HomeAssistant, setup_integration, country: str, unit: str
) -> None:
    """Owners read tyre pressure in bar in Germany, in psi in the UK."""
    hass.config.country = country
    assert await _tyre_units(hass, setup_integration) == {unit}


async def test_owner_can_change_the_unit(
    hass: HomeAssistant, setup_integration
) -> None:
    """The suggestion is only the start: the owner's choice wins, as usual."""
    hass.config.country = "DE"
    entry = await setup_integration()
    registry = er.async_get(hass)
    tyre = next(
        e
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        if e.unique_id.endswith(".tire.pressure")
    )
    registry.async_update_entity_options(
        tyre.entity_id, "sensor", {"unit_of_measurement": UnitOfPressure.PSI}
    )
    await hass.async_block_till_done()
    state = hass.states.get(tyre.entity_id)
    assert state is not None
    assert state.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfPressure.PSI


async def test_german_home_assistant_enum_sensors_have_state_icons(
    hass: HomeAssistant, setup_integration
) -> None:
    """Every enum sensor set up shows an icon of its own for each of its states."""
    hass.config.country = "DE"
    hass.config.language = "de"
    entry = await setup_integration()
    registry = er.async_get(hass)
    enums = [
        e
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        if e.original_device_class == SensorDeviceClass.ENUM
    ]
    assert enums
    for entity in enums:
        icons = ICONS.get(entity.translation_key or "")
        assert icons, entity.entity_id
        assert "default" in icons
        options = (entity.capabilities or {}).get("options") or []
        assert set(options) <= set(icons["state"]), entity.entity_id


def test_every_catalogue_enum_sensor_has_a_state_icon_for_every_state() -> None:
    """Also the ones no test vehicle sends: all of the catalogue's enum sensors."""
    for descriptor in catalogue_descriptors():
        info = describe(descriptor)
        if info.data_type is not ValueKind.ENUM:
            continue
        icons = ICONS[info.translation_key or ""]
        assert icons["default"].startswith("mdi:")
        assert set(info.options or ()) <= set(icons["state"]), descriptor
        assert all(i.startswith("mdi:") for i in icons["state"].values())


def test_icons_are_generated() -> None:
    """icons.json holds what scripts/generate_icons.py writes."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(REPO / "scripts" / "generate_icons.py"), "--check"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout
