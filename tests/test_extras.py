"""Opt-in extras and the calls-left sensor through Home Assistant."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.components.sensor import SensorExtraStoredData
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    mock_restore_cache_with_extra_data,
)

from custom_components.cardata.api.rest import ChargingHistory
from custom_components.cardata.common.redact import Redactor
from custom_components.cardata.common.settings import (
    OPT_CHARGING_HISTORY,
    OPT_TYRE_DIAGNOSIS,
    OPT_VEHICLE_IMAGE,
)
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.rest.extras import (
    CHARGING,
    TYRES,
    async_fetch_daily_extras,
)
from custom_components.cardata.rest.quota import storage_key
from custom_components.cardata.rest.quota_policy import DAILY_LIMIT, CallKind
from tests.entity_helpers import entry_data
from tests.rest_helpers import make_entry, planner, setup_rest, sim_calls
from tests.simulator import CLIENT_B, GCID_A, GCID_B, VIN_BEV, VIN_ID6, VIN_PHEV
from tests.waiting import wait_for

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
    await wait_for(lambda: _entity(hass, "sensor", charging) is not None)
    hub = entry.runtime_data.extras
    await wait_for(
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
    await wait_for(lambda: _entity(hass, "image", image) is not None)
    await hass.async_block_till_done()
    assert sim_calls(simulator) == calls
    assert planner(entry).used() == calls


async def test_sensors_tolerate_odd_answers(hass: HomeAssistant, simulator) -> None:
    """Odd data in the entry's extras hub (where the daily fetch and the
    actions put BMW's answers) shows as no value, never as an error."""
    entry = await setup_rest(hass, make_entry(simulator, options=ALL_ON))
    hub = entry.runtime_data.extras
    await wait_for(
        lambda: all((kind, VIN_BEV) in hub.data for kind in (CHARGING, TYRES))
    )
    await hass.async_block_till_done()
    charging = _entity(hass, "sensor", f"{VIN_BEV}_charging_history")
    tyres = _entity(hass, "sensor", f"{VIN_BEV}_tyre_diagnosis")

    hub.publish(CHARGING, VIN_BEV, "not a list")
    await hass.async_block_till_done()
    state = hass.states.get(charging)
    assert state.state == "unknown"
    assert state.attributes["session_count"] == 0
    session = {"startTime": 1_700_000_000_000, "endTime": 1_700_000_360_000}
    hub.publish(CHARGING, VIN_BEV, [session, 3])
    await hass.async_block_till_done()
    state = hass.states.get(charging)
    assert state.state == "2023-11-14T22:19:20+00:00"
    assert state.attributes["session_count"] == 1

    hub.publish(TYRES, VIN_BEV, {"passengerCar": "odd"})
    await hass.async_block_till_done()
    assert hass.states.get(tyres).state == "unknown"


async def test_car_without_image(hass: HomeAssistant, simulator) -> None:
    entry = make_entry(simulator, options={OPT_VEHICLE_IMAGE: True})
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, unique_id=GCID_B, data=entry_data(simulator, GCID_B, CLIENT_B)
    )
    await setup_rest(hass, entry)
    image = f"{VIN_ID6}_vehicle_image"
    await wait_for(lambda: _entity(hass, "image", image) is not None)
    await wait_for(
        lambda: any(c.endpoint == "image" for c in planner(entry).policy.calls)
    )
    await hass.async_block_till_done()
    outcome = next(
        c.outcome for c in planner(entry).policy.calls if c.endpoint == "image"
    )
    assert outcome == "CU-126"
    state = hass.states.get(_entity(hass, "image", image))
    assert state is not None
    assert ("image", VIN_ID6) not in entry.runtime_data.extras.data
    # Not asked again at the next start (at most once a day).
    calls = len(planner(entry).policy.calls)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await setup_rest(hass, entry)
    await hass.async_block_till_done()
    assert len(planner(entry).policy.calls) == calls


