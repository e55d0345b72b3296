"""A car's trips and charging as the owner sees them: the logbook (activity)
of its device page, and the vehicle card's trips fold.

The simulator drives and charges its cars on a fast clock, so the entries
are waited for. Names and event types are read from Home Assistant (the
entity's name, ``formatEntityAttributeValue``), not from our translation
files; the card's trips fold is found by its structure.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, expect

from tests.simulator import VIN_BEV

from .driver import Driver

CARD = "cardata-vehicle-card"
DASHBOARD = "dashboard-cardata"
# The vehicle's event entities (translation keys) and the event types whose
# entries the logbook must show: a trip ended; charging started or ended.
EVENTS = {"trip": ("ended",), "charging_event": ("started", "ended")}
# Seconds to wait for an entry. The step starts the car's simulated day again
# (its drive first, then the charge): at the harness's clock a trip ends and
# a charge starts within about 40 s; the bound leaves room for a busy machine.
WAIT = 240


class ActivitySteps(Driver):
    """The trips-and-charging part of the run."""

    def trips_and_charging(self) -> None:
        """The device page's logbook shows a trip that ended and a charge;
        the card's trips fold lists at least one trip."""
        page = self.page
        vehicle = self.info["vehicle"]
        page.set_viewport_size({"width": 1280, "height": 1400})
        # The car's first drive and charge came before the login: its day
        # starts again now, so the entries come while the page is watched.
        self.stack.simulator_command(
            "restart_scenario", vin=VIN_BEV, speed=self.stack.speed
        )
        self.goto(f"/config/devices/device/{vehicle['id']}")
        for key, types in EVENTS.items():
            seen: list[str] = []
            self.poll(
                f"the logbook entry of {key}: {' or '.join(types)}",
                lambda key=key, types=types, seen=seen: self._logbook_shows(
                    *self._event_words(vehicle["id"], key, types), seen
                ),
                WAIT,
                detail=lambda seen=seen: seen[:12],
            )
            self.shot(f"device-logbook-{key}")

        self.goto(f"/{DASHBOARD}/car")
        card = page.locator(CARD).filter(
            has=page.locator(".name", has_text=vehicle["name"])
        )
        section = card.first.locator("section.trips")
        expect(section).to_be_visible()
        trips = section.locator("li.trip")
        self.poll(
            "a trip in the card's trips fold",
            lambda: trips.count() > 0,
            WAIT,
            detail=section.inner_text,
        )
        section.locator("details summary").click()
        expect(section.locator("details")).to_have_attribute("open", "")
        first = trips.first
        expect(first).to_be_visible()
        self._reads_like_a_trip(first)
        card.first.screenshot(path=self.shots / "card-trips.png")
        self.shot("card-trips-fold")
        page.set_viewport_size({"width": 1280, "height": 900})

    def _logbook_shows(self, name: str, words: list[str], seen: list[str]) -> bool:
        """Whether the page's logbook has an entry of ``name`` with one of
        ``words`` (then scrolled into view). The list is virtual (only the
        entries in view exist): each look without one moves it on by most of
        its height, and back to the top at its end."""
        texts = [
            " ".join(str(text).split())
            for text in self.page.evaluate(_LOGBOOK_TEXTS, [name, words])
        ]
        seen[:] = [f"looking for {name}: {words}", *texts]
        words = [word.lower() for word in words]
        return any(
            name in text and any(word in text.lower() for word in words)
            for text in texts
        )

    def _event_words(
        self, device: str, key: str, types: tuple[str, ...]
    ) -> tuple[str, list[str]]:
        """The event entity's name on its device page and its event types'
        words, as Home Assistant shows them: asked at each look, as the
        page loads the integration's translations after it has connected
        (until then the words are the raw event types)."""
        seen: dict[str, Any] = self.hass(
            "const e = Object.values(hass.entities).find(e =>"
            " e.device_id === arg.device && e.platform === 'cardata'"
            " && e.translation_key === arg.key);"
            " if (!e) return {}; const s = hass.states[e.entity_id];"
            " const d = hass.devices[arg.device]; const dn = d.name_by_user || d.name;"
            " let name = (s && s.attributes.friendly_name) || e.entity_id;"
            " if (name.startsWith(dn + ' ')) name = name.slice(dn.length + 1);"
            " return {name, words: arg.types.map(t =>"
            " hass.formatEntityAttributeValue(s, 'event_type', t))};",
            {"device": device, "key": key, "types": list(types)},
        )
        assert seen.get("name"), f"the vehicle has no {key} event entity"
        return str(seen["name"]), [str(word) for word in seen["words"]]

    def _reads_like_a_trip(self, row: Locator) -> None:
        """A trip reads start time, from -> to, and a distance in km."""
        text = " ".join(row.inner_text().split())
        assert re.search(r"\d\d:\d\d", text), f"no start time in {text!r}"
        assert "→" in text, f"no from -> to in {text!r}"
        assert re.search(r"\d+(\.\d)? km", text), f"no distance in {text!r}"


# The texts of the entries of the page's logbook (they sit in shadow roots).
# The first entry of arg[0] with a word of arg[1] is scrolled into view;
# without one the list moves on (a virtual list holds only what is in view).
_LOGBOOK_TEXTS = """([name, words]) => {
  const text = (node) => {
    if (node.nodeType === 3) return node.data;
    if (node.nodeType !== 1 || node.nodeName === 'STYLE') return '';
    const kids = [...(node.shadowRoot ? node.shadowRoot.childNodes : []),
      ...node.childNodes];
    return kids.map(text).join(' ');
  };
  const all = (root, selector, out = []) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.matches(selector)) out.push(el);
      if (el.shadowRoot) all(el.shadowRoot, selector, out);
    }
    return out;
  };
  const book = all(document, 'ha-logbook')[0];
  if (!book) return [];
  const inside = book.shadowRoot || book;
  const entries = all(inside, 'ha-logbook-entry');
  const texts = entries.map(text);
  const hit = entries.find((_, i) => texts[i].includes(name)
    && words.some((word) => texts[i].toLowerCase().includes(word.toLowerCase())));
  if (hit) {
    hit.scrollIntoView({block: 'center'});
    return texts;
  }
  const scroller = all(inside, '*').find((el) => {
    const style = getComputedStyle(el);
    return ['auto', 'scroll'].includes(style.overflowY)
      && el.scrollHeight > el.clientHeight + 1;
  });
  if (scroller) {
    const end = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 1;
    scroller.scrollTop = end ? 0 : scroller.scrollTop + scroller.clientHeight * 0.8;
  }
  return texts;
}"""
