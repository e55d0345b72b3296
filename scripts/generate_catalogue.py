#!/usr/bin/env python3
"""Generate the descriptor table from BMW's telematics data catalogue.

Usage::

    python scripts/generate_catalogue.py PATH/TO/telematics-data-catalogue.csv
        [--output custom_components/cardata/generated/catalogue.py]
        [--check]

Only facts are taken from the CSV: the technical descriptor, BMW's data type,
BMW's unit, the enum words of the typical value range and the category. No
description text is copied. The output is deterministic (sorted by
descriptor), so regenerating from the same CSV yields the same bytes;
``--check`` exits with 1 when the committed table differs.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
import re
import sys

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO / "custom_components" / "cardata" / "generated" / "catalogue.py"

# Header labels of the columns we read (the CSV has unnamed filler columns).
COL_DESCRIPTOR = "Technical descriptor"
COL_DATA_TYPE = "Data type"
COL_RANGE = "Typical value range"
COL_UNIT = "Unit"
COL_CATEGORY = "Category"

# A single enum word: letters, digits, "_" and "-", at least one letter.
_ENUM_WORD = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9_\-]+$")
_NO_VALUE = {"", "-"}
_ENUM_TYPES = {"string", "boolean", "", "-"}

# descriptor, data type, unit, enum words, category
type Fact = tuple[str, str | None, str | None, tuple[str, ...] | None, str | None]

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


def optional(text: str) -> str | None:
    """Map BMW's placeholders for "nothing" to None."""
    value = clean(text)
    return None if value in _NO_VALUE else value


def read_rows(csv_path: Path) -> list[Fact]:
    """Read the catalogue CSV into sorted fact tuples."""
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [clean(cell) for cell in next(reader)]
        columns = (COL_DESCRIPTOR, COL_DATA_TYPE, COL_RANGE, COL_UNIT, COL_CATEGORY)
        index = {name: header.index(name) for name in columns}
        rows: dict[str, Fact] = {}
        for record in reader:
            if len(record) <= max(index.values()):
                continue
            descriptor = clean(record[index[COL_DESCRIPTOR]])
            if not descriptor:
                continue
            data_type = clean(record[index[COL_DATA_TYPE]])
            rows[descriptor] = (
                descriptor,
                optional(data_type),
                optional(record[index[COL_UNIT]]),
                parse_enum(data_type, record[index[COL_RANGE]]),
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


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path, help="BMW's telematics-data-catalogue.csv")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--check", action="store_true", help="only compare, do not write"
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
