"""Helpers of the entity tests: a logged-in entry against the simulator, pushes.

Values are pushed through the coordinator's message entry point, exactly as
the stream owner calls it, so a test decides the order and timestamps of
messages; the end-to-end tests publish through the simulator's broker instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from enum import Enum
import logging
from typing import Any

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.amber import AmberSnapshotExtension

from custom_components.cardata.api import (
    DescriptorValue,
    StreamMessage,
    StreamState,
    TokenSet,
)
from custom_components.cardata.config_flow import CarDataConfigFlow
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.data.coordinator import CarDataCoordinator
from tests import waiting
from tests.simulator import CLIENT_A, GCID_A

T0 = datetime(2026, 5, 1, 8, 0, 0, tzinfo=UTC)
LOC = "vehicle.cabin.infotainment.navigation.currentLocation."
LAT = LOC + "latitude"
LON = LOC + "longitude"
HEADING = LOC + "heading"
ALTITUDE = LOC + "altitude"
SOC = "vehicle.drivetrain.batteryManagement.header"
MILEAGE = "vehicle.vehicle.travelledDistance"
HOOD = "vehicle.body.hood.isOpen"
UNKNOWN = "vehicle.experimental.widget.fooBarLevel"
# Vehicles the simulator's REST side does not know: only the stream shows them.
TEST_VIN = "WBY00000000TST001"
OTHER_VIN = "WBY00000000TST002"


def entry_data(
    sim: Any,
    gcid: str = GCID_A,
    client_id: str = CLIENT_A,
    *,
    expired: bool = False,
) -> dict[str, Any]:
    """Entry data of an account logged in against the simulator (no login)."""
    tokens = TokenSet.from_response(sim.oauth.issue_tokens(gcid, client_id))
    if expired:
        tokens = replace(tokens, expires_at=dt_util.utcnow() - timedelta(minutes=5))
    return {
        "client_id": client_id,
        "gcid": gcid,
        "tokens": tokens.to_dict(),
        **sim.endpoints,
    }


def make_entry(
    sim: Any,
    gcid: str = GCID_A,
    client_id: str = CLIENT_A,
    *,
    expired: bool = False,
    **entry_kwargs: Any,
) -> MockConfigEntry:
    """An entry of the current version, shaped like the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        version=CarDataConfigFlow.VERSION,
        minor_version=CarDataConfigFlow.MINOR_VERSION,
        unique_id=gcid,
        title="BMW CarData",
        data=entry_data(sim, gcid, client_id, expired=expired),
        **entry_kwargs,
    )


async def age_rest_data(sim: Any, before: datetime = T0) -> None:
    """Date what the simulator's REST side holds a day before ``before``.

    The first set-up fetches telematicData over REST; with older timestamps the
    test's own stream messages (at ``T0`` and later) are the newer ones.
    """
    for vin, vehicle in sim.vehicles.items():
        values = {name: held.value for name, held in vehicle.state.items()}
        if values:
            await sim.publish(vin, values, timestamp=before - timedelta(days=1))


async def setup_entry(
    hass: HomeAssistant, entry: MockConfigEntry, *, connected: bool = True
) -> CarDataCoordinator:
    """Set the entry up through Home Assistant; return its coordinator.

    Waits for the REST side's first set-up (device info, telematicData) and for
    the stream to connect, so every test starts from a settled entry and never
    unloads in the middle of a TLS handshake.
    """
    if entry.entry_id not in hass.config_entries.async_entry_ids():
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    if (first_setup := entry.runtime_data.poller.bootstrap) is not None:
        await first_setup
        await hass.async_block_till_done()
    if connected:
        stream = entry.runtime_data.stream
        await waiting.wait_for(lambda: stream.state is StreamState.CONNECTED)
    return entry.runtime_data.coordinator  # type: ignore[no-any-return]


