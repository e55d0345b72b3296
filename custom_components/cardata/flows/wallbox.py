"""The Configure menu's wallbox item: per car, the power sensor of its wallbox.

With more than one electrified car the owner picks the car first. Saving
reloads the entry; an emptied field removes the car's wallbox.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.config_entries import ConfigEntryState, ConfigFlowResult, OptionsFlow
from homeassistant.helpers.selector import (
    EntitySelector,
    EntitySelectorConfig,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from ..common.schema import vol
from ..common.settings import OPT_WALLBOX, wallbox_entities, wallbox_key
from ..runtime.data import CarDataConfigEntry
from .answers import car_name

VEHICLE: Final = "vehicle"
SENSOR: Final = "wallbox_power_entity"


class WallboxSteps(OptionsFlow):
    """The steps ``wallbox`` (which car) and ``wallbox_sensor`` (its sensor)."""

    _wallbox_vin: str | None = None

    def _electric_vins(self) -> list[str] | None:
        entry: CarDataConfigEntry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return None
        return entry.runtime_data.prediction.electric_vins()

    async def async_step_wallbox(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the car (skipped with one electrified car)."""
        if (vins := self._electric_vins()) is None:
            return self.async_abort(reason="not_loaded")
        if not vins:
            return self.async_abort(reason="no_electric_vehicle")
        by_key = {wallbox_key(vin): vin for vin in vins}
        if len(vins) == 1:
            chosen: str | None = vins[0]
        else:
            chosen = by_key.get(str((user_input or {}).get(VEHICLE)))
        if chosen is not None:
            self._wallbox_vin = chosen
            return await self.async_step_wallbox_sensor()
        entry_id = self.config_entry.entry_id
        cars = [
            SelectOptionDict(value=key, label=car_name(self.hass, entry_id, vin))
            for key, vin in by_key.items()
        ]
        return self.async_show_form(
            step_id="wallbox",
            data_schema=vol.Schema(
                {
                    vol.Required(VEHICLE): SelectSelector(
                        SelectSelectorConfig(options=cars, mode=SelectSelectorMode.LIST)
                    )
                }
            ),
        )

    async def async_step_wallbox_sensor(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The car's wallbox power sensor; empty removes it (reloads)."""
        vin = self._wallbox_vin
        assert vin is not None  # noqa: S101 - reached only from the car's step
        key = wallbox_key(vin)
        options = dict(self.config_entry.options)
        named = wallbox_entities(options)
        if user_input is not None:
            if sensor := user_input.get(SENSOR):
                named[key] = sensor
            else:
                named.pop(key, None)
            options.pop(OPT_WALLBOX, None)
            if named:
                options[OPT_WALLBOX] = named
            return self.async_create_entry(data=options)
        selector = EntitySelector(
            EntitySelectorConfig(domain="sensor", device_class=SensorDeviceClass.POWER)
        )
        return self.async_show_form(
            step_id="wallbox_sensor",
            data_schema=vol.Schema(
                {
                    vol.Optional(
                        SENSOR, description={"suggested_value": named.get(key)}
                    ): selector
                }
            ),
            description_placeholders={
                "car": car_name(self.hass, self.config_entry.entry_id, vin)
            },
        )
