"""The Settings form's broker sections: where the stream comes from, and sharing.

Which broker the stream reads from, and whether it is shared on Home
Assistant's MQTT broker.

One place sets the broker of the stream: BMW's (the set-up's Connection
section says where BMW is) unless "Use a custom broker" is on here. The form
shows only values in force: a switched-off custom broker leaves nothing
behind, and the form says which broker is in use now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from ..api import Endpoints
from ..common.schema import number_box, vol
from ..common.settings import (
    DEFAULT_BROKER_PORT,
    DEFAULT_TOPIC_PREFIX,
    OPT_BROKER_CA_FILE,
    OPT_BROKER_ENABLED,
    OPT_BROKER_HOST,
    OPT_BROKER_LAYOUT,
    OPT_BROKER_PASSWORD,
    OPT_BROKER_PORT,
    OPT_BROKER_TLS,
    OPT_BROKER_TOPIC_PREFIX,
    OPT_BROKER_USERNAME,
    OPT_SHARE_DESCRIPTORS,
    OPT_SHARE_PREFIX,
    OPT_SHARE_STREAM,
    BrokerTls,
    TopicLayout,
    custom_broker,
)

BROKER = "broker"
SHARING = "sharing"
_BROKER_KEYS = (
    OPT_BROKER_ENABLED,
    OPT_BROKER_HOST,
    OPT_BROKER_PORT,
    OPT_BROKER_TLS,
    OPT_BROKER_CA_FILE,
    OPT_BROKER_USERNAME,
    OPT_BROKER_PASSWORD,
    OPT_BROKER_TOPIC_PREFIX,
    OPT_BROKER_LAYOUT,
)
_SHARING_KEYS = (OPT_SHARE_STREAM, OPT_SHARE_PREFIX, OPT_SHARE_DESCRIPTORS)


def _select(options: list[str], key: str) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=options,
            translation_key=key,
            mode=SelectSelectorMode.DROPDOWN,
        )
    )


def _suggested(options: dict[str, Any], key: str) -> dict[str, Any]:
    return {"suggested_value": options.get(key)}


def broker_schema(options: dict[str, Any]) -> vol.Schema:
    """The custom broker's fields, filled only with what is in force."""
    text = TextSelector()
    shown = options if options.get(OPT_BROKER_ENABLED) else {}
    return vol.Schema(
        {
            vol.Optional(
                OPT_BROKER_ENABLED, default=bool(options.get(OPT_BROKER_ENABLED))
            ): BooleanSelector(),
            vol.Optional(
                OPT_BROKER_HOST, description=_suggested(shown, OPT_BROKER_HOST)
            ): text,
            vol.Optional(
                OPT_BROKER_PORT, description=_suggested(shown, OPT_BROKER_PORT)
            ): number_box(1, 65535),
            vol.Optional(
                OPT_BROKER_TLS, description=_suggested(shown, OPT_BROKER_TLS)
            ): _select([tls.value for tls in BrokerTls], "broker_tls"),
            vol.Optional(
                OPT_BROKER_CA_FILE, description=_suggested(shown, OPT_BROKER_CA_FILE)
            ): text,
            vol.Optional(
                OPT_BROKER_USERNAME, description=_suggested(shown, OPT_BROKER_USERNAME)
            ): text,
            vol.Optional(
                OPT_BROKER_PASSWORD, description=_suggested(shown, OPT_BROKER_PASSWORD)
            ): TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD)),
            vol.Optional(
                OPT_BROKER_LAYOUT, description=_suggested(shown, OPT_BROKER_LAYOUT)
            ): _select([layout.value for layout in TopicLayout], "broker_topic_layout"),
            vol.Optional(
                OPT_BROKER_TOPIC_PREFIX,
                description=_suggested(shown, OPT_BROKER_TOPIC_PREFIX),
            ): text,
        }
    )


def sharing_schema(options: dict[str, Any]) -> vol.Schema:
    """The fields of sharing the stream on Home Assistant's MQTT broker."""
    return vol.Schema(
        {
            vol.Optional(
                OPT_SHARE_STREAM, default=options.get(OPT_SHARE_STREAM, False)
            ): BooleanSelector(),
            vol.Optional(
                OPT_SHARE_PREFIX,
                default=options.get(OPT_SHARE_PREFIX) or DEFAULT_TOPIC_PREFIX,
            ): TextSelector(),
            vol.Optional(
                OPT_SHARE_DESCRIPTORS, default=options.get(OPT_SHARE_DESCRIPTORS, False)
            ): BooleanSelector(),
        }
    )


def merge_settings(
    previous: dict[str, Any], user_input: dict[str, Any]
) -> dict[str, Any]:
    """Return the options for a submitted Settings form.

    A switched-off custom broker leaves nothing behind, so the form never
    shows broker values that are not in force; options of other features
    (taken over from the previous integration) are kept.
    """
    merged = {
        k: v
        for k, v in previous.items()
        if k not in _BROKER_KEYS and k not in _SHARING_KEYS
    }
    merged.update({k: v for k, v in user_input.items() if k not in (BROKER, SHARING)})
    broker = user_input.get(BROKER) or {}
    if broker.get(OPT_BROKER_ENABLED):
        merged.update(
            {k: broker[k] for k in _BROKER_KEYS if broker.get(k) not in (None, "")}
        )
        merged.setdefault(OPT_BROKER_PORT, DEFAULT_BROKER_PORT)
        merged.setdefault(OPT_BROKER_TLS, BrokerTls.VERIFY.value)
        merged.setdefault(OPT_BROKER_LAYOUT, TopicLayout.BRIDGE.value)
        merged.setdefault(OPT_BROKER_TOPIC_PREFIX, DEFAULT_TOPIC_PREFIX)
    sharing = user_input.get(SHARING) or {}
    merged.update({k: sharing[k] for k in _SHARING_KEYS if k in sharing})
    return merged


def in_force(entry_data: Mapping[str, Any], options: Mapping[str, Any]) -> str:
    """Say which broker the stream reads from now (shown on the Settings form)."""
    if (broker := custom_broker(options)) is not None:
        return f"{broker.host}:{broker.port}, {broker.topic('<account>')}"
    endpoints = Endpoints.from_dict(entry_data)
    return f"BMW, {endpoints.stream_host}:{endpoints.stream_port}"
