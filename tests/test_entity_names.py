"""Names of the entities an owner gets by default: distinct and meaningful."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.const import ATTR_FRIENDLY_NAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from syrupy.assertion import SnapshotAssertion

from custom_components.cardata.catalogue.descriptors import ValueKind, describe
from custom_components.cardata.catalogue.overrides import ENABLED_BY_DEFAULT
from tests.entity_helpers import (
    TEST_VIN,
    device_for,
    in_snapshots_dir,
    make_entry,
    push,
    setup_entry,
)

REPO = Path(__file__).resolve().parent.parent
TRANSLATIONS = REPO / "custom_components" / "cardata" / "translations"


def _sample(descriptor: str) -> Any:
    info = describe(descriptor)
    match info.data_type:
        case ValueKind.NUMBER:
            return 1
        case ValueKind.ENUM:
            return (info.options or ("x",))[0].upper()
        case ValueKind.BOOLEAN:
            return True
        case ValueKind.TIMESTAMP:
            return "2027-03-01T00:00:00Z"
        case _:
            return "x"


def _plain(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


async def test_default_entity_names(
    hass: HomeAssistant, simulator, snapshot: SnapshotAssertion
) -> None:
    """Every enabled entity of a vehicle sending all default values, by name."""
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    await push(hass, coordinator, TEST_VIN, {d: _sample(d) for d in ENABLED_BY_DEFAULT})
    device = device_for(hass, entry, TEST_VIN)
    names = {}
    for item in er.async_entries_for_device(er.async_get(hass), device.id):
        state = hass.states.get(item.entity_id)
        assert state is not None
        names[item.entity_id] = state.attributes[ATTR_FRIENDLY_NAME]
    assert len(names) >= len(ENABLED_BY_DEFAULT)
    plain = [_plain(name) for name in names.values()]
    assert len(set(plain)) == len(plain), "two entities share a name"
    assert dict(sorted(names.items())) == in_snapshots_dir(snapshot)


def test_readme_explains_every_default_entity() -> None:
    """The README's table names each catalogue entity enabled by default."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Entities enabled by default", 1)[1].split("\n#", 1)[0]
    rows = {
        name
        for line in table.splitlines()
        if line.startswith("| **")
        for name in re.findall(r"\*\*(.+?)\*\*", line.split("|")[1])
    }
    english = json.loads((TRANSLATIONS / "en.json").read_text(encoding="utf-8"))
    for descriptor in ENABLED_BY_DEFAULT:
        info = describe(descriptor)
        entity = english["entity"][str(info.platform)][info.translation_key]
        assert entity["name"] in rows, entity["name"]
