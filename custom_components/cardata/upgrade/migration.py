"""In-place upgrade of kvanbiesen/bmw-cardata-ha config entries.

Its entries are VERSION 1 with the client id as unique id and the token
answer stored flat in the entry data. They become ours (VERSION 2, unique id
the GCID, tokens as a TokenSet) without a new login. Entity unique ids
``{VIN}_{descriptor}``, the tracker's ``{VIN}_device_tracker`` and device
identifiers ``(cardata, VIN)`` are the same in both integrations and stay
untouched, so the entities (entity ids, history) are adopted as they are.

Its sensors saved their last state as a plain state; ours read such a state
back through the catalogue when no sensor data was saved (see sensor.py), so
the adopted sensors show their last value until the car speaks.

Its options that mean something here are carried over (see
:func:`convert_previous_options`; the README lists the dropped ones and why), its
other entities are mapped or removed (:mod:`.registry`), and as it kept no
count of the day's API calls, the day's budget starts from a conservative
estimate of what it spent. What needs the running entry (statistics
metadata, notices about automations) is done once after the first set-up
(:mod:`.followup`).

Version 2.1 named the previous integration by a letter in the entry key that
holds the takeover's follow-up and in the ids of its repair notices; version
2.2 renames both (:func:`_async_rename_takeover_keys`), and a notice the owner
dismissed stays dismissed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
import math
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.storage import Store

from ..api import PRODUCTION, TokenSet, normalize_client_id
from ..catalogue.descriptors import describe
from ..common.settings import (
    DEFAULT_TOPIC_PREFIX,
    OPT_BROKER_ENABLED,
    OPT_BROKER_HOST,
    OPT_BROKER_LAYOUT,
    OPT_BROKER_PASSWORD,
    OPT_BROKER_PORT,
    OPT_BROKER_TLS,
    OPT_BROKER_TOPIC_PREFIX,
    OPT_BROKER_USERNAME,
    OPT_CHARGING_HISTORY,
    OPT_END_POLLS,
    OPT_TYRE_DIAGNOSIS,
    BrokerTls,
    TopicLayout,
)
from ..const import (
    CONF_CLIENT_ID,
    CONF_CONTAINER_ID,
    CONF_GCID,
    CONF_TAKEOVER_SHORT_HISTORY,
    CONF_TOKENS,
    DEFAULT_TITLE,
    DOMAIN,
    LOGGER,
)
from ..data.state import split_unique_id
from ..rest.quota import STORAGE_VERSION as QUOTA_STORAGE_VERSION, storage_key
from ..rest.quota_policy import CallKind, LoggedCall, start_of_day
from .followup import CONF_TAKEOVER_FOLLOWUP, MOVED, OLD_STATES, async_report_moved
from .learning import async_carry_learning
from .registry import async_rewrite_registry

TARGET_VERSION = 2
RENAMED_KEYS_MINOR_VERSION: Final = 2
"""From this minor version on, the takeover's keys and notices have new names."""
DEFAULTS_MINOR_VERSION: Final = 3
"""From this minor version on, entities the integration had disabled follow
its current defaults (the check-control messages are shown by default)."""

#: Entry keys (data and options) of version 2.1 -> their names since 2.2.
_KEYS_RENAMED_IN_2_2: Final = {"k_followup": CONF_TAKEOVER_FOLLOWUP}
#: Repair issue ids (prefixes) and translation keys of 2.1 -> since 2.2.
_ISSUES_RENAMED_IN_2_2: Final = {
    "k_platform_changed": MOVED,
    "k_old_states": OLD_STATES,
}

_PREVIOUS_CONTAINER_KEY = "hv_container_id"
_PREVIOUS_TOKEN_KEYS = ("access_token", "refresh_token", "id_token")

#: The previous integration's option -> ours, for those taken over as they are.
_PREVIOUS_SAME_OPTIONS: Final = {
    "custom_mqtt_enabled": OPT_BROKER_ENABLED,
    "custom_mqtt_host": OPT_BROKER_HOST,
    "custom_mqtt_port": OPT_BROKER_PORT,
    "custom_mqtt_username": OPT_BROKER_USERNAME,
    "custom_mqtt_password": OPT_BROKER_PASSWORD,
    "enable_charging_history": OPT_CHARGING_HISTORY,
    "enable_tyre_diagnosis": OPT_TYRE_DIAGNOSIS,
}
_PREVIOUS_TLS: Final = {
    "off": BrokerTls.NONE,
    "tls": BrokerTls.VERIFY,
    "tls_insecure": BrokerTls.NO_VERIFY,
}
#: Its options with no meaning here (why: README, "Coming from ...").
PREVIOUS_DROPPED_OPTIONS: Final = (
    "mqtt_keepalive",
    "debug_log",
    "diagnostic_log_interval",
    "enable_magic_soc",
    "enable_external_power_injection",
    # Our polls after a trip or charge wait five minutes for the car and are
    # limited per day (Settings: polls after a charge or trip ends).
    "trip_poll_cooldown_minutes",
)
PREVIOUS_DAILY_CALLS: Final = 30
"""What the previous integration could spend in a day (24 polls, trip ends,
extras): the estimate."""


