"""Opt-in extras and the calls-left sensor through Home Assistant."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from custom_components.cardata.const import DOMAIN
from custom_components.cardata.extras import (
    ChargingHistorySensor,
    TyreDiagnosisSensor,
    hub_of,
)
from custom_components.cardata.quota_policy import DAILY_LIMIT
from custom_components.cardata.settings import (
    OPT_CHARGING_HISTORY,
    OPT_TYRE_DIAGNOSIS,
    OPT_VEHICLE_IMAGE,
)
from tests.entity_helpers import entry_data
from tests.rest_helpers import make_entry, planner, setup_rest, sim_calls, wait_for
from tests.simulator import CLIENT_B, GCID_B, VIN_BEV, VIN_ID6, VIN_PHEV

ALL_ON = {OPT_CHARGING_HISTORY: True, OPT_TYRE_DIAGNOSIS: True, OPT_VEHICLE_IMAGE: True}


def _entity(hass: HomeAssistant, platform: str, unique_id: str) -> str | None:
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)


async def test_extras_off_by_default(hass: HomeAssistant, simulator) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    await hass.async_block_till_done()
    assert _entity(hass, "sensor", f"{VIN_BEV}_charging_history") is None
    assert _entity(hass, "sensor", f"{VIN_BEV}_tyre_diagnosis") is None
    assert _entity(hass, "image", f"{VIN_BEV}_vehicle_image") is None
    assert sim_calls(simulator) == 7  # the first set-up only
    # The calls-left sensor is always there, with the day's log.
    left = _entity(hass, "sensor", f"{entry.entry_id}_api_calls_left")
    state = hass.states.get(left)
    assert state.state == str(DAILY_LIMIT - 7)
    assert len(state.attributes["calls_today"]) == 7
    assert state.attributes["reset_rule_assumed"] == "rolling_24h"
    assert VIN_BEV not in str(state.attributes)


async def test_extras_on(hass: HomeAssistant, simulator, hass_client) -> None:
    entry = await setup_rest(hass, make_entry(simulator, options=ALL_ON))
    charging = f"{VIN_BEV}_charging_history"
    tyres = f"{VIN_BEV}_tyre_diagnosis"
    image = f"{VIN_BEV}_vehicle_image"
    await wait_for(hass, lambda: _entity(hass, "sensor", charging) is not None)
    hub = hub_of(entry)
    await wait_for(
        hass,
        lambda: all(
            (kind, vin) in hub.data
            for kind in ("charging_history", "tyre_diagnosis", "image")
            for vin in (VIN_BEV, VIN_PHEV)
        ),
    )
    await hass.async_block_till_done()
    state = hass.states.get(_entity(hass, "sensor", charging))
    assert state.attributes["session_count"] >= 1
    assert state.state not in ("unknown", "unavailable")
    tyre_state = hass.states.get(_entity(hass, "sensor", tyres))
    assert tyre_state.state not in ("unknown", "unavailable")
    assert "frontLeft" in tyre_state.attributes
    image_id = _entity(hass, "image", image)
    assert image_id is not None
    client = await hass_client()
    picture = hass.states.get(image_id).attributes["entity_picture"]
    response = await client.get(picture)
    assert response.status == 200
    assert (await response.read()).startswith(b"\x89PNG")
    calls = sim_calls(simulator)
    # Restart: the daily extras are not due again, the image comes from disk.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await setup_rest(hass, entry)
    await wait_for(hass, lambda: _entity(hass, "image", image) is not None)
    await hass.async_block_till_done()
    assert sim_calls(simulator) == calls
    assert planner(entry).used() == calls


def test_parsers_tolerate_odd_answers() -> None:
    sensor = ChargingHistorySensor.__new__(ChargingHistorySensor)
    sensor._take("not a list")
    assert sensor._attr_native_value is None
    sensor._take([{"startTime": 1_700_000_000_000, "endTime": 1_700_000_360_000}, 3])
    assert sensor._attr_native_value is not None
    tyres = TyreDiagnosisSensor.__new__(TyreDiagnosisSensor)
    tyres._take({"passengerCar": "odd"})
    assert tyres._attr_native_value is None


async def test_car_without_image(hass: HomeAssistant, simulator) -> None:
    entry = make_entry(simulator, options={OPT_VEHICLE_IMAGE: True})
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, unique_id=GCID_B, data=entry_data(simulator, GCID_B, CLIENT_B)
    )
    await setup_rest(hass, entry)
    image = f"{VIN_ID6}_vehicle_image"
    await wait_for(hass, lambda: _entity(hass, "image", image) is not None)
    await wait_for(
        hass, lambda: any(c.endpoint == "image" for c in planner(entry).policy.calls)
    )
    await hass.async_block_till_done()
    outcome = next(
        c.outcome for c in planner(entry).policy.calls if c.endpoint == "image"
    )
    assert outcome == "CU-126"
    state = hass.states.get(_entity(hass, "image", image))
    assert state is not None
    assert ("image", VIN_ID6) not in hub_of(entry).data
    # Not asked again at the next start (at most once a day).
    calls = len(planner(entry).policy.calls)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await setup_rest(hass, entry)
    await hass.async_block_till_done()
    assert len(planner(entry).policy.calls) == calls
