"""The whole upgrade from kvanbiesen/bmw-cardata-ha, as an owner would do it.

Its entry (reading from the owner's bridge on a real mosquitto), its registry
entries with its real unique ids, entity ids, platforms and units, its
restored states, options and statistics metadata are built as it leaves them;
then ours starts. Checked as an owner would: no orphaned entity, no new
entity id, no statistics problem, options carried over, history kept, the
bridge still feeds the entities, nothing logged as an error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
import json
import logging
from pathlib import Path
import time
from typing import Any

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    get_metadata,
    get_start_time,
    validate_statistics,
)
from homeassistant.components.recorder.tasks import StatisticsTask
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, HomeAssistant, State
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from paho.mqtt import client as paho
from paho.mqtt.enums import CallbackAPIVersion
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.cardata.api import StreamState
from custom_components.cardata.config_flow import CarDataConfigFlow
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.health.entities import STATE_OF_HEALTH
from custom_components.cardata.rest.quota import storage_key
from custom_components.cardata.rest.quota_policy import CallKind, LoggedCall
from custom_components.cardata.upgrade.followup import (
    CONF_TAKEOVER_FOLLOWUP,
    MOVED,
    OLD_STATES,
    old_words,
)
from custom_components.cardata.vehicles.gate import vin_key
from custom_components.cardata.vehicles.title import CONF_TITLE_SET
from tests.entity_helpers import entry_data, quiet_recorder
from tests.mosquitto import Broker, mosquitto
from tests.simulator import GCID_A, VIN_BEV, Simulator
from tests.takeover_helpers import (
    bmw_is_simulator,
    previous_entry,
    register_previous_entity,
)
from tests.waiting import wait_for

SOC = "vehicle.drivetrain.batteryManagement.header"
MILEAGE = "vehicle.vehicle.travelledDistance"
PLUGGED = "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged"
PORT = "vehicle.body.chargingPort.status"
V = VIN_BEV

# (entity id, unique id, restored state, unit) as the previous one registers them.
PREVIOUS_KEPT = {
    "sensor.my_bmw_soc": (f"{V}_{SOC}", "71", "%"),
    "sensor.my_bmw_mileage": (f"{V}_{MILEAGE}", "12345", None),
    "sensor.my_bmw_charging_port": (f"{V}_{PORT}", "CONNECTED", None),
    "device_tracker.my_bmw": (f"{V}_device_tracker", "not_home", None),
    "sensor.my_bmw_charging_history": (
        f"{V}_diagnostics_charging_history",
        "unknown",
        None,
    ),
    "image.my_bmw_vehicle_image": (f"{V}_image", "unknown", None),
}
# A 1x1 PNG: the picture the previous integration kept.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01"
    b"\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
PREVIOUS_MAPPED_TO_PREDICTION = {
    # Ours from the predicted-charge-level work (engineer h-soc).
    "sensor.my_bmw_predicted_soc": (f"{V}_vehicle.predicted_soc", "72", "%"),
    "number.my_bmw_battery_capacity": (
        f"{V}_vehicle.manual_battery_capacity",
        "80.7",
        "kWh",
    ),
}
PREVIOUS_MOVED = {"sensor.my_bmw_plugged": (f"{V}_{PLUGGED}", "True", None)}
PREVIOUS_GONE = {
    "sensor.my_bmw_magic_soc": (f"{V}_vehicle.magic_soc", "70", "%"),
    "number.my_bmw_tank_capacity": (f"{V}_vehicle.manual_tank_capacity", "0", "L"),
    "sensor.my_bmw_metadata": (f"{V}_diagnostics_vehicle_metadata", "ok", None),
    "sensor.my_bmw_charging_matrix": (f"{V}_diagnostics_charging_matrix", "x", None),
    "button.my_bmw_reset_ac_learning": (f"{V}_reset_ac_learning", "unknown", None),
}
PREVIOUS_ACCOUNT = {
    # Per entry, "{entry_id}_..." (filled in below).
    "sensor.cardata_connection_status": ("diagnostics_connection_status", "connected"),
    "sensor.cardata_last_message": ("diagnostics_last_message", "unknown"),
}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_db_url: str,
    enable_custom_integrations: None,
) -> None:
    """Let Home Assistant load integrations from custom_components."""


@pytest.fixture(autouse=True)
def quiet_recorder_logs() -> Iterator[None]:
    """The recorder logs every row it writes (entity ids, unique ids)."""
    with quiet_recorder():
        yield


@pytest.fixture
async def broker(tmp_path: Path, socket_enabled: None) -> AsyncIterator[Broker]:
    """The owner's bridge broker (skips when mosquitto is not installed)."""
    async with mosquitto(tmp_path) as running:
        yield running


