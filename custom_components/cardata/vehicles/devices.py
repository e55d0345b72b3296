"""Removing a vehicle's device from one entry, on every supported Home Assistant.

Since Home Assistant 2026.10 a device belongs to exactly one config entry, so
removing it is the device registry's ``async_remove_device``. Older releases
(2026.3 up to then) let two entries share a device (a car two accounts of this
integration had a device for); there only our entry leaves it, so the other
account keeps its device and entities.
"""

from __future__ import annotations

from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from ..const import DOMAIN

SINGLE_ENTRY_DEVICES: Final = hasattr(
    dr.DeviceRegistry, "async_get_device_by_identifier"
)
"""Whether a device belongs to one config entry (Home Assistant 2026.10 on)."""


@callback
def async_vehicle_devices(
    hass: HomeAssistant, entry_id: str, vin: str | None = None
) -> list[dr.DeviceEntry]:
    """The entry's devices, or those of one VIN (identifier ``(cardata, vin)``)."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
    if vin is None:
        return devices
    return [device for device in devices if (DOMAIN, vin) in device.identifiers]


@callback
def async_remove_entry_device(
    hass: HomeAssistant, entry_id: str, device: dr.DeviceEntry
) -> None:
    """Remove ``device`` of the entry ``entry_id`` with its entities."""
    registry = dr.async_get(hass)
    if not SINGLE_ENTRY_DEVICES and device.config_entries != {entry_id}:
        # A device shared with another entry (before 2026.10): only ours leaves.
        registry.async_update_device(device.id, remove_config_entry_id=entry_id)
        return
    registry.async_remove_device(device.id)
