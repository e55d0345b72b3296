"""One-time work after an upgrade from kvanbiesen/bmw-cardata-ha.

Runs once, after the first set-up of a migrated entry (its entities exist and
show their restored states), then clears the entry's flag:

- statistics: Home Assistant's own validation is run; for this entry's
  entities a unit K did not give (``None`` -> ``km``) is written into the
  statistics metadata (the numbers were already in that unit), and the
  statistics of an entity that no longer has a state class, or no longer
  exists (moved to another platform, or removed), are cleared deliberately;
- automations and scripts that name one of this entry's enum sensors together
  with one of K's upper-case values (``UNLOCKED``, now ``unlocked``) are named
  in one repair notice.

Entities K showed on another platform are announced per entity by
:func:`async_report_moved` during the migration itself.
"""

from __future__ import annotations

from collections.abc import Iterable
import hashlib
import re
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED
from homeassistant.core import CoreState, Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir

from ..catalogue.descriptors import describe, enum_state
from ..const import DOMAIN, LOGGER
from ..data.coordinator import split_unique_id

if TYPE_CHECKING:
    from .registry import PlatformChange

CONF_K_FOLLOWUP: Final = "k_followup"
MOVED: Final = "k_platform_changed"
OLD_STATES: Final = "k_old_states"
_WORD: Final = re.compile(r"\b[A-Z][A-Z0-9]*(?:[_-][A-Z0-9]+)*\b")
_CLEARED_ISSUES: Final = frozenset(
    {"state_class_removed", "mean_type_changed", "no_state", "units_changed"}
)


def _suffix(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@callback
def async_report_moved(
    hass: HomeAssistant, entry_id: str, moved: Iterable[PlatformChange]
) -> None:
    """Tell the owner once per entity that moved to another platform."""
    for change in moved:
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"{MOVED}_{entry_id}_{_suffix(change.old_entity_id)}",
            is_fixable=False,
            is_persistent=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=MOVED,
            translation_placeholders={
                "old": change.old_entity_id,
                "new": change.new_entity_id,
            },
        )


@callback
def async_delete_followup_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Delete this entry's upgrade notices (the entry is being removed)."""
    prefixes = (f"{MOVED}_{entry_id}", f"{OLD_STATES}_{entry_id}")
    for domain, issue in list(ir.async_get(hass).issues):
        if domain == DOMAIN and issue.startswith(prefixes):
            ir.async_delete_issue(hass, DOMAIN, issue)


@callback
def async_schedule_followup(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Run the one-time checks once Home Assistant has started (if still due)."""
    pending = entry.data.get(CONF_K_FOLLOWUP)
    if not pending:
        return
    gone = list(pending.get("gone", ())) if isinstance(pending, dict) else []

    @callback
    def _start(_event: Event | None = None) -> None:
        entry.async_create_background_task(
            hass, async_run_followup(hass, entry, gone), f"{DOMAIN} upgrade checks"
        )

    if hass.state is CoreState.running:
        _start()
    else:
        entry.async_on_unload(
            hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STARTED, _start)
        )


async def async_run_followup(
    hass: HomeAssistant, entry: ConfigEntry, gone: list[str]
) -> None:
    """Fix the statistics, look at automations, then clear the flag."""
    registry = er.async_get(hass)
    ours = {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
    }
    try:
        await _async_fix_statistics(hass, ours, set(gone))
    except Exception as err:  # noqa: BLE001 - the owner can still fix it in the UI
        LOGGER.warning("Could not check the statistics after the upgrade: %r", err)
    _report_old_states(hass, entry, registry)
    data = {k: v for k, v in entry.data.items() if k != CONF_K_FOLLOWUP}
    hass.config_entries.async_update_entry(entry, data=data)


async def _async_fix_statistics(
    hass: HomeAssistant, ours: set[str], gone: set[str]
) -> None:
    if "recorder" not in hass.config.components:
        return
    from homeassistant.components.recorder.statistics import (  # noqa: PLC0415
        STATISTIC_UNIT_TO_UNIT_CONVERTER,
        async_update_statistics_metadata,
        validate_statistics,
    )
    from homeassistant.helpers.recorder import get_instance  # noqa: PLC0415

    instance = get_instance(hass)
    await instance.async_block_till_done()  # K's last statistics are written
    issues = await instance.async_add_executor_job(validate_statistics, hass)
    clear: list[str] = []
    for statistic_id, found in issues.items():
        if statistic_id not in ours and statistic_id not in gone:
            continue
        kinds = {issue.type for issue in found}
        units = [issue.data or {} for issue in found if issue.type == "units_changed"]
        if kinds == {"units_changed"} and statistic_id in ours:
            unit = units[0].get("state_unit")
            converter = STATISTIC_UNIT_TO_UNIT_CONVERTER.get(unit)
            async_update_statistics_metadata(
                hass,
                statistic_id,
                new_unit_of_measurement=unit,
                new_unit_class=converter.UNIT_CLASS if converter else None,
            )
            LOGGER.info("Statistics of %s now in %s", statistic_id, unit)
        elif kinds & _CLEARED_ISSUES:
            clear.append(statistic_id)
    if clear:
        instance.async_clear_statistics(clear)
        LOGGER.info(
            "Cleared the statistics of %d entities that no longer keep any: %s",
            len(clear),
            ", ".join(sorted(clear)),
        )


def _strings(node: Any) -> Iterable[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _strings(item)


def old_words(config: Any, options: Iterable[str]) -> set[str]:
    """Return K's upper-case spellings of ``options`` found in ``config``."""
    wanted = set(options)
    found: set[str] = set()
    for text in _strings(config):
        for word in _WORD.findall(text):
            if word != word.lower() and enum_state(word) in wanted:
                found.add(word)
    return found


def _report_old_states(
    hass: HomeAssistant, entry: ConfigEntry, registry: er.EntityRegistry
) -> None:
    enums: dict[str, tuple[str, ...]] = {}
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        parsed = split_unique_id(entity.unique_id)
        if entity.domain == "sensor" and parsed is not None:
            options = describe(parsed[1]).options
            if options:
                enums[entity.entity_id] = options
    names: set[str] = set()
    for kind in ("automation", "script"):
        component = hass.data.get(kind)
        if kind not in hass.config.components or component is None:
            continue
        for entity_id, options in enums.items():
            for user in _users(hass, kind, entity_id):
                entity = component.get_entity(user)
                config = getattr(entity, "raw_config", None)
                if config and old_words(config, options):
                    names.add(user)
    if not names:
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{OLD_STATES}_{entry.entry_id}",
        is_fixable=False,
        is_persistent=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=OLD_STATES,
        translation_placeholders={"names": ", ".join(sorted(names))},
    )


def _users(hass: HomeAssistant, kind: str, entity_id: str) -> list[str]:
    if kind == "automation":
        from homeassistant.components.automation import (  # noqa: PLC0415
            automations_with_entity,
        )

        return automations_with_entity(hass, entity_id)
    from homeassistant.components.script import scripts_with_entity  # noqa: PLC0415

    return scripts_with_entity(hass, entity_id)
