"""The Activity log and the database over a burst of stream messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.logbook.processor import EventProcessor
from homeassistant.components.recorder import get_instance
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    async_fire_time_changed,
    mock_component,
)

from custom_components.cardata.const import DOMAIN
from custom_components.cardata.entities.diagnostic import LAST_DATA_EVERY
from tests.entity_helpers import (
    SOC,
    T0,
    TEST_VIN,
    entity_id,
    make_entry,
    push,
    quiet_recorder,
    setup_entry,
    written_states,
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Any, enable_custom_integrations: None
) -> Iterator[None]:
    """The recorder starts before Home Assistant (its fixture's rule)."""
    with quiet_recorder():
        yield


async def test_burst_writes_few_logbook_entries(
    hass: HomeAssistant, simulator, freezer: FrozenDateTimeFactory
) -> None:
    """60 messages in 10 minutes: a few logbook entries, not one per message.

    "Last data received" is written at most once per window; when the car
    falls silent, the newest time shows.
    """
    mock_component(hass, "frontend")  # the logbook only registers a panel there
    assert await async_setup_component(hass, "logbook", {})
    coordinator = await setup_entry(hass, make_entry(simulator))
    await push(hass, coordinator, TEST_VIN, {SOC: 50})
    last = entity_id(hass, "sensor", f"{TEST_VIN}_last_data_received")
    start = dt_util.utcnow()
    written = written_states(hass, last)
    stamp = T0
    for step in range(60):
        freezer.tick(timedelta(seconds=10))
        async_fire_time_changed(hass)
        stamp = T0 + timedelta(seconds=10 * (step + 1))
        await push(hass, coordinator, TEST_VIN, {SOC: 50 + step % 2}, stamp)
    freezer.tick(LAST_DATA_EVERY)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert hass.states.get(last).state == stamp.isoformat()
    assert 2 <= len(written) <= 3
    recorder = get_instance(hass)
    await recorder.async_block_till_done()
    processor = EventProcessor(hass, (EVENT_STATE_CHANGED,), entity_ids=[last])
    entries = await recorder.async_add_executor_job(
        processor.get_events, start, dt_util.utcnow() + timedelta(seconds=1)
    )
    assert 2 <= len(entries) <= 3


CHARGING_STATUS = "vehicle.drivetrain.electricEngine.charging.status"
HV_STATUS = "vehicle.drivetrain.electricEngine.charging.hvStatus"


async def test_one_logbook_line_per_charging_event(
    hass: HomeAssistant, simulator
) -> None:
    """A charge that starts is one line in the logbook, not two.

    The car sends both its charging status and its HV charging status at the
    same moment; only the HV charging status is enabled by default.
    """
    mock_component(hass, "frontend")
    assert await async_setup_component(hass, "logbook", {})
    coordinator = await setup_entry(hass, make_entry(simulator))
    registry = er.async_get(hass)
    await push(
        hass,
        coordinator,
        TEST_VIN,
        {CHARGING_STATUS: "NOCHARGING", HV_STATUS: "NOT_CHARGING"},
        T0,
    )
    start = dt_util.utcnow()
    await push(
        hass,
        coordinator,
        TEST_VIN,
        {CHARGING_STATUS: "CHARGINGACTIVE", HV_STATUS: "CHARGING"},
        T0 + timedelta(minutes=1),
    )
    ours = [
        entry.entity_id
        for descriptor in (CHARGING_STATUS, HV_STATUS)
        if (
            entry := registry.async_get(
                registry.async_get_entity_id(
                    "sensor", DOMAIN, f"{TEST_VIN}_{descriptor}"
                )
                or ""
            )
        )
        is not None
    ]
    assert ours  # both exist; the plain charging status is disabled by default
    recorder = get_instance(hass)
    await recorder.async_block_till_done()
    processor = EventProcessor(hass, (EVENT_STATE_CHANGED,), entity_ids=ours)
    entries = await recorder.async_add_executor_job(
        processor.get_events, start, dt_util.utcnow() + timedelta(seconds=1)
    )
    assert [e["state"] for e in entries] == ["charging"]
