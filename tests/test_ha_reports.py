"""The guard in conftest: Home Assistant's reports of a deprecated use fail a test.

Each test here provokes a report on purpose, in the ways Home Assistant makes
them, checks that the guard caught it and would fail the test, then takes it
out of the guard's list so the suite stays green.
"""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame
from homeassistant.helpers.deprecation import (
    DeprecatedConstant,
    check_if_deprecated_constant,
)
from homeassistant.loader import async_get_integration
import pytest

from custom_components.cardata.common.listeners import Listeners
from custom_components.cardata.const import DOMAIN
from tests.conftest import fail_on_ha_reports, ha_usage_report

WHAT = "calls something deprecated on purpose (the guard's own test)"


def _from_our_code(report: Any) -> None:
    """Run ``report`` with our integration's code on the stack, as a real use."""
    listeners = Listeners()  # custom_components/cardata/common/listeners.py
    listeners.add(report)
    listeners.notify()


def _caught(reports: list[str]) -> str:
    """The one report caught; the guard would fail the test with it."""
    assert len(reports) == 1, reports
    with pytest.raises(pytest.fail.Exception, match="deprecated use") as failed:
        fail_on_ha_reports(reports)
    assert reports[0] in str(failed.value)
    report = reports.pop()  # expected here: the guard lets this test pass
    fail_on_ha_reports(reports)
    return report


async def test_a_report_found_from_our_code_on_the_stack(
    hass: HomeAssistant, ha_usage_reports: list[str]
) -> None:
    """report_usage finds the integration in the stack (file and line)."""

    _from_our_code(lambda: frame.report_usage(WHAT, breaks_in_ha_version="2099.1"))
    report = _caught(ha_usage_reports)
    assert report.startswith(
        f"homeassistant.helpers.frame: Detected that custom integration "
        f"'{DOMAIN}' {WHAT} at custom_components/{DOMAIN}/common/listeners.py"
    )


async def test_a_report_naming_our_domain(
    hass: HomeAssistant, ha_usage_reports: list[str]
) -> None:
    """report_usage told the integration's domain."""
    await async_get_integration(hass, DOMAIN)
    frame.report_usage(WHAT, integration_domain=DOMAIN)
    report = _caught(ha_usage_reports)
    assert f"Detected that custom integration '{DOMAIN}' {WHAT}." in report


async def test_a_deprecated_constant_used_by_our_code(
    hass: HomeAssistant, ha_usage_reports: list[str]
) -> None:
    """helpers/deprecation logs on the logger of the deprecating module."""
    module = {
        "__name__": "homeassistant.components.example",
        "_DEPRECATED_OLD": DeprecatedConstant(1, "NEW", "2099.1.0"),
    }
    _from_our_code(lambda: check_if_deprecated_constant("OLD", module))
    report = _caught(ha_usage_reports)
    assert report.startswith(
        f"homeassistant.components.example: The deprecated constant OLD was used "
        f"from {DOMAIN}."
    )


@pytest.mark.parametrize(
    ("message", "ours"),
    [
        (f"Detected that custom integration '{DOMAIN}' does x at a.py, line 1", True),
        (f"The deprecated alias X was used from {DOMAIN}. Use Y instead", True),
        ("Detected that custom integration 'other' does x at a.py, line 1", False),
        (f"The deprecated constant X was used from {DOMAIN}_plus. Use Y", False),
        (f"Setting up {DOMAIN}", False),
    ],
)
def test_only_reports_of_this_integration_count(message: str, ours: bool) -> None:
    record = logging.LogRecord("x", logging.WARNING, "x.py", 1, message, (), None)
    assert (ha_usage_report(record) is not None) is ours
