"""Last values survive a crash; a value of the wrong type never replaces a good one.

A crash is a run whose last write is the value store's own delayed one: Home
Assistant's restore snapshot is older (set up by ``mock_restore_cache``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    EVENT_HOMEASSISTANT_FINAL_WRITE,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    mock_restore_cache,
)

from custom_components.cardata.const import DOMAIN
from custom_components.cardata.data.value_store import SAVE_DELAY
from custom_components.cardata.vehicles.gate import vin_key
from tests.entity_helpers import (
    HOOD,
    MILEAGE,
    SOC,
    T0,
    make_entry,
    push,
    setup_entry,
)
from tests.simulator import VIN_BEV

TYRE = "vehicle.chassis.axle.row1.wheel.left.tire.pressure"


def _key(entry: Any) -> str:
    return f"cardata.values.{entry.entry_id}"


def _registered(hass: HomeAssistant, entry: Any) -> dict[str, str]:
    """The registry as the crashed run left it: descriptor -> entity id."""
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, VIN_BEV)}
    )
    reg = er.async_get(hass)
    return {
        name: reg.async_get_or_create(
            platform,
            DOMAIN,
            f"{VIN_BEV}_{name}",
            config_entry=entry,
            device_id=device.id,
            # As the integration names them (no VIN in the entity id).
            suggested_object_id=f"bmw_v001_{name.rsplit('.', 1)[-1]}",
        ).entity_id
        for name, platform in (
            (SOC, "sensor"),
            (MILEAGE, "sensor"),
            (HOOD, "binary_sensor"),
            (TYRE, "sensor"),
        )
    }


def _rows(hass_storage: dict[str, Any], entry: Any) -> dict[str, Any]:
    """The stored rows of the test's vehicle; empty before the first write."""
    if (stored := hass_storage.get(_key(entry))) is None:
        return {}
    rows: dict[str, Any] = stored["data"]["vehicles"].get(
        vin_key(entry.entry_id, VIN_BEV), {}
    )
    return rows


def _stored(entry: Any, rows: dict[str, list[Any]]) -> dict[str, Any]:
    return {
        "version": 1,
        "minor_version": 1,
        "key": _key(entry),
        "data": {"vehicles": {vin_key(entry.entry_id, VIN_BEV): rows}},
    }


async def test_values_are_written_within_a_minute(
    hass: HomeAssistant, simulator, hass_storage: dict[str, Any]
) -> None:
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    now = dt_util.utcnow().replace(microsecond=0)
    await push(hass, coordinator, VIN_BEV, {SOC: 42, HOOD: "OPEN"}, now)
    await push(hass, coordinator, VIN_BEV, {MILEAGE: 12345}, now)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=SAVE_DELAY))
    await hass.async_block_till_done()
    rows = hass_storage[_key(entry)]["data"]["vehicles"][
        vin_key(entry.entry_id, VIN_BEV)
    ]
    assert rows[SOC][0] == 42
    assert rows[SOC][2] == now.isoformat()
    assert rows[MILEAGE][0] == 12345
    assert rows[HOOD][0] == "OPEN"
    assert VIN_BEV not in str(hass_storage[_key(entry)])


async def test_a_steady_stream_writes_at_most_once_a_minute(
    hass: HomeAssistant,
    simulator,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A value every second for 10 minutes: about ten writes, not hundreds.

    Each write replaces the stored document, so a new object under the key is
    one write; at most one happens per simulated second here.
    """
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    key = _key(entry)
    seen = hass_storage.get(key)
    writes = 0
    for second in range(1, 601):
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
        await push(
            hass,
            coordinator,
            VIN_BEV,
            {MILEAGE: 10_000 + second},
            dt_util.utcnow(),
        )
        if hass_storage.get(key) is not seen:
            seen = hass_storage.get(key)
            writes += 1
    assert 1 <= writes <= 11  # one a minute, one more at the edge
    # The last value of the stream is on disk within a minute of its end.
    freezer.tick(timedelta(seconds=SAVE_DELAY))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert _rows(hass_storage, entry)[MILEAGE][0] == 10_600


async def test_stop_and_unload_write_what_is_pending(
    hass: HomeAssistant, simulator, hass_storage: dict[str, Any]
) -> None:
    """Values not yet written when Home Assistant stops or the entry unloads."""
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    await push(hass, coordinator, VIN_BEV, {MILEAGE: 20_000}, dt_util.utcnow())
    # Not yet: the minute has not passed.
    assert _rows(hass_storage, entry).get(MILEAGE, [None])[0] != 20_000
    # Home Assistant stops: its final write takes the pending values.
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    assert _rows(hass_storage, entry)[MILEAGE][0] == 20_000
    await push(hass, coordinator, VIN_BEV, {MILEAGE: 20_001}, dt_util.utcnow())
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert _rows(hass_storage, entry)[MILEAGE][0] == 20_001


async def test_a_crash_brings_back_the_last_values(
    hass: HomeAssistant, simulator, hass_storage: dict[str, Any]
) -> None:
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    ids = _registered(hass, entry)
    # Home Assistant's own snapshot, 15 minutes older: hood closed, SoC 80.
    mock_restore_cache(hass, [State(ids[SOC], "80"), State(ids[HOOD], STATE_OFF)])
    stamp = (T0 + timedelta(minutes=15)).isoformat()
    hass_storage[_key(entry)] = _stored(
        entry,
        {
            SOC: [64, "%", stamp, stamp],
            HOOD: ["OPEN", None, stamp, stamp],
            TYRE: ["abc", "kPa", stamp, stamp],  # a bad value from an old version
            "broken": "row",
        },
    )
    coordinator = await setup_entry(hass, entry)
    assert hass.states.get(ids[SOC]).state == "64"
    assert hass.states.get(ids[HOOD]).state == STATE_ON
    assert coordinator.get(VIN_BEV, TYRE) is None
    assert hass.states.get(ids[TYRE]).state == "unknown"
    # The restored values feed the "older value" check.
    await push(hass, coordinator, VIN_BEV, {SOC: 55}, T0)
    assert hass.states.get(ids[SOC]).state == "64"
    assert coordinator.ignored_older == 1
    await push(hass, coordinator, VIN_BEV, {SOC: 66}, T0 + timedelta(hours=1))
    assert hass.states.get(ids[SOC]).state == "66"


async def test_a_value_of_the_wrong_type_keeps_the_good_one(
    hass: HomeAssistant, simulator, hass_storage: dict[str, Any]
) -> None:
    entry = make_entry(simulator)
    coordinator = await setup_entry(hass, entry)
    await push(hass, coordinator, VIN_BEV, {TYRE: 250}, T0)
    tyre = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, f"{VIN_BEV}_{TYRE}")
    assert tyre is not None
    assert hass.states.get(tyre).state == "250"
    await push(hass, coordinator, VIN_BEV, {TYRE: "abc"}, T0 + timedelta(minutes=1))
    assert hass.states.get(tyre).state == "250"
    assert coordinator.value_check.dropped["not_a_number"] == 1
    # Never written, so a restart shows the good value too.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    rows = hass_storage[_key(entry)]["data"]["vehicles"]
    assert rows[vin_key(entry.entry_id, VIN_BEV)][TYRE][0] == 250
    assert hass.states.get(tyre).state == "250"