def message(
    vin: str,
    values: Mapping[str, Any],
    timestamp: datetime = T0,
    *,
    unit: str | None = None,
) -> StreamMessage:
    """A parsed stream message; every value carries ``timestamp``."""
    return StreamMessage(
        vin=vin,
        data={
            name: DescriptorValue(value=value, unit=unit, timestamp=timestamp)
            for name, value in values.items()
        },
        timestamp=timestamp,
    )


async def push(
    hass: HomeAssistant,
    coordinator: CarDataCoordinator,
    vin: str,
    values: Mapping[str, Any],
    timestamp: datetime = T0,
    *,
    unit: str | None = None,
) -> None:
    """Hand a message to the coordinator as the stream owner does, then settle."""
    coordinator.async_apply_message(message(vin, values, timestamp, unit=unit))
    await hass.async_block_till_done()


def entity_id(hass: HomeAssistant, platform: str, unique_id: str) -> str:
    """Entity id of one of our entities (fails when it does not exist)."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None, f"no {platform} entity {unique_id}"
    return found


def written_states(hass: HomeAssistant, entity: str) -> list[State]:
    """Every state written for ``entity`` from now on."""
    states: list[State] = []

    @callback
    def on_change(event: Event) -> None:
        if event.data["entity_id"] == entity and event.data["new_state"]:
            states.append(event.data["new_state"])

    hass.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    return states


@contextmanager
def quiet_recorder() -> Iterator[None]:
    """Keep the recorder's SQL and row logs out of the output while it runs.

    Home Assistant's test plugin sets ``sqlalchemy.engine`` to INFO and gives
    the root logger a handler on the real stderr; the recorder's thread then
    writes every statement (entity ids, unique ids) to the terminal whenever
    pytest's capture is paused between phases.
    """
    names = ("sqlalchemy.engine", "homeassistant.components.recorder")
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def device_for(
    hass: HomeAssistant, entry: MockConfigEntry, ident: str
) -> dr.DeviceEntry:
    """Our device with identifier ``(cardata, ident)`` (fails when missing)."""
    for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id):
        if (DOMAIN, ident) in device.identifiers:
            return device
    msg = f"no device {ident}"
    raise AssertionError(msg)


class _SnapshotsDir(AmberSnapshotExtension):
    """Amber snapshots kept in tests/snapshots/."""

    snapshot_dirname = "snapshots"


def in_snapshots_dir(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """The syrupy snapshot, stored under tests/snapshots/."""
    return snapshot.use_extension(_SnapshotsDir)


def describe_entity(hass: HomeAssistant, entity: er.RegistryEntry) -> dict[str, Any]:
    """What a user sees of one entity, without ids or times that vary per run."""
    state = hass.states.get(entity.entity_id)
    return _plain(
        {
            "entity_id": entity.entity_id,
            "unique_id": entity.unique_id,
            "name": entity.original_name,
            "translation_key": entity.translation_key,
            "device_class": entity.original_device_class,
            "unit": entity.unit_of_measurement,
            "capabilities": {
                key: value
                for key, value in entity.capabilities.items()
                if str(key) not in _VERSION_DEPENDENT
            }
            or None
            if entity.capabilities
            else None,
            "options": dict(entity.options),
            "entity_category": entity.entity_category,
            "disabled_by": entity.disabled_by,
            "state": None if state is None else state.state,
            "attributes": None
            if state is None
            else {
                key: value
                for key, value in state.attributes.items()
                if str(key) not in _VERSION_DEPENDENT | _CLOCK_DEPENDENT
            },
        }
    )


# Attributes that only some Home Assistant versions write.
_VERSION_DEPENDENT = frozenset({"in_zones", "tracking_type"})
# Attributes that move with the wall clock (the age of the last reading).
_CLOCK_DEPENDENT = frozenset({"last_reading_age_min"})


def _plain(value: Any) -> Any:
    """Enum keys and values as plain strings (Home Assistant versions differ)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {_plain(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
