"""The account entry's title: the names of its cars, unless the owner chose one.

A second account added as "BMW CarData 2", or one taken over as
"BMW CarData (1b2c3d4e)", cannot be told apart from the first. BMW's tokens
name no e-mail or person (the id token carries the GCID only), so an entry is
titled by what the owner knows: its cars, "BMW iX xDrive50, MINI Cooper SE"
(a car's own device name where the owner gave one, else brand and model from
basicData, else the device's name). The title follows when cars come, go or
are renamed. The title last set here is kept in the entry's data
(:data:`CONF_TITLE_SET`); a title that differs from it, and is not one of the
default titles, is the owner's and is never touched.
"""

from __future__ import annotations

import re
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from ..const import DEFAULT_TITLE, DOMAIN
from .devices import async_vehicle_devices

CONF_TITLE_SET: Final = "title_set"
"""Entry data key: the title this integration set last."""

_DEFAULT_TITLE: Final = re.compile(rf"^{re.escape(DEFAULT_TITLE)}( \d+| \([^)]*\))?$")
"""Titles nobody chose: ours before cars were known, the other integration's."""


def car_title(device: dr.DeviceEntry) -> str:
    """What the owner calls a car: their name for it, else brand and model."""
    if device.name_by_user:
        return device.name_by_user
    if device.model and device.manufacturer:
        return f"{device.manufacturer} {device.model}"
    return device.name or device.model or ""


def cars_title(devices: list[dr.DeviceEntry]) -> str | None:
    """The entry's title from its cars' names (None: no car yet)."""
    names = sorted(
        {
            title
            for device in devices
            if any(domain == DOMAIN for domain, _ in device.identifiers)
            and not device.disabled
            and (title := car_title(device))
        }
    )
    return ", ".join(names) or None


def owner_renamed(entry: ConfigEntry) -> bool:
    """Whether the owner gave the entry a title of their own."""
    if _DEFAULT_TITLE.match(entry.title):
        return False
    return entry.title != entry.data.get(CONF_TITLE_SET)


@callback
def async_update_title(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Title the entry by its cars, unless the owner renamed it."""
    if owner_renamed(entry):
        return
    devices = [
        device
        for device in async_vehicle_devices(hass, entry.entry_id)
        if (DOMAIN, entry.entry_id) not in device.identifiers
    ]
    title = cars_title(devices)
    if title is None or (
        title == entry.title and entry.data.get(CONF_TITLE_SET) == title
    ):
        return
    hass.config_entries.async_update_entry(
        entry, title=title, data={**entry.data, CONF_TITLE_SET: title}
    )


@callback
def async_follow_cars(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Title the entry now and whenever one of its devices changes."""

    @callback
    def changed(_event: Event[dr.EventDeviceRegistryUpdatedData]) -> None:
        # Any device: a removed one is gone from the registry already. The
        # title is made from this entry's devices only, and set when it differs.
        async_update_title(hass, entry)

    entry.async_on_unload(
        hass.bus.async_listen(dr.EVENT_DEVICE_REGISTRY_UPDATED, changed)
    )
    async_update_title(hass, entry)
