"""The energy ledger: sessions from the stream, kept, answered, corrected."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.cardata.const import DOMAIN
from custom_components.cardata.diagnostics import (
    async_get_config_entry_diagnostics,
)
from tests.waiting import wait_for

from .conftest import API, GCID
from .fake_stream import FakeBroker
from .vehicles import BEV, CHG, LAT, LON, NOW, PHEV, SOC

STATUS = CHG + "hvStatus"
POWER = "vehicle.powertrain.electric.battery.charging.power"
PORT = "vehicle.body.chargingPort.status"
UNITS = {SOC: "percent", POWER: "W"}


@pytest.fixture(autouse=True)
async def home_at_the_phev(hass: HomeAssistant) -> None:
    """Home Assistant's home is where the plug-in hybrid is parked."""
    await hass.config.async_update(
        latitude=PHEV.values[LAT][0], longitude=PHEV.values[LON][0]
    )
    assert await async_setup_component(hass, "zone", {})


async def _charge(
    hass: HomeAssistant, mqtt: FakeBroker, start_min: int = 60, *, away: bool = False
) -> None:
    """The PHEV charges 3.6 kW for half an hour, 65 % -> 75 %, then unplugs."""
    start = NOW - timedelta(minutes=start_min)
    values: dict[str, Any] = {PORT: "CONNECTED", STATUS: "CHARGING", POWER: 3600}
    if away:
        values |= {LAT: 48.0, LON: 11.0}
    assert mqtt.publish(GCID, PHEV.vin, values, start, UNITS)
    assert mqtt.publish(
        GCID, PHEV.vin, {SOC: 70.0}, start + timedelta(minutes=15), UNITS
    )
    # The same values again change nothing.
    assert mqtt.publish(GCID, PHEV.vin, values, start, UNITS)
    assert mqtt.publish(
        GCID,
        PHEV.vin,
        {SOC: 75.0, STATUS: "NOT_CHARGING", POWER: 0, PORT: "DISCONNECTED"},
        start + timedelta(minutes=30),
        UNITS,
    )
    await hass.async_block_till_done()


async def _sessions(hass: HomeAssistant, vin: str = PHEV.vin) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "get_charging_sessions",
        {"vin": vin, "start": (NOW - timedelta(days=1)).isoformat()},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return response["vehicles"][vin]  # type: ignore[index,return-value]


async def test_a_charge_from_the_stream_is_a_home_session(
    hass: HomeAssistant,
    setup_integration,
    mqtt: FakeBroker,
) -> None:
    entry = await setup_integration()
    await _charge(hass, mqtt)
    answer = await _sessions(hass)
    assert len(answer["sessions"]) == 1
    session = answer["sessions"][0]
    assert session["class"] == "home"
    assert session["energy_kwh"] == pytest.approx(1.8)
    assert session["start_level"] == 65.0
    assert session["end_level"] == 75.0
    assert session["duration_minutes"] == 30
    assert session["confirmed"] is False
    assert session["cost"] is None  # no price set
    assert answer["energy_kwh"] == {"total": 1.8, "home": 1.8, "elsewhere": 0.0}
    # The sensors follow: this month's kWh and the last charge.
    assert hass.states.get("sensor.bmw_0002_charged_this_month").state == "1.8"
    assert hass.states.get("sensor.bmw_0002_charged_at_home_this_month").state == "1.8"
    assert (
        hass.states.get("sensor.bmw_0002_charged_elsewhere_this_month").state == "0.0"
    )
    assert (
        hass.states.get("sensor.bmw_0002_charging_cost_this_month").state == "unknown"
    )
    last = hass.states.get("sensor.bmw_0002_last_charge_energy")
    assert last.state == "1.8"
    assert last.attributes["charge_class"] == "home"
    assert last.attributes["end_level"] == 75.0
    # The BEV was charging when Home Assistant started: no session from that.
    assert (await _sessions(hass, BEV.vin))["sessions"] == []
    # Diagnostics carry the ledger without places.
    dump = await async_get_config_entry_diagnostics(hass, entry)
    ledger = dump["energy_ledger"]
    rows = [s for v in ledger.values() for s in v["sessions"]]
    assert len(rows) == 1
    assert "latitude" not in rows[0]
    assert rows[0]["energy_kwh"] == pytest.approx(1.8)
    # Each midnight the month sensors look again (the month has not turned).
    midnight = dt_util.start_of_local_day(dt_util.now() + timedelta(days=1))
    async_fire_time_changed(hass, midnight + timedelta(seconds=1))
    await hass.async_block_till_done()
    assert hass.states.get("sensor.bmw_0002_charged_this_month").state == "1.8"