def convert_previous_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Return our options for the previous one's (unknown or dropped ones left out)."""
    new: dict[str, Any] = {
        ours: options[theirs]
        for theirs, ours in _PREVIOUS_SAME_OPTIONS.items()
        if theirs in options and options[theirs] is not None
    }
    if options.get("enable_trip_end_polling") is False:
        # Its trip-end polling off: ours too (0 polls after a trip or charge).
        new[OPT_END_POLLS] = 0
    if "custom_mqtt_tls" in options:
        new[OPT_BROKER_TLS] = _PREVIOUS_TLS.get(
            str(options["custom_mqtt_tls"]), BrokerTls.VERIFY
        ).value
    if new.get(OPT_BROKER_ENABLED) is True:
        new.setdefault(OPT_BROKER_PORT, 1883)  # the previous integration's default
        new.setdefault(OPT_BROKER_TLS, BrokerTls.NONE.value)  # its default "off"
        prefix = options.get("custom_mqtt_topic_prefix")
        new[OPT_BROKER_TOPIC_PREFIX] = (
            prefix if isinstance(prefix, str) else DEFAULT_TOPIC_PREFIX
        )
        new[OPT_BROKER_LAYOUT] = TopicLayout.BRIDGE.value
    return new


def _previous_day_estimate(now: datetime) -> list[dict[str, Any]]:
    """Calls the previous integration may have made today, midnight UTC to now."""
    start = start_of_day(now)
    elapsed = (now - start).total_seconds()
    count = max(1, math.ceil(PREVIOUS_DAILY_CALLS * elapsed / 86400))
    step = elapsed / count
    return [
        LoggedCall(
            at=start + timedelta(seconds=step * (i + 0.5)),
            endpoint="previous integration (estimate)",
            vin=None,
            outcome="ok",
            kind=CallKind.OTHER,
        ).to_dict()
        for i in range(count)
    ]


async def _async_seed_quota(hass: HomeAssistant, gcid: str) -> None:
    """Start today's budget with the previous one's estimated calls (if no log)."""
    store: Store[dict[str, Any]] = Store(
        hass, QUOTA_STORAGE_VERSION, storage_key(gcid), private=True
    )
    if await store.async_load() is not None:
        return
    await store.async_save({"calls": _previous_day_estimate(datetime.now(UTC))})


def _expires_at(data: Mapping[str, Any]) -> datetime:
    """Return when the stored access/id token expires (epoch if unknown)."""
    try:
        received = float(data["received_at"])
        lifetime = float(data["expires_in"])
    except KeyError, TypeError, ValueError:
        # Unknown: treat as expired, the token manager refreshes at set-up.
        return datetime.fromtimestamp(0, UTC)
    return datetime.fromtimestamp(received, UTC) + timedelta(seconds=lifetime)


