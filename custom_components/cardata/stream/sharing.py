"""Share the one BMW stream with the rest of the house over Home Assistant's MQTT.

BMW allows one stream connection per account. When the owner switches the
option on and Home Assistant's MQTT integration is set up, BMW's messages are
republished through it on ``<prefix><VIN>`` (the layout of
kvanbiesen/bmw-cardata-ha and of the bridges, so evcc, ioBroker, Node-RED or a
second Home Assistant can read it), as BMW sent them except that the account
id (``entityId``) is left out. Optionally each descriptor's value also goes,
retained, to ``<prefix><VIN>/<descriptor>`` for simple consumers.

Only what the entities accept is shared: the publisher follows the
coordinator (:meth:`CarDataCoordinator.async_add_accepted_listener`), which
gets only the messages the VIN gate lets through (the account's own primary
vehicles; a held message once BMW confirms its car) and names the
descriptors whose values passed its checks. A message goes out with those
descriptors only, and not at all when none passed.

The coordinator only hands a message over (a bounded queue, oldest dropped
when full); a background task of the entry publishes, so a slow or absent
broker never holds the stream up. Nothing is published while the MQTT
integration is not loaded. Tokens, the client id and the account id never
reach a topic.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Collection
import json
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError

from ..api.parser import descriptor_name
from ..common.settings import Sharing
from ..common.tasks import async_cancel
from ..const import DOMAIN, LOGGER

if TYPE_CHECKING:
    from ..api import StreamMessage
    from ..data.coordinator import CarDataCoordinator

MQTT_DOMAIN: Final = "mqtt"
QUEUE_LIMIT: Final = 10_000
"""Messages held while the broker is slow; the oldest go first beyond it."""
YIELD_EVERY: Final = 20
"""Publishes between two turns given back to the event loop."""
_DROPPED_KEYS: Final = ("entityId",)


def shared_payload(
    payload: bytes, vin: str, keep: Collection[str] | None = None
) -> bytes | None:
    """Return BMW's message without the account id, or None if not JSON.

    With ``keep``, ``data`` holds only those descriptors (named as the parser
    names them); the rest of the message stays as BMW sent it.
    """
    try:
        document = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    for key in _DROPPED_KEYS:
        document.pop(key, None)
    topic = document.get("topic")
    if isinstance(topic, str) and topic != vin and "/" in topic:
        document["topic"] = vin  # "<GCID>/<VIN>" would name the account
    data = document.get("data")
    if keep is not None and isinstance(data, dict):
        document["data"] = {
            name: entry
            for raw_name, entry in data.items()
            if (name := descriptor_name(raw_name)) in keep
        }
    return json.dumps(document, separators=(",", ":")).encode()


def descriptor_payload(value: Any) -> str:
    """Return a descriptor's value as plain text (numbers, true/false, words)."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


class StreamSharing:
    """Republishes one entry's stream through Home Assistant's MQTT."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        settings: Sharing,
        coordinator: CarDataCoordinator,
    ) -> None:
        """Prepare; nothing is published before :meth:`async_start`."""
        self._hass = hass
        self._entry = entry
        self.settings = settings
        self._coordinator = coordinator
        self._queue: deque[tuple[StreamMessage, tuple[str, ...]]] = deque(
            maxlen=QUEUE_LIMIT
        )
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsub: CALLBACK_TYPE | None = None
        self._failed_logged = False
        self.offered = 0
        self.handled = 0
        """Messages taken from the queue (published, failed or not usable)."""
        self.published = 0
        self.dropped = 0
        self.failed = 0

    @property
    def mqtt_loaded(self) -> bool:
        """Return whether Home Assistant's MQTT integration is set up."""
        return bool(self._hass.config_entries.async_loaded_entries(MQTT_DOMAIN))

    @callback
    def async_start(self) -> None:
        """Follow the coordinator; publish from an entry-owned background task."""
        self._task = self._entry.async_create_background_task(
            self._hass, self._run(), f"{DOMAIN} stream sharing"
        )
        self._unsub = self._coordinator.async_add_accepted_listener(self.offer)

    async def async_stop(self) -> None:
        """Stop publishing (the entry's unload also cancels the task)."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
        task, self._task = self._task, None
        self._queue.clear()
        await async_cancel(task)

    @callback
    def offer(self, message: StreamMessage, accepted: tuple[str, ...]) -> None:
        """Take a message with its accepted descriptors (never blocks)."""
        if self._task is None or not self.mqtt_loaded:
            return
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append((message, accepted))
        self.offered += 1
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                message, accepted = self._queue.popleft()
                await self._publish(message, accepted)
                self.handled += 1
                if not self.handled % YIELD_EVERY:
                    await asyncio.sleep(0)  # let the stream and others run

    async def _publish(self, message: StreamMessage, accepted: tuple[str, ...]) -> None:
        from homeassistant.components import mqtt  # noqa: PLC0415 - optional

        # Not "all of the message's data": the parser may have dropped some.
        shared = shared_payload(message.payload, message.vin, frozenset(accepted))
        if shared is None or not self.mqtt_loaded:
            return
        topic = f"{self.settings.prefix}{message.vin}"
        try:
            await mqtt.async_publish(self._hass, topic, shared)
            if self.settings.per_descriptor:
                for name in accepted:
                    await mqtt.async_publish(
                        self._hass,
                        f"{topic}/{name}",
                        descriptor_payload(message.data[name].value),
                        retain=True,
                    )
        except HomeAssistantError as err:
            self.failed += 1
            if not self._failed_logged:
                self._failed_logged = True
                LOGGER.warning("Cannot share the stream over MQTT: %s", err)
            return
        self.published += 1
        self._failed_logged = False

    def diagnostics(self) -> dict[str, Any]:
        """Return counters for the diagnostics download (no topics, no VINs)."""
        return {
            "mqtt_loaded": self.mqtt_loaded,
            "per_descriptor": self.settings.per_descriptor,
            "offered": self.offered,
            "handled": self.handled,
            "published": self.published,
            "dropped": self.dropped,
            "failed": self.failed,
        }
