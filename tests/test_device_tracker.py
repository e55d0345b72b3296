"""The vehicle tracker pairs latitude and longitude by BMW timestamp."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.cardata.const import DOMAIN
from tests.entity_helpers import (
    ALTITUDE,
    HEADING,
    LAT,
    LON,
    OTHER_VIN,
    SOC,
    T0,
    TEST_VIN,
    entity_id,
    make_entry,
    message,
    push,
    setup_entry,
)

HOME = (48.177662, 11.556120)
AWAY = (48.137154, 11.576124)


def _position(hass: HomeAssistant, tracker: str) -> tuple[float | None, float | None]:
    state = hass.states.get(tracker)
    return state.attributes.get(ATTR_LATITUDE), state.attributes.get(ATTR_LONGITUDE)


async def test_position_needs_a_pair(hass: HomeAssistant, simulator) -> None:
    coordinator = await setup_entry(hass, make_entry(simulator))
    # No tracker for a car that never sent a position.
    await push(hass, coordinator, OTHER_VIN, {SOC: 40})
    reg = er.async_get(hass)
    assert (
        reg.async_get_entity_id("device_tracker", DOMAIN, f"{OTHER_VIN}_device_tracker")
        is None
    )

    # Latitude alone: the tracker exists but has no position yet.
    await push(hass, coordinator, TEST_VIN, {LAT: HOME[0]}, T0)
    tracker = entity_id(hass, "device_tracker", f"{TEST_VIN}_device_tracker")
    assert _position(hass, tracker) == (None, None)
    assert hass.states.get(tracker).state == "unknown"

    # Its longitude with the same BMW timestamp, in a later message: paired.
    await push(hass, coordinator, TEST_VIN, {LON: HOME[1], HEADING: 90}, T0)
    assert _position(hass, tracker) == HOME
    assert hass.states.get(tracker).attributes["heading"] == 90

    # A new latitude alone never combines with the old longitude.
    t1 = T0 + timedelta(minutes=1)
    await push(hass, coordinator, TEST_VIN, {LAT: AWAY[0]}, t1)
    assert _position(hass, tracker) == HOME

    # A longitude of yet another time does not pair with it either.
    t2 = T0 + timedelta(minutes=2)
    await push(hass, coordinator, TEST_VIN, {LON: 11.0}, t2)
    assert _position(hass, tracker) == HOME

    # Both of one time, in one message: the position moves.
    t3 = T0 + timedelta(minutes=3)
    await push(
        hass, coordinator, TEST_VIN, {LAT: AWAY[0], LON: AWAY[1], ALTITUDE: 520}, t3
    )
    assert _position(hass, tracker) == AWAY
    assert hass.states.get(tracker).attributes["altitude"] == 520

    # An older pair arriving late is ignored by the coordinator.
    await push(hass, coordinator, TEST_VIN, {LAT: HOME[0], LON: HOME[1]}, t1)
    assert _position(hass, tracker) == AWAY


async def test_unchanged_latitude_resent_with_new_longitude(
    hass: HomeAssistant, simulator
) -> None:
    """BMW resends a value unchanged with a new timestamp: still a valid pair."""
    coordinator = await setup_entry(hass, make_entry(simulator))
    await push(hass, coordinator, TEST_VIN, {LAT: HOME[0], LON: HOME[1]}, T0)
    tracker = entity_id(hass, "device_tracker", f"{TEST_VIN}_device_tracker")
    t1 = T0 + timedelta(minutes=1)
    await push(hass, coordinator, TEST_VIN, {LON: AWAY[1]}, t1)
    assert _position(hass, tracker) == HOME
    await push(hass, coordinator, TEST_VIN, {LAT: HOME[0]}, t1)  # same value, new time
    assert _position(hass, tracker) == (HOME[0], AWAY[1])


async def test_pair_split_over_messages_before_the_tracker_is_added(
    hass: HomeAssistant, simulator
) -> None:
    """Latitude creates the tracker; longitude arrives before it is even added."""
    coordinator = await setup_entry(hass, make_entry(simulator))
    coordinator.async_apply_message(message(TEST_VIN, {LAT: HOME[0]}, T0))
    coordinator.async_apply_message(message(TEST_VIN, {LON: HOME[1]}, T0))
    coordinator.async_apply_message(message(TEST_VIN, {HEADING: "north"}, T0))
    await hass.async_block_till_done()
    tracker = entity_id(hass, "device_tracker", f"{TEST_VIN}_device_tracker")
    assert _position(hass, tracker) == HOME
    assert "heading" not in hass.states.get(tracker).attributes
