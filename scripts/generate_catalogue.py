#!/usr/bin/env python3
"""Generate the descriptor table from BMW's telematics data catalogue.

Usage::

    python scripts/generate_catalogue.py PATH/TO/telematics-data-catalogue.csv
        [--output custom_components/cardata/catalogue/generated.py]
        [--check] [--translations]

Only facts are taken from the CSV: the technical descriptor, BMW's data type,
BMW's unit, the enum words and the category. No description text is copied.

Enum words: where a row's description names values (two or more upper-case
value words such as ``NOCHARGING``, ``CHARGINGACTIVE``) that its "typical
value range" column does not list, the description's words are added; where
the range shares no word with them, the range was copied from another row
(charging status lists the words of a selection mode) and the description's
words replace it. Otherwise the range's words are taken. The source of each
row's words is recorded (``enum_source``: range, description or both).

The output is deterministic (sorted by descriptor), so regenerating from
the same CSV yields the same bytes; ``--check`` exits with 1 when the
committed table differs.

``--translations`` also rewrites the ``entity`` section of
``translations/en.json`` and ``translations/de.json`` from the names in
``scripts/catalogue_names.py`` (other top-level keys and non-catalogue entity
keys are kept).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
from pathlib import Path
import re
import sys
import types
from typing import Any

REPO = Path(__file__).resolve().parent.parent
INTEGRATION = REPO / "custom_components" / "cardata"
DEFAULT_OUTPUT = INTEGRATION / "catalogue" / "generated.py"

# Header labels of the columns we read (the CSV has unnamed filler columns).
COL_DESCRIPTOR = "Technical descriptor"
COL_DESCRIPTION = "Description"
COL_DATA_TYPE = "Data type"
COL_RANGE = "Typical value range"
COL_UNIT = "Unit"
COL_CATEGORY = "Category"

# A single enum word: letters, digits, "_" and "-", at least one letter.
_ENUM_WORD = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9_\-]+$")
_NO_VALUE = {"", "-"}
_ENUM_TYPES = {"string", "boolean", "", "-"}

# An upper-case value word in a description: starts with a letter, then
# letters, digits and single underscores (``NOCHARGING``, ``TEMP_OFF``, ``OK``).
_DESCRIPTION_WORD = re.compile(r"(?<![\w.\-])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*(?![\w.\-*])")
# Upper-case words of descriptions that are acronyms or names, not values.
NOT_VALUE_WORDS = frozenset(
    {"AC", "ASC", "ASCII", "BEV", "BMW", "BPT", "CBS", "CE", "COMFORT", "DC"}
    | {"ECO", "EVSE", "EXCEPT", "G08", "GPS", "HMI", "HV", "ISO", "ISO15118"}
    | {"OBFCM", "PHEV", "PLUS", "PNG", "RCP", "RSA", "SIM", "SOCE", "SP25"}
    | {"TLS", "UTC", "V2X"}
)

# descriptor, data type, unit, enum words, enum source, category
type Fact = tuple[
    str, str | None, str | None, tuple[str, ...] | None, str | None, str | None
]

HEADER = '''"""Facts from BMW's telematics data catalogue, one row per descriptor.

GENERATED FILE: do not edit. Regenerate with
``python scripts/generate_catalogue.py <telematics-data-catalogue.csv>``.
Hand corrections belong in ``catalogue_overrides.py``.
"""

# ruff: noqa: E501
# fmt: off

from typing import Final, NamedTuple


class CatalogueRow(NamedTuple):
    """One catalogue descriptor as BMW lists it."""

    descriptor: str
    data_type: str | None
    unit: str | None
    enum_values: tuple[str, ...] | None
    enum_source: str | None
    """Where ``enum_values`` come from: "description", "range" or "both"."""
    category: str | None


CATALOGUE: Final[tuple[CatalogueRow, ...]] = (
'''

FOOTER = ")\n"


def clean(text: str) -> str:
    """Strip zero-width and non-breaking spaces and surrounding blanks."""
    return text.replace("\u200b", "").replace("\xa0", " ").strip()


def parse_enum(data_type: str, value_range: str) -> tuple[str, ...] | None:
    """Return the enum words of a value range, or None when it is no enum."""
    if data_type not in _ENUM_TYPES:
        return None
    items = [clean(part) for part in re.split(r"[,;]", value_range)]
    items = [item for item in items if item]
    if len(items) < 2 or not all(_ENUM_WORD.match(item) for item in items):
        return None
    return tuple(dict.fromkeys(items))


def description_words(description: str) -> tuple[str, ...] | None:
    """The value words a description names, or None when it names fewer than 2."""
    words = [
        word
        for word in _DESCRIPTION_WORD.findall(clean(description))
        if word not in NOT_VALUE_WORDS
    ]
    unique = tuple(dict.fromkeys(words))
    return unique if len(unique) >= 2 else None


def _compact(word: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", word).upper()


def enum_words(
    data_type: str, value_range: str, description: str
) -> tuple[tuple[str, ...] | None, str | None]:
    """A row's enum words and their source (see the module docstring).

    The range's words are kept when the description confirms any of them
    (a word spelled with or without separators counts as the same word);
    a range that shares no word with what the description names belongs to
    another row and is dropped.
    """
    if data_type not in _ENUM_TYPES:
        return None, None
    from_range = parse_enum(data_type, value_range)
    named = description_words(description)
    if named is None:
        return from_range, "range" if from_range else None
    if not from_range:
        return named, "description"
    known = {_compact(word) for word in from_range}
    extra = tuple(word for word in named if _compact(word) not in known)
    if data_type != "boolean" and not known & {_compact(word) for word in named}:
        return named, "description"
    return (*from_range, *extra), "both" if extra else "range"


def optional(text: str) -> str | None:
    """Map BMW's placeholders for "nothing" to None."""
    value = clean(text)
    return None if value in _NO_VALUE else value