async def test_daily_charging_history_stays_within_the_budget(
    hass: HomeAssistant, simulator
) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    plan = planner(entry)
    for _ in range(DAILY_LIMIT):  # bounded: the planner never allows more
        if plan.remaining(CallKind.EXTRA) <= 1:
            break
        await plan.async_call(CallKind.USER, entry.runtime_data.api.get_mappings)
    assert plan.remaining(CallKind.EXTRA) == 1
    before = sim_calls(simulator)
    # Turning the extra on reloads the entry: the history is due at once.
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.config_entries.async_update_entry(entry, options={OPT_CHARGING_HISTORY: True})
    await setup_rest(hass, entry)
    hub = entry.runtime_data.extras
    await wait_for(lambda: ("charging_history", VIN_BEV) in hub.data)
    await hass.async_block_till_done()
    # Four pages exist; only the one call the budget had left was made.
    assert sim_calls(simulator) == before + 1
    assert planner(entry).remaining(CallKind.EXTRA) == 0
    history = hub.data[("charging_history", VIN_BEV)]
    assert isinstance(history, ChargingHistory)
    assert (history.pages, history.complete) == (1, False)
    state = hass.states.get(_entity(hass, "sensor", f"{VIN_BEV}_charging_history"))
    assert state.attributes["complete"] is False
    assert state.attributes["session_count"] == 3
    assert ("charging_history", VIN_PHEV) not in hub.data


async def test_extras_restored_after_a_reload(hass: HomeAssistant, simulator) -> None:
    options = {OPT_CHARGING_HISTORY: True, OPT_TYRE_DIAGNOSIS: True}
    entry = await setup_rest(hass, make_entry(simulator, options=options))
    hub = entry.runtime_data.extras
    await wait_for(
        lambda: all(
            (kind, VIN_BEV) in hub.data
            for kind in ("charging_history", "tyre_diagnosis")
        ),
    )
    await hass.async_block_till_done()
    ids = [
        _entity(hass, "sensor", f"{VIN_BEV}_{kind}")
        for kind in ("charging_history", "tyre_diagnosis")
    ]
    before = [hass.states.get(entity_id) for entity_id in ids]
    assert all(state.state not in ("unknown", "unavailable") for state in before)
    sessions = before[0].attributes["sessions"]
    assert before[0].attributes["complete"] is True
    # Only a summary of each session: no charging location, no VIN.
    assert all("chargingLocation" not in session for session in sessions)
    assert "Latitude" not in str(before[0].attributes)
    assert VIN_BEV not in str(before[0].attributes)
    calls = sim_calls(simulator)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert not entry.runtime_data.extras.data  # a new hub: nothing fetched since
    after = [hass.states.get(entity_id) for entity_id in ids]
    assert [s.state for s in after] == [s.state for s in before]
    assert after[0].attributes["sessions"] == sessions
    assert after[1].attributes["frontLeft"] == before[1].attributes["frontLeft"]
    assert sim_calls(simulator) == calls


async def test_extras_restored_at_start_without_a_call(
    hass: HomeAssistant, simulator, hass_storage
) -> None:
    # Fetched an hour ago (the planner's store says so): not due again.
    salt = "restore-test-salt"
    redactor, fetched = Redactor(salt.encode()), dt_util.utcnow() - timedelta(hours=1)
    hass_storage[storage_key(GCID_A)] = {
        "version": 1,
        "minor_version": 1,
        "key": storage_key(GCID_A),
        "data": {
            "salt": salt,
            "last_extra": {
                f"{kind}:{redactor.ref('vin', vin)}": fetched.isoformat()
                for kind in ("charging_history", "tyre_diagnosis")
                for vin in (VIN_BEV, VIN_PHEV)
            },
        },
    }
    entry = make_entry(simulator, options={OPT_CHARGING_HISTORY: True})
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    charging = registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{VIN_BEV}_charging_history",
        suggested_object_id="bev_charging_history",
        config_entry=entry,
    ).entity_id
    ended = dt_util.utcnow().replace(microsecond=0) - timedelta(days=2)
    session = {"startTime": 1, "endTime": int(ended.timestamp() * 1000), "mileage": 9}
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(
                    charging,
                    ended.isoformat(),
                    {"sessions": [session], "session_count": 1, "complete": False},
                ),
                SensorExtraStoredData(ended, None).as_dict(),
            )
        ],
    )
    await setup_rest(hass, entry)
    await hass.async_block_till_done()
    state = hass.states.get(charging)
    assert dt_util.parse_datetime(state.state) == ended
    assert state.attributes["sessions"] == [session]
    assert state.attributes["last_session"] == session
    assert state.attributes["complete"] is False
    # Not due (fetched an hour ago): the daily check makes no call either.
    assert (
        await async_fetch_daily_extras(
            entry.runtime_data.rest, entry.runtime_data.extras, entry.options
        )
        == 0
    )
    endpoints = {call.endpoint for call in planner(entry).policy.calls}
    assert "chargingHistory" not in endpoints
    assert not entry.runtime_data.extras.data
