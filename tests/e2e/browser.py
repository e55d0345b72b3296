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

from playwright.sync_api import expect

from tests.simulator import VIN_BEV, VIN_PHEV, VIN_SECONDARY

from .activity import ActivitySteps
from .card import CardSteps
from .energy import EnergySteps

USER = ("Owner", "owner", "e2e-Passw0rd!")
VINS = (VIN_BEV, VIN_PHEV, VIN_SECONDARY)
# README pictures: screenshot name -> file in images/.
PICTURES = {
    "login": "e2e-login.png",
    "device": "e2e-device.png",
    "card-light": "e2e-card-light.png",
    "card-dark": "e2e-card-dark.png",
    "configure": "e2e-configure.png",
    "energy-statistics": "e2e-energy-statistics.png",
}


class Run(CardSteps, ActivitySteps, EnergySteps):
    """One run through the product, step by step (the card's in card.py, the
    logbook's trips and charging and the card's trips fold in activity.py,
    the charging statistics in the Energy settings in energy.py)."""

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

    def add_integration(self, client: str | None = None) -> None:
        """Add BMW CarData; the form is prefilled from the simulator's file
        (with its first account's client id, unless ``client`` is given)."""
        page = self.page
        self.goto("/config/integrations/dashboard")
        page.get_by_role(
            "button", name=re.compile("Add integration", re.IGNORECASE)
        ).click()
        search = page.get_by_placeholder(re.compile("brand", re.IGNORECASE)).last
        # In the dialog: with an entry, the page itself names BMW CarData too.
        ours = (
            page.locator("dialog-add-integration")
            .get_by_text("BMW CarData", exact=True)
            .last
        )
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
        field = page.locator("input[name=client_id]")
        expect(field).to_have_value(str(self.stack.endpoints["client_id"]))
        if client is not None:
            field.fill(client)
        self.shot("config-flow-form")
        page.get_by_role("button", name=re.compile("^Submit$", re.IGNORECASE)).click()
        link = page.locator("a[href*='/verify']").first
        expect(link).to_be_visible()
        self.info["verify_url"] = link.get_attribute("href")
        self.shot("login", picture="login" if client is None else None)

    def approve_login(self, devices: int = 3) -> None:
        """Approve the code on the simulator's page, as on BMW's; the dialog
        at the end names ``devices`` new devices (the account and its cars)."""
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
        # names the new devices.
        dialog_done = page.get_by_role(
            "button", name=re.compile("finish", re.IGNORECASE)
        )
        expect(dialog_done).to_be_visible(timeout=60_000)
        new = page.locator("dialog-data-entry-flow input")
        self.poll("the new devices", lambda: new.count() >= devices)
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
            # come a moment later: look again until the iX has one (the
            # card's steps draw its SUV; another car may have one first).
            cars = vehicles()
            seen[:] = cars
            if len(cars) < 2:
                return None
            for car in sorted(cars, key=lambda car: str(car["name"])):
                if not str(car["model"] or "").startswith("iX"):
                    continue
                if socs := self.hass(soc_of, car["id"]):
                    return car, str(socs[0])
            return None

        bev, soc_entity = self.poll(
            "two vehicles, the iX with a charge level",
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

    def second_account_with_a_mini(self) -> None:
        """A second account (BMW's second client id of the simulator) with a
        MINI; the card draws it as one (card.py)."""
        clients = dict(self.stack.endpoints["clients"])  # type: ignore[call-overload]
        self.add_integration(str(clients["CLIENT_B"]))
        self.approve_login(devices=2)
        self.mini_and_suv()