@pytest.fixture(autouse=True)
def production_is_simulator(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous integration's entries hold no endpoints: BMW is the simulator."""
    bmw_is_simulator(simulator, monkeypatch)


def _previous_entry(sim: Simulator, broker: Broker) -> MockConfigEntry:
    return previous_entry(
        sim,
        last_telematic_poll=time.time() - 600,
        # All 16 of its options, as its options flow stores them.
        options={
            "mqtt_keepalive": 30,
            "debug_log": False,
            "diagnostic_log_interval": 30,
            "custom_mqtt_enabled": True,
            "custom_mqtt_host": broker.host,
            "custom_mqtt_port": broker.port,
            "custom_mqtt_username": "",
            "custom_mqtt_password": "",
            "custom_mqtt_tls": "off",
            "custom_mqtt_topic_prefix": "bmw/",
            "enable_magic_soc": True,
            "enable_charging_history": True,
            "enable_tyre_diagnosis": False,
            "enable_trip_end_polling": True,
            "trip_poll_cooldown_minutes": 15,
            "enable_external_power_injection": False,
        },
    )


def _register(
    hass: HomeAssistant, entry: MockConfigEntry, table: dict[str, tuple[Any, ...]]
) -> list[State]:
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, V)}, name="My BMW"
    )
    states = []
    for entity_id, (unique_id, state, unit) in table.items():
        register_previous_entity(
            hass, entry, device.id, entity_id, unique_id, unit=unit
        )
        attributes = {"unit_of_measurement": unit} if unit else {}
        states.append(State(entity_id, state, attributes))
    return states


def _compile_statistics(recorder: Recorder) -> None:
    """The recorder's five-minute statistics run, over the minutes until now.

    As its timer does at the end of each period (with its event), for the
    period under way: the other integration's last states are in it.
    """
    start = get_start_time() + dt_util.dt.timedelta(minutes=5)
    recorder.queue_task(StatisticsTask(start, True))


def _previous_statistics(hass: HomeAssistant, *, mileage: bool = True) -> None:
    """Statistics its sensors left: mileage without a unit, magic SOC in %."""
    start = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
    for statistic_id, unit, has_sum in (
        *((("sensor.my_bmw_mileage", None, True),) if mileage else ()),
        ("sensor.my_bmw_magic_soc", "%", False),
    ):
        metadata: dict[str, Any] = {
            "source": "recorder",
            "statistic_id": statistic_id,
            "name": None,
            "unit_of_measurement": unit,
            "unit_class": None,
            "has_sum": has_sum,
            "mean_type": StatisticMeanType.NONE
            if has_sum
            else StatisticMeanType.ARITHMETIC,
        }
        row: dict[str, Any] = {"start": start - dt_util.dt.timedelta(hours=2)}
        row |= {"sum": 12000.0, "state": 12000.0} if has_sum else {"mean": 70.0}
        async_import_statistics(hass, metadata, [row])  # type: ignore[arg-type]


