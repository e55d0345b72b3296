"""The one charging rule and the plug rule (pure; no Home Assistant)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.cardata.catalogue.charging import (
    AMPERE,
    CHARGE_STATUS,
    DC_PORT,
    HV_STATUS,
    METHOD,
    PHASES,
    PLUG_DESCRIPTORS,
    POWER,
    VOLTAGE,
    charging_by_status,
    charging_watts,
    is_charging,
    is_dc,
    is_plugged,
    plug_state,
)

T0 = datetime(2026, 5, 1, 8, tzinfo=UTC)
IS_PLUGGED, COMBINED, PORT_STATUS, CONNECTOR = PLUG_DESCRIPTORS


@pytest.mark.parametrize(
    ("status", "watts", "charging"),
    [
        ("CHARGING", 7400.0, True),
        ("charging", None, True),  # no power known: the status alone
        ("CHARGING", 0.0, False),  # a paused wallbox
        ("FINISHED_FULLY_CHARGED", 7400.0, False),
        ("INVALID", 7400.0, False),
        (None, 11000.0, True),  # no status: the power alone
        (None, 0.0, False),
        (None, None, False),
    ],
)
def test_charging_by_status(
    status: str | None, watts: float | None, charging: bool
) -> None:
    assert charging_by_status(status, watts) is charging


def test_a_power_from_before_the_charge_does_not_count() -> None:
    """The last charge's 0 W, stamped an hour before the status: the current
    x voltage x phases of this charge stand for the power."""
    values = {
        HV_STATUS: "CHARGING",
        POWER: 0,
        PHASES: "3-PHASES",
        AMPERE: 16,
        VOLTAGE: 400,  # line to line
    }
    stamps = {
        HV_STATUS: T0,
        POWER: T0 - timedelta(hours=1),
        PHASES: T0,
        AMPERE: T0,
        VOLTAGE: T0,
    }
    watts = charging_watts(values, stamps, dc=False)
    assert watts == pytest.approx(3 * 16 * 400 / 3**0.5)
    assert is_charging(values, stamps)
    # A DC charge has no AC figures: the status alone.
    dc = {HV_STATUS: "CHARGING", DC_PORT: "CONNECTED", POWER: 0}
    assert is_dc(dc)
    assert (
        charging_watts(dc, {HV_STATUS: T0, POWER: T0 - timedelta(hours=1)}, dc=True)
        is None
    )
    assert is_dc({METHOD: "DC_CCS"})


def test_plug_words() -> None:
    assert plug_state(True, IS_PLUGGED) is True
    assert plug_state("asn_isfalse", IS_PLUGGED) is False
    assert plug_state("CONNECTED", COMBINED) is True
    assert plug_state("DISCONNECTED", PORT_STATUS) is False
    assert plug_state("INVALID", PORT_STATUS) is None
    assert plug_state("ERROR", CONNECTOR) is None
    assert plug_state(None, CONNECTOR) is None


def test_the_newest_plug_descriptor_tells() -> None:
    values = {IS_PLUGGED: False, PORT_STATUS: "CONNECTED", CONNECTOR: "ERROR"}
    stamps = {
        IS_PLUGGED: T0,
        PORT_STATUS: T0 + timedelta(minutes=1),
        CONNECTOR: T0 + timedelta(hours=1),
    }
    assert is_plugged(values, stamps) is True  # the error says nothing
    # Same time: the first of the list.
    assert is_plugged(values, dict.fromkeys(values, T0)) is False
    assert is_plugged({}, {}) is None


def test_a_dc_plug_on_its_own_port_counts() -> None:
    """The DC port's "connected" wins over an AC port that says disconnected;
    its "disconnected" only says no DC plug is in (the ledger, the activity
    and the wallbox read plugs by this one rule)."""
    dc_in = {PORT_STATUS: "DISCONNECTED", DC_PORT: "CONNECTED"}
    assert is_plugged(dc_in, dict.fromkeys(dc_in, T0)) is True
    ac_in = {PORT_STATUS: "CONNECTED", DC_PORT: "DISCONNECTED"}
    assert is_plugged(ac_in, dict.fromkeys(ac_in, T0)) is True
    assert is_plugged({DC_PORT: "DISCONNECTED"}, {DC_PORT: T0}) is False


@pytest.mark.parametrize(
    ("values", "charging"),
    [
        ({CHARGE_STATUS: "CHARGINGACTIVE"}, True),
        ({CHARGE_STATUS: "CHARGINGENDED"}, False),
        # hvStatus decides when the car sends both.
        ({HV_STATUS: "NOT_CHARGING", CHARGE_STATUS: "CHARGINGACTIVE"}, False),
        ({HV_STATUS: "CHARGING", CHARGE_STATUS: "CHARGINGENDED"}, True),
    ],
)
def test_second_status_word_only_without_hv_status(
    values: dict[str, object], charging: bool
) -> None:
    """A car that sends only charging.status is read from it (Neue Klasse)."""
    assert is_charging(values, {}) is charging
