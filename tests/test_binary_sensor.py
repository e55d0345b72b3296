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


async def test_a_word_neither_on_nor_off_is_shown_as_unknown_and_reported(
    hass: HomeAssistant, simulator, caplog
) -> None:
    """Unknown, not the old state; one warning per word; the diagnostics list it."""
    coordinator = await setup_entry(hass, make_entry(simulator))
    await push(hass, coordinator, TEST_VIN, {HOOD: "OPEN"}, T0)
    hood = entity_id(hass, "binary_sensor", f"{TEST_VIN}_{HOOD}")
    assert hass.states.get(hood).state == STATE_ON
    for second in (1, 2):
        await push(
            hass,
            coordinator,
            TEST_VIN,
            {HOOD: "HALF_OPEN"},
            T0 + timedelta(seconds=second),
        )
        assert hass.states.get(hood).state == STATE_UNKNOWN
    # BMW's own "no value" words are not news; text that is no word is not repeated.
    await push(hass, coordinator, TEST_VIN, {MOVING: "INVALID"}, T0 + timedelta(3))
    await push(hass, coordinator, TEST_VIN, {MOVING: "x1" * 40}, T0 + timedelta(4))

    warnings = [
        r.getMessage() for r in caplog.records if "neither on nor off" in r.getMessage()
    ]
    assert len(warnings) == 2
    assert "half_open" in warnings[0]
    assert HOOD in warnings[0]
    assert "x1x1" not in warnings[1]
    assert coordinator.value_check.unread_words == {
        HOOD: {"half_open"},
        MOVING: {"(not a word)"},
    }
