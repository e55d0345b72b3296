"""In-place upgrade from kvanbiesen/bmw-cardata-ha: its VERSION 1 entry
becomes ours without a new login; entities and devices are kept."""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    EVENT_HOMEASSISTANT_STARTED,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import CoreState, HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache,
)

from custom_components.cardata.api import StreamState, TokenSet
from custom_components.cardata.const import (
    CONF_CLIENT_ID,
    CONF_CONTAINER_ID,
    CONF_GCID,
    CONF_TOKENS,
    DOMAIN,
)
from custom_components.cardata.upgrade import migration
from custom_components.cardata.upgrade.followup import CONF_TAKEOVER_FOLLOWUP
from tests.conftest import rest_settled
from tests.simulator import CLIENT_A, GCID_A, VIN_BEV, Simulator
from tests.takeover_helpers import (
    PREVIOUS_CONTAINER,
    bmw_is_simulator,
    previous_entry,
    register_previous_entity,
)
from tests.waiting import wait_for

SOC = "vehicle.drivetrain.batteryManagement.header"
HOOD = "vehicle.body.hood.isOpen"
LOC = "vehicle.cabin.infotainment.navigation.currentLocation."
LAT = LOC + "latitude"
LON = LOC + "longitude"
PREVIOUS_SOC = "sensor.my_bmw_soc"
PREVIOUS_HOOD = "binary_sensor.my_bmw_hood"
PREVIOUS_TRACKER = "device_tracker.my_bmw"
PREVIOUS_ENTITIES = {
    # Unique ids as the previous integration builds them: f"{vin}_{descriptor}",
    # the tracker f"{vin}_device_tracker" (super().__init__(coordinator, vin,
    # "device_tracker")).
    PREVIOUS_SOC: f"{VIN_BEV}_{SOC}",
    PREVIOUS_HOOD: f"{VIN_BEV}_{HOOD}",
    PREVIOUS_TRACKER: f"{VIN_BEV}_device_tracker",
}
CONTAINER = PREVIOUS_CONTAINER

type MakeEntry = Callable[..., MockConfigEntry]


@pytest.fixture(autouse=True)
def production_is_simulator(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous integration's entries hold no endpoints: BMW is the simulator."""
    bmw_is_simulator(simulator, monkeypatch)


async def test_previous_entry_taken_over(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    entry = previous_entry(simulator)
    entry.add_to_hass(hass)
    previous_data = dict(entry.data)
    calls = simulator.oauth.token_calls

    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (2, 3)
    assert entry.unique_id == GCID_A
    assert entry.title == "BMW CarData"
    assert entry.options == {}
    assert entry.data[CONF_CLIENT_ID] == CLIENT_A
    assert entry.data[CONF_GCID] == GCID_A
    assert entry.data[CONF_CONTAINER_ID] == CONTAINER
    tokens = TokenSet.from_dict(entry.data[CONF_TOKENS])
    assert tokens.access_token == previous_data["access_token"]
    assert tokens.refresh_token == previous_data["refresh_token"]
    assert tokens.id_token == previous_data["id_token"]
    assert tokens.scope == previous_data["scope"]
    assert (
        abs(
            tokens.expires_at.timestamp()
            - (previous_data["received_at"] + previous_data["expires_in"])
        )
        < 1
    )
    # No new login, no refresh: the stored tokens were still valid.
    assert simulator.oauth.token_calls == calls
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)

    await wait_for(lambda: entry.runtime_data.stream.state is StreamState.CONNECTED)
    assert await hass.config_entries.async_unload(entry.entry_id)


def _previous_entities(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    """Registry entries exactly as the previous integration left them."""
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, VIN_BEV)},
        manufacturer="bmw",
        name="My BMW",
    )
    for entity_id, unique_id in PREVIOUS_ENTITIES.items():
        register_previous_entity(hass, entry, device.id, entity_id, unique_id)
    return device


