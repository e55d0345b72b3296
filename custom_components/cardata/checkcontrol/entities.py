"""The "Check-control messages" sensor of every car.

BMW never streams the check-control messages; the daily container read
(:mod:`..rest.container_read`) brings them, with the time BMW read them, and
the descriptor's entity appears with that read like every descriptor's
(:func:`..entities.base.async_setup_descriptor_entities`; the unique id is
``{VIN}_vehicle.status.checkControlMessages``, as before this sensor). Its
state is the number of messages; ``messages`` lists each message's type key
and ``severity`` is the highest severity, both translated through the
entity's ``state_attributes``. A value that is no list of messages
(:mod:`.messages`) shows unknown and is logged at debug level, the reason
only, once a minute at most.
"""

from __future__ import annotations

from typing import Any, Final

from homeassistant.components.sensor import SensorEntity
from homeassistant.helpers.restore_state import RestoreEntity

from ..api.parser import DropLog
from ..catalogue.descriptors import DescriptorInfo
from ..const import LOGGER
from ..data.coordinator import CarDataCoordinator
from ..data.state import DescriptorState
from ..entities.base import CarDataDescriptorEntity
from .messages import SEVERITIES, CheckControl, MalformedError, parse

ATTR_MESSAGES: Final = "messages"
ATTR_SEVERITY: Final = "severity"


class CheckControlSensor(CarDataDescriptorEntity, SensorEntity, RestoreEntity):
    """The number of check-control messages; their types and severity as attributes."""

    def __init__(
        self, coordinator: CarDataCoordinator, vin: str, info: DescriptorInfo
    ) -> None:
        """Bind to the check-control descriptor of one car."""
        super().__init__(coordinator, vin, info)
        self._attr_translation_key = info.translation_key
        self._attr_entity_category = info.entity_category
        self._attr_entity_registry_enabled_default = info.enabled_default
        self._attr_native_value = None
        self._attr_extra_state_attributes = _attributes(None)
        self._dropped = DropLog(LOGGER, "Check-control value")

    def _apply(self, state: DescriptorState) -> bool:
        try:
            reading = parse(state.value)
        except MalformedError as err:
            self._dropped(str(err))
            reading = None
        return self._show(reading)

    def _show(self, reading: CheckControl | None) -> bool:
        value = None if reading is None else len(reading.messages)
        attributes = _attributes(reading)
        if (value, attributes) == (
            self._attr_native_value,
            self._attr_extra_state_attributes,
        ):
            return False
        self._attr_native_value = value
        self._attr_extra_state_attributes = attributes
        return True

    async def _async_restore(self) -> None:
        if (last := await self.async_get_last_state()) is None:
            return
        messages = last.attributes.get(ATTR_MESSAGES)
        severity = last.attributes.get(ATTR_SEVERITY)
        if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
            self._show(
                CheckControl(
                    tuple(messages), severity if severity in SEVERITIES else None
                )
            )


def _attributes(reading: CheckControl | None) -> dict[str, Any]:
    if reading is None:
        return {ATTR_MESSAGES: None, ATTR_SEVERITY: None}
    return {ATTR_MESSAGES: list(reading.messages), ATTR_SEVERITY: reading.severity}
