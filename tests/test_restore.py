"""After a restart every known entity is back, with its last state, before data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.const import (
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import (
    mock_restore_cache_with_extra_data,
)

from custom_components.cardata.const import DOMAIN
from custom_components.cardata.vehicles.gate import vin_key
from tests.entity_helpers import (
    HOOD,
    LAT,
    LON,
    SOC,
    T0,
    TEST_VIN,
    UNKNOWN,
    device_for,
    make_entry,
    push,
    setup_entry,
)
from tests.simulator import VIN_BEV

LAST_SEEN = T0 - timedelta(hours=5)
DOORS = "vehicle.cabin.door.status"


def _register(hass: HomeAssistant, entry) -> dict[str, str]:
    """Registry entries as a previous run left them; returns unique id -> entity id."""
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, VIN_BEV)}
    )
    reg = er.async_get(hass)
    wanted = {
        f"{VIN_BEV}_{SOC}": ("sensor", "bmw_soc"),
        f"{VIN_BEV}_{UNKNOWN}": ("sensor", "bmw_widget"),
        f"{VIN_BEV}_{HOOD}": ("binary_sensor", "bmw_hood"),
        f"{VIN_BEV}_{DOORS}": ("sensor", "bmw_doors"),
        f"{VIN_BEV}_last_data_received": ("sensor", "bmw_last"),
        f"{VIN_BEV}_device_tracker": ("device_tracker", "bmw"),
    }
    return {
        unique_id: reg.async_get_or_create(
            platform,
            DOMAIN,
            unique_id,
            suggested_object_id=object_id,
            config_entry=entry,
            device_id=device.id,
        ).entity_id
        for unique_id, (platform, object_id) in wanted.items()
    }


async def test_restore_after_restart(hass: HomeAssistant, simulator) -> None:
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    ids = _register(hass, entry)
    soc = ids[f"{VIN_BEV}_{SOC}"]
    widget = ids[f"{VIN_BEV}_{UNKNOWN}"]
    hood = ids[f"{VIN_BEV}_{HOOD}"]
    last = ids[f"{VIN_BEV}_last_data_received"]
    tracker = ids[f"{VIN_BEV}_device_tracker"]
    doors = ids[f"{VIN_BEV}_{DOORS}"]
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(soc, "71"),
                {"native_value": 71, "native_unit_of_measurement": "%"},
            ),
            (
                State(widget, "3"),
                {"native_value": 3, "native_unit_of_measurement": "bar"},
            ),
            (
                State(last, LAST_SEEN.isoformat()),
                {
                    "native_value": {
                        "__type": "<class 'datetime.datetime'>",
                        "isoformat": LAST_SEEN.isoformat(),
                    },
                    "native_unit_of_measurement": None,
                },
            ),
            (State(hood, STATE_ON), {}),
            # Saved by a version that showed BMW's word as it came.
            (
                State(doors, "ASN_unlocked"),
                {"native_value": "ASN_unlocked", "native_unit_of_measurement": None},
            ),
            (
                State(
                    tracker,
                    "not_home",
                    {ATTR_LATITUDE: 48.1, ATTR_LONGITUDE: 11.5, "heading": 270},
                ),
                {},
            ),
        ],
    )

    coordinator = await setup_entry(hass, entry)
    assert coordinator.get(VIN_BEV, SOC) is None  # nothing live yet
    assert float(hass.states.get(soc).state) == 71
    assert hass.states.get(widget).state == "3"
    assert hass.states.get(widget).attributes["unit_of_measurement"] == "bar"
    assert hass.states.get(last).state == LAST_SEEN.isoformat()
    assert hass.states.get(hood).state == STATE_ON
    assert hass.states.get(doors).state == "unlocked"
    restored = hass.states.get(tracker).attributes
    assert (restored[ATTR_LATITUDE], restored[ATTR_LONGITUDE]) == (48.1, 11.5)
    assert restored["heading"] == 270

    # The car speaks: live values replace the restored ones.
    await push(hass, coordinator, VIN_BEV, {SOC: 72, LAT: 48.2, LON: 11.6})
    assert hass.states.get(soc).state == "72"
    assert hass.states.get(last).state == T0.isoformat()
    assert hass.states.get(tracker).attributes[ATTR_LATITUDE] == 48.2


async def test_restore_after_a_stop_while_the_login_was_refused(
    hass: HomeAssistant, simulator
) -> None:
    """Home Assistant stopped while its entities were unavailable.

    Its restore snapshot shows "unavailable"; each entity's stored data
    holds the values it had, and those come back.
    """
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    ids = _register(hass, entry)
    hood = ids[f"{VIN_BEV}_{HOOD}"]
    tracker = ids[f"{VIN_BEV}_device_tracker"]
    mock_restore_cache_with_extra_data(
        hass,
        [
            (State(hood, STATE_UNAVAILABLE), {"is_on": True}),
            (
                State(tracker, STATE_UNAVAILABLE),
                {ATTR_LATITUDE: 48.1, ATTR_LONGITUDE: 11.5, "altitude": 520},
            ),
        ],
    )
    await setup_entry(hass, entry)
    assert hass.states.get(hood).state == STATE_ON
    restored = hass.states.get(tracker).attributes
    assert (restored[ATTR_LATITUDE], restored[ATTR_LONGITUDE]) == (48.1, 11.5)
    assert restored["altitude"] == 520


async def test_device_details_survive_a_restart(
    hass: HomeAssistant, simulator, hass_storage: dict[str, Any]
) -> None:
    """Model and name filled in by REST once stay after a restart without REST."""
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    # The first set-up ran before the restart; BMW's mappings, read then,
    # list the car as the account's.
    for key, data in (
        ("vehicles", {"done": True}),
        ("vins", {"primary": [vin_key(entry.entry_id, TEST_VIN)]}),
    ):
        hass_storage[f"cardata.{key}.{entry.entry_id}"] = {
            "version": 1,
            "minor_version": 1,
            "key": f"cardata.{key}.{entry.entry_id}",
            "data": data,
        }
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, TEST_VIN)},
        manufacturer="BMW",
        model="i4 eDrive40",
        name="BMW i4 eDrive40",
    )
    er.async_get(hass).async_get_or_create(
        "sensor", DOMAIN, f"{TEST_VIN}_{SOC}", config_entry=entry, device_id=device.id
    )
    coordinator = await setup_entry(hass, entry)
    await push(hass, coordinator, TEST_VIN, {SOC: 10})
    device = device_for(hass, entry, TEST_VIN)
    assert (device.model, device.name) == ("i4 eDrive40", "BMW i4 eDrive40")
    assert coordinator.device_info(TEST_VIN)["model"] == "i4 eDrive40"
