"""Why a charge ended: BMW's words grouped into a few the owner acts on (data).

BMW's catalogue lists about 60 words for
``vehicle.drivetrain.electricEngine.charging.reasonChargingEnd``. The table
below gives each its group; a word it does not know (BMW adds words) is
:attr:`ReasonGroup.OTHER` and still reaches the owner as the raw reason.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class ReasonGroup(StrEnum):
    """Why a charge ended, as an owner would say it."""

    TARGET_REACHED = "target_reached"
    UNPLUGGED = "unplugged"
    STOPPED_BY_OWNER = "stopped_by_owner"
    STOPPED_BY_CHARGER = "stopped_by_charger"
    ERROR = "error"
    OTHER = "other"


_T: Final = ReasonGroup.TARGET_REACHED
_U: Final = ReasonGroup.UNPLUGGED
_O: Final = ReasonGroup.STOPPED_BY_OWNER
_C: Final = ReasonGroup.STOPPED_BY_CHARGER
_E: Final = ReasonGroup.ERROR
_X: Final = ReasonGroup.OTHER

REASON_GROUPS: Final[dict[str, ReasonGroup]] = {
    # The car reached the target the owner set, or a full battery.
    "CUSTOMER_INTERACTION_HMI_CHARGING_TARGET_REACHED": _T,
    "CUSTOMER_INTERACTION_APP_CHARGING_TARGET_REACHED": _T,
    "HV_BATTERY_FULLY_CHARGED": _T,
    # The cable was released to be pulled out (car's menu, app, plug latch).
    "CUSTOMER_INTERACTION_HMI_UNPLUG_CABLE_ONCE": _U,
    "CUSTOMER_INTERACTION_APP_UNPLUG_CABLE_ONCE": _U,
    "CUSTOMER_INTERACTION_AC_CHARGING_STOP_LATCH": _U,
    # The owner stopped it: the button at the socket, the key, the app.
    "CUSTOMER_INTERACTION_CHARGING_STOP_VIA_CHARGING_STOP_BUTTON_SOCKET": _O,
    "CUSTOMER_INTERACTION_AC_CHARGING_STOP_VIA_KEY": _O,
    "CUSTOMER_INTERACTION_AC_CHARGING_STOP_VIA_APP": _O,
    # The charger or the grid ended it without a fault.
    "CUSTOMER_INTERACTION_AC_CHARGING_STOP_WALLBOX": _C,
    "INFRASTRUCTURE_PHYSICAL_LIMITS_REACHED_TARGET_SOE_NOT_REACHABLE": _C,
    "INFRASTRUCTURE_DC_CCS_EVSE_SHUTDOWN": _C,
    "INFRASTRUCTURE_DC_GBT_CST_MESSAGE": _C,
    "INFRASTRUCTURE_NO_ENERGY_TRANSFER": _C,
    "INFRASTRUCTURE_INEFFICIENT_CHARGING_LOW_POWER": _C,
    "INFRASTRUCTURE_NO_AC_VOLTAGE": _C,
    # Faults of the charging station, the grid or the communication with it.
    "INFRASTRUCTURE_DC_CCS_STATIC_PILOT": _E,
    "INFRASTRUCTURE_DC_CCS_COMMUNICATION_ERROR_FAILED_RESPONSE_CODE": _E,
    "INFRASTRUCTURE_DC_CCS_COMMUNICATION_ERROR": _E,
    "INFRASTRUCTURE_DC_CCS_PRECHARGE_ERROR": _E,
    "INFRASTRUCTURE_DC_CCS_EVSE_MALFUNCTION_EMERGENCY_SHUTDOWN": _E,
    "INFRASTRUCTURE_STATION_NOT_COMPATIBLE": _E,
    "INFRASTRUCTURE_CHARGE_READINESS_TIMEOUT": _E,
    "INFRASTRUCTURE_AC_MAXIMUM_GRID_ERROR_REACHED": _E,
    "INFRASTRUCTURE_DC_GBT_ISOLATION_ERROR_DETECTED": _E,
    "INFRASTRUCTURE_AUTHENTIFICATION_ERROR": _E,
    # Faults of the car.
    "VEHICLE_HV_BATTERY_ERROR": _E,
    "VEHICLE_HV_BATTERY_COMMUNICATION_ERROR": _E,
    "VEHICLE_DCDC_ERROR": _E,
    "VEHICLE_PLC_BOOTUP_ERROR": _E,
    "VEHICLE_HV_BATTERY_MAXIMAL_CURRENT_OVERSHOOT": _E,
    "VEHICLE_ISOLATION_ERROR": _E,
    "VEHICLE_MAXIMUM_TEMPERATURE_CHARGING_SOCKET_OVERSHOOT": _E,
    "VEHICLE_LT3_OVERSHOOT": _E,
    "VEHICLE_FUSI_CABLE_LOCK_ERROR": _E,
    "VEHICLE_PLC_COMMUNICATION_NOT_POSSIBLE": _E,
    "VEHICLE_CABLE_LOCKING_ERROR": _E,
    "VEHICLE_CONFIGURATION_ERROR_400V_800V": _E,
    # Faults BMW's Flexible Fast Charger reports.
    "FLEXCHARGER_GRID_ERROR": _E,
    "FLEXCHARGER_GRID_TEMPERATURE_ERROR": _E,
    "FLEXCHARGER_EVSE_TEMPERATURE_ERROR": _E,
    "FLEXCHARGER_EVSE_INTERNAL_ERROR": _E,
    "FLEXCHARGER_AC_DC_FAULT_CURRENT": _E,
    "FLEXCHARGER_INCORRECT_REACTION_TIME_PWM": _E,
    "FLEXCHARGER_CHARGING_CURRENT_TOO_HIGH": _E,
    "FLEXCHARGER_PE_FAULT": _E,
    # Plug & Charge and smart charging set-ups that failed.
    "PLUG_AND_CHARGE_TLS_ERROR": _E,
    "PLUG_AND_CHARGE_CONTRACT_ERROR": _E,
    "SMART_CHARGING_TARIFF_SELECTION_INVALID": _E,
    "SMART_CHARGING_CHARGING_PROFILE_INVALID": _E,
    # Discharging (bidirectional) that could not run.
    "DISCHARGE_NOT_POSSIBLE_VOLTAGE_TOO_HIGH": _E,
    "DISCHARGE_NOT_POSSIBLE_SOE_TOO_LOW": _E,
    "DISCHARGE_NOT_POSSIBLE_INTERNAL_ERROR": _E,
    "DISCHARGE_NOT_POSSIBLE_INCOMPATIBLE_ADAPTER": _E,
    "DISCHARGE_NOT_POSSIBLE_INCOMPATIBLE_CONSUMER": _E,
    # No end since the car woke up; a pause (it may go on).
    "NO_CHARGING_END_SINCE_IPF_WAKEUP": _X,
    "CHARGING_PAUSED": _X,
}
"""Group of every word BMW's catalogue lists for ``reasonChargingEnd``."""


def reason_group(reason: str) -> ReasonGroup:
    """The group of one of BMW's words (any letter case); unknown ones: other."""
    return REASON_GROUPS.get(reason.strip().upper(), ReasonGroup.OTHER)
