"""Parts of the takeover from the previous integration and of sharing, one rule each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
import logging

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata.common.settings import (
    BrokerTls,
    custom_broker,
    sharing_settings,
)
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.data.state import split_unique_id
from custom_components.cardata.stream.sharing import descriptor_payload, shared_payload
from custom_components.cardata.upgrade.migration import (
    _previous_day_estimate,
    convert_previous_options,
)
from custom_components.cardata.upgrade.registry import async_rewrite_registry
from tests.entity_helpers import MILEAGE, SOC, make_entry, push, setup_entry
from tests.simulator import GCID_A, VIN_BEV


@pytest.mark.parametrize(
    ("previous_tls", "ours"),
    [
        ("off", BrokerTls.NONE),
        ("tls", BrokerTls.VERIFY),
        ("tls_insecure", BrokerTls.NO_VERIFY),
        ("bogus", BrokerTls.VERIFY),
    ],
)
def test_previous_broker_tls_taken_over(previous_tls: str, ours: BrokerTls) -> None:
    options = convert_previous_options(
        {
            "custom_mqtt_enabled": True,
            "custom_mqtt_host": "h",
            "custom_mqtt_tls": previous_tls,
        }
    )
    broker = custom_broker(options)
    assert broker is not None
    assert broker.tls is ours
    assert broker.topic(GCID_A) == "bmw/+"  # its default prefix and layout


def test_previous_defaults_and_dropped_options() -> None:
    options = convert_previous_options(
        {"custom_mqtt_enabled": True, "custom_mqtt_host": "h", "debug_log": True}
    )
    assert options["broker_port"] == 1883  # its default port, plain TCP
    assert options["broker_tls"] == "none"
    assert "debug_log" not in options
    assert convert_previous_options({"custom_mqtt_enabled": False}) == {
        "broker_enabled": False
    }


def test_previous_trip_end_polling_honoured() -> None:
    """Its trip-end polling off turns ours off; on is our default; the cooldown,
    which nothing here would read, is not carried."""
    off = {"enable_trip_end_polling": False, "trip_poll_cooldown_minutes": 15}
    assert convert_previous_options(off) == {"end_polls_per_day": 0}
    on = {"enable_trip_end_polling": True, "trip_poll_cooldown_minutes": 15}
    assert convert_previous_options(on) == {}


def test_sharing_never_from_a_custom_broker() -> None:
    assert sharing_settings({"share_stream": True}) is not None
    bridged = {"share_stream": True, "broker_enabled": True, "broker_host": "h"}
    assert sharing_settings(bridged) is None
    assert sharing_settings({"share_stream": True, "share_topic_prefix": "+cars"})
    prefix = sharing_settings({"share_stream": True, "share_topic_prefix": "#"})
    assert prefix is not None
    assert prefix.prefix == "bmw/"


def test_shared_payload_names_no_account() -> None:
    raw = json.dumps(
        {"vin": VIN_BEV, "entityId": GCID_A, "topic": f"{GCID_A}/{VIN_BEV}", "data": {}}
    ).encode()
    shared = shared_payload(raw, VIN_BEV)
    assert shared is not None
    assert GCID_A.encode() not in shared
    assert json.loads(shared)["topic"] == VIN_BEV
    assert shared_payload(b"[1]", VIN_BEV) is None
    assert shared_payload(b"{", VIN_BEV) is None
    assert [descriptor_payload(v) for v in (True, 7.5, "LOCKED", None)] == [
        "true",
        "7.5",
        "LOCKED",
        "null",
    ]


def test_day_estimate_is_conservative() -> None:
    noon = datetime(2026, 1, 1, 12, tzinfo=UTC)
    calls = _previous_day_estimate(noon)
    assert len(calls) == 15  # half of its 30 a day
    assert all(c["at"] < noon.isoformat() for c in calls)
    assert len(_previous_day_estimate(datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC))) == 1


async def test_previous_ids_never_descriptors(hass: HomeAssistant) -> None:
    for tail in ("vehicle.manual_battery_capacity", "vehicle.predicted_soc"):
        assert split_unique_id(f"{VIN_BEV}_{tail}") is None
    entry = MockConfigEntry(domain=DOMAIN, version=1)
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    for number, (domain, unique_id) in enumerate(
        (
            ("sensor", f"{VIN_BEV}_charging_history"),  # ours exists already
            ("sensor", f"{VIN_BEV}_diagnostics_charging_history"),
            ("sensor", "not-a-vin_thing"),
            ("sensor", f"{VIN_BEV}_{SOC}"),
        )
    ):
        registry.async_get_or_create(
            domain,
            DOMAIN,
            unique_id,
            config_entry=entry,
            suggested_object_id=f"old_{number}",
        )
    result = async_rewrite_registry(hass, entry)
    assert len(result.removed) == 2
    left = {
        e.unique_id for e in er.async_entries_for_config_entry(registry, entry.entry_id)
    }
    assert left == {f"{VIN_BEV}_charging_history", f"{VIN_BEV}_{SOC}"}


async def test_one_failing_entity_stops_nothing(
    hass: HomeAssistant, simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """A failure applying one value to one entity is logged once; the rest go on."""
    coordinator = await setup_entry(hass, make_entry(simulator))
    start = datetime.now(UTC)
    await push(hass, coordinator, VIN_BEV, {SOC: 49, MILEAGE: 99}, start)
    seen: list[str] = []

    def broken() -> None:
        raise AttributeError("restored without a unit")

    coordinator.async_add_listener(VIN_BEV, SOC, broken)
    coordinator.async_add_listener(VIN_BEV, MILEAGE, lambda: seen.append("mileage"))
    for step in (1, 2):
        at = start + timedelta(seconds=step)
        await push(
            hass, coordinator, VIN_BEV, {SOC: 50 + step, MILEAGE: 100 + step}, at
        )
    assert seen == ["mileage", "mileage"]
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(logged) == 1
    assert SOC in logged[0].getMessage()
    await hass.config_entries.async_unload(coordinator.entry.entry_id)