def read_rows(csv_path: Path) -> list[Fact]:
    """Read the catalogue CSV into sorted fact tuples."""
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [clean(cell) for cell in next(reader)]
        columns = (
            COL_DESCRIPTOR,
            COL_DESCRIPTION,
            COL_DATA_TYPE,
            COL_RANGE,
            COL_UNIT,
            COL_CATEGORY,
        )
        index = {name: header.index(name) for name in columns}
        rows: dict[str, Fact] = {}
        for record in reader:
            if len(record) <= max(index.values()):
                continue
            descriptor = clean(record[index[COL_DESCRIPTOR]])
            if not descriptor:
                continue
            data_type = clean(record[index[COL_DATA_TYPE]])
            words, source = enum_words(
                data_type, record[index[COL_RANGE]], record[index[COL_DESCRIPTION]]
            )
            rows[descriptor] = (
                descriptor,
                optional(data_type),
                optional(record[index[COL_UNIT]]),
                words,
                source,
                optional(record[index[COL_CATEGORY]]),
            )
    return [rows[key] for key in sorted(rows)]


def literal(value: str | tuple[str, ...] | None) -> str:
    """Format a value as a Python literal with double quotes (formatter style)."""
    if value is None:
        return "None"
    if isinstance(value, tuple):
        inner = ", ".join(json.dumps(item) for item in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return json.dumps(value)


def render(csv_path: Path) -> str:
    """Render the generated module's text."""
    lines = [HEADER]
    for row in read_rows(csv_path):
        fields = ", ".join(literal(field) for field in row)
        lines.append(f"    CatalogueRow({fields}),\n")
    lines.append(FOOTER)
    return "".join(lines)


def _catalogue_module() -> types.ModuleType:
    """Import catalogue.py without running the integration's __init__."""
    sys.path.insert(0, str(REPO))
    package = "custom_components.cardata"
    if package not in sys.modules:
        importlib.import_module("custom_components")
        stub = types.ModuleType(package)
        stub.__path__ = [str(INTEGRATION)]
        sys.modules[package] = stub
    return importlib.import_module(f"{package}.catalogue")


def entity_translations() -> dict[str, dict[str, Any]]:
    """Build the ``entity`` sections per language from the names table."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    names_module = importlib.import_module("catalogue_names")
    catalogue = _catalogue_module()
    names = {**names_module.composed(), **names_module.NAMES}
    result: dict[str, dict[str, Any]] = {"en": {}, "de": {}}
    missing: list[str] = []
    for descriptor in catalogue.catalogue_descriptors():
        info = catalogue.describe(descriptor)
        key = info.translation_key
        if key not in names:
            missing.append(key)
            continue
        for lang_index, lang in enumerate(("en", "de")):
            entry: dict[str, Any] = {"name": names[key][lang_index]}
            if info.options:
                states = {}
                for state in info.options:
                    if lang == "en":
                        states[state] = names_module.state_en(state)
                    elif state in names_module.STATE_DE:
                        states[state] = names_module.STATE_DE[state]
                if states:
                    entry["state"] = states
            platform = str(info.platform)
            result[lang].setdefault(platform, {})[key] = entry
    if missing:
        msg = "no name for: " + ", ".join(missing)
        raise SystemExit(msg)
    return result


def write_translations() -> None:
    """Replace the catalogue keys of the ``entity`` section in en/de JSON."""
    generated = entity_translations()
    catalogue_keys = {key for platform in generated["en"].values() for key in platform}
    for lang, section in generated.items():
        path = INTEGRATION / "translations" / f"{lang}.json"
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        entity = data.get("entity", {})
        for platform, entries in entity.items():
            kept = {k: v for k, v in entries.items() if k not in catalogue_keys}
            section.setdefault(platform, {}).update(kept)
        data["entity"] = {
            platform: dict(sorted(entries.items()))
            for platform, entries in sorted(section.items())
        }
        path.write_text(
            json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        print(f"wrote entity names to {path}")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path, help="BMW's telematics-data-catalogue.csv")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--check", action="store_true", help="only compare, do not write"
    )
    parser.add_argument(
        "--translations", action="store_true", help="also write entity names"
    )
    args = parser.parse_args(argv)
    text = render(args.csv)
    if args.check:
        current = (
            args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        )
        if current != text:
            print(f"{args.output} is out of date; regenerate it", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({text.count('CatalogueRow(') - 1} descriptors)")
    if args.translations:
        write_translations()
    return 0


if __name__ == "__main__":
    sys.exit(main())