async def test_takeover_loses_nothing(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    *,
    hass_storage: dict[str, Any],
    simulator: Simulator,
    broker: Broker,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    entry = _previous_entry(simulator, broker)
    entry.add_to_hass(hass)
    # What it learned about charging: AC in two conditions, DC in one. Its
    # store is keyed by VIN; the test harness's storage mock logs what it
    # loads (Home Assistant does not), so its debug lines are left out.
    caplog.set_level(logging.INFO, logger="pytest_homeassistant_custom_component")
    # The car's picture it had downloaded, where it kept it.
    hass.config.config_dir = str(tmp_path)
    pictures = tmp_path / "www" / "community" / "cardata"
    pictures.mkdir(parents=True)
    (pictures / f"{V}.png").write_bytes(PNG)
    hass_storage[f"cardata.soc_learning.{entry.entry_id}"] = {
        "version": 2,
        "minor_version": 1,
        "key": f"cardata.soc_learning.{entry.entry_id}",
        "data": {
            "learned_efficiency": {
                V: {
                    "efficiency_matrix": {
                        "3_410_16": {"efficiency": 0.86, "sample_count": 3},
                        "1_250_16": {"efficiency": 0.82, "sample_count": 1},
                        "0_410_0": {"efficiency": 0.93, "sample_count": 2},
                    }
                }
            },
            "pending_sessions": {},
        },
    }
    states = _register(
        hass,
        entry,
        PREVIOUS_KEPT | PREVIOUS_MAPPED_TO_PREDICTION | PREVIOUS_MOVED | PREVIOUS_GONE,
    )
    account = {
        eid: (f"{entry.entry_id}_{suffix}", state, None)
        for eid, (suffix, state) in PREVIOUS_ACCOUNT.items()
    }
    states += _register(hass, entry, account)
    mock_restore_cache(hass, states)
    _previous_statistics(hass)
    await async_wait_recording_done(hass)
    # An owner's automation and script comparing with its upper-case values.
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "car_plugged",
                "alias": "Car plugged",
                "triggers": [
                    {
                        "trigger": "state",
                        "entity_id": "sensor.my_bmw_charging_port",
                        "to": "CONNECTED",
                    }
                ],
                "actions": [],
            }
        },
    )
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "port_check": {
                    "sequence": [
                        {
                            "condition": "state",
                            "entity_id": "sensor.my_bmw_charging_port",
                            "state": "DISCONNECTED",
                        }
                    ]
                }
            }
        },
    )

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    # The statistics follow-up waits for the recorder's next statistics run
    # (it still compiles the other integration's last minutes).
    await async_wait_recording_done(hass)
    assert CONF_TAKEOVER_FOLLOWUP in entry.data
    _compile_statistics(recorder_mock)
    await wait_for(lambda: CONF_TAKEOVER_FOLLOWUP not in entry.data)
    await async_wait_recording_done(hass)

    # Options carried over, in our names.
    assert entry.options == {
        "broker_enabled": True,
        "broker_host": broker.host,
        "broker_port": broker.port,
        "broker_username": "",
        "broker_password": "",
        "broker_tls": "none",
        "broker_topic_prefix": "bmw/",
        "broker_topic_layout": "bridge",
        "extra_charging_history": True,
        "extra_tyre_diagnosis": False,
        "extra_vehicle_image": True,
        # Its trip-end polling was on: ours is on by default; its cooldown,
        # read by nothing here, is dropped (README: "Dropped, with the reason").
    }
    registry = er.async_get(hass)
    ours = er.async_entries_for_config_entry(registry, entry.entry_id)
    by_id = {e.entity_id: e for e in ours}
    # No new entity id for anything kept; nothing duplicated.
    for entity_id in (
        *PREVIOUS_KEPT,
        *PREVIOUS_MAPPED_TO_PREDICTION,
        "sensor.cardata_connection_status",
    ):
        assert entity_id in by_id, entity_id
    assert not [e for e in by_id if e.endswith("_2")]
    assert by_id["sensor.my_bmw_predicted_soc"].unique_id == f"{V}_predicted_soc"
    assert by_id["number.my_bmw_battery_capacity"].unique_id == f"{V}_usable_capacity"
    assert by_id["image.my_bmw_vehicle_image"].unique_id == f"{V}_vehicle_image"
    # Removed: nothing of ours would update them.
    for entity_id in PREVIOUS_GONE:
        assert entity_id not in by_id
    assert "sensor.cardata_last_message" not in by_id
    # Moved platform: same object id, told once.
    assert "binary_sensor.my_bmw_plugged" in by_id
    assert "sensor.my_bmw_plugged" not in by_id
    issues = ir.async_get(hass).issues
    moved = [i for (d, i) in issues if d == DOMAIN and i.startswith(MOVED)]
    assert len(moved) == 1
    old = issues[(DOMAIN, f"{OLD_STATES}_{entry.entry_id}")]
    names = (old.translation_placeholders or {})["names"]
    assert names == "automation.car_plugged, script.port_check"
    # No unique id of the previous integration read as a descriptor.
    vehicle = entry.runtime_data.coordinator.vehicles[V]
    assert not {d for d in vehicle.known_descriptors if "manual" in d or "_soc" in d}

    # No orphan: every entity of the entry is provided by ours.
    for entity_id, registered in by_id.items():
        if registered.disabled_by is not None:
            continue
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
        assert not state.attributes.get("restored"), entity_id
    # Restored values in our terms (its upper-case words are now lower case).
    assert hass.states.get("sensor.my_bmw_charging_port").state == "connected"
    # The battery capacity the owner had set there is carried, and what it
    # learned about charging (AC and DC efficiency, weighted by sessions).
    assert hass.states.get("number.my_bmw_battery_capacity").state == "80.7"
    learning = entry.runtime_data.prediction.diagnostics(V)["learning"]
    assert learning["ac"] == {"value": 0.85, "weight": 4.0}
    assert learning["dc"] == {"value": 0.93, "weight": 2.0}
    assert (
        hass.states.get("sensor.my_bmw_mileage").attributes["unit_of_measurement"]
        == "km"
    )

    # Statistics: no problem, the mileage kept its history in km; also after
    # the recorder's next run (0 issues in Developer tools).
    problems = await recorder_mock.async_add_executor_job(validate_statistics, hass)
    assert problems == {}
    _compile_statistics(recorder_mock)
    await async_wait_recording_done(hass)
    problems = await recorder_mock.async_add_executor_job(validate_statistics, hass)
    assert problems == {}
    meta = await recorder_mock.async_add_executor_job(
        lambda: get_metadata(hass, statistic_ids={"sensor.my_bmw_mileage"})
    )
    assert meta["sensor.my_bmw_mileage"][1]["unit_of_measurement"] == "km"

    # The budget counts its calls of the day (it kept no count itself).
    assert entry.runtime_data.quota.used() >= 1
    # The first start after the switch: the first set-up's calls, and one
    # page of charging history per car beyond them; the picture it kept is
    # used, not fetched again (the second car had none: one call).
    calls = [
        (c["endpoint"], c["kind"])
        for c in entry.runtime_data.quota.day_log()
        if c["kind"] != CallKind.OTHER  # its own calls, estimated
    ]
    cars = len(entry.runtime_data.coordinator.vehicles)
    extras = [endpoint for endpoint, kind in calls if kind == CallKind.EXTRA]
    assert sorted(extras) == ["chargingHistory"] * cars + ["image"]
    assert {kind for _, kind in calls} == {CallKind.SETUP, CallKind.EXTRA}

    # The owner's bridge still feeds the entities (its layout, anonymous).
    stream = entry.runtime_data.stream
    await wait_for(lambda: stream.state is StreamState.CONNECTED)
    message = simulator.message(V, GCID_A, {SOC: 64})
    message.pop("entityId")
    publisher = paho.Client(CallbackAPIVersion.VERSION2)
    publisher.connect(broker.host, broker.port)
    try:
        publisher.loop_start()
        publisher.publish(f"bmw/{V}", json.dumps(message)).wait_for_publish(5)
        await wait_for(lambda: hass.states.get("sensor.my_bmw_soc").state == "64")
    finally:
        publisher.disconnect()
        publisher.loop_stop()

    # The first reload after the switch, then an unload: no error, no warning
    # of ours (a one-time listener is never removed after it fired).
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name.startswith("custom_components")
    ]
    assert not warnings, warnings


