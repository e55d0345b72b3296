"""Units of BMW values: which unit a value came in, and converting it.

BMW sends the unit with most values, spelled its own way (``km``, ``mi``,
``miles``, ``kilometers``, ``percent``, ``%``), leaves it out on others and
sends ``null`` for the REST odometer. A car sold in a miles market sends its
distances in miles. A sensor keeps the unit of the first value it showed as
its native unit (so long-term statistics never see the unit change) and
converts later values in another unit with Home Assistant's converters;
Home Assistant converts for display, in the unit the sensor suggests when it
is registered (:func:`suggested_unit`: tyre pressure in bar where owners read
bar, in psi where they read psi); the owner can change it as usual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.components.sensor.const import UNIT_CONVERTERS
from homeassistant.const import UnitOfLength, UnitOfPressure

from ..catalogue.descriptors import map_unit

if TYPE_CHECKING:
    from homeassistant.util.unit_conversion import BaseUnitConverter

    from ..data.coordinator import CarDataCoordinator
    from ..data.state import DescriptorState

HMI_DISTANCE_UNIT: Final = "vehicle.cabin.infotainment.hmi.distanceUnit"
_HMI_WORDS: Final = {"MILES": UnitOfLength.MILES, "KILOMETERS": UnitOfLength.KILOMETERS}
_LENGTHS: Final = frozenset({UnitOfLength.KILOMETERS, UnitOfLength.MILES})

#: Countries (ISO 3166-1) whose tyre gauges, placards and cars speak psi.
_PSI_COUNTRIES: Final = frozenset({"US", "GB"})
#: Countries whose owners read tyre pressure in bar: most of Europe.
_BAR_COUNTRIES: Final = frozenset(
    {
        *("AD", "AL", "AT", "BA", "BE", "BG", "BY", "CH", "CY", "CZ", "DE", "DK"),
        *("EE", "ES", "FI", "FO", "FR", "GR", "HR", "HU", "IS", "IT", "LI", "LT"),
        *("LU", "LV", "MC", "MD", "ME", "MK", "MT", "NL", "NO", "PL", "PT", "RO"),
        *("RS", "SE", "SI", "SK", "SM", "TR", "UA", "VA"),
    }
)


def suggested_unit(
    country: str | None, device_class: SensorDeviceClass | str | None, unit: str | None
) -> str | None:
    """The display unit owners of ``country`` expect, where it is not the unit system's.

    Only tyre pressure differs: Home Assistant's metric system shows kPa, but
    owners in most of Europe read bar, and in the UK psi. None leaves the
    choice to Home Assistant's unit system.
    """
    if (
        device_class != SensorDeviceClass.PRESSURE
        or converter_for(device_class, unit) is None
    ):
        return None
    if country in _PSI_COUNTRIES:
        return UnitOfPressure.PSI
    if country in _BAR_COUNTRIES:
        return UnitOfPressure.BAR
    return None


def converter_for(
    device_class: SensorDeviceClass | str | None, unit: str | None
) -> type[BaseUnitConverter] | None:
    """Home Assistant's converter for a device class, if it knows ``unit``."""
    if device_class is None or unit is None:
        return None
    converter = UNIT_CONVERTERS.get(device_class)
    if converter is None or unit not in converter.VALID_UNITS:
        return None
    return converter


def length_unit_hint(coordinator: CarDataCoordinator, vin: str) -> str | None:
    """The unit (km or mi) the vehicle's newest distance with a unit came in.

    The car's display setting (``hmi.distanceUnit``) wins when it was sent.
    Used for distances that arrive without a unit (the REST odometer).
    """
    vehicle = coordinator.vehicles.get(vin)
    if vehicle is None:
        return None
    if (hmi := vehicle.descriptors.get(HMI_DISTANCE_UNIT)) is not None and (
        unit := _HMI_WORDS.get(str(hmi.value).strip().upper())
    ):
        return unit
    best: DescriptorState | None = None
    for state in vehicle.descriptors.values():
        if map_unit(state.unit) in _LENGTHS and (
            best is None or state.effective_timestamp > best.effective_timestamp
        ):
            best = state
    return map_unit(best.unit) if best is not None else None


def value_unit(
    coordinator: CarDataCoordinator,
    vin: str,
    state: DescriptorState,
    catalogue_unit: str | None,
) -> str | None:
    """The Home Assistant unit a held value came in (None: not said).

    A road distance (km in the catalogue) without a unit is in the unit of
    the car's other distances: a miles car's REST odometer comes as null.
    """
    unit = map_unit(state.unit)
    if unit is None and catalogue_unit == UnitOfLength.KILOMETERS:
        unit = length_unit_hint(coordinator, vin)
    return unit
