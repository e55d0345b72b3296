"""Binary sensors: BMW's many spellings of yes and no, lock semantics."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.components.binary_sensor import BinarySensorDeviceClass
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from tests.entity_helpers import (
    HOOD,
    T0,
    TEST_VIN,
    entity_id,
    make_entry,
    push,
    setup_entry,
)

MOVING = "vehicle.isMoving"
FLAP_LOCKED = "vehicle.body.flap.isLocked"
PLUGGED = "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged"


async def test_words_and_booleans(hass: HomeAssistant, simulator) -> None:
    coordinator = await setup_entry(hass, make_entry(simulator))
    steps = [
        ({HOOD: "OPEN", MOVING: "asn_istrue", PLUGGED: True}, STATE_ON),
        ({HOOD: "CLOSED", MOVING: "ASN_isFalse", PLUGGED: "false"}, STATE_OFF),
        ({HOOD: "INVALID", MOVING: "asn_isunknown", PLUGGED: None}, STATE_UNKNOWN),
    ]
    for index, (values, expected) in enumerate(steps):
        await push(hass, coordinator, TEST_VIN, values, T0 + timedelta(seconds=index))
        for name in values:
            state = hass.states.get(
                entity_id(hass, "binary_sensor", f"{TEST_VIN}_{name}")
            )
            assert state.state == expected, (name, values[name])


async def test_lock_means_on_when_unlocked(hass: HomeAssistant, simulator) -> None:
    coordinator = await setup_entry(hass, make_entry(simulator))
    await push(hass, coordinator, TEST_VIN, {FLAP_LOCKED: "FLAP_LOCKED"})
    flap = entity_id(hass, "binary_sensor", f"{TEST_VIN}_{FLAP_LOCKED}")
    entry = er.async_get(hass).async_get(flap)
    assert entry.original_device_class is BinarySensorDeviceClass.LOCK
    assert hass.states.get(flap).state == STATE_OFF
    await push(
        hass, coordinator, TEST_VIN, {FLAP_LOCKED: "FLAP_UNLOCKED"}, T0 + timedelta(1)
    )
    assert hass.states.get(flap).state == STATE_ON