def test_old_words_found() -> None:
    config = {
        "triggers": [{"to": "CONNECTED"}],
        "conditions": "{{ is_state('sensor.x', 'DISCONNECTED') }}",
        "actions": [{"data": {"message": "connected"}}],
    }
    assert old_words(config, ("connected", "disconnected")) == {
        "CONNECTED",
        "DISCONNECTED",
    }
    assert old_words({"to": "Connected"}, ("on",)) == set()


# Version 2.1 (until the takeover's names said what they are) stored these.
FOLLOWUP_2_1 = "k_followup"
MOVED_2_1 = "k_platform_changed"
OLD_STATES_2_1 = "k_old_states"
ENGINE = "vehicle.drivetrain.engine.isActive"


def _entry_2_1(sim: Simulator, **data: Any) -> MockConfigEntry:
    """An entry taken over by version 2.1, exactly as that version stores it."""
    return MockConfigEntry(
        domain=DOMAIN,
        version=2,
        minor_version=1,
        unique_id=GCID_A,
        title="BMW CarData",
        data={
            **entry_data(sim),
            "container_id": "c0ffee00-1234-4abc-9def-0123456789ab",
            **data,
        },
        options={"extra_charging_history": True, "trip_end_poll": True},
    )


def _stores_2_1(hass_storage: dict[str, Any], entry: MockConfigEntry, soc: int) -> None:
    """The integration's own stores as version 2.1 left them after a takeover."""
    now = dt_util.utcnow()
    vin = vin_key(entry.entry_id, V)
    stamp = now.isoformat()
    estimate = [
        LoggedCall(
            at=now - dt_util.dt.timedelta(seconds=second),
            endpoint="previous integration (estimate)",
            vin=None,
            outcome="ok",
            kind=CallKind.OTHER,
        ).to_dict()
        for second in range(1, 13)
    ]
    for key, data in (
        (f"cardata.vehicles.{entry.entry_id}", {"done": True}),
        (f"cardata.vins.{entry.entry_id}", {"primary": [vin], "confirmed": [vin]}),
        (
            f"cardata.values.{entry.entry_id}",
            {"vehicles": {vin: {SOC: [soc, "%", stamp, stamp]}}},
        ),
        (storage_key(GCID_A), {"calls": estimate}),
    ):
        hass_storage[key] = {
            "version": 1,
            "minor_version": 1,
            "key": key,
            "data": data,
        }