@pytest.mark.parametrize(
    "entry_options", [{"ledger_price_home": 0.3, "ledger_price_elsewhere": 0.6}]
)
async def test_sessions_are_priced_and_the_owner_corrects_the_class(
    hass: HomeAssistant, setup_integration, mqtt: FakeBroker
) -> None:
    entry = await setup_integration()
    await _charge(hass, mqtt, away=True)
    session = (await _sessions(hass))["sessions"][0]
    assert session["class"] == "elsewhere"
    assert session["cost"] == pytest.approx(1.08)
    assert session["currency"] == hass.config.currency
    response = await hass.services.async_call(
        DOMAIN,
        "set_charging_session_class",
        {"vin": PHEV.vin, "session_start": session["start"], "class": "home"},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    assert response["session"]["class"] == "home"  # type: ignore[index]
    assert response["session"]["corrected"] is True  # type: ignore[index]
    # The correction and the session outlive a reload.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    answer = await _sessions(hass)
    assert [s["class"] for s in answer["sessions"]] == ["home"]
    assert answer["cost"] == pytest.approx(0.54)
    # "automatic" gives the rule its word back.
    await hass.services.async_call(
        DOMAIN,
        "set_charging_session_class",
        {"vin": PHEV.vin, "session_start": session["start"], "class": "automatic"},
        blocking=True,
    )
    assert [s["class"] for s in (await _sessions(hass))["sessions"]] == ["elsewhere"]


async def test_correcting_an_unknown_session_says_what_to_do(
    hass: HomeAssistant, setup_integration
) -> None:
    entry = await setup_integration()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "set_charging_session_class",
            {"vin": PHEV.vin, "session_start": NOW.isoformat(), "class": "home"},
            blocking=True,
        )
    assert err.value.translation_key == "session_unknown"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "set_charging_session_class",
            {
                "config_entry_id": entry.entry_id,
                "session_start": NOW.isoformat(),
                "class": "home",
            },
            blocking=True,
        )
    assert err.value.translation_key == "session_vehicle_one"


async def test_the_owner_sets_prices_and_the_home_zone_in_the_options(
    hass: HomeAssistant, setup_integration, mqtt: FakeBroker
) -> None:
    entry = await setup_integration()
    hass.states.async_set(
        "zone.charger", "0", {"latitude": 48.0, "longitude": 11.0, "radius": 200}
    )
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert "energy" in result["menu_options"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "energy"}
    )
    assert result["step_id"] == "energy"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"ledger_home_zone": "zone.charger", "ledger_price_home": 0.25},
    )
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()
    assert entry.options["ledger_price_home"] == 0.25
    await _charge(hass, mqtt, away=True)  # at the chosen zone
    session = (await _sessions(hass))["sessions"][0]
    assert session["class"] == "home"
    assert session["cost"] == pytest.approx(0.45)
    # A cleared field is gone from the options.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "energy"}
    )
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert "ledger_price_home" not in entry.options
    assert "ledger_home_zone" not in entry.options


def _ms(at: Any) -> int:
    return int(at.timestamp() * 1000)


