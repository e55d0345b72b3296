"""Entity registry of a kvanbiesen/bmw-cardata-ha entry, made ours in place.

Its descriptor entities (``{VIN}_{descriptor}``) and tracker
(``{VIN}_device_tracker``) already carry our unique ids. Its other entities
are mapped here once, during the entry migration:

- those whose meaning we have get our unique id (same entity id, so their
  history continues): the predicted charge level, the charging-history and
  tyre-diagnosis sensors, the vehicle image, the battery capacity number and
  the connection status (our stream state);
- the rest are removed from the registry (listed in :data:`REMOVED` and the
  README): nothing of ours would ever update them;
- a descriptor that ours shows on another platform (a sensor that is now a
  binary sensor) keeps its object id on the new platform; Home Assistant
  cannot move history across platforms, so the owner is told once per entity.

None of the previous integration's own unique ids is ever read as a descriptor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from ..api.vin import VIN_RE
from ..catalogue.descriptors import describe
from ..const import DOMAIN, LOGGER
from ..data.state import NOT_DESCRIPTORS

#: Per-vehicle unique-id suffixes of the previous integration -> (platform,
#: our suffix).
RENAMED: Final[dict[str, tuple[str, str]]] = {
    "vehicle.predicted_soc": ("sensor", "predicted_soc"),
    "vehicle.manual_battery_capacity": ("number", "usable_capacity"),
    "diagnostics_charging_history": ("sensor", "charging_history"),
    "diagnostics_tyre_diagnosis": ("sensor", "tyre_diagnosis"),
    "image": ("image", "vehicle_image"),
}
#: Per-entry unique-id suffixes of the previous integration -> our suffix.
RENAMED_ACCOUNT: Final[dict[str, str]] = {
    "diagnostics_connection_status": "stream_state",
}
#: Its entities with no counterpart here (removed; also listed in the README).
REMOVED: Final = (
    "vehicle.magic_soc",
    "vehicle.manual_tank_capacity",
    "diagnostics_vehicle_metadata",
    "diagnostics_charging_matrix",
    "reset_*_learning",
    "diagnostics_last_message",
    "diagnostics_last_telematic_api",
)
#: Extras that must be on for a renamed entity to be updated.
NEEDS_OPTION: Final = {
    "charging_history": "extra_charging_history",
    "tyre_diagnosis": "extra_tyre_diagnosis",
    "vehicle_image": "extra_vehicle_image",
}


@dataclass(frozen=True, slots=True)
class PlatformChange:
    """An old entity whose descriptor ours shows on another platform."""

    old_entity_id: str
    new_entity_id: str


@dataclass(slots=True)
class RegistryResult:
    """What the registry rewrite did."""

    renamed: list[str]
    removed: list[str]
    moved: list[PlatformChange]
    options_on: set[str]


def _target(unique_id: str, entry_id: str) -> tuple[str, str] | None:
    """Return (platform, new unique id) for an old id; None keeps it, "" removes."""
    removed = ("", "")
    if unique_id.startswith(f"{entry_id}_"):
        suffix = unique_id.removeprefix(f"{entry_id}_")
        renamed = RENAMED_ACCOUNT.get(suffix)
        return ("sensor", f"{entry_id}_{renamed}") if renamed else removed
    vin, sep, rest = unique_id.partition("_")
    target: tuple[str, str] | None = removed
    if not sep or not VIN_RE.match(vin):
        pass
    elif rest == "device_tracker":
        target = None
    elif rest in RENAMED:
        platform, suffix = RENAMED[rest]
        target = platform, f"{vin}_{suffix}"
    elif "." in rest and rest not in NOT_DESCRIPTORS:
        target = describe(rest).platform.value, unique_id
    return target


@callback
def async_rewrite_registry(hass: HomeAssistant, entry: ConfigEntry) -> RegistryResult:
    """Map, move or remove the old entities of ``entry`` (see the module doc)."""
    registry = er.async_get(hass)
    result = RegistryResult([], [], [], set())
    for entity in list(er.async_entries_for_config_entry(registry, entry.entry_id)):
        target = _target(entity.unique_id, entry.entry_id)
        if target is None:
            continue
        platform, unique_id = target
        if not platform:
            registry.async_remove(entity.entity_id)
            result.removed.append(entity.entity_id)
            continue
        if platform == entity.domain and unique_id == entity.unique_id:
            continue
        taken = registry.async_get_entity_id(platform, DOMAIN, unique_id)
        if platform == entity.domain:
            if taken is not None:  # ours exists already: the old copy is redundant
                registry.async_remove(entity.entity_id)
                result.removed.append(entity.entity_id)
                continue
            registry.async_update_entity(entity.entity_id, new_unique_id=unique_id)
            result.renamed.append(entity.entity_id)
            suffix = unique_id.partition("_")[2]
            if suffix in NEEDS_OPTION:
                result.options_on.add(NEEDS_OPTION[suffix])
            continue
        result.moved.append(_move(registry, entry, entity, platform, taken))
    if result.removed or result.moved:
        LOGGER.info(
            "Upgrade from the previous integration: %d entities mapped, %d moved"
            " to another platform, %d removed (no counterpart here)",
            len(result.renamed),
            len(result.moved),
            len(result.removed),
        )
    return result


def _move(
    registry: er.EntityRegistry,
    entry: ConfigEntry,
    entity: er.RegistryEntry,
    platform: str,
    taken: str | None,
) -> PlatformChange:
    """Re-register a descriptor entity on ``platform`` under the same object id."""
    object_id = entity.entity_id.partition(".")[2]
    registry.async_remove(entity.entity_id)
    if taken is not None:
        return PlatformChange(entity.entity_id, taken)
    created = registry.async_get_or_create(
        platform,
        DOMAIN,
        entity.unique_id,
        config_entry=entry,
        device_id=entity.device_id,
        suggested_object_id=object_id,
        disabled_by=entity.disabled_by,
        hidden_by=entity.hidden_by,
    )
    updates: dict[str, object] = {}
    if entity.name is not None:
        updates["name"] = entity.name
    if entity.icon is not None:
        updates["icon"] = entity.icon
    if entity.area_id is not None:
        updates["area_id"] = entity.area_id
    if updates:
        registry.async_update_entity(created.entity_id, **updates)  # type: ignore[arg-type]
    return PlatformChange(entity.entity_id, created.entity_id)