def _issue_2_1(
    hass: HomeAssistant,
    issue_id: str,
    translation_key: str,
    placeholders: dict[str, str],
    *,
    dismissed: bool = False,
) -> None:
    """A repair notice raised by version 2.1 (persistent, as it raised them)."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        is_persistent=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=translation_key,
        translation_placeholders=placeholders,
    )
    if dismissed:
        ir.async_ignore_issue(hass, DOMAIN, issue_id, ignore=True)


async def test_entry_of_version_2_1_loses_nothing(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A takeover by 2.1 whose follow-up is still due (Home Assistant stopped
    before it had started): after the update the keys and notices have their
    new names, the values are the same and the follow-up runs as before."""
    gone = ["sensor.my_bmw_magic_soc", "sensor.my_bmw_plugged"]
    entry = _entry_2_1(simulator, **{FOLLOWUP_2_1: {"gone": gone}})
    entry.add_to_hass(hass)
    before = dict(entry.data)
    _stores_2_1(hass_storage, entry, soc=64)
    _register(
        hass,
        entry,
        {
            "sensor.my_bmw_soc": (f"{V}_{SOC}", "64", "%"),
            "sensor.my_bmw_charging_port": (f"{V}_{PORT}", "connected", None),
            "binary_sensor.my_bmw_plugged": (f"{V}_{PLUGGED}", "on", None),
            "binary_sensor.my_bmw_engine": (f"{V}_{ENGINE}", "off", None),
        },
    )
    moved = {
        "plugged": {
            "old": "sensor.my_bmw_plugged",
            "new": "binary_sensor.my_bmw_plugged",
        },
        "engine": {"old": "sensor.my_bmw_engine", "new": "binary_sensor.my_bmw_engine"},
    }
    for suffix, placeholders in moved.items():
        _issue_2_1(
            hass,
            f"{MOVED_2_1}_{entry.entry_id}_{suffix}",
            MOVED_2_1,
            placeholders,
            dismissed=suffix == "engine",
        )
    _previous_statistics(hass, mileage=False)
    await async_wait_recording_done(hass)
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "id": "car_plugged",
                "alias": "Car plugged",
                "triggers": [
                    {
                        "trigger": "state",
                        "entity_id": "sensor.my_bmw_charging_port",
                        "to": "CONNECTED",
                    }
                ],
                "actions": [],
            }
        },
    )
    # Entries are migrated and set up while Home Assistant starts; the
    # follow-up waits until it has started.
    hass.set_state(CoreState.starting)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (
        CarDataConfigFlow.VERSION,
        CarDataConfigFlow.MINOR_VERSION,
    )
    # Besides the title this integration set (vehicles/title.py).
    assert {k: v for k, v in entry.data.items() if k != CONF_TITLE_SET} == {
        **{k: v for k, v in before.items() if k != FOLLOWUP_2_1},
        CONF_TAKEOVER_FOLLOWUP: {"gone": gone},
    }
    assert entry.options == {"extra_charging_history": True, "trip_end_poll": True}
    issues = ir.async_get(hass).issues
    assert not [
        i
        for (d, i) in issues
        if d == DOMAIN and i.startswith((MOVED_2_1, OLD_STATES_2_1))
    ]
    for suffix, placeholders in moved.items():
        issue = issues[(DOMAIN, f"{MOVED}_{entry.entry_id}_{suffix}")]
        assert issue.translation_key == MOVED
        assert issue.translation_placeholders == placeholders
        assert issue.is_persistent
        assert (issue.dismissed_version is not None) is (suffix == "engine")
    # The stores of 2.1 are read as before: last value, the day's calls.
    assert hass.states.get("sensor.my_bmw_soc").state == "64"
    assert entry.runtime_data.quota.used() >= 12

    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await async_wait_recording_done(hass)
    _compile_statistics(recorder_mock)  # the follow-up waits for it
    await wait_for(lambda: CONF_TAKEOVER_FOLLOWUP not in entry.data)
    await async_wait_recording_done(hass)
    # The follow-up did its work with the values carried over: the statistics
    # of what is gone are cleared, the automation with an old value named.
    problems = await recorder_mock.async_add_executor_job(validate_statistics, hass)
    assert problems == {}
    meta = await recorder_mock.async_add_executor_job(
        lambda: get_metadata(hass, statistic_ids={"sensor.my_bmw_magic_soc"})
    )
    assert meta == {}
    assert {k: v for k, v in entry.data.items() if k != CONF_TITLE_SET} == {
        k: v for k, v in before.items() if k != FOLLOWUP_2_1
    }
    old = issues[(DOMAIN, f"{OLD_STATES}_{entry.entry_id}")]
    assert old.translation_key == OLD_STATES
    assert (old.translation_placeholders or {})["names"] == "automation.car_plugged"

    assert await hass.config_entries.async_unload(entry.entry_id)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


