"""The BMW CarData integration."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

type CarDataConfigEntry = ConfigEntry[None]


async def async_setup_entry(hass: HomeAssistant, entry: CarDataConfigEntry) -> bool:  # noqa: ARG001
    """Set up BMW CarData from a config entry."""
    return True


async def async_unload_entry(hass: HomeAssistant, entry: CarDataConfigEntry) -> bool:  # noqa: ARG001
    """Unload a config entry."""
    return True
