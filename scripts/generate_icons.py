#!/usr/bin/env python3
"""Write the icons of the catalogue's enum sensors into ``icons.json``.

Every enum sensor of the catalogue gets a default icon (from its name) and
an icon for each of its states (from the state's word, in the sensor's
context: "open" is a window for a window, a roof for the roof). A state that
no rule knows shows the sensor's default icon. Entries of other entities
(stream state, API calls ...) are kept as they are.

    python scripts/generate_icons.py          # rewrite icons.json
    python scripts/generate_icons.py --check  # exit 1 when icons.json differs

Rules are tried in order; the first whose sensor part is in the sensor's
translation key and whose pattern matches the whole state wins.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import re
import sys
from typing import Any, Final

REPO = Path(__file__).resolve().parent.parent
ICONS = REPO / "custom_components" / "cardata" / "icons.json"

#: (part of the translation key, default icon); the first match wins.
DEFAULTS: Final = (
    ("charging_port_locked", "mdi:lock-outline"),
    ("charging_port", "mdi:ev-plug-type2"),
    ("timer", "mdi:timer-outline"),
    ("convertible_roof", "mdi:car-convertible"),
    ("door_lock", "mdi:car-key"),
    ("steering_wheel", "mdi:steering"),
    ("cooling", "mdi:car-seat-cooler"),
    ("heating", "mdi:car-seat-heater"),
    ("comfort_state", "mdi:thermostat-auto"),
    ("air_purification", "mdi:air-filter"),
    ("distance", "mdi:map-marker-distance"),
    ("fix_status", "mdi:crosshairs-gps"),
    ("sunroof", "mdi:car-select"),
    ("window_selection", "mdi:calendar-clock"),
    ("window", "mdi:car-door"),
    ("obfcm", "mdi:transmission-tower-export"),
    ("teleservice", "mdi:car-wrench"),
    ("restriction_factor", "mdi:speedometer-medium"),
    ("authentication", "mdi:certificate-outline"),
    ("charging_mode_deviation", "mdi:calendar-alert"),
    ("dc_charging_mode", "mdi:speedometer"),
    ("charging_mode", "mdi:chart-timeline-variant"),
    ("connection_type", "mdi:ev-plug-type2"),
    ("connector_status", "mdi:power-plug-outline"),
    ("hv_status", "mdi:battery-charging-high"),
    ("finish_reason", "mdi:flag-checkered"),
    ("last_charging_reason", "mdi:flag-checkered"),
    ("last_charging_result", "mdi:battery-check"),
    ("charging_method", "mdi:ev-plug-type2"),
    ("phase_number", "mdi:sine-wave"),
    ("profile_preference", "mdi:calendar-clock"),
    ("reason_charging_end", "mdi:flag-checkered"),
    ("route_optimized", "mdi:routes"),
    ("charging_status", "mdi:ev-station"),
    ("bi_directional", "mdi:home-lightning-bolt-outline"),
    ("acoustic", "mdi:volume-medium"),
    ("smart_charging", "mdi:leaf"),
    ("preconditioning", "mdi:battery-heart-variant"),
    ("display_control", "mdi:monitor-dashboard"),
    ("alarm", "mdi:shield-car"),
    ("pre_conditioning_activity", "mdi:air-conditioner"),
    ("pre_conditioning_error", "mdi:air-conditioner"),
    ("time_setting", "mdi:clock-outline"),
)
FALLBACK_DEFAULT: Final = "mdi:car-info"

#: (part of the translation key, state pattern, icon); the first match wins.
STATE_RULES: Final = (
    # Openings: windows, sunroof and the convertible roof.
    ("convertible_roof", r"closed.*|hardtopmounted", "mdi:car-convertible"),
    ("convertible_roof", r"emergencylocked", "mdi:car-emergency"),
    ("convertible_roof", r"loading.*|intermediate.*", "mdi:car-arrow-right"),
    ("convertible_roof", r"open.*", "mdi:weather-sunny"),
    ("sunroof", r"closed", "mdi:car-select"),
    ("window", r"closed", "mdi:window-closed-variant"),
    ("", r"open|open_tilt|intermediate.*", "mdi:window-open-variant"),
    # Locks.
    ("", r"secured|locked|selective_locked|charging_cable_locked", "mdi:lock"),
    ("", r"unlocked|charging_cable_not_locked", "mdi:lock-open-variant"),
    ("", r".*locking_error.*", "mdi:lock-alert"),
    # Plug and connector.
    ("", r"connected", "mdi:power-plug"),
    ("", r"disconnected", "mdi:power-plug-off"),
    ("", r"ac_type1plug", "mdi:ev-plug-type1"),
    ("", r"ac_type2plug", "mdi:ev-plug-type2"),
    ("", r"conductive", "mdi:ev-plug-type2"),
    ("", r"inductive", "mdi:contactless-payment"),
    ("", r"nocharging|no_charging|not_charging", "mdi:power-plug-off-outline"),
    # Charging.
    (
        "",
        r"chargingactive|charging|route_optimized_charging_in_progress",
        "mdi:battery-charging",
    ),
    ("", r"chargingpaused|charging_paused", "mdi:pause-circle-outline"),
    (
        "",
        r"chargingended|finished_fully_charged|hv_battery_fully_charged",
        "mdi:battery-check",
    ),
    ("", r"finished_not_full", "mdi:battery-70"),
    (
        "",
        r"charging_goal_reached|.*target_reached|route_optimized_soc_target_reached",
        "mdi:flag-checkered",
    ),
    ("", r"waiting_for_charging|initialization|pending", "mdi:timer-sand"),
    ("", r"chargingerror", "mdi:battery-alert"),
    ("", r"\d_phases", "mdi:sine-wave"),
    ("", r"maxcharging", "mdi:speedometer"),
    ("", r"reducedcharging", "mdi:speedometer-medium"),
    ("", r"mincharging", "mdi:speedometer-slow"),
    ("", r"smart_charging.*_invalid", "mdi:alert-circle-outline"),
    (
        "",
        r"smart_charging|charging_timeslot|charging_in_timeslot|charging_window",
        "mdi:calendar-clock",
    ),
    ("", r"immediate_charging.*", "mdi:lightning-bolt"),
    ("", r"bidirectional_charging", "mdi:home-lightning-bolt-outline"),
    ("", r"dc_dynamic.*", "mdi:flash-auto"),
    ("", r"normal_prognose_based", "mdi:chart-bell-curve"),
    ("", r"step_based", "mdi:stairs"),
    ("", r"plc_mode", "mdi:lan-connect"),
    ("", r"end_requested_by_driver|customer_interaction.*", "mdi:hand-back-left"),
    ("", r"connector_removed", "mdi:power-plug-off"),
    (
        "",
        r"powergrid_failed|flexcharger_grid.*|infrastructure_no_ac_voltage",
        "mdi:transmission-tower-off",
    ),
    (
        "",
        r"hv_system_failure|vehicle_hv_battery.*|vehicle_dcdc_error",
        "mdi:battery-alert",
    ),
    ("", r"charging_station_failure|infrastructure.*|flexcharger.*", "mdi:ev-station"),
    ("", r"parking_lock_failed|no_parking_lock", "mdi:car-brake-alert"),
    ("", r"discharge_not_possible.*", "mdi:home-battery-outline"),
    ("", r"no_charging_end_since_ipf_wakeup", "mdi:sleep-off"),
    ("", r"plug_and_charge.*", "mdi:certificate-outline"),
    ("", r"vehicle_.*temperature.*|vehicle_lt3_overshoot", "mdi:thermometer-alert"),
    ("", r"vehicle_.*", "mdi:car-wrench"),
    # Outcomes.
    (
        "",
        r"success|successful|ok|authorization_successful|purified",
        "mdi:check-circle-outline",
    ),
    (
        "",
        r"failed|error|.*_error|.*_failure|authorization_timeout|quota_exceeded",
        "mdi:alert-circle-outline",
    ),
    ("", r"vehicle_manipulation_detected", "mdi:shield-alert-outline"),
    ("", r"manufacturer_excluded|contract_service_not_supported_error", "mdi:cancel"),
    ("", r"idle|standby", "mdi:sleep"),
    ("alarm", r"unarmed", "mdi:shield-off-outline"),
    # Climate, seats, steering wheel.
    ("steering_wheel", r"on", "mdi:steering"),
    ("cooling", r"on", "mdi:car-seat-cooler"),
    ("heating", r"on", "mdi:car-seat-heater"),
    (
        "",
        r"off|not_active|inactive|temp_off|remote_off|unarmed|dont_display",
        "mdi:power-off",
    ),
    ("", r"automatic|automatic_on|comfort_undefined", "mdi:refresh-auto"),
    (
        "",
        r"no_change|no_action|no_deviation|no_preselection|no_display.*",
        "mdi:minus-circle-outline",
    ),
    ("", r"activate", "mdi:play-circle-outline"),
    ("", r"deactivate|deactive", "mdi:stop-circle-outline"),
    ("", r"comfort_heating|heating|on_legacy", "mdi:heat-wave"),
    ("", r"comfort_cooling|cooling", "mdi:snowflake"),
    ("", r"comfort_ventilation|ventilation", "mdi:fan"),
    ("", r"defrost", "mdi:car-defrost-front"),
    ("", r"unfiltered", "mdi:air-filter"),
    ("", r"purifying_ongoing", "mdi:air-purifier"),
    (
        "",
        r"on|on_charge|manual_on_charge|remote_on_charge",
        "mdi:battery-heart-variant",
    ),
    ("", r"on_drive|remote_on_drive", "mdi:car-speed-limiter"),
    ("", r"low_fuel", "mdi:gas-station-off-outline"),
    ("", r"low_battery", "mdi:battery-low"),
    ("", r"open_or_unlocked", "mdi:car-door-lock-open"),
    # Units, location, time.
    ("", r"km|kilometers", "mdi:alpha-k-circle-outline"),
    ("", r"miles", "mdi:alpha-m-circle-outline"),
    ("", r"no_fix", "mdi:crosshairs-off"),
    ("", r"gps_fix_2d", "mdi:crosshairs"),
    ("", r"gps_fix_3d", "mdi:crosshairs-gps"),
    ("", r"wintertime", "mdi:snowflake"),
    ("", r"summertime", "mdi:white-balance-sunny"),
    ("", r"utc", "mdi:earth"),
    ("", r"manual", "mdi:hand-back-right-outline"),
    # Alarm.
    ("", r"doors_only", "mdi:shield-car"),
    ("", r"doors_tilt_cabin", "mdi:shield-lock"),
    # Battery: bidirectional charging, acoustic limit, DC mode, preferences.
    ("", r"available", "mdi:home-lightning-bolt-outline"),
    ("", r"not_available|disabled.*|bpt_and_imo_disabled", "mdi:cancel"),
    ("", r"bpt_only_for_emergency_power_supply", "mdi:home-alert-outline"),
    ("", r"unlimited", "mdi:volume-high"),
    ("", r"limited", "mdi:volume-low"),
    ("", r"efficient", "mdi:leaf"),
    ("", r"standard", "mdi:speedometer-medium"),
    ("", r"performance", "mdi:speedometer"),
    ("", r"price_optimized", "mdi:cash"),
    ("", r"renewable_energey", "mdi:solar-power"),
    ("", r"co2_optimized", "mdi:molecule-co2"),
    ("", r"chosen", "mdi:checkbox-marked-circle-outline"),
    ("", r"notchosen", "mdi:checkbox-blank-circle-outline"),
    ("", r"display.*", "mdi:monitor-eye"),
)
_COMPILED: Final = tuple(
    (part, re.compile(pattern), icon) for part, pattern, icon in STATE_RULES
)


def default_icon(key: str) -> str:
    """The default icon of an enum sensor, from its translation key."""
    return next((icon for part, icon in DEFAULTS if part in key), FALLBACK_DEFAULT)


def state_icon(key: str, state: str) -> str:
    """The icon of one state of an enum sensor (its default if no rule knows it)."""
    return next(
        (
            icon
            for part, pattern, icon in _COMPILED
            if part in key and pattern.fullmatch(state)
        ),
        default_icon(key),
    )


def enum_sensors() -> dict[str, tuple[str, ...]]:
    """Translation key -> states of every enum sensor of the catalogue."""
    sys.path.insert(0, str(REPO))
    from custom_components.cardata.catalogue.descriptors import (  # noqa: PLC0415
        ValueKind,
        catalogue_descriptors,
        describe,
    )

    sensors: dict[str, tuple[str, ...]] = {}
    for descriptor in catalogue_descriptors():
        info = describe(descriptor)
        if info.data_type is ValueKind.ENUM and info.translation_key and info.options:
            sensors[info.translation_key] = info.options
    return sensors


def build(current: dict[str, Any]) -> dict[str, Any]:
    """``current`` with every catalogue enum sensor's icons (re)written."""
    sensors = enum_sensors()
    entity = dict(current.get("entity", {}))
    kept = {k: v for k, v in entity.get("sensor", {}).items() if k not in sensors}
    generated = {
        key: {
            "default": default_icon(key),
            "state": {state: state_icon(key, state) for state in states},
        }
        for key, states in sorted(sensors.items())
    }
    entity["sensor"] = {**kept, **generated}
    return {**current, "entity": entity}


def render(icons: dict[str, Any]) -> str:
    """icons.json's text as committed."""
    return json.dumps(icons, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    """Rewrite icons.json, or with --check say whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text = ICONS.read_text("utf-8")
    wanted = render(build(json.loads(text)))
    if args.check:
        if wanted != text:
            print("icons.json differs: run python scripts/generate_icons.py")
            return 1
        return 0
    ICONS.write_text(wanted, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
