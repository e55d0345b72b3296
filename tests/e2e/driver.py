"""Driving Chromium for the end-to-end run: the page, steps and screenshots.

The owner's journey itself (what is clicked and checked) is in browser.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass, field
from pathlib import Path
import re
import time
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import (
    Browser,
    Locator,
    Page,
    Route,
    expect,
)

from .stack import Stack
from .wait import wait_until

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000
# The machine may be busy (two cores, several runs): wait as long as a slow
# page needs, bounded.
expect.set_options(timeout=TIMEOUT_MS)
_ERROR_WORDS = re.compile(r"error|fail|unable|invalid|unknown", re.IGNORECASE)


class StepFailedError(Exception):
    """A step of the run failed; the message names it."""


def _loopback_only(route: Route) -> None:
    """Tests touch only loopback: anything else (map tiles, ...) is refused."""
    host = urlsplit(route.request.url).hostname or ""
    if route.request.url.startswith(("data:", "blob:")) or host in (
        "127.0.0.1",
        "localhost",
    ):
        route.continue_()
    else:
        route.abort()


@dataclass
class Driver:
    """A Chromium page on the stack under test; screenshots go to ``shots``."""

    stack: Stack
    shots: Path
    browser: Browser
    page: Page = field(init=False)
    count: int = 0
    pictures: dict[str, Path] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Open the browser page at phone-friendly desktop size."""
        context = self.browser.new_context(
            viewport={"width": 1280, "height": 900},
            accept_downloads=True,
            locale="en-GB",
            timezone_id="Europe/Berlin",
        )
        context.route("**/*", _loopback_only)
        context.set_default_timeout(TIMEOUT_MS)
        self.page = context.new_page()

    def shot(self, name: str, *, picture: str | None = None) -> Path:
        """Save a screenshot (numbered in step order)."""
        self.count += 1
        path = self.shots / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=path)
        if picture:
            self.pictures[picture] = path
        return path

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Run one step: report it, screenshot on failure, name it in errors."""
        started = time.monotonic()
        print(f"e2e: {name} ...", flush=True)
        try:
            yield
            self.no_error_toast()
        except Exception as err:
            with contextlib.suppress(Exception):
                self.shot(f"{re.sub(r'\W+', '-', name)}-FAILED")
            msg = f"step '{name}' failed: {err}"
            raise StepFailedError(msg) from err
        print(f"e2e: {name}: ok ({time.monotonic() - started:.1f} s)", flush=True)

    def no_error_toast(self) -> None:
        """Fail when Home Assistant shows an error toast."""
        toasts = self.page.locator("ha-toast")
        for index in range(toasts.count()):
            toast = toasts.nth(index)
            if toast.is_visible():
                text = toast.inner_text()
                if _ERROR_WORDS.search(text):
                    msg = f"error toast: {text!r}"
                    raise AssertionError(msg)

    def hass(self, script: str, arg: Any = None) -> Any:
        """Evaluate ``script`` (a function of hass and arg) in the page."""
        return self.page.evaluate(
            "async ([body, arg]) => {"
            " const hass = document.querySelector('home-assistant').hass;"
            " return await (new Function('hass', 'arg',"
            " 'return (async () => {' + body + '})()'))(hass, arg); }",
            [script, arg],
        )

    def goto(self, path: str, *, logged_in: bool = True) -> None:
        """Open a page of Home Assistant and wait until its frontend is connected.

        Connected: the ``hass`` object with the user, states, entities and
        devices loaded, which every later look through :meth:`hass` needs
        (not before the owner is logged in: ``logged_in=False``).
        """
        self.page.goto(self.stack.url + path, timeout=2 * TIMEOUT_MS)
        if logged_in:
            self.poll("Home Assistant's frontend to connect", self.frontend_ready)

    def frontend_ready(self) -> bool:
        """Whether the page's ``hass`` is connected with its registries loaded."""
        return bool(
            self.page.evaluate(
                "() => { const h = document.querySelector('home-assistant');"
                " const hass = h && h.hass; return Boolean(hass && hass.connected"
                " && hass.user && hass.states && hass.entities && hass.devices); }"
            )
        )

    def confirm_http_settings(self) -> None:
        """Keep the YAML HTTP settings, as Home Assistant asks (2026.10+).

        Home Assistant takes them as a trial and, unless they are confirmed,
        reverts to its defaults five minutes after the start (restarting on
        port 8123). Its dialog opens once the frontend has looked the trial
        up, at a moment of its choosing: ask the same question here, and
        when a trial is pending, wait for the dialog and confirm it.
        """
        pending = (
            "try { const c = await hass.callWS({type: 'http/config'});"
            " return Boolean(c.pending && !c.pending.error); }"
            " catch (err) { return false; }"  # no such command before 2026.10
        )
        if not self.hass(pending):
            return
        dialog = self.page.locator("dialog-http-pending-config")
        dialog.get_by_role("button", name=re.compile("^Confirm", re.IGNORECASE)).click()
        self.poll("the HTTP settings to be confirmed", lambda: not self.hass(pending))
        expect(dialog.get_by_role("dialog")).to_have_count(0)
        print("e2e: confirmed the HTTP settings in Home Assistant's dialog", flush=True)

    def close_dialog(self, dialog: Locator) -> None:
        """Close Home Assistant's ``dialog`` with Escape, and wait until it is gone.

        Gone includes the browser history: Home Assistant gives an open
        dialog an entry of its own and, once the dialog has finished closing
        (an animation later), goes back one entry. A navigation started
        before that back is aborted by it (net::ERR_ABORTED) or ends on the
        page of the dialog again.
        """
        self.page.keyboard.press("Escape")
        self.dialog_gone(dialog)

    def dialog_gone(self, dialog: Locator) -> None:
        """Wait until ``dialog`` is closed and its history entry taken back."""
        expect(dialog).to_have_count(0)
        self.poll(
            "Home Assistant to take back the dialog's history entry",
            lambda: self.page.evaluate(
                "() => !(history.state && history.state.dialog)"
            ),
            detail=lambda: self.page.evaluate("() => JSON.stringify(history.state)"),
        )

    def poll[T](
        self,
        what: str,
        check: Callable[[], T],
        seconds: float = TIMEOUT_MS / 1000,
        detail: Callable[[], object] | None = None,
    ) -> T:
        """:func:`wait_until` with the page's own pause (events keep flowing)."""
        return wait_until(
            what,
            check,
            seconds,
            pause=lambda left: self.page.wait_for_timeout(left * 1000),
            detail=detail,
        )
