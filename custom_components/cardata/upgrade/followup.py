"""One-time work after an upgrade from kvanbiesen/bmw-cardata-ha.

Runs once, after the first set-up of a migrated entry (its entities exist and
show their restored states), then clears the entry's flag:

- statistics: Home Assistant's own validation is run; for this entry's
  entities a unit the previous integration did not give (``None`` -> ``km``)
  is written into the statistics metadata (the numbers were already in that
  unit), and the statistics of an entity that no longer has a state class, or
  no longer exists (moved to another platform, or removed), are cleared
  deliberately;
- automations and scripts that name one of this entry's enum sensors together
  with one of the previous integration's upper-case values (``UNLOCKED``, now
  ``unlocked``) are named in one repair notice.

Entities the previous integration showed on another platform are announced
per entity by :func:`async_report_moved` during the migration itself.
"""

from __future__ import annotations

from collections.abc import Iterable
import hashlib
import re
from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_RECORDER_5MIN_STATISTICS_GENERATED
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.entity_component import EntityComponent
from homeassistant.helpers.start import async_at_started
from homeassistant.helpers.typing import ConfigType

from ..catalogue.descriptors import describe, enum_state
from ..const import CONF_TAKEOVER_FOLLOWUP, DOMAIN, LOGGER
from ..data.state import split_unique_id

if TYPE_CHECKING:
    from .registry import PlatformChange

__all__ = [
    "CONF_TAKEOVER_FOLLOWUP",
    "MOVED",
    "OLD_STATES",
    "async_delete_followup_issues",
    "async_report_moved",
    "async_run_followup",
    "async_schedule_followup",
    "old_words",
]

MOVED: Final = "takeover_platform_changed"
OLD_STATES: Final = "takeover_old_states"
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
    """Run the one-time checks once the recorder has compiled (if still due).

    With the recorder, the checks wait for its next five-minute statistics
    run after Home Assistant has started: that run still compiles the other
    integration's last minutes, and checked before it, its statistics issues
    would come back right after. Until it runs the flag stays, so a stop
    before it runs the checks at the next start.
    """
    pending = entry.data.get(CONF_TAKEOVER_FOLLOWUP)
    if not pending:
        return
    gone = list(pending.get("gone", ())) if isinstance(pending, dict) else []
    # Removers of what still waits; each removes itself once it fired, so the
    # unload never removes a listener that is gone (Home Assistant logs an
    # error for that).
    waiting: dict[str, CALLBACK_TYPE] = {}

    @callback
    def _run() -> None:
        entry.async_create_background_task(
            hass, async_run_followup(hass, entry, gone), f"{DOMAIN} upgrade checks"
        )

    @callback
    def _compiled(_event: Event) -> None:
        if (remove := waiting.pop("compiled", None)) is not None:
            remove()
            _run()

    @callback
    def _started(_hass: HomeAssistant) -> None:
        waiting.pop("started", None)
        if "recorder" not in hass.config.components:
            _run()
            return
        waiting["compiled"] = hass.bus.async_listen(
            EVENT_RECORDER_5MIN_STATISTICS_GENERATED, _compiled
        )

    @callback
    def _unload() -> None:
        for remove in waiting.values():
            remove()
        waiting.clear()

    entry.async_on_unload(_unload)
    waiting["started"] = async_at_started(hass, _started)


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
    data = {k: v for k, v in entry.data.items() if k != CONF_TAKEOVER_FOLLOWUP}
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
    await instance.async_block_till_done()  # the last statistics are written
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


def _strings(node: object) -> Iterable[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _strings(item)


def old_words(config: object, options: Iterable[str]) -> set[str]:
    """Return the previous integration's capitalised ``options`` in ``config``."""
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
    names = {
        user
        for entity_id, options in enums.items()
        for user, config in _user_configs(hass, entity_id)
        if old_words(config, options)
    }
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


def _user_configs(hass: HomeAssistant, entity_id: str) -> list[tuple[str, ConfigType]]:
    """Return (entity id, configuration) of automations and scripts naming it."""
    found: list[tuple[str, ConfigType]] = []
    if "automation" in hass.config.components:
        from homeassistant.components.automation import (  # noqa: PLC0415
            DATA_COMPONENT,
            automations_with_entity,
        )

        if (automations := hass.data.get(DATA_COMPONENT)) is not None:
            for user in automations_with_entity(hass, entity_id):
                automation = automations.get_entity(user)
                if automation is not None and automation.raw_config:
                    found.append((user, automation.raw_config))
    if "script" in hass.config.components:
        from homeassistant.components.script import (  # noqa: PLC0415
            BaseScriptEntity,
            scripts_with_entity,
        )

        scripts: EntityComponent[BaseScriptEntity] | None = hass.data.get("script")
        if scripts is not None:
            for user in scripts_with_entity(hass, entity_id):
                script = scripts.get_entity(user)
                if script is not None and script.raw_config:
                    found.append((user, script.raw_config))
    return found