async def test_previous_entities_adopted(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Its sensor, binary sensor and tracker become ours: same entity ids,
    their last states shown at once, no duplicates, then live values."""
    entry = previous_entry(simulator)
    entry.add_to_hass(hass)
    device = _previous_entities(hass, entry)
    # Its entities are plain RestoreEntity: they saved states, no sensor data.
    mock_restore_cache(
        hass,
        [
            State(PREVIOUS_SOC, "71", {"unit_of_measurement": "%"}),
            State(PREVIOUS_HOOD, STATE_ON),
            State(
                PREVIOUS_TRACKER,
                "not_home",
                {ATTR_LATITUDE: 48.1, ATTR_LONGITUDE: 11.5},
            ),
        ],
    )

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.version == 2

    # The old entity ids show the restored values, now from our entities.
    reg = er.async_get(hass)
    assert float(hass.states.get(PREVIOUS_SOC).state) == 71
    assert hass.states.get(PREVIOUS_HOOD).state == STATE_ON
    tracker = hass.states.get(PREVIOUS_TRACKER).attributes
    assert (tracker[ATTR_LATITUDE], tracker[ATTR_LONGITUDE]) == (48.1, 11.5)
    for entity_id, unique_id in PREVIOUS_ENTITIES.items():
        registered = reg.async_get(entity_id)
        assert registered is not None
        assert (registered.platform, registered.unique_id) == (DOMAIN, unique_id)
        assert registered.device_id == device.id
        assert registered.config_entry_id == entry.entry_id
        # Nothing else of ours claims the same thing under a new entity id.
        assert reg.async_get_entity_id(entity_id.split(".")[0], DOMAIN, unique_id) == (
            entity_id
        )
    ours = er.async_entries_for_config_entry(reg, entry.entry_id)
    assert not [e.entity_id for e in ours if e.entity_id.endswith("_2")]
    assert not [
        s.entity_id for s in hass.states.async_all() if s.entity_id.endswith("_2")
    ]
    assert [e.entity_id for e in ours if e.domain == "device_tracker"] == [
        PREVIOUS_TRACKER
    ]
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert [d.id for d in devices if (DOMAIN, VIN_BEV) in d.identifiers] == [device.id]

    # The car speaks through the stream: the old entity ids follow.
    await wait_for(lambda: entry.runtime_data.stream.state is StreamState.CONNECTED)
    await rest_settled(entry)
    await simulator.publish(VIN_BEV, {SOC: 77, HOOD: "CLOSED", LAT: 48.2, LON: 11.6})
    await wait_for(lambda: hass.states.get(PREVIOUS_SOC).state == "77")
    await hass.async_block_till_done()
    assert hass.states.get(PREVIOUS_HOOD).state == STATE_OFF
    tracker = hass.states.get(PREVIOUS_TRACKER).attributes
    assert (tracker[ATTR_LATITUDE], tracker[ATTR_LONGITUDE]) == (48.2, 11.6)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_previous_entry_with_expired_tokens(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Expired access token after the upgrade: one refresh, no login."""
    entry = previous_entry(simulator, age=7200)
    entry.add_to_hass(hass)
    old_refresh = entry.data["refresh_token"]
    calls = simulator.oauth.token_calls
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    # The refresh runs in the background; its tokens are stored on arrival.
    await wait_for(lambda: not simulator.oauth.refresh_token_valid(old_refresh))
    await wait_for(lambda: entry.runtime_data.tokens.refresh_count == 1)
    assert simulator.oauth.token_calls == calls + 1
    stored = TokenSet.from_dict(entry.data[CONF_TOKENS])
    assert simulator.oauth.refresh_token_valid(stored.refresh_token)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_previous_entry_without_timestamps(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Unknown age: treated as expired and refreshed; no container kept."""
    entry = previous_entry(simulator, received_at=None, hv_container_id=None)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert CONF_CONTAINER_ID not in entry.data
    assert await hass.config_entries.async_unload(entry.entry_id)


def test_convert_unknown_age() -> None:
    data = {
        "client_id": CLIENT_A,
        "access_token": "a" * 20,
        "refresh_token": "r" * 20,
        "id_token": "i" * 20,
        "gcid": GCID_A,
    }
    converted = migration.convert_v1_data(data)
    assert converted is not None
    assert TokenSet.from_dict(converted[CONF_TOKENS]).expires_at.timestamp() == 0


@pytest.mark.parametrize(
    "changes",
    [{"gcid": None}, {"refresh_token": None}, {"client_id": None}],
    ids=["no_gcid", "no_refresh_token", "no_client_id"],
)
async def test_unusable_previous_entry(
    hass: HomeAssistant, simulator: Simulator, changes: dict[str, Any]
) -> None:
    entry = previous_entry(simulator, **changes)
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert entry.version == 1


async def test_account_already_set_up(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    ours = make_entry(simulator, GCID_A, CLIENT_A)
    ours.add_to_hass(hass)
    entry = previous_entry(simulator)
    entry.add_to_hass(hass)
    # Setting up the integration sets up both entries.
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert entry.unique_id == CLIENT_A
    assert ours.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(ours.entry_id)


async def test_title_with_client_id_replaced(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    entry = previous_entry(simulator)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, title=f"CarData {CLIENT_A.upper()}")
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.title == "BMW CarData"
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_newer_version_left_alone(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(domain=DOMAIN, version=3, data={})
    entry.add_to_hass(hass)
    assert not await migration.async_migrate_entry(hass, entry)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_current_version_needs_nothing(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    assert await migration.async_migrate_entry(hass, entry)


async def test_followup_waits_until_started(
    hass: HomeAssistant, simulator: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Set up while Home Assistant starts, as at boot: the follow-up runs once
    it has started, and unloading afterwards logs no error."""
    entry = previous_entry(simulator)
    entry.add_to_hass(hass)
    hass.set_state(CoreState.starting)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert CONF_TAKEOVER_FOLLOWUP in entry.data
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await wait_for(lambda: CONF_TAKEOVER_FOLLOWUP not in entry.data)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_followup_left_due_when_unloaded_before_start(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Unloaded before Home Assistant has started: nothing runs; it stays due."""
    entry = previous_entry(simulator)
    entry.add_to_hass(hass)
    hass.set_state(CoreState.starting)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await hass.async_block_till_done()
    assert CONF_TAKEOVER_FOLLOWUP in entry.data
