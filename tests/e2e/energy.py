"""The energy ledger in Home Assistant's Energy settings: a car's charging
statistics in the statistic picker of *Individual devices -> Add device*.

The ledger writes a car's statistics when one of its charging sessions has
ended (the plug comes out or the car drives off). The simulator's cars loop
through their day (drive, charge, drive again); the trips-and-charging step
before this one started the iX's day again while Home Assistant watched, so
a session ends within minutes: the statistics are waited for. Their names
are read from Home Assistant's recorder (``recorder/list_statistic_ids``)
and tied to a car by its device's name; the dialog is found by Home
Assistant's own words.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from .driver import Driver

# Seconds to wait for a finished session's statistics. A car's day takes a
# few minutes at the harness's clock (its charge is the longest part); the
# bound leaves room for a busy machine.
WAIT = 360
ADD_DEVICE = re.compile(r"^Add device$", re.IGNORECASE)
SEARCH = re.compile(r"^Search", re.IGNORECASE)
# The charging cost is money, not energy: the energy picker leaves it out.
_STATISTICS = (
    "const vehicles = Object.values(hass.devices).filter(d =>"
    " d.entry_type !== 'service' && Object.values(hass.entities).some(e =>"
    " e.device_id === d.id && e.platform === 'cardata'))"
    " .map(d => ({name: d.name_by_user || d.name, id: d.id}));"
    " const all = await hass.callWS({type: 'recorder/list_statistic_ids',"
    " statistic_type: 'sum'});"
    " return all.filter(s => s.source === 'cardata' && s.unit_class === 'energy')"
    " .map(s => ({id: s.statistic_id, name: s.name, device:"
    " (vehicles.find(v => s.name && s.name.startsWith(v.name + ' ')) || {}).id}))"
    " .filter(s => s.device);"
)


class EnergySteps(Driver):
    """The Energy settings' part of the run."""

    def energy_statistics(self) -> None:
        """A car's charged energy (total, at home, elsewhere) is offered in
        the Energy settings' device picker, named after the car."""
        page = self.page
        seen: list[Any] = []

        def statistics() -> list[dict[str, str]] | None:
            found = list(self.hass(_STATISTICS))
            seen[:] = found
            return found or None

        found = self.poll(
            "the charging statistics of a car (a finished session)",
            statistics,
            WAIT,
            detail=lambda: seen or "none of this integration yet",
        )
        # The iX's when it has them (its day was started again), else the
        # first car with a finished session; its three series share an id
        # stem (the car's hash): searching for it lists those three.
        mine = [s for s in found if s["device"] == self.info["vehicle"]["id"]]
        first = min(mine or found, key=lambda s: s["id"])
        stem = first["id"].rsplit("_", 1)[0]
        names = sorted(s["name"] for s in found if s["id"].rsplit("_", 1)[0] == stem)

        self.goto("/config/energy")
        page.get_by_role("button", name=ADD_DEVICE).first.click()
        dialog = page.locator("dialog-energy-device-settings")
        expect(dialog.get_by_role("dialog").first).to_be_visible()
        picker = dialog.locator("ha-statistic-picker").first
        picker.click()
        # Home Assistant's picker searches external statistics by their id
        # and integration, not by their names.
        search = dialog.get_by_placeholder(SEARCH).first
        search.fill(stem)
        # Each item of the list shows its statistic's name as a line of its own.
        items = dialog.locator("ha-combo-box-item").filter(visible=True)
        for name in names:
            expect(items.get_by_text(name, exact=True)).to_be_visible()
        self.info["energy_names"] = names
        self.shot("energy-statistics")
        # The README's picture: the dialog with the list open over it.
        surface = dialog.get_by_role("dialog").first
        box = surface.bounding_box()
        assert box, "the dialog has no box on the page"
        path = self.shots / "energy-statistics.png"
        page.screenshot(path=path, clip=box)
        self.pictures["energy-statistics"] = path
        # Escape closes the list; Cancel the dialog (nothing was picked).
        page.keyboard.press("Escape")
        expect(search).to_be_hidden()
        dialog.get_by_role("button", name=re.compile("^Cancel$", re.IGNORECASE)).click()
        self.dialog_gone(dialog.get_by_role("dialog"))
