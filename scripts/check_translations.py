"""List what each translation lacks compared with en.json.

Per language: keys missing, keys extra, keys whose placeholders ({name} ...)
differ from English, and empty strings. With ``--since REV`` also the keys
whose English text changed since git revision REV: their translations are
stale and need doing again. Exits 1 when anything needs work.

    python scripts/check_translations.py
    python scripts/check_translations.py --since main~5
    python scripts/check_translations.py --since v1.2.0 --lang fr --lang nl
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass, field
import json
from pathlib import Path
import re
import subprocess
import sys
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "custom_components" / "cardata" / "translations"
EN_PATH = "custom_components/cardata/translations/en.json"
PLACEHOLDER = re.compile(r"\{[^{}\s]+\}")


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Map dotted key paths to leaf values."""
    leaves: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            leaves.update(flatten(value, path))
        else:
            leaves[path] = value
    return leaves


def placeholders(text: str) -> Counter[str]:
    """The placeholders of one string, with their counts."""
    return Counter(PLACEHOLDER.findall(text))


@dataclass
class Report:
    """What one language lacks."""

    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    def problems(self) -> int:
        """Number of keys that need work."""
        return sum(
            len(keys)
            for keys in (
                self.missing,
                self.extra,
                self.placeholders,
                self.empty,
                self.stale,
            )
        )


def compare(
    english: dict[str, Any], other: dict[str, Any], changed: set[str] | None = None
) -> Report:
    """Compare one language's flat keys with English's."""
    report = Report(
        missing=sorted(english.keys() - other.keys()),
        extra=sorted(other.keys() - english.keys()),
    )
    for key in sorted(english.keys() & other.keys()):
        text = other[key]
        if not isinstance(text, str) or not text.strip():
            report.empty.append(key)
        elif placeholders(english[key]) != placeholders(text):
            report.placeholders.append(key)
        elif changed and key in changed:
            report.stale.append(key)
    return report


def changed_since(revision: str, english: dict[str, Any]) -> set[str]:
    """Keys whose English text differs from the one at git revision REV."""
    shown = subprocess.run(
        ["git", "show", f"{revision}:{EN_PATH}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return changed_keys(flatten(json.loads(shown.stdout)), english)


def changed_keys(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    """Keys present in both whose text differs."""
    return {key for key, text in new.items() if key in old and old[key] != text}


def main(argv: list[str] | None = None) -> int:
    """Print the report per language; return 1 when anything needs work."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--since", metavar="REV", help="also list stale keys")
    parser.add_argument("--lang", action="append", help="only these languages")
    args = parser.parse_args(argv)

    english = flatten(json.loads((TRANSLATIONS / "en.json").read_text("utf-8")))
    changed = changed_since(args.since, english) if args.since else None
    total = 0
    for path in sorted(TRANSLATIONS.glob("*.json")):
        lang = path.stem
        if lang == "en" or (args.lang and lang not in args.lang):
            continue
        other = flatten(json.loads(path.read_text("utf-8")))
        report = compare(english, other, changed)
        total += report.problems()
        print(f"{lang}: {len(other)} strings, {report.problems()} to do")
        for label, keys in (
            ("missing", report.missing),
            ("extra", report.extra),
            ("placeholders differ", report.placeholders),
            ("empty", report.empty),
            ("English changed", report.stale),
        ):
            for key in keys:
                print(f"  {label}: {key}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
