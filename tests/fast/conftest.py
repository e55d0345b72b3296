"""Fixtures of the fast tier: stored state in, no simulator, no network.

The entry is shaped as the config flow stores it (BMW's endpoints, tokens an
hour from expiry, the container the first set-up created); ``hass_storage``
holds what an earlier run wrote (the first set-up done, BMW's mappings, the
last values of three vehicles) and the device registry their devices. So the
set-up is due no REST call and no token refresh: ``aioclient_mock`` answers
only what a test registers and fails on anything else. The MQTT stream is a
:class:`~tests.fast.fake_stream.FakeStream` built where the integration builds
its stream client. Time stands still at :data:`~tests.fast.vehicles.NOW`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util.read_only_dict import ReadOnlyDict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import (
    EntityRegistryEntrySnapshot,
    HomeAssistantSnapshotExtension,
    StateSnapshot,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.cardata.common.redact import Redactor
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.ledger.daily import READ
from custom_components.cardata.rest.container_read import READ as CONTAINER_READ
from custom_components.cardata.rest.quota import storage_key
from custom_components.cardata.vehicles.gate import vin_key

from .fake_stream import FakeBroker
from .vehicles import CLIENT_ID, ENTRY_ID, GCID, NOW, VEHICLES

ACCESS_TOKEN = "fast-tier-access-token-0001"
ID_TOKEN = "fast-tier-id-token-0001"
REFRESH_TOKEN = "fast-tier-refresh-token-0001"
CONTAINER_ID = "container-fast-tier-0001"
SALT = "fast-tier-installation-salt"
"""The account's masking key, stored: diagnostics references stay the same."""
API = "https://api-cardata.bmwgroup.com"
AUTH = "https://customer.bmwgroup.com"


