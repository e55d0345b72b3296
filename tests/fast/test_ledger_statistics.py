"""The ledger's statistics match its session list hour by hour.

Through a correction (BMW's history) and a restart in the middle, each
series' running sum at every hour equals what the sessions drew up to the end
of that hour, computed here minute by minute from the sessions themselves,
and never goes down (no meter reset).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.cardata.const import DOMAIN
from custom_components.cardata.ledger.statistics import statistic_id
from tests.entity_helpers import quiet_recorder

from .conftest import API, ENTRY_ID, GCID
from .fake_stream import FakeBroker
from .vehicles import CHG, LAT, LON, NOW, PHEV, SOC

STATUS = CHG + "hvStatus"
POWER = "vehicle.powertrain.electric.battery.charging.power"
PORT = "vehicle.body.chargingPort.status"
UNITS = {SOC: "percent", POWER: "W"}
SERIES = ("total", "home", "elsewhere", "cost")
PRICES = {"ledger_price_home": 0.3, "ledger_price_elsewhere": 0.5}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Any, enable_custom_integrations: None
) -> Iterator[None]:
    """The recorder starts before Home Assistant (its fixture's rule)."""
    with quiet_recorder():
        yield


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """Prices set: the cost series has figures."""
    return dict(PRICES)


async def _charge(
    hass: HomeAssistant, mqtt: FakeBroker, start: datetime, minutes: int, watts: int
) -> None:
    on = {PORT: "CONNECTED", STATUS: "CHARGING", POWER: watts}
    assert mqtt.publish(GCID, PHEV.vin, on, start, UNITS)
    off = {STATUS: "NOT_CHARGING", POWER: 0, PORT: "DISCONNECTED"}
    assert mqtt.publish(GCID, PHEV.vin, off, start + timedelta(minutes=minutes), UNITS)
    await hass.async_block_till_done()


def _expected(sessions: list[dict[str, Any]]) -> dict[str, dict[datetime, float]]:
    """Each series' energy (cost) per hour, minute by minute from the sessions."""
    per_hour: dict[str, dict[datetime, float]] = {s: defaultdict(float) for s in SERIES}
    for session in sessions:
        start = datetime.fromisoformat(session["start"])
        end = datetime.fromisoformat(session["end"])
        minutes = max(1, round((end - start).total_seconds() / 60))
        price = PRICES[f"ledger_price_{session['class']}"]
        for minute in range(minutes):
            at = start + timedelta(minutes=minute)
            hour = at.replace(minute=0, second=0, microsecond=0)
            kwh = session["energy_kwh"] / minutes
            per_hour["total"][hour] += kwh
            per_hour[session["class"]][hour] += kwh
            per_hour["cost"][hour] += kwh * price
    return per_hour


async def _check(hass: HomeAssistant) -> None:
    """The recorder's sums are the sessions' running sums, hour by hour."""
    await async_wait_recording_done(hass)
    response = await hass.services.async_call(
        DOMAIN,
        "get_charging_sessions",
        {"vin": PHEV.vin, "start": (NOW - timedelta(days=10)).isoformat()},
        blocking=True,
        return_response=True,
    )
    sessions = response["vehicles"][PHEV.vin]["sessions"]  # type: ignore[index]
    expected = _expected(sessions)
    ids = {statistic_id(ENTRY_ID, PHEV.vin, s): s for s in SERIES}
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        NOW - timedelta(days=10),
        NOW + timedelta(hours=1),
        set(ids),
        "hour",
        None,
        {"sum"},
    )
    for stat, series in ids.items():
        rows = stats[stat]
        assert rows, series
        running, previous = 0.0, 0.0
        hours = expected[series]
        for hour in sorted(hours):
            if hour < datetime.fromtimestamp(rows[0]["start"], tz=hour.tzinfo):
                running += hours[hour]
        for row in rows:
            hour = datetime.fromtimestamp(row["start"], tz=NOW.tzinfo)
            running += hours.get(hour, 0.0)
            assert row["sum"] == pytest.approx(running, abs=1e-3), (series, hour)
            assert row["sum"] >= previous - 1e-6  # never a meter reset
            previous = row["sum"]
        assert running == pytest.approx(sum(hours.values()), abs=1e-3)


async def test_statistics_match_the_sessions_through_a_correction_and_a_restart(
    hass: HomeAssistant,
    setup_integration,
    mqtt: FakeBroker,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    await hass.config.async_update(
        latitude=PHEV.values[LAT][0], longitude=PHEV.values[LON][0]
    )
    assert await async_setup_component(hass, "zone", {})
    entry = await setup_integration()
    # Two evenings of charging, one over an hour's turn.
    first = NOW - timedelta(hours=3, minutes=40)
    await _charge(hass, mqtt, first, 90, 7_400)
    second = NOW - timedelta(minutes=50)
    await _charge(hass, mqtt, second, 40, 3_600)
    await _check(hass)

    # BMW's history corrects the first session's energy and adds one the
    # stream missed (two days ago, at a public charger): the sums move from
    # the first hour each touched, never backwards.
    url = f"{API}/customers/vehicles/{PHEV.vin}/chargingHistory"
    missed = NOW - timedelta(days=2, hours=5)
    stamp = lambda at: int(at.timestamp() * 1000)  # noqa: E731
    aioclient_mock.get(
        url,
        json={
            "data": [
                {
                    "startTime": stamp(first),
                    "endTime": stamp(first + timedelta(minutes=90)),
                    "energyConsumedFromPowerGridKwh": 12.0,
                    "chargingBlocks": [],
                },
                {
                    "startTime": stamp(missed),
                    "endTime": stamp(missed + timedelta(minutes=30)),
                    "energyConsumedFromPowerGridKwh": 25.0,
                    "publicChargingPoint": {
                        "potentialChargingPointMatches": [{"providerName": "X"}]
                    },
                },
            ]
        },
    )
    await hass.services.async_call(
        DOMAIN, "fetch_charging_history", {"vin": PHEV.vin}, blocking=True
    )
    await _check(hass)

    # A restart in the middle; then the owner corrects a class, and the car
    # charges again.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await hass.services.async_call(
        DOMAIN,
        "set_charging_session_class",
        {"vin": PHEV.vin, "session_start": missed.isoformat(), "class": "home"},
        blocking=True,
    )
    await _check(hass)
    await _charge(hass, mqtt, NOW - timedelta(minutes=8), 6, 11_000)
    await _check(hass)
