"""A price entity prices home sessions by the hour, from the recorder's history.

The tariff's states are written into the recorder at known hours; the
sessions' cost, the cost statistics and ``get_charging_sessions`` follow the
price of each hour a session drew in. Elsewhere keeps its fixed price; a
session with an hour without a valid price has no cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.cardata.const import DOMAIN
from custom_components.cardata.ledger.statistics import statistic_id
from custom_components.cardata.ledger.store import storage_key
from tests.entity_helpers import quiet_recorder
from tests.waiting import wait_for

from .conftest import ENTRY_ID, GCID
from .fake_stream import FakeBroker
from .vehicles import CHG, LAT, LON, NOW, PHEV, SOC

STATUS = CHG + "hvStatus"
POWER = "vehicle.powertrain.electric.battery.charging.power"
PORT = "vehicle.body.chargingPort.status"
UNITS = {SOC: "percent", POWER: "W"}
TARIFF = "sensor.tariff"
EUR_KWH = {"unit_of_measurement": "EUR/kWh"}
OPTIONS = {
    "ledger_price_entity": TARIFF,
    "ledger_price_home": 0.99,  # the entity wins at home
    "ledger_price_elsewhere": 0.5,
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Any, enable_custom_integrations: None
) -> Iterator[None]:
    """The recorder starts before Home Assistant (its fixture's rule)."""
    with quiet_recorder():
        yield


async def _home_at_the_phev(hass: HomeAssistant) -> None:
    """Home Assistant's home is where the plug-in hybrid is parked."""
    await hass.config.async_update(
        latitude=PHEV.values[LAT][0], longitude=PHEV.values[LON][0]
    )
    assert await async_setup_component(hass, "zone", {})


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """A price entity for home, a fixed price elsewhere."""
    return dict(OPTIONS)


async def _prices(
    hass: HomeAssistant, *steps: tuple[datetime, str, dict[str, Any]]
) -> None:
    """The tariff's states at those times, in the recorder, then home's zone.

    The recorder holds nothing older than the first state it wrote: the
    tariff's past states come before any other.
    """
    for at, state, attributes in steps:
        hass.states.async_set(TARIFF, state, attributes, timestamp=at.timestamp())
    await async_wait_recording_done(hass)
    await _home_at_the_phev(hass)


async def _charge(
    hass: HomeAssistant, mqtt: FakeBroker, start: datetime, minutes: int
) -> None:
    """The PHEV charges 3.6 kW from ``start`` for ``minutes``, then unplugs."""
    on = {PORT: "CONNECTED", STATUS: "CHARGING", POWER: 3_600}
    assert mqtt.publish(GCID, PHEV.vin, on, start, UNITS)
    off = {STATUS: "NOT_CHARGING", POWER: 0, PORT: "DISCONNECTED"}
    assert mqtt.publish(GCID, PHEV.vin, off, start + timedelta(minutes=minutes), UNITS)
    await hass.async_block_till_done()


async def _sessions(hass: HomeAssistant) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "get_charging_sessions",
        {"vin": PHEV.vin, "start": (NOW - timedelta(days=1)).isoformat()},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return response["vehicles"][PHEV.vin]  # type: ignore[index,return-value]


async def _priced(hass: HomeAssistant, index: int) -> dict[str, Any]:
    """The sessions once the one at ``index`` has a cost (prices are read aside)."""

    async def priced() -> bool:
        return (await _sessions(hass))["sessions"][index]["cost"] is not None

    await wait_for(priced)
    return await _sessions(hass)


async def _hourly_cost(hass: HomeAssistant) -> dict[datetime, float]:
    """The cost statistic's figure of each hour written."""
    await async_wait_recording_done(hass)
    stat = statistic_id(ENTRY_ID, PHEV.vin, "cost")
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        NOW - timedelta(hours=6),
        NOW + timedelta(hours=1),
        {stat},
        "hour",
        None,
        {"state", "sum"},
    )
    return {
        datetime.fromtimestamp(row["start"], tz=NOW.tzinfo): row["state"]
        for row in rows[stat]
    }


