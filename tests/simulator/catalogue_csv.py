"""BMW's telematics catalogue as the simulator reads it (when it is there)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from .world import BUILTIN, DISPLAYED, Descriptor

REPO_ROOT = Path(__file__).resolve().parents[2]


def reference_dir() -> Path:
    """Directory holding BMW's reference files (may not exist)."""
    env = os.environ.get("CARDATA_REFERENCE_DIR")
    if env:
        return Path(env)
    return REPO_ROOT.parent / "shared" / "reference" / "bmw"


def load_catalogue(path: Path | None = None) -> dict[str, Descriptor]:
    """Read BMW's catalogue CSV; an empty dict when it is not there."""
    csv_path = path or reference_dir() / "telematics-data-catalogue.csv"
    if not csv_path.is_file():
        return {}
    result: dict[str, Descriptor] = {}
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows, [])
        col = {name: i for i, name in enumerate(header) if name}
        i_desc = col.get("Technical descriptor", 7)
        i_type, i_range, i_unit = i_desc + 1, i_desc + 2, i_desc + 3
        i_cat = col.get("Category", 3)
        for row in rows:
            if len(row) <= i_unit:
                continue
            name = row[i_desc].replace("\u200b", "").strip()
            if not name.startswith("vehicle."):
                continue
            unit = row[i_unit].strip()
            values = tuple(v.strip() for v in row[i_range].split(",") if v.strip())
            result[name] = Descriptor(
                name,
                row[i_type].strip() or "-",
                None if unit in {"", "-"} else unit,
                values,
                row[i_cat].strip(),
            )
    # Observed: Neue Klasse cars send their charge level on a descriptor the
    # catalogue does not list, and BMW accepts it in containers.
    if result:
        result[DISPLAYED] = BUILTIN[DISPLAYED]
    return result