def convert_v1_data(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return our entry data for the previous one's, or None if it cannot be used."""
    gcid = data.get("gcid")
    client_id = data.get("client_id")
    if not isinstance(gcid, str) or not gcid or not isinstance(client_id, str):
        return None
    if not all(isinstance(data.get(key), str) for key in _PREVIOUS_TOKEN_KEYS):
        return None
    tokens = TokenSet(
        access_token=data["access_token"],
        id_token=data["id_token"],
        refresh_token=data["refresh_token"],
        expires_at=_expires_at(data),
        scope=str(data.get("scope") or ""),
        gcid=gcid,
        token_type=str(data.get("token_type") or "Bearer"),
    )
    new: dict[str, Any] = {
        CONF_CLIENT_ID: normalize_client_id(client_id),
        CONF_GCID: gcid,
        CONF_TOKENS: tokens.to_dict(),
        **PRODUCTION.to_dict(),
    }
    container = data.get(_PREVIOUS_CONTAINER_KEY)
    if isinstance(container, str) and container:
        new[CONF_CONTAINER_ID] = container
    return new


def _friendly_title(entry: ConfigEntry, data: Mapping[str, Any]) -> str:
    """Keep the title unless it shows the client id or the GCID."""
    secrets = [str(data.get(key) or "") for key in ("client_id", "gcid")]
    title = entry.title or DEFAULT_TITLE
    if any(secret and secret.lower() in title.lower() for secret in secrets):
        return DEFAULT_TITLE
    return title


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Migrate an entry to the current version; False if it cannot be."""
    if entry.version > TARGET_VERSION:
        # Written by a newer version of this integration: leave it alone.
        return False
    if entry.version < TARGET_VERSION:
        if not await _async_take_over(hass, entry):
            return False
    elif entry.minor_version < RENAMED_KEYS_MINOR_VERSION:
        _async_rename_takeover_keys(hass, entry)
    if entry.minor_version < DEFAULTS_MINOR_VERSION:
        _async_follow_defaults(hass, entry)
    return True


@callback
def _async_follow_defaults(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Version 2.2 -> 2.3: integration-disabled entities follow today's defaults.

    An entity the integration (not the owner) had disabled is enabled when
    its descriptor is now shown by default. Home Assistant applies a
    description's default only when it first registers an entity, so without
    this an owner who set up an earlier version (or whose entities were taken
    over) would never see, say, the check-control messages. The owner's own
    choice is never touched.
    """
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if (
            entity.disabled_by is er.RegistryEntryDisabler.INTEGRATION
            and (parsed := split_unique_id(entity.unique_id)) is not None
            and describe(parsed[1]).enabled_default
        ):
            registry.async_update_entity(entity.entity_id, disabled_by=None)
    hass.config_entries.async_update_entry(entry, minor_version=DEFAULTS_MINOR_VERSION)


def _renamed(stored: Mapping[str, Any]) -> dict[str, Any]:
    return {_KEYS_RENAMED_IN_2_2.get(key, key): value for key, value in stored.items()}


@callback
def _async_rename_takeover_keys(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Version 2.1 -> 2.2: the takeover's entry keys and notices, new names.

    The values are kept as they are: a follow-up still due runs after this
    set-up as it would have. The notices are persistent, so the registry has
    them whole: each is raised again under its new id with its texts'
    placeholders, and stays dismissed if the owner had dismissed it.
    """
    hass.config_entries.async_update_entry(
        entry,
        data=_renamed(entry.data),
        options=_renamed(entry.options),
        minor_version=RENAMED_KEYS_MINOR_VERSION,
    )
    for (domain, issue_id), issue in list(ir.async_get(hass).issues.items()):
        if domain != DOMAIN:
            continue
        for old, new in _ISSUES_RENAMED_IN_2_2.items():
            if issue_id.startswith(f"{old}_{entry.entry_id}"):
                new_id = new + issue_id.removeprefix(old)
                _async_raise_again(hass, issue, new_id, translation_key=new)


@callback
def _async_raise_again(
    hass: HomeAssistant, issue: ir.IssueEntry, new_id: str, *, translation_key: str
) -> None:
    """Raise ``issue`` again under ``new_id``, then delete it under its old id."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        new_id,
        is_fixable=False,
        is_persistent=True,
        severity=issue.severity or ir.IssueSeverity.WARNING,
        translation_key=translation_key,
        translation_placeholders=issue.translation_placeholders,
    )
    if issue.dismissed_version is not None:
        ir.async_ignore_issue(hass, DOMAIN, new_id, ignore=True)
    ir.async_delete_issue(hass, DOMAIN, issue.issue_id)


async def _async_take_over(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Make an entry of kvanbiesen/bmw-cardata-ha (VERSION 1) ours."""
    new = convert_v1_data(entry.data)
    if new is None:
        LOGGER.error(
            "Cannot take over this entry of the previous integration (no usable"
            " tokens); remove it and add BMW CarData again"
        )
        return False
    gcid = new[CONF_GCID]
    for other in hass.config_entries.async_entries(DOMAIN):
        if other.entry_id != entry.entry_id and other.unique_id == gcid:
            LOGGER.error(
                "This account is already set up in another entry; remove the"
                " old entry of the previous integration"
            )
            return False
    options = convert_previous_options(entry.options)
    result = async_rewrite_registry(hass, entry)
    options.update(dict.fromkeys(result.options_on, True))
    await _async_seed_quota(hass, gcid)
    await async_carry_learning(hass, entry.entry_id)
    async_report_moved(hass, entry.entry_id, result.moved)
    gone = [*result.removed, *(change.old_entity_id for change in result.moved)]
    new[CONF_TAKEOVER_FOLLOWUP] = {"gone": gone}
    new[CONF_TAKEOVER_SHORT_HISTORY] = datetime.now(UTC).date().isoformat()
    hass.config_entries.async_update_entry(
        entry,
        data=new,
        options=options,
        title=_friendly_title(entry, entry.data),
        unique_id=gcid,
        version=TARGET_VERSION,
        minor_version=RENAMED_KEYS_MINOR_VERSION,
    )
    LOGGER.info("Took over the entry of the previous integration (no new login)")
    return True
