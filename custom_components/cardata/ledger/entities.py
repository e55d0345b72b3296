"""Sensors of the ledger, per electrified vehicle: this month and the last charge.

This month's charged energy (total, home, elsewhere) and cost, and the last
session's energy with its facts as attributes. Unique ids carry no dot after
the VIN (``{VIN}_charged_month`` ...), so they never parse as descriptors.
The month figures start from zero at the first of the month. They carry no
state class: a month's figure falls at its turn and when BMW corrects a
session, and the Energy dashboard takes the ledger's own hourly statistics
(:mod:`.statistics`) instead. Once the month has a session, the month's
total carries ``statement_url``: where its CSV statement is downloaded
(:mod:`.view`), for the card or a markdown card to link.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity
from homeassistant.const import UnitOfEnergy
from homeassistant.core import callback
from homeassistant.helpers.entity import Entity
from homeassistant.util import dt as dt_util

from ..entities.base import CarDataEntity
from ..prediction.entities import async_setup_prediction_entities
from ..prediction.hub import PredictionHub
from .hub import EnergyLedger
from .model import SessionClass
from .report import summary
from .statement import month_name, statement_url

MONTH_TOTAL: Final = "charged_month"
MONTH_HOME: Final = "charged_month_home"
MONTH_ELSEWHERE: Final = "charged_month_elsewhere"
MONTH_COST: Final = "charging_cost_month"
LAST_SESSION: Final = "last_charge_energy"
MONTH_ENERGY: Final = {
    MONTH_TOTAL: "total",
    MONTH_HOME: SessionClass.HOME.value,
    MONTH_ELSEWHERE: SessionClass.ELSEWHERE.value,
}


def month_start(now: datetime) -> datetime:
    """The first of ``now``'s month, local midnight."""
    return dt_util.start_of_local_day(dt_util.as_local(now).replace(day=1))


def async_setup_ledger_sensors(
    ledger: EnergyLedger,
    prediction: PredictionHub,
    add: Callable[[list[Entity]], None],
) -> None:
    """Add the ledger's sensors for every electrified vehicle, now and later."""

    def factory(key: str) -> Callable[[PredictionHub, str], Entity]:
        def make(_hub: PredictionHub, vin: str) -> Entity:
            if key == LAST_SESSION:
                return LastSessionSensor(ledger, vin)
            if key == MONTH_COST:
                return MonthCostSensor(ledger, vin)
            return MonthEnergySensor(ledger, vin, key)

        return make

    for key in (*MONTH_ENERGY, MONTH_COST, LAST_SESSION):
        async_setup_prediction_entities(prediction, add, factory(key))


class LedgerSensor(CarDataEntity, SensorEntity):
    """Follows the vehicle's ledger, and the turn of each day.

    The base of every sensor made from a vehicle's ledger (here, and the
    battery's health): ``_refresh`` sets what it shows, and the state is
    written when that changed.
    """

    def __init__(self, ledger: EnergyLedger, vin: str, key: str) -> None:
        """One of the vehicle's ledger sensors, named by ``key``."""
        super().__init__(ledger.coordinator, vin)
        self.ledger = ledger
        self._attr_unique_id = f"{vin}_{key}"
        self._attr_translation_key = key
        self._refresh()

    async def async_added_to_hass(self) -> None:
        """Follow the ledger (it also wakes its sensors at each midnight)."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.ledger.async_add_listener(self.vin, self._handle_update)
        )

    @callback
    def _handle_update(self) -> None:
        """Write the state only when what it shows changed.

        A session elsewhere leaves the home total as it was; most midnights
        change nothing.
        """
        shown = (self._attr_native_value, self.extra_state_attributes)
        self._refresh()
        if (self._attr_native_value, self.extra_state_attributes) != shown:
            self.async_write_ha_state()

    def _month(self) -> dict[str, Any]:
        start = month_start(dt_util.utcnow())
        sessions = self.ledger.vehicle_sessions(self.vin, start)
        return summary(sessions, self.ledger.pricing)

    def _refresh(self) -> None:
        raise NotImplementedError


class MonthEnergySensor(LedgerSensor):
    """Energy charged this month: total, at home or elsewhere."""

    _attr_device_class = SensorDeviceClass.ENERGY
    _attr_native_unit_of_measurement = UnitOfEnergy.KILO_WATT_HOUR
    _attr_suggested_display_precision = 1
    _unrecorded_attributes = frozenset({"statement_url"})

    def __init__(self, ledger: EnergyLedger, vin: str, key: str) -> None:
        """Bind to one vehicle and one class (or the total)."""
        self._class = MONTH_ENERGY[key]
        super().__init__(ledger, vin, key)

    def _refresh(self) -> None:
        self._attr_native_value = self._month()["energy_kwh"][self._class]

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """The month total links this month's statement once it has a session."""
        entity = self.registry_entry
        if self._class != MONTH_ENERGY[MONTH_TOTAL] or entity is None:
            return None
        now = dt_util.now()
        if entity.device_id is None or not self.ledger.vehicle_sessions(
            self.vin, month_start(now)
        ):
            return None
        return {
            "statement_url": statement_url(
                self.ledger.entry_id, entity.device_id, month_name(now)
            )
        }


class MonthCostSensor(LedgerSensor):
    """What this month's charging cost (unknown without a price)."""

    _attr_device_class = SensorDeviceClass.MONETARY
    _attr_suggested_display_precision = 2

    def __init__(self, ledger: EnergyLedger, vin: str) -> None:
        """Bind to one vehicle."""
        super().__init__(ledger, vin, MONTH_COST)

    @property
    def native_unit_of_measurement(self) -> str:
        """Home Assistant's currency."""
        return self.hass.config.currency

    def _refresh(self) -> None:
        self._attr_native_value = self._month()["cost"]


class LastSessionSensor(LedgerSensor):
    """The last charge's energy; when, where (class) and what it cost."""

    _attr_device_class = SensorDeviceClass.ENERGY
    _attr_native_unit_of_measurement = UnitOfEnergy.KILO_WATT_HOUR
    _attr_suggested_display_precision = 1

    def __init__(self, ledger: EnergyLedger, vin: str) -> None:
        """Bind to one vehicle."""
        super().__init__(ledger, vin, LAST_SESSION)

    def _refresh(self) -> None:
        sessions = self.ledger.vehicle_sessions(self.vin)
        if not sessions:
            self._attr_native_value = None
            self._attr_extra_state_attributes = {}
            return
        last = sessions[-1]
        cls = last.session_class
        self._attr_native_value = last.energy_kwh
        self._attr_extra_state_attributes = {
            "start": last.start.isoformat(),
            "end": last.end.isoformat() if last.end else None,
            "charge_class": cls.value if cls is not None else None,
            "start_level": last.start_level,
            "end_level": last.end_level,
            "cost": self.ledger.pricing.cost(last),
            "confirmed": last.confirmed,
        }