async def test_bmw_history_confirms_sessions_and_adds_missed_ones(
    hass: HomeAssistant,
    setup_integration,
    mqtt: FakeBroker,
    aioclient_mock: AiohttpClientMocker,
) -> None:
    """Both answer shapes, two pages: BMW's energy wins, a missed one is added."""
    await setup_integration()
    await _charge(hass, mqtt)
    start, end = NOW - timedelta(minutes=62), NOW - timedelta(minutes=30)
    home = {
        # The older shape: with cost information.
        "startTime": _ms(start),
        "endTime": _ms(end),
        "displayedStartSoc": 64,
        "displayedSoc": 75,
        "energyConsumedFromPowerGridKwh": 2.05,
        "chargingCostInformation": {"currency": "EUR", "calculatedChargingCost": 1},
        "chargingLocation": {
            "formattedAddress": "Home 1",
            "mapMatchedLatitude": PHEV.values[LAT][0],
            "mapMatchedLongitude": PHEV.values[LON][0],
        },
        "chargingBlocks": [
            {"startTime": _ms(start), "endTime": _ms(end), "averagePowerGridKw": 3.8}
        ],
    }
    away_start = NOW - timedelta(days=2)
    away = {
        # The newer shape: battery-side energy, no cost information.
        "startTime": _ms(away_start),
        "endTime": _ms(away_start + timedelta(minutes=25)),
        "displayedStartSoc": 20,
        "displayedSoc": 60,
        "energyConsumedFromPowerGridKwh": 20.0,
        "energyDecreaseHvbKwh": 0.4,
        "energyDischargedKwh": 0.0,
        "publicChargingPoint": {
            "potentialChargingPointMatches": [{"providerName": "Sim Charge"}]
        },
        "chargingLocation": {"formattedAddress": "Road 2"},
        "chargingBlocks": [],
    }
    url = f"{API}/customers/vehicles/{PHEV.vin}/chargingHistory"
    aioclient_mock.get(url, params={"nextToken": "p2"}, json={"data": [away]})
    aioclient_mock.get(url, json={"data": [home], "next_token": "p2"})
    await hass.services.async_call(
        DOMAIN, "fetch_charging_history", {"vin": PHEV.vin}, blocking=True
    )
    assert aioclient_mock.call_count == 2  # one call per page
    response = await hass.services.async_call(
        DOMAIN,
        "get_charging_sessions",
        {"vin": PHEV.vin, "start": (NOW - timedelta(days=5)).isoformat()},
        blocking=True,
        return_response=True,
    )
    sessions = response["vehicles"][PHEV.vin]["sessions"]  # type: ignore[index]
    assert [(s["energy_kwh"], s["class"], s["confirmed"]) for s in sessions] == [
        (20.0, "elsewhere", True),
        (2.05, "home", True),
    ]
    # The stream's session keeps its start (its id); BMW's levels count.
    assert sessions[1]["start"] == (NOW - timedelta(minutes=60)).isoformat()
    assert sessions[1]["start_level"] == 64
    # BMW's answer again changes nothing.
    await hass.services.async_call(
        DOMAIN, "fetch_charging_history", {"vin": PHEV.vin}, blocking=True
    )
    again = await _sessions(hass)
    assert len(again["sessions"]) == 1  # the last day: only the home session
    assert again["energy_kwh"]["total"] == pytest.approx(2.05)


@pytest.mark.parametrize("entry_options", [{"ledger_price_entity": "sensor.tariff"}])
async def test_a_price_entity_without_the_recorder_gives_no_cost(
    hass: HomeAssistant,
    setup_integration,
    mqtt: FakeBroker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No recorder, no history: home sessions have no cost, and the log says why."""
    hass.states.async_set("sensor.tariff", "0.3", {"unit_of_measurement": "EUR/kWh"})
    caplog.set_level(logging.DEBUG, "custom_components.cardata")
    await setup_integration()
    await _charge(hass, mqtt, start_min=180)

    def told() -> bool:
        return "the recorder does not run" in caplog.text

    await wait_for(told)
    session = (await _sessions(hass))["sessions"][0]
    assert session["class"] == "home"
    assert session["cost"] is None


@callback
def _every(_data: Any) -> bool:
    return True


async def test_a_session_elsewhere_leaves_the_home_total_unwritten(
    hass: HomeAssistant, setup_integration, mqtt: FakeBroker
) -> None:
    """A ledger sensor is written when what it shows changed, not on every
    session: the recorder keeps no rows of unchanged totals."""
    await setup_integration()
    await _charge(hass, mqtt)  # at home, this month
    home = "sensor.bmw_0002_charged_at_home_this_month"
    total = "sensor.bmw_0002_charged_this_month"
    written: list[str] = []

    @callback
    def on_write(event: Event) -> None:
        written.append(event.data["entity_id"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_write)
    # A write that changes nothing is only reported (filtered: Home
    # Assistant asks for one).
    hass.bus.async_listen(EVENT_STATE_REPORTED, on_write, event_filter=_every)
    await _charge(hass, mqtt, start_min=29, away=True)  # elsewhere, just after
    assert hass.states.get(total).state == "3.6"
    assert hass.states.get(home).state == "1.8"
    assert total in written
    assert home not in written
