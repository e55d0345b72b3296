"""The monthly statement, downloaded through Home Assistant's authenticated API.

One view serves every entry: it is registered with the first entry that
starts (aiohttp cannot remove a route, so it stays for the whole run) and
finds the entry's ledger in a table each entry joins while it is loaded.
``/api/cardata/statement/<entry id>/<device id>/<YYYY-MM>.csv`` answers the
vehicle's sessions of that month (:mod:`.statement`); a logged-out request
gets 401 from Home Assistant, an entry, device or month it does not know 404.
Nothing is written to a folder the web server serves.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Final

from aiohttp import web
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from ..api.vin import VIN_RE
from ..const import DOMAIN
from .hub import EnergyLedger
from .statement import month_bounds, statement_csv

URL: Final = "/api/cardata/statement/{entry_id}/{device_id}/{month}.csv"


@dataclass(frozen=True, slots=True)
class Statement:
    """An entry's ledger and whether its statement may show home addresses."""

    ledger: EnergyLedger
    addresses: bool


_STATEMENTS: HassKey[dict[str, Statement]] = HassKey(f"{DOMAIN}_statements")
_VIEW_DONE: HassKey[bool] = HassKey(f"{DOMAIN}_statement_view")


@callback
def async_serve_statement(
    hass: HomeAssistant, ledger: EnergyLedger, *, addresses: bool
) -> CALLBACK_TYPE:
    """Offer the entry's statements; the returned callback withdraws them."""
    if not hass.data.get(_VIEW_DONE):
        # With the first entry only: Home Assistant's http comes first (an
        # after-dependency). A Home Assistant without it serves no statement,
        # and never tries later, when its router may be closed to new routes.
        if hass.http is not None:
            hass.http.register_view(StatementView())
        hass.data[_VIEW_DONE] = True
    statements = hass.data.setdefault(_STATEMENTS, {})
    statements[ledger.entry_id] = Statement(ledger, addresses)

    @callback
    def withdraw() -> None:
        statements.pop(ledger.entry_id, None)

    return withdraw


def _vin(hass: HomeAssistant, entry_id: str, device_id: str) -> str | None:
    """The VIN of the entry's vehicle device; None for any other device."""
    # Among the entry's own devices: a device has one entry from 2026.10 on.
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
    return next(
        (
            ident
            for device in devices
            if device.id == device_id
            for domain, ident in device.identifiers
            if domain == DOMAIN and VIN_RE.match(ident)
        ),
        None,
    )


class StatementView(HomeAssistantView):
    """``GET`` one vehicle's statement of one month as CSV."""

    url = URL
    name = "api:cardata:statement"
    requires_auth = True

    async def get(
        self, request: web.Request, entry_id: str, device_id: str, month: str
    ) -> web.Response:
        """The CSV, or 404 for an entry, vehicle or month not known."""
        hass = request.app[KEY_HASS]
        statement = hass.data.get(_STATEMENTS, {}).get(entry_id)
        tz = dt_util.get_default_time_zone()
        bounds = month_bounds(month, tz)
        vin = _vin(hass, entry_id, device_id) if statement is not None else None
        if statement is None or bounds is None or vin is None:
            return web.Response(status=HTTPStatus.NOT_FOUND)
        ledger = statement.ledger
        if not ledger.knows(vin):
            return web.Response(status=HTTPStatus.NOT_FOUND)
        text = statement_csv(
            ledger.vehicle_sessions(vin, *bounds),
            ledger.pricing,
            tz=tz,
            currency=hass.config.currency,
            addresses=statement.addresses,
        )
        return web.Response(
            text=text,
            content_type="text/csv",
            charset="utf-8",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="cardata-statement-{month}.csv"'
                ),
                "Cache-Control": "no-store",
            },
        )
