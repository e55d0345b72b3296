"""Shared fixtures.

``custom_components.cardata`` is imported first so that our package, not the
test plugin's bundled ``custom_components``, is the one on the path.

Two guards watch every test's log: no secret may appear in it, and Home
Assistant may not report a deprecated use by this integration.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
import logging
import re
import traceback
from typing import Any

from homeassistant.config_entries import ConfigEntryState
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

import custom_components.cardata  # noqa: F401
from custom_components.cardata.const import DOMAIN
from tests.waiting import wait_for

pytest_plugins = ["tests.simulator.fixtures"]

# Simulators started through make_simulator in the running test.
_STARTED: list[Any] = []

# Loggers of the simulated far side (BMW's servers log what they receive).
_FAR_SIDE = ("tests.simulator", "aiohttp.access", "aiohttp.server")


def _known_secrets() -> set[str]:
    """Client ids, GCIDs and VINs of the simulator's default world."""
    try:
        from tests.simulator import world  # noqa: PLC0415
    except ImportError:  # pragma: no cover - simulator not there yet
        return set()
    names = (
        "GCID_A",
        "GCID_B",
        "CLIENT_A",
        "CLIENT_B",
        "CLIENT_NO_STREAM",
        "VIN_BEV",
        "VIN_PHEV",
        "VIN_SECONDARY",
        "VIN_ID6",
        "GCID_OWNER_OF_SECONDARY",
        "GCID_C",
        "CLIENT_C",
        "VIN_MILES",
        "VIN_NK",
        "VIN_NO_BASIC",
    )
    return {str(getattr(world, name)) for name in names if hasattr(world, name)}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load integrations from custom_components."""


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """Each test's own configuration folder (the test plugin's documented way).

    The integration writes real files there (the token file, vehicle
    images); they must not pile up in the plugin's shared folder, and a test
    may make the folder fail writes.
    """
    return hass_tmp_config_dir


@pytest.fixture
def log_secrets() -> set[str]:
    """Extra secrets a test adds for the log guard (tokens it made itself)."""
    return set()


def _slow_callback(record: logging.LogRecord) -> bool:
    """asyncio's debug report of a slow step (``Executing <Task ...> took``).

    Only with both cores busy; it shows the task's repr (arguments included),
    which is the test harness's view, not a line the integration logs.
    """
    return record.name == "asyncio" and str(record.msg).startswith("Executing ")


def _record_text(record: logging.LogRecord) -> str:
    text = record.getMessage()
    if record.exc_info and record.exc_info[1] is not None:
        text += "".join(traceback.format_exception(record.exc_info[1]))
    return text


@pytest.fixture(autouse=True)
def no_secrets_in_logs(
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
    log_secrets: set[str],
) -> Iterator[None]:
    """Fail any test whose log output holds a token, client id, GCID or VIN."""
    caplog.set_level(logging.DEBUG)
    yield
    secrets = _known_secrets() | log_secrets
    sims = [*_STARTED]
    _STARTED.clear()
    if (sim := request.node.funcargs.get("simulator")) is not None:
        sims.append(sim)
    for sim in sims:
        secrets |= set(sim.oauth.tokens)
        secrets |= set(sim.oauth.codes)
    needles = {s.lower() for s in secrets if len(s) >= 8}
    leaks: list[str] = []
    for when in ("setup", "call", "teardown"):
        for record in caplog.get_records(when):
            if record.name.startswith(_FAR_SIDE) or _slow_callback(record):
                continue
            text = _record_text(record).lower()
            if any(needle in text for needle in needles):
                leaks.append(f"{when} {record.name} {record.levelname}")
    if leaks:
        pytest.fail(f"secret in log output: {leaks[:5]}")


# How Home Assistant (2026.3 to 2026.10 alike) reports a deprecated or wrong use
# by an integration: helpers/frame.py's report_usage (and frame.report before
# it) logs "Detected that custom integration 'cardata' <what> at <file>, line
# <n>: ..." (or "... 'cardata' <what>. ..." when given the domain) on the
# homeassistant.helpers.frame logger; helpers/deprecation.py logs "The
# deprecated <kind> <name> was <used> from cardata. ..." on the logger of the
# module that deprecates it.
_HA_REPORT = re.compile(
    rf"^(?:Detected that (?:custom )?integration '{DOMAIN}' "
    rf"|The deprecated .+ was \w+ from {DOMAIN}\.)"
)


def ha_usage_report(record: logging.LogRecord) -> str | None:
    """Home Assistant's report of a deprecated use by this integration, else None."""
    text = record.getMessage()
    return text if _HA_REPORT.match(text) else None


class _ReportCatcher(logging.Handler):
    """Keeps Home Assistant's reports of our deprecated uses, from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.reports: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if (report := ha_usage_report(record)) is not None:
            self.reports.append(f"{record.name}: {report}")


def fail_on_ha_reports(reports: list[str]) -> None:
    """Fail the test when Home Assistant reported a deprecated use of ours."""
    if reports:
        pytest.fail(
            "Home Assistant reported a deprecated use by this integration "
            "(replace it with the API the report names):\n" + "\n".join(reports),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def ha_usage_reports() -> Iterator[list[str]]:
    """Fail any test during which Home Assistant reports a deprecated use of ours.

    A handler on the root logger sees the reports of every logger, from
    set-up to teardown (this fixture starts before ``hass`` and ends after
    it). Home Assistant logs a place once until the test plugin resets its
    memory after each test, so every test that reaches one fails. A test that
    provokes a report on purpose takes it out of the yielded list.
    """
    catcher = _ReportCatcher()
    root = logging.getLogger()
    root.addHandler(catcher)
    frame_logger = logging.getLogger("homeassistant.helpers.frame")
    level = frame_logger.level
    # Reports are warnings; keep them even if a test raises the root level.
    frame_logger.setLevel(min(level or logging.WARNING, logging.WARNING))
    try:
        yield catcher.reports
    finally:
        root.removeHandler(catcher)
        frame_logger.setLevel(level)
    fail_on_ha_reports(catcher.reports)


@pytest.fixture
def make_entry() -> Callable[..., MockConfigEntry]:
    """Build a logged-in entry for a simulator account (tokens without a login)."""
    from tests.entity_helpers import make_entry  # noqa: PLC0415 - after our package

    return make_entry


@pytest.fixture
async def make_simulator(socket_enabled: None) -> AsyncIterator[Callable[..., Any]]:
    """Start simulators with custom settings (default world); stopped after."""
    from tests.simulator import Simulator  # noqa: PLC0415

    started: list[Simulator] = []

    async def make(**kwargs: Any) -> Simulator:
        sim = Simulator(**kwargs)
        sim.load_default_world()
        await sim.start()
        started.append(sim)
        _STARTED.append(sim)
        return sim

    yield make
    for sim in started:
        await sim.stop()


async def rest_settled(entry: MockConfigEntry) -> None:
    """Wait until the REST side's first set-up calls of a loaded entry ended."""
    if entry.state is not ConfigEntryState.LOADED:
        return
    task = entry.runtime_data.poller.bootstrap
    if task is not None:
        await wait_for(task.done)
