"""The vehicle card: served, added to the frontend while an entry is loaded,
and loaded by a URL that changes with the integration's version and files."""

from __future__ import annotations

from collections.abc import Callable
import json
from pathlib import Path
import re

from homeassistant.components.frontend import DATA_EXTRA_MODULE_URL, UrlManager
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cardata import frontend
from custom_components.cardata.catalogue.descriptors import (
    catalogue_descriptors,
    describe,
)
from custom_components.cardata.frontend import (
    CARD_MODULE,
    FRONTEND_DIR,
    URL_BASE,
    files_digest,
    module_url,
)
from tests.conftest import rest_settled
from tests.simulator import CLIENT_A, CLIENT_B, GCID_A, GCID_B, Simulator

type MakeEntry = Callable[..., MockConfigEntry]


def _card_urls(hass: HomeAssistant) -> list[str]:
    return [
        url
        for url in hass.data[DATA_EXTRA_MODULE_URL].urls
        if url.startswith(f"{URL_BASE}/{CARD_MODULE}?v=")
    ]


def test_url_changes_with_version_and_content(tmp_path: Path) -> None:
    """An update (new version or changed file) gives the browser a new URL."""
    (tmp_path / "card.js").write_text("export const a = 1;\n", encoding="utf-8")
    (tmp_path / "logic.js").write_text("export const b = 2;\n", encoding="utf-8")
    first = files_digest(tmp_path)
    assert first == files_digest(tmp_path)  # stable for the same files
    (tmp_path / "logic.js").write_text("export const b = 3;\n", encoding="utf-8")
    changed = files_digest(tmp_path)
    assert changed != first
    (tmp_path / "extra.js").write_text("", encoding="utf-8")
    assert files_digest(tmp_path) != changed
    assert module_url("1.0.0", first) != module_url("1.0.1", first)
    assert module_url("1.0.0", first) != module_url("1.0.0", changed)
    assert module_url("1.0.0", first) == f"{URL_BASE}/{CARD_MODULE}?v=1.0.0-{first}"
    # The shipped files hash to what the card is served with.
    assert len(files_digest(FRONTEND_DIR)) == 12


async def test_registered_while_an_entry_is_loaded(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    hass_client: ClientSessionGenerator,
) -> None:
    """Loading adds the card once, it is served, and the last unload removes it."""
    assert await async_setup_component(hass, "http", {})
    # The frontend package is not installed in the test environment: stand in
    # for the frontend's list of extra modules, which is all the card touches.
    changes: list[tuple[str, str]] = []
    hass.data[DATA_EXTRA_MODULE_URL] = UrlManager(
        lambda change, url: changes.append((change, url)), []
    )
    first = make_entry(simulator, GCID_A, CLIENT_A)
    second = make_entry(simulator, GCID_B, CLIENT_B)
    for entry in (first, second):
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await rest_settled(entry)
        assert entry.state is ConfigEntryState.LOADED

    urls = _card_urls(hass)
    assert len(urls) == 1
    assert urls[0].endswith(f"?v=1.0.0-{files_digest(FRONTEND_DIR)}")
    assert [change for change, _ in changes] == ["added"]

    client = await hass_client()
    response = await client.get(urls[0])
    assert response.status == 200
    assert "cardata-vehicle-card" in await response.text()
    for name in (
        "card-logic.js",
        "card-format.js",
        "card-i18n.js",
        "card-texts.js",
        "card-texts-trips.js",
        "card-dom.js",
        "card-drawings.js",
        "card-trips.js",
        "card-style.js",
        "card-editor.js",
    ):
        response = await client.get(f"{URL_BASE}/{name}")
        assert response.status == 200

    assert await hass.config_entries.async_unload(first.entry_id)
    assert _card_urls(hass) == urls  # the other account still uses it
    assert await hass.config_entries.async_unload(second.entry_id)
    assert _card_urls(hass) == []
    assert [change for change, _ in changes] == ["added", "removed"]

    # Loading again adds it again (the static path is not registered twice).
    assert await hass.config_entries.async_setup(first.entry_id)
    await rest_settled(first)
    assert _card_urls(hass) == urls
    assert await hass.config_entries.async_unload(first.entry_id)


async def test_without_frontend_nothing_is_registered(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """Without Home Assistant's frontend (headless set-ups) the entry still loads."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await rest_settled(entry)
    assert entry.state is ConfigEntryState.LOADED
    assert DATA_EXTRA_MODULE_URL not in hass.data
    assert frontend._MODULE_URL not in hass.data
    assert await hass.config_entries.async_unload(entry.entry_id)


def _block(text: str, name: str) -> str:
    match = re.search(rf"export const {name} = \{{(.*?)\}};", text, re.DOTALL)
    assert match, name
    return match.group(1)


def test_card_names_the_integrations_translation_keys() -> None:
    """The card finds its entities by translation key (hass.entities): each
    key it names is one the integration gives an entity, and each of its
    patterns matches keys of BMW's catalogue."""
    text = (FRONTEND_DIR / "card-logic.js").read_text(encoding="utf-8")
    named = set(re.findall(r'"([a-z0-9_]+)"', _block(text, "ROLES")))
    named |= set(re.findall(r'"([a-z0-9_]+)"', _block(text, "ACCOUNT_ROLES")))
    translations = json.loads(
        (FRONTEND_DIR.parents[1] / "translations" / "en.json").read_text(
            encoding="utf-8"
        )
    )
    entity_keys = {key for keys in translations["entity"].values() for key in keys}
    assert len(named) > 15
    assert sorted(named - entity_keys) == []
    catalogue_keys = {
        key
        for descriptor in catalogue_descriptors()
        if (key := describe(descriptor).translation_key) is not None
    }
    patterns = re.findall(r"(\w+): /\^(.+?)\$/,", _block(text, "PATTERNS"))
    assert len(patterns) == 4
    for name, pattern in patterns:
        assert any(re.fullmatch(pattern, key) for key in catalogue_keys), name
