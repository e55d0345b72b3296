"""Which of the catalogue's descriptors BMW does not stream at all.

BMW's telematics data catalogue has a "Streamable" column, but the
published CSV leaves it empty for every row, so the generated table cannot
carry it. This small table says it instead. Source: what owners of the other
integrations reported and BMW's behaviour they observed (the project's
protocol notes, "REST API": some fields are never streamed; they come only
in a container read, and ticking them for streaming in BMW's portal makes
BMW's side fail): the high-voltage battery's state of health, the
check-control messages, the service data and the lifetime consumption
counters.
"""

from __future__ import annotations

from typing import Final

_V: Final = "vehicle."
_STATUS: Final = _V + "status."
_ELECTRIC_LIFETIME: Final = (
    _V + "drivetrain.electricEngine.charging.consumptionOverLifeTime."
)
_FUEL_LIFETIME: Final = _V + "drivetrain.fuelSystem.consumptionOverLifeTime."

NOT_STREAMED: Final = frozenset(
    {
        _V + "powertrain.electric.battery.stateOfHealth.displayed",
        _STATUS + "checkControlMessages",
        _STATUS + "conditionBasedServices",
        _STATUS + "conditionBasedServicesAverageDistancePerDay",
        _STATUS + "conditionBasedServicesCount",
        _STATUS + "serviceDistance.next",
        _STATUS + "serviceDistance.yellow",
        _STATUS + "serviceTime.hUandAuServiceYellow",
        _STATUS + "serviceTime.inspectionDateLegal",
        _STATUS + "serviceTime.yellow",
        _ELECTRIC_LIFETIME + "engineOff.gridEnergy",
        _ELECTRIC_LIFETIME + "engineOff.referenceDistance",
        _ELECTRIC_LIFETIME + "engineOn.gridEnergy",
        _ELECTRIC_LIFETIME + "engineOn.referenceDistance",
        _ELECTRIC_LIFETIME + "overall.gridEnergy",
        _ELECTRIC_LIFETIME + "overall.referenceDistance",
        _FUEL_LIFETIME + "inChargeDepleting.fuel",
        _FUEL_LIFETIME + "inChargeDepleting.referenceDistanceEngineOff",
        _FUEL_LIFETIME + "inChargeDepleting.referenceDistanceEngineOn",
        _FUEL_LIFETIME + "inChargeIncreasing.fuel",
        _FUEL_LIFETIME + "inChargeIncreasing.referenceDistance",
        _FUEL_LIFETIME + "overall.fuel",
        _FUEL_LIFETIME + "overall.referenceDistance",
    }
)
"""Descriptors BMW answers only in a container read, never on the stream."""
