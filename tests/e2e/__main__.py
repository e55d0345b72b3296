"""Run the end-to-end check: ``.venv-e2e/bin/python -m tests.e2e``.

Use ``scripts/e2e`` (it builds the venv first). Options: ``--screenshots``
copies the README pictures to images/; ``--keep`` keeps the temporary
Home Assistant configuration. Screenshots (and, on failure, Home Assistant's
and the simulator's logs) are left in ``.e2e/``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import shutil
import signal
import sys
import tempfile
import time

from playwright.sync_api import sync_playwright

from .browser import PICTURES, Run
from .driver import CHROMIUM, CHROMIUM_ARGS, StepFailedError
from .stack import ROOT, Stack

ARTIFACTS = ROOT / ".e2e"
STEPS = (
    ("onboarding", "onboarding"),
    ("add integration", "add_integration"),
    ("approve the login on the simulator's page", "approve_login"),
    ("vehicles and entities appear", "vehicles_and_entities"),
    ("the card on a dashboard", "card_on_dashboard"),
    ("the card picker and the card's editor", "card_picker_and_editor"),
    ("the Configure menu", "configure_menu"),
    ("an action with its response", "action_with_response"),
    ("download diagnostics", "diagnostics"),
    ("a second account's MINI and the SUV drawn", "second_account_with_a_mini"),
    ("the card picker in German", "card_picker_in_german"),
    ("trips and charging in the logbook and on the card", "trips_and_charging"),
    (
        "a third account's Neue Klasse iX3, UK MINI and MINI without basic data",
        "neue_klasse_and_uk_mini",
    ),
    ("the charging statistics in the Energy settings", "energy_statistics"),
)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/e2e")
    parser.add_argument(
        "--screenshots", action="store_true", help="update the pictures in images/"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary configuration"
    )
    return parser.parse_args()


def _cardata_errors(log: Path) -> list[str]:
    """ERROR lines of this integration in Home Assistant's log."""
    if not log.is_file():
        return []
    return [
        line
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
        if " ERROR " in line and "cardata" in line
    ]


def main() -> int:
    """Run every step; 0 when all passed."""
    args = _arguments()
    started = time.monotonic()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    config = Path(tempfile.mkdtemp(prefix="cardata-e2e-"))
    stack = Stack(config)
    passed = 0
    failure = ""
    run: Run | None = None
    try:
        print(f"e2e: starting the simulator and Home Assistant on {stack.url}")
        stack.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            try:
                run = Run(stack, ARTIFACTS, browser)
                for title, method in STEPS:
                    with run.step(title):
                        getattr(run, method)()
                    passed += 1
            finally:
                browser.close()
        if errors := _cardata_errors(stack.log):
            failure = "errors of the integration in Home Assistant's log:\n" + (
                "\n".join(errors[:10])
            )
    except (StepFailedError, TimeoutError, RuntimeError) as err:
        failure = str(err)
    finally:
        stack.stop()
        if failure:
            for name in ("home-assistant.log", "hass.out", "simulator.log"):
                if (config / name).is_file():
                    shutil.copy(config / name, ARTIFACTS / name)
        if not args.keep:
            shutil.rmtree(config, ignore_errors=True)
    if not failure and args.screenshots and run is not None:
        for key, name in PICTURES.items():
            shutil.copy(run.pictures[key], ROOT / "images" / name)
        print("e2e: README pictures updated in images/")
    elapsed = time.monotonic() - started
    failed = 0 if not failure else 1
    if failure:
        print(f"e2e: FAILED: {failure}", file=sys.stderr)
        print(f"e2e: screenshots and logs kept in {ARTIFACTS}", file=sys.stderr)
    print(f"e2e: wall time {elapsed:.0f} s; screenshots in {ARTIFACTS}")
    print(f"e2e: {passed} passed, {failed} failed")
    return 1 if failure else 0


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    # SIGTERM (``timeout``, CI cancelling) stops like Ctrl-C: the ``finally``
    # blocks stop Home Assistant and the simulator (process groups of their
    # own, which a plain SIGTERM here would leave running) and remove the
    # temporary configuration.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("e2e: interrupted; everything it started is stopped", file=sys.stderr)
        sys.exit(130)
