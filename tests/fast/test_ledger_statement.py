"""The monthly statement: a CSV behind Home Assistant's login, per vehicle and month."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
import io
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cardata.api.vin import VIN_RE
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.ledger.model import Session, SessionClass, Source
from custom_components.cardata.ledger.price import Pricing
from custom_components.cardata.ledger.statement import (
    HEADER,
    month_bounds,
    statement_csv,
)

from .conftest import API, device_of
from .vehicles import LAT, LON, NOW, PHEV

BERLIN = "Europe/Berlin"
PRICES = {"ledger_price_home": 0.25, "ledger_price_elsewhere": 0.6}


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _history() -> list[dict[str, Any]]:
    """May 1st (Berlin): a public charge at dawn and one at home; one in April."""
    home_start, home_end = NOW - timedelta(minutes=62), NOW - timedelta(minutes=30)
    away_start = NOW - timedelta(hours=5)
    april = NOW - timedelta(days=2)
    public = {"potentialChargingPointMatches": [{"providerName": "Sim Charge"}]}
    return [
        {
            "startTime": _ms(home_start),
            "endTime": _ms(home_end),
            "displayedStartSoc": 64,
            "displayedSoc": 75,
            "energyConsumedFromPowerGridKwh": 2.05,
            "chargingLocation": {
                "formattedAddress": "Home 1",
                "mapMatchedLatitude": PHEV.values[LAT][0],
                "mapMatchedLongitude": PHEV.values[LON][0],
            },
            "chargingBlocks": [],
        },
        {
            "startTime": _ms(away_start),
            "endTime": _ms(away_start + timedelta(minutes=25)),
            "displayedStartSoc": 20,
            "displayedSoc": 60,
            "energyConsumedFromPowerGridKwh": 20.0,
            "publicChargingPoint": public,
            "chargingLocation": {"formattedAddress": "Road 2"},
            "chargingBlocks": [],
        },
        {
            "startTime": _ms(april),
            "endTime": _ms(april + timedelta(minutes=40)),
            "energyConsumedFromPowerGridKwh": 11.0,
            "publicChargingPoint": public,
            "chargingLocation": {"formattedAddress": "Road 3"},
            "chargingBlocks": [],
        },
    ]


async def _ledger_with_history(
    hass: HomeAssistant, setup_integration, aioclient_mock: AiohttpClientMocker
) -> MockConfigEntry:
    await hass.config.async_update(
        time_zone=BERLIN,
        latitude=PHEV.values[LAT][0],
        longitude=PHEV.values[LON][0],
    )
    assert await async_setup_component(hass, "zone", {})
    assert await async_setup_component(hass, "http", {})
    entry = await setup_integration()
    url = f"{API}/customers/vehicles/{PHEV.vin}/chargingHistory"
    aioclient_mock.get(url, json={"data": _history()})
    await hass.services.async_call(
        DOMAIN, "fetch_charging_history", {"vin": PHEV.vin}, blocking=True
    )
    await hass.async_block_till_done()
    return entry


def _rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == HEADER
    return list(reader)


@pytest.mark.parametrize(
    ("entry_options", "address"),
    [(PRICES | {"ledger_statement_address": True}, "Home 1"), (PRICES, "")],
)
async def test_an_owner_downloads_the_month(
    hass: HomeAssistant,
    setup_integration,
    aioclient_mock: AiohttpClientMocker,
    hass_client: ClientSessionGenerator,
    address: str,
) -> None:
    """Home and elsewhere, priced, in local time; the address only if allowed."""
    entry = await _ledger_with_history(hass, setup_integration, aioclient_mock)
    device = device_of(dr.async_get(hass), entry.entry_id, PHEV.vin)
    total = hass.states.get("sensor.bmw_0002_charged_this_month")
    url = f"/api/cardata/statement/{entry.entry_id}/{device.id}/2026-05.csv"
    assert total.attributes["statement_url"] == url
    home = hass.states.get("sensor.bmw_0002_charged_at_home_this_month")
    assert "statement_url" not in home.attributes
    client = await hass_client()
    response = await client.get(url)
    assert response.status == HTTPStatus.OK
    assert response.content_type == "text/csv"
    assert "2026-05" in response.headers["Content-Disposition"]
    currency = hass.config.currency
    assert _rows(await response.text()) == [
        {
            "date": "2026-05-01",
            "start": "2026-05-01T05:00:00+02:00",
            "end": "2026-05-01T05:25:00+02:00",
            "energy_kwh": "20.000",
            "class": "elsewhere",
            "cost": "12.00",
            "currency": currency,
            "address": "",  # never for a session elsewhere
        },
        {
            "date": "2026-05-01",
            "start": "2026-05-01T08:58:00+02:00",
            "end": "2026-05-01T09:30:00+02:00",
            "energy_kwh": "2.050",
            "class": "home",
            "cost": "0.51",
            "currency": currency,
            "address": address,
        },
    ]
    # April holds its own session; a month without one is the header alone.
    april = await client.get(url.replace("2026-05", "2026-04"))
    assert [r["energy_kwh"] for r in _rows(await april.text())] == ["11.000"]
    empty = await client.get(url.replace("2026-05", "2026-02"))
    assert empty.status == HTTPStatus.OK
    assert (await empty.text()).strip() == ",".join(HEADER)


async def test_strangers_and_unknown_ids_get_nothing(
    hass: HomeAssistant,
    setup_integration,
    aioclient_mock: AiohttpClientMocker,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """401 without a login; 404 for an entry, device or month not known."""
    entry = await _ledger_with_history(hass, setup_integration, aioclient_mock)
    registry = dr.async_get(hass)
    car = device_of(registry, entry.entry_id, PHEV.vin).id
    account = next(
        d.id
        for d in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if not any(VIN_RE.match(ident) for _, ident in d.identifiers)
    )
    other_entry = MockConfigEntry(domain="other")
    other_entry.add_to_hass(hass)
    other = registry.async_get_or_create(
        config_entry_id=other_entry.entry_id, identifiers={("other", PHEV.vin)}
    ).id
    base = "/api/cardata/statement"
    anonymous = await hass_client_no_auth()
    response = await anonymous.get(f"{base}/{entry.entry_id}/{car}/2026-05.csv")
    assert response.status == HTTPStatus.UNAUTHORIZED
    client = await hass_client()
    for path in (
        f"{entry.entry_id}/unknown/2026-05.csv",
        f"unknown/{car}/2026-05.csv",
        f"{other_entry.entry_id}/{other}/2026-05.csv",
        f"{entry.entry_id}/{other}/2026-05.csv",
        f"{entry.entry_id}/{account}/2026-05.csv",
        f"{entry.entry_id}/{car}/2026-13.csv",
        f"{entry.entry_id}/{car}/May.csv",
    ):
        response = await client.get(f"{base}/{path}")
        assert response.status == HTTPStatus.NOT_FOUND, path
    # An unloaded entry offers no statement any more.
    assert await hass.config_entries.async_unload(entry.entry_id)
    response = await client.get(f"{base}/{entry.entry_id}/{car}/2026-05.csv")
    assert response.status == HTTPStatus.NOT_FOUND


async def test_the_owner_allows_addresses_in_the_options(
    hass: HomeAssistant, setup_integration
) -> None:
    """Configure -> Energy: the addresses are off until the owner turns them on."""
    entry = await setup_integration()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "energy"}
    )
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    await hass.async_block_till_done()
    assert entry.options["ledger_statement_address"] is False
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "energy"}
    )
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"ledger_statement_address": True}
    )
    await hass.async_block_till_done()
    assert entry.options["ledger_statement_address"] is True


def test_months_and_cells_read_safely() -> None:
    """December turns the year; an address never runs as a spreadsheet formula."""
    tz = ZoneInfo(BERLIN)
    assert month_bounds("2026-12", tz) == (
        datetime(2026, 12, 1, tzinfo=tz),
        datetime(2027, 1, 1, tzinfo=tz),
    )
    assert month_bounds("2026-00", tz) is None
    assert month_bounds("1999-05", tz) is None
    session = Session(
        start=datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
        end=datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # clocks go forward
        energy_kwh=7.0,
        source=Source.BMW,
        auto_class=SessionClass.HOME,
        address="=HYPERLINK(1)",
    )
    rows = _rows(
        statement_csv(
            [session, Session(start=session.start + timedelta(hours=3))],
            Pricing(),
            tz=tz,
            currency="EUR",
            addresses=True,
        )
    )
    assert rows[0]["start"] == "2026-03-29T01:30:00+01:00"
    assert rows[0]["end"] == "2026-03-29T03:30:00+02:00"
    assert rows[0]["address"] == "'=HYPERLINK(1)"
    assert rows[0]["cost"] == rows[0]["currency"] == ""  # no price set
    assert rows[1]["end"] == rows[1]["energy_kwh"] == rows[1]["class"] == ""
