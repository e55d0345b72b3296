"""Every translation file matches en.json: keys, placeholders, no empty text.

Data-driven over all files in translations/, so a key added to en.json fails
here until every language has it (scripts/check_translations.py lists them).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
import sys
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "custom_components" / "cardata" / "translations"
LANGUAGES = sorted(p.stem for p in TRANSLATIONS.glob("*.json") if p.stem != "en")

_spec = importlib.util.spec_from_file_location(
    "check_translations", ROOT / "scripts" / "check_translations.py"
)
assert _spec is not None
assert _spec.loader is not None
check = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = check  # dataclasses look their module up
_spec.loader.exec_module(check)


def _load(lang: str) -> dict[str, Any]:
    text = (TRANSLATIONS / f"{lang}.json").read_text(encoding="utf-8")
    return check.flatten(json.loads(text))


ENGLISH = _load("en")


def test_all_languages_present() -> None:
    """The languages the integration promises all have a file."""
    promised = {"de", "nl", "fr", "it", "es", "pt", "da", "sv", "nb", "fi", "pl", "cs"}
    assert promised <= set(LANGUAGES)


@pytest.mark.parametrize("lang", ["en", *LANGUAGES])
def test_file_is_formatted_json(lang: str) -> None:
    """Valid JSON, written as en.json is (indent 2, UTF-8, trailing newline)."""
    text = (TRANSLATIONS / f"{lang}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_language_matches_english(lang: str) -> None:
    """Same keys as English, same placeholders per string, no empty string."""
    report = check.compare(ENGLISH, _load(lang))
    assert report.missing == [], "missing keys"
    assert report.extra == [], "keys English does not have"
    assert report.placeholders == [], "placeholders differ from English"
    assert report.empty == [], "empty strings"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_entity_names_stay_distinct(lang: str) -> None:
    """Two entities English tells apart keep different names, states likewise."""
    english = _entity_texts("en")
    texts = _entity_texts(lang)
    clashes: dict[tuple[str, str], list[str]] = {}
    for group, keys in _groups(english).items():
        seen: dict[str, list[str]] = {}
        for key in keys:
            seen.setdefault(texts[key], []).append(key)
        clashes.update(
            {
                (group, t): ks
                for t, ks in seen.items()
                if len({english[key] for key in ks}) > 1  # English tells them apart
            }
        )
    assert clashes == {}


def _entity_texts(lang: str) -> dict[str, str]:
    return {
        key: text
        for key, text in _load(lang).items()
        if key.startswith("entity.") and isinstance(text, str)
    }


def _groups(texts: dict[str, str]) -> dict[str, list[str]]:
    """Entity names as one group, each entity's states as another."""
    groups: dict[str, list[str]] = {}
    for key in texts:
        parts = key.split(".")
        group = "names" if parts[-1] == "name" else ".".join(parts[:-1])
        groups.setdefault(group, []).append(key)
    return groups


def test_english_has_no_empty_string() -> None:
    """English itself is complete."""
    assert all(isinstance(v, str) and v.strip() for v in ENGLISH.values())


def test_compare_finds_each_kind_of_gap() -> None:
    """The maintainer tool reports missing, extra, placeholder, empty, stale."""
    english = {"a": "Hello {name}", "b": "Bye", "c": "Stay", "d": "Changed"}
    other = {"a": "Hallo", "b": " ", "d": "Geändert", "z": "Extra"}
    report = check.compare(english, other, changed={"d"})
    assert report.missing == ["c"]
    assert report.extra == ["z"]
    assert report.placeholders == ["a"]
    assert report.empty == ["b"]
    assert report.stale == ["d"]
    assert report.problems() == 5


def test_changed_keys_lists_only_rewritten_english() -> None:
    """--since flags keys whose English text changed, not new or removed ones."""
    old = {"a": "Same", "b": "Before", "gone": "Old"}
    new = {"a": "Same", "b": "After", "new": "New"}
    assert check.changed_keys(old, new) == {"b"}
