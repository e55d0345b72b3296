"""Service actions: BMW's answer comes back as the response, entities follow."""

from __future__ import annotations

import aiohttp
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.cardata.const import DOMAIN

from .conftest import API, CONTAINER_ID, device_of
from .vehicles import BEV, HOOD, PHEV, SOC, basic_data

CALLS_LEFT = "sensor.bmw_cardata_api_calls_left_today"


async def test_fetch_telematic_data(
    hass: HomeAssistant,
    setup_integration,
    aioclient_mock: AiohttpClientMocker,
    snapshot: SnapshotAssertion,
) -> None:
    """The telematic values of the container: returned, and shown by entities."""
    await setup_integration()
    aioclient_mock.get(
        f"{API}/customers/vehicles/{PHEV.vin}/telematicData",
        params={"containerId": CONTAINER_ID},
        json={
            "telematicData": {
                SOC: {"value": "70", "unit": "%", "timestamp": "2026-05-01T07:55:00Z"},
                "vehicle.drivetrain.fuelSystem.level": {
                    "value": "54",
                    "unit": "%",
                    "timestamp": "2026-05-01T07:55:00Z",
                },
                # A data point the car does not support: no value, no time.
                HOOD: {"value": None, "unit": None, "timestamp": None},
            }
        },
    )
    assert hass.states.get(CALLS_LEFT).state == "49"
    response = await hass.services.async_call(
        DOMAIN,
        "fetch_telematic_data",
        {"vin": PHEV.vin},
        blocking=True,
        return_response=True,
    )
    assert response == snapshot
    assert hass.states.get("sensor.bmw_0002_battery_charge_level").state == "70"
    assert hass.states.get("sensor.bmw_0002_fuel_level").state == "54"
    assert hass.states.get("binary_sensor.bmw_0002_bonnet").state == "off"
    assert hass.states.get(CALLS_LEFT).state == "48"


async def test_fetch_basic_data_fills_in_the_device(
    hass: HomeAssistant,
    setup_integration,
    aioclient_mock: AiohttpClientMocker,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Targeted by device: BMW's basic data is the response and updates it."""
    entry = await setup_integration()
    device = device_of(device_registry, entry.entry_id, BEV.vin)
    assert device.sw_version is None
    aioclient_mock.get(
        f"{API}/customers/vehicles/{BEV.vin}/basicData", json=basic_data(BEV)
    )
    response = await hass.services.async_call(
        DOMAIN,
        "fetch_basic_data",
        {"device_id": device.id},
        blocking=True,
        return_response=True,
    )
    assert response == {"vehicles": {BEV.vin: basic_data(BEV)}}
    device = device_of(device_registry, entry.entry_id, BEV.vin)
    assert (device.name, device.model, device.sw_version) == (
        "BMW 0001",
        "iX xDrive50",
        "0725",
    )


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({}, "target_missing"),
        ({"vin": "WBY-NOT-A-VIN"}, "vin_invalid"),
        ({"vin": "WBA00000000000099"}, "vehicle_unknown"),
        ({"vin": BEV.vin, "config_entry_id": "x"}, "target_ambiguous"),
    ],
)
async def test_refused_targets(
    hass: HomeAssistant,
    setup_integration,
    aioclient_mock: AiohttpClientMocker,
    data: dict[str, str],
    key: str,
) -> None:
    """A target the action cannot use is refused before any call to BMW."""
    await setup_integration()
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "fetch_basic_data", data, blocking=True, return_response=True
        )
    assert err.value.translation_key == key
    assert aioclient_mock.call_count == 0


async def test_bmw_error_is_reported(
    hass: HomeAssistant, setup_integration, aioclient_mock: AiohttpClientMocker
) -> None:
    """BMW's failure is a translated error naming BMW's code, not a traceback."""
    await setup_integration()
    aioclient_mock.get(
        f"{API}/customers/vehicles/mappings",
        status=500,
        json={"exveErrorId": "CU-500", "exveErrorMsg": "Internal error"},
    )
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "fetch_vehicle_mappings",
            {"vin": BEV.vin},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "api_failed"
    assert err.value.translation_placeholders == {"error": "CU-500 (HTTP 500)"}


async def test_bmw_unreachable_is_its_own_translated_error(
    hass: HomeAssistant, setup_integration, aioclient_mock: AiohttpClientMocker
) -> None:
    """No answer at all: a translated text that says what to do, with no
    English words put into it."""
    await setup_integration()
    aioclient_mock.get(
        f"{API}/customers/vehicles/mappings", exc=aiohttp.ClientConnectionError()
    )
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "fetch_vehicle_mappings",
            {"vin": BEV.vin},
            blocking=True,
            return_response=True,
        )
    assert err.value.translation_key == "api_unreachable"
    assert not err.value.translation_placeholders
