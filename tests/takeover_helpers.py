"""Helpers of the tests that take over an entry of kvanbiesen/bmw-cardata-ha."""

from __future__ import annotations

import time
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.cardata.api import Endpoints
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.upgrade import migration
from tests.simulator import CLIENT_A, GCID_A, Simulator

PREVIOUS_CONTAINER = "c0ffee00-1234-4abc-9def-0123456789ab"


def bmw_is_simulator(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """The previous integration's entries hold no endpoints: make BMW the simulator."""
    monkeypatch.setattr(migration, "PRODUCTION", Endpoints.from_dict(sim.endpoints))


def previous_entry(
    sim: Simulator,
    *,
    age: float = 0.0,
    options: dict[str, Any] | None = None,
    **changes: Any,
) -> MockConfigEntry:
    """An entry exactly as the previous integration stored it, ``age`` seconds old.

    ``changes`` replace fields of its data; a field set to None is left out.
    """
    answer = sim.oauth.issue_tokens(GCID_A, CLIENT_A)
    data: dict[str, Any] = {
        "client_id": CLIENT_A,
        "access_token": answer["access_token"],
        "refresh_token": answer["refresh_token"],
        "id_token": answer["id_token"],
        "expires_in": answer["expires_in"],
        "scope": answer["scope"],
        "gcid": GCID_A,
        "token_type": answer["token_type"],
        "received_at": time.time() - age,
        "hv_container_id": PREVIOUS_CONTAINER,
    }
    data.update(changes)
    return MockConfigEntry(
        domain=DOMAIN,
        version=1,
        unique_id=CLIENT_A,
        title="BMW CarData",
        data={k: v for k, v in data.items() if v is not None},
        options=options if options is not None else {"mqtt_keepalive": 30},
    )


def register_previous_entity(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    device_id: str,
    entity_id: str,
    unique_id: str,
    *,
    unit: str | None = None,
) -> None:
    """Register one entity as the previous integration left it, as ``entity_id``."""
    domain, _, object_id = entity_id.partition(".")
    created = er.async_get(hass).async_get_or_create(
        domain,
        DOMAIN,
        unique_id,
        config_entry=entry,
        device_id=device_id,
        suggested_object_id=object_id,
        unit_of_measurement=unit,
        original_name=object_id.replace("_", " "),
    )
    assert created.entity_id == entity_id