@pytest.fixture(autouse=True)
def frozen_time(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Every fast test runs at NOW, so states and snapshots do not drift."""
    freezer.move_to(NOW)
    return freezer


# What only some Home Assistant versions write: the tracker's zones and
# tracking type (2026.10), and the entity's computed-name alias.
VERSION_DEPENDENT = frozenset({"in_zones", "tracking_type", "aliases"})


def _plain(mapping: Any) -> dict[str, Any]:
    """Keys as plain strings (2026.10 keys attributes by StrEnum members)."""
    return {str(k): v for k, v in mapping.items() if str(k) not in VERSION_DEPENDENT}


def version_neutral(data: Any, path: Any) -> Any:
    """One snapshot for every supported Home Assistant version."""
    if isinstance(data, EntityRegistryEntrySnapshot):
        entry = EntityRegistryEntrySnapshot(_plain(data))
        entry["capabilities"] = _plain(entry["capabilities"] or {}) or None
        return entry
    if isinstance(data, StateSnapshot):
        return StateSnapshot(
            {**data, "attributes": ReadOnlyDict(_plain(data["attributes"]))}
        )
    return data


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots as Home Assistant core writes them, the same on every version."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension).with_defaults(
        matcher=version_neutral
    )


@pytest.fixture
def log_secrets() -> set[str]:
    """The fast tier's account, client, VINs and tokens must never be logged."""
    return {
        GCID,
        CLIENT_ID,
        ACCESS_TOKEN,
        ID_TOKEN,
        REFRESH_TOKEN,
        *(vehicle.vin for vehicle in VEHICLES),
    }


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Every entity enabled, also those BMW's catalogue leaves off (as HA core)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
def mqtt() -> Iterator[FakeBroker]:
    """The stream the integration builds is a fake one on this broker."""
    broker = FakeBroker()
    with patch("custom_components.cardata.stream.owner.CarDataStream", broker.stream):
        yield broker


def entry_data() -> dict[str, Any]:
    """Config entry data as the config flow and the first set-up left it."""
    return {
        "client_id": CLIENT_ID,
        "gcid": GCID,
        "tokens": {
            "access_token": ACCESS_TOKEN,
            "id_token": ID_TOKEN,
            "refresh_token": REFRESH_TOKEN,
            "expires_at": (NOW + timedelta(hours=1)).isoformat(),
            "scope": "authenticate_user openid cardata:api:read cardata:streaming:read",
            "gcid": GCID,
            "token_type": "Bearer",
            "refresh_expires_at": (NOW + timedelta(days=14)).isoformat(),
        },
        "auth_url": AUTH,
        "api_url": API,
        "stream_host": "customer.streaming-cardata.bmwgroup.com",
        "stream_port": 9000,
        "stream_tls": "verify",
        "stream_ca_file": None,
        "container_id": CONTAINER_ID,
    }


@pytest.fixture
def entry_options() -> dict[str, Any]:
    """The entry's options (the Configure menu's settings); none by default."""
    return {}


@pytest.fixture
def config_entry(entry_options: dict[str, Any]) -> MockConfigEntry:
    """The account's entry, VERSION 2 as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        version=2,
        minor_version=1,
        unique_id=GCID,
        title="BMW CarData",
        entry_id=ENTRY_ID,
        data=entry_data(),
        options=entry_options,
    )


def _stored(key: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "minor_version": 1, "key": key, "data": data}


@pytest.fixture
def stored_state(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """What an earlier run left: devices, the first set-up, the last values."""
    config_entry.add_to_hass(hass)
    keys = [vin_key(ENTRY_ID, vehicle.vin) for vehicle in VEHICLES]
    checked = (NOW - timedelta(hours=6)).isoformat()
    for name, data in (
        ("vehicles", {"done": True, "vehicles": 3, "mappings_checked_at": checked}),
        ("vins", {"primary": keys, "secondary": [], "confirmed": keys}),
        (
            "values",
            {
                "vehicles": {
                    vin_key(ENTRY_ID, vehicle.vin): {
                        descriptor: [
                            value,
                            unit,
                            vehicle.sent_at.isoformat(),
                            (vehicle.sent_at + timedelta(seconds=1)).isoformat(),
                        ]
                        for descriptor, (value, unit) in vehicle.values.items()
                    }
                    for vehicle in VEHICLES
                }
            },
        ),
    ):
        key = f"{DOMAIN}.{name}.{ENTRY_ID}"
        hass_storage[key] = _stored(key, data)
    # The account's call log: this morning's read of the mappings, and the
    # ledger's daily history read and the daily container read of each car
    # then (none is due today).
    refs = [Redactor(SALT.encode()).ref("vin", vehicle.vin) for vehicle in VEHICLES]
    quota = storage_key(GCID)
    hass_storage[quota] = _stored(
        quota,
        {
            "calls": [
                {
                    "at": checked,
                    "endpoint": "mappings",
                    "vin": None,
                    "outcome": "ok",
                    "kind": "scheduled",
                }
            ],
            "last_extra": {
                f"{name}:{ref}": checked
                for name in (READ, CONTAINER_READ)
                for ref in refs
            },
            "salt": SALT,
        },
    )
    registry = dr.async_get(hass)
    for vehicle in VEHICLES:
        registry.async_get_or_create(
            config_entry_id=config_entry.entry_id,
            identifiers={(DOMAIN, vehicle.vin)},
            manufacturer=vehicle.brand,
            model=vehicle.model,
            model_id=vehicle.model_id,
            hw_version=vehicle.head_unit,
            name=vehicle.name,
            serial_number=vehicle.vin,
        )
    return config_entry


@pytest.fixture
def setup_integration(
    hass: HomeAssistant,
    stored_state: MockConfigEntry,
    mqtt: FakeBroker,
    aioclient_mock: AiohttpClientMocker,
) -> Callable[[], Awaitable[MockConfigEntry]]:
    """Set the stored entry up; its stream is connected when this returns."""

    async def setup() -> MockConfigEntry:
        assert await hass.config_entries.async_setup(stored_state.entry_id)
        await hass.async_block_till_done()
        assert mqtt.connected
        return stored_state

    return setup


async def states_written(hass: HomeAssistant, entity_ids: list[str]) -> None:
    """Wait until each entity shows a state (one written by a background task).

    Waits on Home Assistant's state events, not on the clock; a state that
    never comes ends the test at pytest's timeout.
    """
    done: asyncio.Future[None] = hass.loop.create_future()

    @callback
    def check(_event: Event[EventStateChangedData] | None = None) -> None:
        if not done.done() and all(
            (state := hass.states.get(entity_id)) is not None
            and state.state != STATE_UNKNOWN
            for entity_id in entity_ids
        ):
            done.set_result(None)

    unsub = async_track_state_change_event(hass, entity_ids, check)
    try:
        check()
        await done
    finally:
        unsub()
    await hass.async_block_till_done()


def device_of(registry: dr.DeviceRegistry, entry_id: str, vin: str) -> dr.DeviceEntry:
    """The entry's device of a vehicle (fails when there is none).

    Looked up among the entry's devices: ``async_get_device`` by identifiers
    is deprecated from Home Assistant 2026.10, and its successor is missing
    in 2026.3.
    """
    for device in dr.async_entries_for_config_entry(registry, entry_id):
        if (DOMAIN, vin) in device.identifiers:
            return device
    msg = f"no device for vehicle ...{vin[-4:]}"
    raise AssertionError(msg)
