"""quality_scale.yaml stays valid: every rule has a known status, and every
exemption or open item says why (Home Assistant's hassfest checks the same)."""

from __future__ import annotations

from pathlib import Path
import re

import yaml

FILE = (
    Path(__file__).resolve().parent.parent
    / "custom_components"
    / "cardata"
    / "quality_scale.yaml"
)
STATUSES = {"done", "todo", "exempt"}


def test_quality_scale_is_valid() -> None:
    rules = yaml.safe_load(FILE.read_text(encoding="utf-8"))["rules"]
    assert len(rules) >= 50
    for name, rule in rules.items():
        if isinstance(rule, str):
            assert rule in STATUSES, name
            assert rule == "done", f"{name}: a {rule} rule needs a comment"
            continue
        assert rule["status"] in STATUSES, name
        if rule["status"] != "done":
            assert rule.get("comment", "").strip(), name


def test_quality_scale_names_files_that_exist() -> None:
    """A comment that points at a module points at one that is there."""
    text = FILE.read_text(encoding="utf-8")
    named = set(re.findall(r"\b([a-z_]+(?:/[a-z_]+)*\.py)\b", text))
    assert named
    missing = [name for name in named if not (FILE.parent / name).is_file()]
    assert not missing
