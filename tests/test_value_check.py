"""Which values fit a descriptor's catalogue type (the rest keeps the last good one)."""

from __future__ import annotations

import logging

import pytest

from custom_components.cardata.catalogue.descriptors import describe
from custom_components.cardata.catalogue.value_check import ValueCheck, misfit

TYRE = "vehicle.chassis.axle.row1.wheel.left.tire.pressure"
HOOD = "vehicle.body.hood.isOpen"
SOC = "vehicle.drivetrain.batteryManagement.header"
INSPECTION = "vehicle.status.serviceTime.inspectionDateLegal"
UNKNOWN = "vehicle.experimental.widget.fooBarLevel"


@pytest.mark.parametrize(
    ("descriptor", "value", "reason"),
    [
        (TYRE, 250, None),
        (TYRE, 250.5, None),
        (TYRE, "250", None),
        (TYRE, None, None),
        (TYRE, "INVALID", None),  # BMW's own "no value" word
        (TYRE, "abc", "not_a_number"),
        (TYRE, True, "not_a_number"),
        (HOOD, "OPEN", None),
        (HOOD, True, None),
        (HOOD, 1, None),
        (HOOD, 7, "not_a_flag"),
        (UNKNOWN, "anything", None),  # not in the catalogue: not checked
        (UNKNOWN, 3, None),
    ],
)
def test_misfit(descriptor: str, value: object, reason: str | None) -> None:
    assert misfit(describe(descriptor), value) == reason  # type: ignore[arg-type]


def test_timestamps_are_checked() -> None:
    info = describe(INSPECTION)
    assert misfit(info, "2027-03-01T00:00:00Z") is None
    assert misfit(info, "soon") == "not_a_timestamp"


def test_drops_are_counted_and_logged_once_without_the_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.cardata")
    check = ValueCheck()
    assert check.accepts(TYRE, 250)
    assert not check.accepts(TYRE, "secret-looking-text")
    assert not check.accepts(TYRE, "abc")
    assert check.dropped["not_a_number"] == 2
    lines = [
        r.getMessage() for r in caplog.records if "Descriptor value" in r.getMessage()
    ]
    assert lines == ["Descriptor value dropped (not_a_number): 1"]
    assert "secret-looking-text" not in caplog.text


def test_enum_and_text_values_always_fit_and_numbers_are_still_checked() -> None:
    check = ValueCheck()
    status = "vehicle.drivetrain.electricEngine.charging.hvStatus"
    assert describe(status).data_type == "enum"
    for word in ("CHARGING", "A_WORD_NOBODY_KNOWS", "CHARGING", 3, True):
        assert check.accepts(status, word)  # type: ignore[arg-type]
    assert check.accepts(TYRE, 250)
    assert not check.accepts(TYRE, "abc")
    assert check.accepts(TYRE, 250)
    assert check.dropped == {"not_a_number": 1}
