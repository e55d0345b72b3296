"""What an owner does, step by step, in Chromium driven by Playwright.

Each step checks what a person would look at (values, structure, no error
toast) and saves a screenshot. Checks lean on values and on Home Assistant's
own words, not on this integration's texts, which change often; the few that
read our texts say so.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

from playwright.sync_api import Locator, expect

from tests.simulator import VIN_BEV, VIN_PHEV, VIN_SECONDARY

from .driver import Driver

USER = ("Owner", "owner", "e2e-Passw0rd!")
CARD = "cardata-vehicle-card"
VINS = (VIN_BEV, VIN_PHEV, VIN_SECONDARY)
DASHBOARD = "dashboard-cardata"
# README pictures: screenshot name -> file in images/.
PICTURES = {
    "login": "e2e-login.png",
    "device": "e2e-device.png",
    "card-light": "e2e-card-light.png",
    "card-dark": "e2e-card-dark.png",
    "configure": "e2e-configure.png",
}


class Run(Driver):
    """One run through the product, step by step."""

    # ------------------------------------------------------------ steps
    def onboarding(self) -> None:
        """Create the owner account and click through the remaining steps."""
        page = self.page
        self.goto("/", logged_in=False)
        page.get_by_role("button", name="Create my smart home").click()
        name, username, password = USER
        page.locator("input[name=name]").fill(name)
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(password)
        page.locator("input[name=password_confirm]").fill(password)
        self.shot("onboarding-user")
        page.get_by_role("button", name="Create account").click()
        finish = page.get_by_role("button", name="Finish")
        nxt = page.get_by_role("button", name="Next")
        for _ in range(6):  # location, country, analytics, ... then Finish
            expect(finish.or_(nxt).first).to_be_visible()
            if finish.is_visible():
                self.shot("onboarding-finish")
                finish.click()
                break
            # The next step comes with a Next button of its own: wait until
            # the one clicked is gone, or the same step is clicked twice.
            clicked = nxt.first.element_handle()
            clicked.click()
            self.poll(
                "the next onboarding step",
                lambda gone=clicked: not gone.is_visible(),
            )
        page.wait_for_url(re.compile(r"/(home|lovelace)"))
        self.poll("Home Assistant's frontend to connect", self.frontend_ready)
        assert self.hass("return hass.user.is_owner;"), "not logged in as the owner"
        self.confirm_http_settings()

    def add_integration(self) -> None:
        """Add BMW CarData; the form is prefilled from the simulator's file."""
        page = self.page
        self.goto("/config/integrations/dashboard")
        page.get_by_role(
            "button", name=re.compile("Add integration", re.IGNORECASE)
        ).click()
        search = page.get_by_placeholder(re.compile("brand", re.IGNORECASE)).last
        ours = page.get_by_text("BMW CarData", exact=True).last
        typed: list[float] = []

        def listed() -> bool:
            # The list may load after the first keystrokes: type again now
            # and then until it shows ours.
            if ours.is_visible():
                return True
            if not typed or time.monotonic() - typed[-1] > 3:
                search.fill("")
                search.fill("BMW CarData")
                typed.append(time.monotonic())
            return False

        self.poll("BMW CarData in the list of integrations", listed)
        ours.click()
        client = page.locator("input[name=client_id]")
        expect(client).to_have_value(str(self.stack.endpoints["client_id"]))
        self.shot("config-flow-form")
        page.get_by_role("button", name=re.compile("^Submit$", re.IGNORECASE)).click()
        link = page.locator("a[href*='/verify']").first
        expect(link).to_be_visible()
        self.info["verify_url"] = link.get_attribute("href")
        self.shot("login", picture="login")

    def approve_login(self) -> None:
        """Approve the code on the simulator's page, as on BMW's."""
        page = self.page
        url = str(self.info["verify_url"])
        verify = page.context.new_page()
        try:
            verify.goto(url)
            code = verify.locator("input[name=user_code]")
            expect(code).not_to_have_value("")
            verify.get_by_role("button", name="Approve").click()
            expect(verify.locator("body")).to_contain_text(
                re.compile("approved", re.IGNORECASE)
            )
            verify.screenshot(path=self.shots / f"{self.count + 1:02d}-approved.png")
            self.count += 1
        finally:
            verify.close()
        # The flow moves on by itself and ends in Home Assistant's dialog that
        # names the new devices: the account and at least two vehicles.
        dialog_done = page.get_by_role(
            "button", name=re.compile("finish", re.IGNORECASE)
        )
        expect(dialog_done).to_be_visible(timeout=60_000)
        devices = page.locator("dialog-data-entry-flow input")
        self.poll("the new devices", lambda: devices.count() >= 3)
        self.shot("login-done")
        dialog_done.click()
        self.dialog_gone(page.locator("dialog-data-entry-flow").get_by_role("dialog"))

    def vehicles_and_entities(self) -> None:
        """The vehicles appear as devices with entities that carry values."""

        def vehicles() -> list[dict[str, Any]]:
            return list(
                self.hass(
                    "return Object.values(hass.devices).filter(d =>"
                    " d.entry_type !== 'service' && Object.values(hass.entities)"
                    " .some(e => e.device_id === d.id && e.platform === 'cardata'))"
                    " .map(d => ({id: d.id, name: d.name_by_user || d.name,"
                    " model: d.model}));"
                )
            )

        soc_of = (
            "return Object.values(hass.entities).filter(e => e.device_id === arg"
            " && e.platform === 'cardata' && hass.states[e.entity_id] &&"
            " hass.states[e.entity_id].attributes.device_class === 'battery' &&"
            " !isNaN(Number(hass.states[e.entity_id].state)))"
            " .map(e => e.entity_id);"
        )
        seen: list[dict[str, Any]] = []

        def vehicle_with_soc() -> tuple[dict[str, Any], str] | None:
            # Devices come with their first entity; the charge level may
            # come a moment later: look again until a vehicle has one.
            cars = vehicles()
            seen[:] = cars
            if len(cars) < 2:
                return None
            for car in sorted(cars, key=lambda car: str(car["name"])):
                if socs := self.hass(soc_of, car["id"]):
                    return car, str(socs[0])
            return None

        bev, soc_entity = self.poll(
            "two vehicles, one with a charge level",
            vehicle_with_soc,
            120,
            detail=lambda: seen,
        )
        self.info["vehicle"] = bev
        self.info["soc_entity"] = soc_entity
        self.goto(f"/config/devices/device/{bev['id']}")
        page = self.page
        expect(page.get_by_text(bev["name"]).filter(visible=True).first).to_be_visible()

        def shows_soc() -> bool:
            now = str(
                self.hass(
                    "return hass.formatEntityState(hass.states[arg]);",
                    self.info["soc_entity"],
                )
            )
            return bool(re.search(r"\d", now)) and bool(
                page.get_by_text(now, exact=True).filter(visible=True).count()
            )

        self.poll("the charge level on the device page", shows_soc)
        self.shot("device", picture="device")

    def card_on_dashboard(self) -> None:
        """The card is loaded without a resource step and shows the values."""
        page = self.page
        # Defined by the module Home Assistant loads at start (no resource
        # step); it may still be loading while the page already shows.
        loaded = self.poll(
            "the card's module",
            lambda: self.hass(
                "if (!customElements.get(arg)) return null;"
                " return {types: (window.customCards || []).map(c => c.type),"
                " urls: performance.getEntriesByType('resource').map(r => r.name)"
                " .filter(u => u.includes(arg + '.js'))};",
                CARD,
            ),
        )
        assert CARD in loaded["types"], "card missing from the card picker list"
        assert any("?v=" in url for url in loaded["urls"]), loaded["urls"]
        vehicle = self.info["vehicle"]
        self.hass(
            "await hass.callWS({type: 'lovelace/dashboards/create',"
            " url_path: arg.url, title: 'BMW', icon: 'mdi:car',"
            " show_in_sidebar: true, require_admin: false});"
            " await hass.callWS({type: 'lovelace/config/save', url_path: arg.url,"
            " config: {views: [{title: 'Car', path: 'car', cards: [{type:"
            " 'custom:cardata-vehicle-card', device_id: arg.device}]}]}});",
            {"url": DASHBOARD, "device": vehicle["id"]},
        )
        self.goto(f"/{DASHBOARD}/car")
        card = page.locator(CARD)
        expect(card).to_be_visible()
        expect(card.locator(".name")).to_have_text(vehicle["name"])
        # The simulator's cars drive and charge: compare at the same moment.
        big = card.locator("section.battery .big")
        expect(big).to_be_visible()
        # The card found its charge level by unique id: one of the vehicle's
        # battery-level sensors, whatever its entity id.
        soc_entity = big.get_attribute("data-entity")
        battery = self.hass(
            "const s = hass.states[arg]; return s && s.attributes.device_class;",
            soc_entity,
        )
        assert battery == "battery", f"{soc_entity} is not a charge level"

        def shows_soc() -> bool:
            now = self.hass(
                "return hass.formatEntityState(hass.states[arg]);", soc_entity
            )
            return bool(re.search(r"\d", now)) and big.inner_text().strip() == now

        self.poll("the charge level on the card", shows_soc)
        for section in ("range", "charging", "openings", "position", "status"):
            expect(card.locator(f"section.{section}")).to_be_visible()
        expect(card.locator("section.status .age")).to_have_text(
            re.compile(r"ago|now", re.IGNORECASE)
        )
        self.info["light_bg"] = self._card_background()
        card.screenshot(path=self.shots / "card-light.png")
        self.pictures["card-light"] = self.shots / "card-light.png"
        self.shot("dashboard-light")

        page.emulate_media(color_scheme="dark")
        self.poll(
            "the dark theme",
            lambda: self._card_background() != self.info["light_bg"],
            15,
        )
        assert _luminance(self._card_background()) < _luminance(
            self.info["light_bg"]
        ), "dark theme is not darker"
        card.screenshot(path=self.shots / "card-dark.png")
        self.pictures["card-dark"] = self.shots / "card-dark.png"
        self.shot("dashboard-dark")

        # Phone width: nothing sticks out of the card, once it is laid out
        # at the new width.
        page.set_viewport_size({"width": 390, "height": 844})
        overflow: list[int] = []

        def fits() -> bool:
            width, over = card.evaluate(
                "el => { const c = el.shadowRoot.querySelector('ha-card');"
                " return [el.getBoundingClientRect().width,"
                " c.scrollWidth - c.clientWidth]; }"
            )
            overflow[:] = [over]
            return bool(width <= 390 and over <= 1)

        self.poll(
            "the card to fit the phone width",
            fits,
            detail=lambda: f"overflow by {overflow}px",
        )
        self.shot("dashboard-phone")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.emulate_media(color_scheme="light")

        # Tapping a value opens Home Assistant's more-info dialog.
        self.tap(card.locator("section.battery .big"))
        dialog = page.locator("ha-more-info-dialog")
        expect(dialog.get_by_role("dialog")).to_be_visible()
        self.shot("more-info")
        self.close_dialog(dialog.get_by_role("dialog"))

    def tap(self, value: Locator) -> None:
        """Tap a value of the card until the card takes the tap.

        The card draws itself anew whenever one of its values changes (the
        simulator's cars drive and charge, so about every second). A tap
        whose press lands on the old drawing and release on the new one is
        no click for the browser, and nothing opens; a person taps again,
        and so does this. The card's answer to a tap, the ``hass-more-info``
        event, is counted in the page (it is sent while the click is
        handled, so the count is final when ``click`` returns): a tap is
        repeated only when it was lost, never when it was taken.
        """
        self.page.evaluate(
            "() => { if (window.__cardataTaps === undefined) {"
            " window.__cardataTaps = 0; window.addEventListener('hass-more-info',"
            " () => { window.__cardataTaps += 1; }, {capture: true}); } }"
        )
        before = int(self.page.evaluate("() => window.__cardataTaps"))
        taps: list[int] = []

        def taken() -> bool:
            value.click()
            taps.append(1)
            return int(self.page.evaluate("() => window.__cardataTaps")) > before

        self.poll("the card to take a tap", taken, detail=lambda: f"{len(taps)} taps")
        if len(taps) > 1:
            print(f"e2e: the card took the tap at attempt {len(taps)}", flush=True)

    def card_picker_and_editor(self) -> None:
        """The card is in the card picker; its editor picks a vehicle and
        switches sections, and the preview follows."""
        page = self.page
        self.goto(f"/{DASHBOARD}/car")
        page.get_by_role("button", name=re.compile("edit", re.IGNORECASE)).first.click()
        page.get_by_role(
            "button", name=re.compile("add card", re.IGNORECASE)
        ).first.click()
        picker = page.locator("hui-dialog-create-card")
        picker.get_by_role("tab", name=re.compile("by card", re.IGNORECASE)).click()
        search = picker.locator("hui-card-picker").get_by_placeholder(
            re.compile("search", re.IGNORECASE)
        )
        search.fill("cardata")
        # Each card of the picker is a tile with a click overlay over its
        # preview: click our tile (its overlay takes the click). The picker
        # shows a spinner in the tile until it has rendered the preview; on a
        # busy machine that render can be lost, and typing the search again
        # renders the tiles anew, so the wait retypes it every 10 s.
        tile = picker.locator("hui-card-picker .card").filter(
            has=page.locator(".card-header", has_text=re.compile("BMW CarData"))
        )
        typed = [time.monotonic()]

        def tile_shown() -> bool:
            if tile.count() > 0:
                return True
            if time.monotonic() - typed[0] > 10:
                search.fill("")
                search.fill("cardata")
                typed[0] = time.monotonic()
            return False

        self.poll("our tile in the card picker", tile_shown, 45)
        tile.first.click()
        editor = page.locator("cardata-vehicle-card-editor")
        expect(editor.locator("ha-form")).to_be_visible()
        preview = page.locator("hui-dialog-edit-card").locator(CARD)
        expect(preview.locator("section.battery")).to_be_visible()
        # The editor's vehicle picker shows the vehicle the preview shows.
        shown = preview.locator(".name").inner_text().strip()
        assert shown, "the preview shows no vehicle"
        picked = editor.locator("ha-form").evaluate(
            "f => { const d = f.hass.devices[f.data.device_id];"
            " return d ? (d.name_by_user || d.name) : null; }"
        )
        assert picked == shown, f"editor picked {picked!r}, preview shows {shown!r}"
        self.shot("card-editor")
        # Switch the battery section off: the preview drops it.
        boxes = editor.get_by_role("checkbox")
        self.poll(
            "the section switches",
            lambda: boxes.count() >= 8,
            detail=lambda: f"{boxes.count()} section switches",
        )
        # Click the box itself: its check mark lies over the input inside.
        editor.locator("ha-checkbox").filter(
            has=page.locator("input[value=battery]")
        ).click()
        expect(preview.locator("section.battery")).to_have_count(0)
        self.shot("card-editor-section-off")
        # Escape does not close an editor with changes; Cancel drops them.
        edit = page.locator("hui-dialog-edit-card")
        edit.get_by_role("button", name=re.compile("^Cancel$", re.IGNORECASE)).click()
        self.dialog_gone(edit.get_by_role("dialog"))

    def _card_background(self) -> str:
        return str(
            self.page.locator(CARD).evaluate(
                "el => getComputedStyle(el.shadowRoot.querySelector('ha-card'))"
                ".backgroundColor"
            )
        )

    def configure_menu(self) -> None:
        """The entry's Configure menu opens with its actions."""
        page = self.page
        self.goto("/config/integrations/integration/cardata")
        page.get_by_role(
            "button", name=re.compile("^Configure$", re.IGNORECASE)
        ).first.click()
        dialog = page.locator("dialog-data-entry-flow")
        items = dialog.locator("ha-list-item, ha-md-list-item, mwc-list-item")
        expect(items.first).to_be_visible()
        self.poll(
            "the menu's actions",
            lambda: items.count() >= 4,
            detail=lambda: f"{items.count()} menu items",
        )
        self.shot("configure", picture="configure")
        self.close_dialog(dialog.get_by_role("dialog"))

    def action_with_response(self) -> None:
        """A service action returns BMW's answer in Developer tools."""
        page = self.page
        vin = self.hass(
            "return Object.values(hass.entities).filter(e => e.device_id === arg"
            " && e.platform === 'cardata').length;",
            self.info["vehicle"]["id"],
        )
        assert vin, "vehicle has no entities"
        self.goto("/config/tools/action")  # Developer tools (Tools since 2026.8)
        page.get_by_role("button", name=re.compile("YAML", re.IGNORECASE)).first.click()
        editor = page.locator(".cm-content").first
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.press("Delete")
        device = self.info["vehicle"]["id"]
        page.keyboard.insert_text(
            f"action: cardata.fetch_basic_data\ndata:\n  device_id: {device}\n"
        )
        # What is performed is what the editor holds, once it holds ours.
        expect(editor).to_contain_text(device)
        page.get_by_role(
            "button", name=re.compile("Perform action", re.IGNORECASE)
        ).click()
        response = page.locator("ha-yaml-editor, .response").filter(
            has_text=re.compile("brand|model", re.IGNORECASE)
        )
        expect(response.first).to_be_visible()
        self.shot("action-response")

    def diagnostics(self) -> None:
        """A vehicle's diagnostics download, with no VIN in it."""
        page = self.page
        self.goto(f"/config/devices/device/{self.info['vehicle']['id']}")
        with page.expect_download() as info:
            page.get_by_text(
                re.compile("Download diagnostics", re.IGNORECASE)
            ).first.click()
        path = self.shots / "diagnostics.json"
        info.value.save_as(path)
        text = path.read_text(encoding="utf-8")
        dump = json.loads(text)
        assert dump.get("data"), f"diagnostics without data: {list(dump)}"
        assert "cardata" in json.dumps(dump.get("home_assistant", {})) or (
            "cardata" in text
        ), "not this integration's diagnostics"
        leaked = [vin for vin in VINS if vin in text]
        assert not leaked, "a VIN is in the diagnostics"
        self.shot("diagnostics")


def _luminance(css: str) -> float:
    """Relative brightness 0..1 of an ``rgb(...)`` colour."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)[:3]]
    if len(numbers) < 3:
        return 1.0
    red, green, blue = numbers
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255
