"""Config flow for BMW CarData (device-code login; filled in by the core work)."""

from __future__ import annotations

from homeassistant.config_entries import ConfigFlow

from .const import DOMAIN


class CarDataConfigFlow(ConfigFlow, domain=DOMAIN):
    """Handle the login of a BMW CarData account."""

    VERSION = 2
