"""The vehicle card's steps: on a dashboard, in the card picker and editor,
with a second account's MINI, and in a German Home Assistant.

Checks lean on values and on Home Assistant's own words; the few that read
the card's own texts or structure say so.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Locator, expect

from tests.simulator import VIN_MILES, VIN_NK, VIN_NO_BASIC

from .driver import Driver

CARD = "cardata-vehicle-card"
DASHBOARD = "dashboard-cardata"
# The card's name in the card picker (the card's own texts, card-i18n.js).
CARD_NAME = {"en": "BMW CarData vehicle", "de": "BMW CarData Fahrzeug"}
# Home Assistant's own words, in English and German.
EDIT = re.compile(r"edit|bearbeiten", re.IGNORECASE)
ADD_CARD = re.compile(r"add card|karte hinzufügen", re.IGNORECASE)
BY_CARD = re.compile(r"by card|nach karte", re.IGNORECASE)
SEARCH = re.compile(r"search|durchsuchen", re.IGNORECASE)
POWER = re.compile(r"\d+(\.\d)? kW")
# Seconds for a new account's cars to show every role: their values come with
# the first read after the login and their simulated day (a few minutes).
ROLES_WAIT_MS = 240_000


class CardSteps(Driver):
    """The card's part of the run."""

    def card_on_dashboard(self) -> None:
        """The card is loaded without a resource step and shows the values;
        it stays put while they change."""
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
            " show_in_sidebar: true, require_admin: false});",
            {"url": DASHBOARD},
        )
        self.save_cards([vehicle["id"]])
        self.goto(f"/{DASHBOARD}/car")
        card = page.locator(CARD)
        expect(card).to_be_visible()
        expect(card.locator(".name")).to_have_text(vehicle["name"])
        # The simulator's cars drive and charge: compare at the same moment.
        big = card.locator("section.battery .big")
        expect(big).to_be_visible()
        # The card found its charge level through Home Assistant's entities:
        # one of the vehicle's battery-level sensors, whatever its entity id.
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
        # The simulator's iX (model "iX xDrive50"): an SUV is drawn.
        expect(card.locator('.drawing[data-body="suv"]')).to_be_visible()
        self.fold_stays_open(card)
        self.power_in_kw(card)
        self.info["light_bg"] = self._card_background()
        # Tall enough for the whole card with its fold open.
        page.set_viewport_size({"width": 1280, "height": 1400})
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
        page.set_viewport_size({"width": 1280, "height": 900})

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

        # Tapping a value opens Home Assistant's more-info dialog; the card
        # stays put while its values change, so the first tap is taken.
        card.locator("section.battery .big").click()
        dialog = page.locator("ha-more-info-dialog")
        expect(dialog.get_by_role("dialog")).to_be_visible()
        self.shot("more-info")
        self.close_dialog(dialog.get_by_role("dialog"))

    def save_cards(self, devices: list[str]) -> None:
        """The test dashboard's one view: a vehicle card per device."""
        self.hass(
            "await hass.callWS({type: 'lovelace/config/save', url_path: arg.url,"
            " config: {views: [{title: 'Car', path: 'car', cards: arg.devices"
            " .map(d => ({type: 'custom:cardata-vehicle-card', device_id: d}))}]}});",
            {"url": DASHBOARD, "devices": devices},
        )

    def fold_stays_open(self, card: Locator) -> None:
        """The doors-and-windows fold, opened, stays open (the same element,
        with the focus) while the card's values change twice."""
        fold = card.locator("section.openings details")
        fold.locator("summary").click()
        expect(fold).to_have_attribute("open", "")
        card.evaluate(
            "el => { const root = el.shadowRoot;"
            " window.__cardataFold = {el: root.querySelector('details'),"
            " text: root.querySelector('ha-card').innerText, changes: 0}; }"
        )

        def changes() -> int:
            return int(
                card.evaluate(
                    "el => { const f = window.__cardataFold;"
                    " const text = el.shadowRoot.querySelector('ha-card').innerText;"
                    " if (text !== f.text) { f.text = text; f.changes += 1; }"
                    " return f.changes; }"
                )
            )

        self.poll("two updates of the card's values", lambda: changes() >= 2, 120)
        kept = card.evaluate(
            "el => { const root = el.shadowRoot;"
            " const d = root.querySelector('details');"
            " return {same: d === window.__cardataFold.el, open: d.open,"
            " focus: root.activeElement ? root.activeElement.tagName : null}; }"
        )
        assert kept == {"same": True, "open": True, "focus": "SUMMARY"}, kept
        self.shot("card-fold-open")

    def power_in_kw(self, card: Locator) -> None:
        """While the car charges, its power shows in kW (the sensor is in W)."""
        seen: list[object] = []

        def shows_kw() -> bool:
            tile = card.locator("section.charging .power")
            if not tile.count():
                seen[:] = ["no power shown (not charging yet)"]
                return False
            text, state, unit = card.evaluate(
                "el => { const t = el.shadowRoot.querySelector("
                "'section.charging .power'); if (!t) return [null, null, null];"
                " const s = document.querySelector('home-assistant').hass"
                ".states[t.dataset.entity];"
                " return [t.querySelector('.state').innerText.trim(), s.state,"
                " s.attributes.unit_of_measurement]; }"
            )
            seen[:] = [text, state, unit]
            if text is None or not POWER.fullmatch(text) or unit != "W":
                return False
            return abs(float(text.split()[0]) - float(state) / 1000) < 0.051

        # The simulator's cars charge for most of their loop (a few minutes).
        self.poll("the charging power in kW", shows_kw, 240, detail=lambda: seen)
        self.shot("card-power-kw")

    def open_card_picker(self, name: str) -> Locator:
        """Open the dashboard's card picker and find our card's tile by
        ``name``; returns the picker dialog."""
        page = self.page
        page.get_by_role("button", name=EDIT).first.click()
        page.get_by_role("button", name=ADD_CARD).first.click()
        picker = page.locator("hui-dialog-create-card")
        picker.get_by_role("tab", name=BY_CARD).click()
        search = picker.locator("hui-card-picker").get_by_placeholder(SEARCH)
        search.fill("cardata")
        # Each card of the picker is a tile with a click overlay over its
        # preview. The picker shows a spinner in the tile until it has
        # rendered the preview; on a busy machine that render can be lost,
        # and typing the search again renders the tiles anew, so the wait
        # retypes it every 10 s.
        tile = picker.locator("hui-card-picker .card").filter(
            has=page.locator(".card-header", has_text=name)
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

        self.poll(f"our tile {name!r} in the card picker", tile_shown, 45)
        self.info["tile"] = tile
        return picker

    def card_picker_and_editor(self) -> None:
        """The card is in the card picker; its editor picks a vehicle and
        switches sections, and the preview follows."""
        page = self.page
        self.goto(f"/{DASHBOARD}/car")
        self.open_card_picker(CARD_NAME["en"])
        self.info["tile"].first.click()
        editor = page.locator("cardata-vehicle-card-editor")
        expect(editor.locator("ha-form")).to_be_visible()
        # The vehicle is picked with Home Assistant's device picker.
        expect(editor.locator("ha-selector-device")).to_have_count(1)
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

    def mini_and_suv(self) -> None:
        """The second account's MINI Cooper S (added by the run before):
        its card draws a small car, next to the iX's SUV."""
        page = self.page

        def mini() -> str | None:
            found = self.hass(
                "const d = Object.values(hass.devices).find(d =>"
                " d.manufacturer === 'MINI' && d.model && d.entry_type !== 'service'"
                " && Object.values(hass.entities).some(e => e.device_id === d.id"
                " && e.platform === 'cardata')); return d ? d.id : null;"
            )
            return str(found) if found else None

        mini_id = self.poll("the MINI with its model", mini, 120)
        self.save_cards([self.info["vehicle"]["id"], mini_id])
        self.goto(f"/{DASHBOARD}/car")
        cards = page.locator(CARD)
        expect(cards).to_have_count(2)
        suv, small = cards.nth(0), cards.nth(1)
        expect(suv.locator('.drawing[data-body="suv"]')).to_be_visible()
        expect(small.locator('.drawing[data-body="small"]')).to_be_visible()
        expect(small.locator(".name")).to_contain_text("MINI")
        # The MINI (iDrive 6) is quiet: its values, drawn before Home
        # Assistant's translations had loaded, still read in its words.
        position = small.locator("section.position .value")
        words = self.hass(
            "return hass.formatEntityState(hass.states[arg]);",
            position.get_attribute("data-entity"),
        )
        expect(position.locator(".state")).to_have_text(words)
        page.set_viewport_size({"width": 1280, "height": 1400})
        suv.screenshot(path=self.shots / "card-suv.png")
        small.screenshot(path=self.shots / "card-mini.png")
        self.shot("dashboard-suv-and-mini")
        page.set_viewport_size({"width": 1280, "height": 900})

    def neue_klasse_and_uk_mini(self) -> None:
        """A third account (the simulator's CLIENT_C): a Neue Klasse iX3, a
        UK MINI and a MINI BMW keeps no basic data of (basicData answers
        404), each named by its brand (the last by its VIN's maker code),
        their cards with the charge level, range, charging and position
        filled."""
        clients = dict(self.stack.endpoints["clients"])  # type: ignore[call-overload]
        client = next(v for k, v in clients.items() if k.startswith("CLIENT_C"))
        self.add_integration(str(client))
        self.approve_login(devices=4)
        page = self.page
        # Brand of each car by its VIN (the simulator's): BMW's iX3, two MINIs.
        cars = {VIN_NK: "BMW", VIN_MILES: "MINI", VIN_NO_BASIC: "MINI"}

        def devices() -> dict[str, dict[str, str | None]] | None:
            found = self.hass(
                "const out = {}; for (const d of Object.values(hass.devices))"
                " if (arg.includes(d.serial_number)) out[d.serial_number] ="
                " {id: d.id, name: d.name_by_user || d.name, model: d.model,"
                " manufacturer: d.manufacturer}; return out;",
                list(cars),
            )
            return found if len(found) == len(cars) else None

        found = self.poll("the Neue Klasse iX3 and the two MINIs", devices, 120)
        for vin, brand in cars.items():
            assert found[vin]["name"].startswith(f"{brand} "), found[vin]
            assert found[vin]["manufacturer"] == brand, found[vin]
        # Without basic data: no model, the name from the VIN's maker code.
        bare = found[VIN_NO_BASIC]
        assert (bare["name"], bare["model"]) == (f"MINI {VIN_NO_BASIC[-4:]}", None)
        assert found[VIN_MILES]["model"], "the UK MINI's basic data is missing"
        self.save_cards([str(found[vin]["id"]) for vin in cars])
        self.goto(f"/{DASHBOARD}/car")
        cards = page.locator(CARD)
        expect(cards).to_have_count(len(cars))
        for index, vin in enumerate(cars):
            self._roles_filled(cards.nth(index), str(found[vin]["name"]))
        page.set_viewport_size({"width": 1280, "height": 1400})
        cards.nth(0).screenshot(path=self.shots / "card-neue-klasse.png")
        cards.nth(1).screenshot(path=self.shots / "card-mini-miles.png")
        cards.nth(2).screenshot(path=self.shots / "card-mini-without-basic-data.png")
        self.shot("neue-klasse")
        page.set_viewport_size({"width": 1280, "height": 900})
        # Its device page in Home Assistant: named MINI, no model.
        self.goto(f"/config/devices/device/{bare['id']}")
        expect(
            page.get_by_text(str(bare["name"])).filter(visible=True).first
        ).to_be_visible()
        self.shot("mini-without-basic-data")

    def _roles_filled(self, card: Locator, name: str) -> None:
        """The card names the car and shows its charge level, range,
        charging and position (a value in each; the card's structure)."""
        expect(card.locator(".name")).to_have_text(name)
        number = re.compile(r"\d")
        expect(card.locator("section.battery .big")).to_have_text(
            re.compile(r"\d+(\.\d+)? ?%"), timeout=ROLES_WAIT_MS
        )
        expect(card.locator("section.range .value .state").first).to_have_text(
            number, timeout=ROLES_WAIT_MS
        )
        for section in ("charging", "position"):
            expect(card.locator(f"section.{section} .value").first).to_be_visible(
                timeout=ROLES_WAIT_MS
            )

    def card_picker_in_german(self) -> None:
        """An owner who picked German (profile) and loads the page anew: the
        card picker names the card in German, and the card speaks German."""
        page = self.page
        self.set_language("de")
        self.goto(f"/{DASHBOARD}/car")
        self.poll(
            "Home Assistant in German",
            lambda: self.hass("return hass.language;") == "de",
        )
        # The card's own texts (card-i18n.js).
        expect(page.locator(CARD).first.locator("section.battery h3")).to_have_text(
            "Ladestand"
        )
        picker = self.open_card_picker(CARD_NAME["de"])
        expect(self.info["tile"].first).to_be_visible()
        self.shot("card-picker-german")
        self.close_dialog(picker.get_by_role("dialog"))
        self.set_language("en")

    def set_language(self, language: str) -> None:
        """Pick the language as the profile page does (kept for the user)."""
        self.page.evaluate(
            "lang => document.querySelector('home-assistant').dispatchEvent("
            "new CustomEvent('hass-language-select', {detail: lang}))",
            language,
        )
        self.poll(
            f"the language {language}",
            lambda: self.hass("return hass.language;") == language,
        )

    def _card_background(self) -> str:
        return str(
            self.page.locator(CARD).first.evaluate(
                "el => getComputedStyle(el.shadowRoot.querySelector('ha-card'))"
                ".backgroundColor"
            )
        )


def _luminance(css: str) -> float:
    """Relative brightness 0..1 of an ``rgb(...)`` colour."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)[:3]]
    if len(numbers) < 3:
        return 1.0
    red, green, blue = numbers
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255
