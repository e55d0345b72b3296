"""What kvanbiesen/bmw-cardata-ha learned about charging, carried into ours.

It kept, per entry, a learned charging efficiency per condition (phases,
voltage and current brackets; phases 0 is DC) with the number of sessions
behind each, in the store ``cardata.soc_learning.<entry id>``. The predicted
charge level here learns one efficiency for AC and one for DC, each with a
weight of evidence: the previous values become those (means weighted by
their sessions, the weight capped as ours is), so the estimate does not start
from the defaults. Written only when this entry has learned nothing yet; the
previous store is left as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from ..common.redact import vin_hash
from ..const import (
    DOMAIN,
    LEARNING_EFFICIENCY_BOUNDS,
    LEARNING_MAX_WEIGHT,
    LOGGER,
    PREDICTION_STORAGE_KEY,
    PREDICTION_STORAGE_VERSION,
)

PREVIOUS_STORE: Final = f"{DOMAIN}.soc_learning"
PREVIOUS_STORE_VERSION: Final = 2
EFFICIENCY_BOUNDS: Final = LEARNING_EFFICIENCY_BOUNDS
MAX_WEIGHT: Final = LEARNING_MAX_WEIGHT


def _mean(cells: list[tuple[float, float]]) -> dict[str, float] | None:
    total = sum(count for _, count in cells)
    if total <= 0:
        return None
    value = sum(eff * count for eff, count in cells) / total
    low, high = EFFICIENCY_BOUNDS
    if not low <= value <= high:
        return None
    return {"value": round(value, 4), "weight": round(min(total, MAX_WEIGHT), 3)}


def convert_learning(previous: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """VIN -> our learning (``ac``/``dc``) from its stored data (v1 or v2)."""
    learned = previous.get("learned_efficiency", previous)
    result: dict[str, dict[str, Any]] = {}
    if not isinstance(learned, Mapping):
        return result
    for vin, data in learned.items():
        matrix = data.get("efficiency_matrix") if isinstance(data, Mapping) else None
        if not isinstance(vin, str) or not isinstance(matrix, Mapping):
            continue
        cells: dict[str, list[tuple[float, float]]] = {"ac": [], "dc": []}
        for key, cell in matrix.items():
            try:
                phases = int(str(key).split("_", 1)[0])
                efficiency = float(cell["efficiency"])
                count = float(cell.get("sample_count", 1))
            except KeyError, TypeError, ValueError:
                continue
            cells["dc" if phases == 0 else "ac"].append((efficiency, count))
        learning = {kind: mean for kind in cells if (mean := _mean(cells[kind]))}
        if learning:
            result[vin] = {**learning, "drive": None}
    return result


async def async_carry_learning(hass: HomeAssistant, entry_id: str) -> int:
    """Write what the previous integration learned into ours; vehicles carried."""
    previous: Store[dict[str, Any]] = Store(
        hass, PREVIOUS_STORE_VERSION, f"{PREVIOUS_STORE}.{entry_id}"
    )
    try:
        data = await previous.async_load()
    except Exception:  # noqa: BLE001 - unreadable or newer: start from the defaults
        LOGGER.info("The previous integration's learned values could not be read")
        return 0
    carried = convert_learning(data) if isinstance(data, dict) else {}
    if not carried:
        return 0
    ours: Store[dict[str, Any]] = Store(
        hass, PREDICTION_STORAGE_VERSION, f"{PREDICTION_STORAGE_KEY}.{entry_id}"
    )
    if await ours.async_load() is not None:
        return 0
    await ours.async_save(
        {
            "vehicles": {
                vin_hash(vin, 16): {"learning": learning}
                for vin, learning in carried.items()
            }
        }
    )
    return len(carried)
