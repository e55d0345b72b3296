"""Points BMW CarData's login at the local simulator (development only).

Kept with the tests and linked into a development configuration by
``scripts/develop`` and the browser and fault harnesses; HACS never installs
it. With ``cardata_dev: {endpoints_file: .cardata-simulator.json}`` in
``configuration.yaml`` it reads the file the simulator writes and hands the
addresses (and a client id to offer) to the integration's config flow, whose
login form then needs only a submit.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.typing import ConfigType
import voluptuous as vol

from custom_components.cardata.api import Endpoints
from custom_components.cardata.flows.development import (
    DEVELOPMENT_LOGIN,
    DevelopmentLogin,
)

_LOGGER = logging.getLogger(__name__)
DOMAIN = "cardata_dev"
CONF_ENDPOINTS_FILE = "endpoints_file"
CONFIG_SCHEMA = vol.Schema(
    {DOMAIN: vol.Schema({vol.Required(CONF_ENDPOINTS_FILE): str})},
    extra=vol.ALLOW_EXTRA,
)


def read_login(path: Path) -> DevelopmentLogin:
    """The simulator's endpoints file as a development login.

    Raises:
        OSError: the file cannot be read.
        ValueError: it is not a JSON object of endpoints.
    """
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        msg = f"{path} holds no JSON object"
        raise ValueError(msg)
    return DevelopmentLogin(
        endpoints=Endpoints.from_dict(data), client_id=str(data.get("client_id", ""))
    )


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Read the endpoints file once, at start."""
    path = Path(hass.config.path(config[DOMAIN][CONF_ENDPOINTS_FILE]))
    try:
        login = await hass.async_add_executor_job(read_login, path)
    except (OSError, ValueError) as err:
        # A development aid: say what is wrong and leave the login at BMW.
        _LOGGER.error("Cannot read the simulator's endpoints from %s: %s", path, err)
        return False
    hass.data[DEVELOPMENT_LOGIN] = login
    return True