async def test_entry_of_version_2_1_keeps_a_dismissed_notice(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """The usual 2.1 entry: follow-up done, its notice about automations
    dismissed by the owner. It stays dismissed, with the same text."""
    entry = _entry_2_1(simulator)
    entry.add_to_hass(hass)
    before = dict(entry.data)
    names = {"names": "automation.car_plugged"}
    _issue_2_1(
        hass,
        f"{OLD_STATES_2_1}_{entry.entry_id}",
        OLD_STATES_2_1,
        names,
        dismissed=True,
    )
    _issue_2_1(hass, f"{OLD_STATES_2_1}_other", OLD_STATES_2_1, names)

    assert await hass.config_entries.async_setup(entry.entry_id)
    assert (entry.version, entry.minor_version) == (2, 3)
    assert entry.data == before
    issues = ir.async_get(hass).issues
    assert (DOMAIN, f"{OLD_STATES_2_1}_{entry.entry_id}") not in issues
    kept = issues[(DOMAIN, f"{OLD_STATES}_{entry.entry_id}")]
    assert kept.translation_placeholders == names
    assert kept.dismissed_version is not None
    # Another entry's notice is that entry's business.
    assert (DOMAIN, f"{OLD_STATES_2_1}_other") in issues
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_entry_of_version_2_2_follows_todays_defaults(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """An entity the integration had disabled is shown once its descriptor is
    shown by default (the check-control messages); what the owner disabled,
    and what is still off by default, stays as it was."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=2,
        minor_version=2,
        unique_id=GCID_A,
        data=entry_data(simulator),
    )
    entry.add_to_hass(hass)
    registry = er.async_get(hass)

    def registered(descriptor: str, disabler: er.RegistryEntryDisabler) -> str:
        return registry.async_get_or_create(
            "sensor",
            DOMAIN,
            f"{VIN_BEV}_{descriptor}",
            config_entry=entry,
            disabled_by=disabler,
            suggested_object_id=descriptor.rsplit(".", 1)[-1],  # no VIN logged
        ).entity_id

    check = registered(
        "vehicle.status.checkControlMessages", er.RegistryEntryDisabler.INTEGRATION
    )
    health = registered(STATE_OF_HEALTH[0], er.RegistryEntryDisabler.INTEGRATION)
    owners = registered(
        "vehicle.drivetrain.batteryManagement.header", er.RegistryEntryDisabler.USER
    )

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert (entry.version, entry.minor_version) == (2, 3)
    assert registry.async_get(check).disabled_by is None
    assert (
        registry.async_get(health).disabled_by is er.RegistryEntryDisabler.INTEGRATION
    )
    assert registry.async_get(owners).disabled_by is er.RegistryEntryDisabler.USER
    # Home Assistant reloads the entry for the enabled entity, as for any.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=31))
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(check) is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
