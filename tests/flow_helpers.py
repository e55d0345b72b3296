"""Shared pieces of the config-flow tests: the user form, submit and finish."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.cardata.api import Endpoints
from custom_components.cardata.const import CONF_CLIENT_ID, DOMAIN
from custom_components.cardata.flows.development import (
    DEVELOPMENT_LOGIN,
    DevelopmentLogin,
)
from tests.simulator import CLIENT_A, Simulator

UNKNOWN_CLIENT = "0f0e0d0c-0b0a-4909-8807-060504030201"


@pytest.fixture
def sim(simulator: Simulator) -> Simulator:
    """The simulator, polled without waiting between device-code polls."""
    simulator.oauth.interval = 0
    return simulator


@pytest.fixture
def no_entry_setup() -> Iterator[AsyncMock]:
    """The flow is under test here, not the set-up of the entry it makes."""
    with (
        patch("custom_components.cardata.async_setup_entry", return_value=True) as m,
        patch("custom_components.cardata.async_unload_entry", return_value=True),
    ):
        yield m


async def init_flow(hass: HomeAssistant) -> dict[str, Any]:
    """Open the user step of a new flow."""
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )


def login_at(hass: HomeAssistant, endpoints: dict[str, Any]) -> None:
    """Point new logins at ``endpoints``, as the development companion does."""
    hass.data[DEVELOPMENT_LOGIN] = DevelopmentLogin(Endpoints.from_dict(endpoints))


def user_form(client_id: str) -> dict[str, Any]:
    """The user step's input: the client id, all an owner is asked for."""
    return {CONF_CLIENT_ID: client_id}


async def submit(
    hass: HomeAssistant, sim: Simulator, client_id: str = CLIENT_A
) -> dict[str, Any]:
    """Open a flow and submit the user form against the simulator."""
    login_at(hass, sim.endpoints)
    result = await init_flow(hass)
    assert result["type"] is FlowResultType.FORM
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], user_form(client_id)
    )


async def finish(hass: HomeAssistant, flow_id: str) -> dict[str, Any]:
    """Wait for the login task and take the step after the progress step."""
    await hass.async_block_till_done()
    return await hass.config_entries.flow.async_configure(flow_id)