async def test_home_sessions_cost_the_price_of_their_hours(
    hass: HomeAssistant,
    setup_integration,
    mqtt: FakeBroker,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    h = NOW - timedelta(hours=3)  # 05:00; NOW is 08:00
    await _prices(
        hass,
        # The last state before the hour counts: 0.20 all of 05:00-06:00.
        (h - timedelta(minutes=50), "0.20", EUR_KWH),
        # 06:00-07:00: half at 0.30, half at 0.40 (a quarter-hour tariff).
        (h + timedelta(hours=1), "0.30", EUR_KWH),
        (h + timedelta(hours=1, minutes=30), "0.40", EUR_KWH),
        # 07:00-08:00: 0.40, then 0.60 from half past (in Wh: 0.0006).
        (
            h + timedelta(hours=2, minutes=30),
            "0.0006",
            {"unit_of_measurement": "EUR/Wh"},
        ),
    )
    await setup_integration()
    # 05:30-06:30: 1.8 kWh in each hour; 07:20-07:50: 1.8 kWh in the hour
    # that has not ended (its price is read after it, at 08:01).
    await _charge(hass, mqtt, h + timedelta(minutes=30), 60)
    await _charge(hass, mqtt, h + timedelta(hours=2, minutes=20), 30)
    answer = await _priced(hass, 0)
    first, last = answer["sessions"]
    assert first["class"] == last["class"] == "home"
    assert first["energy_kwh"] == pytest.approx(3.6)
    assert first["cost"] == pytest.approx(1.8 * 0.20 + 1.8 * 0.35)
    assert first["currency"] == hass.config.currency
    assert last["cost"] is None  # its hour is not over yet
    assert answer["cost"] == pytest.approx(0.99)
    cost = await _hourly_cost(hass)
    assert cost[h] == pytest.approx(0.36, abs=1e-3)
    assert cost[h + timedelta(hours=1)] == pytest.approx(0.63, abs=1e-3)
    assert cost[h + timedelta(hours=2)] == 0.0
    # This month (local time) has only the last session, not priced yet.
    month = "sensor.bmw_0002_charging_cost_this_month"
    assert hass.states.get(month).state == "unknown"

    # Once 07:00-08:00 is over, its mean price (0.50) prices the last session.
    freezer.move_to(NOW + timedelta(minutes=2))
    async_fire_time_changed(hass, NOW + timedelta(minutes=2))
    answer = await _priced(hass, 1)
    assert answer["sessions"][1]["cost"] == pytest.approx(1.8 * 0.5)
    assert answer["cost"] == pytest.approx(1.89)
    assert (await _hourly_cost(hass))[h + timedelta(hours=2)] == pytest.approx(0.9)
    assert float(hass.states.get(month).state) == pytest.approx(0.9)
    last = hass.states.get("sensor.bmw_0002_last_charge_energy")
    assert last.attributes["cost"] == pytest.approx(0.9)

    # Elsewhere keeps its fixed price: the owner moves the first session there.
    await hass.services.async_call(
        DOMAIN,
        "set_charging_session_class",
        {"vin": PHEV.vin, "session_start": first["start"], "class": "elsewhere"},
        blocking=True,
    )
    answer = await _sessions(hass)
    assert answer["sessions"][0]["cost"] == pytest.approx(3.6 * 0.5)
    cost = await _hourly_cost(hass)
    assert cost[h] == pytest.approx(0.9, abs=1e-3)
    assert cost[h + timedelta(hours=1)] == pytest.approx(0.9, abs=1e-3)

    # The prices read are kept with the ledger (the recorder forgets them).
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    assert await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[storage_key(ENTRY_ID)]["data"]["prices"]
    assert stored["entity"] == TARIFF
    assert stored["hours"][(h + timedelta(hours=1)).isoformat()] == pytest.approx(0.35)
    # After a restart the kept prices count, not a new read of the recorder.
    stored["hours"][(h + timedelta(hours=2)).isoformat()] = 1.0
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert (await _sessions(hass))["sessions"][1]["cost"] == pytest.approx(1.8)


async def test_an_hour_without_a_valid_price_has_no_cost(
    hass: HomeAssistant,
    setup_integration,
    mqtt: FakeBroker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    h = NOW - timedelta(hours=4)  # 04:00
    await _prices(
        hass,
        # 04:00-05:00: unavailable for ten minutes.
        (h - timedelta(minutes=5), "0.20", EUR_KWH),
        (h + timedelta(minutes=20), "unavailable", {}),
        (h + timedelta(minutes=30), "0.20", EUR_KWH),
        # 05:00-06:00: a price in cents, not in Home Assistant's currency.
        (h + timedelta(hours=1), "30", {"unit_of_measurement": "ct/kWh"}),
        # 06:00-07:00: a fine price.
        (h + timedelta(hours=2), "0.25", EUR_KWH),
    )
    await setup_integration()
    caplog.set_level(logging.DEBUG, "custom_components.cardata")
    await _charge(hass, mqtt, h + timedelta(minutes=10), 30)
    await _charge(hass, mqtt, h + timedelta(hours=1, minutes=10), 30)
    # This one draws in 06:00-07:00 and in 05:00-06:00: one hour without price.
    await _charge(hass, mqtt, h + timedelta(hours=1, minutes=50), 20)
    await _charge(hass, mqtt, h + timedelta(hours=2, minutes=10), 30)
    # Read in order: once the last one has a price, every hour was read.
    answer = await _priced(hass, 3)
    costs = [s["cost"] for s in answer["sessions"]]
    assert costs == [None, None, None, pytest.approx(1.8 * 0.25)]
    assert answer["cost"] == pytest.approx(0.45)
    cost = await _hourly_cost(hass)
    assert cost[h] == 0.0
    assert cost[h + timedelta(hours=1)] == 0.0
    # The hour with a price counts the part of the third session in it.
    assert cost[h + timedelta(hours=2)] == pytest.approx(0.45 + 0.6 * 0.25, abs=1e-3)
    assert "Price entity sensor.tariff: no price in" in caplog.text


@pytest.mark.parametrize("entry_options", [{}])
async def test_the_price_entity_is_chosen_in_the_options(
    hass: HomeAssistant, setup_integration, mqtt: FakeBroker
) -> None:
    h = NOW - timedelta(hours=3)
    await _prices(hass, (h - timedelta(minutes=5), "0.40", EUR_KWH))
    entry = await setup_integration()

    async def energy(values: dict[str, Any]) -> dict[str, Any]:
        result = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"next_step_id": "energy"}
        )
        return await hass.config_entries.options.async_configure(
            result["flow_id"], values
        )

    # A sensor in cents is refused, and the form says why.
    hass.states.async_set("sensor.cents", "30", {"unit_of_measurement": "ct/kWh"})
    result = await energy({"ledger_price_entity": "sensor.cents"})
    assert result["type"] == "form"
    assert result["errors"] == {"ledger_price_entity": "price_unit"}
    assert result["description_placeholders"]["unit"] == "ct/kWh"
    assert "ledger_price_entity" not in entry.options
    # The tariff is taken (and wins over the fixed home price).
    result = await energy({"ledger_price_entity": TARIFF, "ledger_price_home": 0.9})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert entry.options["ledger_price_entity"] == TARIFF
    await _charge(hass, mqtt, h + timedelta(minutes=10), 30)
    assert (await _priced(hass, 0))["sessions"][0]["cost"] == pytest.approx(0.72)
    # A sensor without a state yet is taken too (its price may come later).
    result = await energy({"ledger_price_entity": "sensor.not_yet"})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert entry.options["ledger_price_entity"] == "sensor.not_yet"
    assert (await _sessions(hass))["sessions"][0]["cost"] is None
    # Cleared: the fixed home price again (none left: no cost).
    result = await energy({"ledger_price_home": 0.3})
    await hass.async_block_till_done()
    assert "ledger_price_entity" not in entry.options
    assert (await _sessions(hass))["sessions"][0]["cost"] == pytest.approx(0.54)
