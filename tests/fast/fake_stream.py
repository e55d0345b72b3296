"""A stand-in for BMW's MQTT stream: no socket, the same interface.

The integration builds its stream client (``CarDataStream``) in the stream
owner; the fast tier hands it :class:`FakeStream` there instead. It takes the
id token as the real one does (so tokens that are due would show up as a
refresh call, which ``aioclient_mock`` refuses), "connects" at once, and
delivers what a test publishes through the integration's own message parser,
as BMW's broker would on ``<GCID>/<VIN>``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
import json
import ssl
from typing import Any

from custom_components.cardata.api import (
    IdTokenProvider,
    MessageParser,
    StreamConfig,
    StreamMessage,
    StreamState,
)


class FakeBroker:
    """Holds the fake streams of a test and publishes to the connected ones."""

    def __init__(self) -> None:
        """Start with no stream."""
        self.streams: list[FakeStream] = []

    def stream(self, *args: Any, **kwargs: Any) -> FakeStream:
        """Build a stream as the stream owner builds ``CarDataStream``."""
        fake = FakeStream(*args, **kwargs)
        self.streams.append(fake)
        return fake

    @property
    def connected(self) -> list[FakeStream]:
        """The streams connected now."""
        return [s for s in self.streams if s.state is StreamState.CONNECTED]

    def publish(
        self,
        gcid: str,
        vin: str,
        values: Mapping[str, Any],
        timestamp: datetime,
        units: Mapping[str, str] | None = None,
    ) -> int:
        """Send one message in BMW's shape on ``<GCID>/<VIN>``; return deliveries."""
        stamp = timestamp.isoformat().replace("+00:00", "Z")
        data = {
            name: {
                "value": value,
                "timestamp": stamp,
                **({"unit": units[name]} if units and name in units else {}),
            }
            for name, value in values.items()
        }
        payload = json.dumps(
            {
                "vin": vin,
                "entityId": gcid,
                "topic": vin,
                "timestamp": stamp,
                "data": data,
            }
        ).encode()
        receivers = [s for s in self.connected if s.config.username == gcid]
        for stream in receivers:
            stream.deliver(f"{gcid}/{vin}", payload)
        return len(receivers)


class FakeStream:
    """Duck-typed ``CarDataStream``: connected until cancelled, no network."""

    def __init__(
        self,
        config: StreamConfig,
        tokens: IdTokenProvider,
        on_message: Callable[[StreamMessage], None],
        on_state: Callable[[StreamState], None] | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """Prepare; nothing happens before :meth:`run`."""
        self.config = config
        self.tokens = tokens
        self.on_message = on_message
        self.on_state = on_state
        self.parser = MessageParser()
        self.history: deque[tuple[datetime, str]] = deque(maxlen=20)
        self.last_error: str | None = None
        self.next_attempt: datetime | None = None
        self.swapping = False
        self.messages = 0
        self.last_message_at: datetime | None = None
        self.on_payload: Callable[[StreamMessage, bytes], None] | None = None
        self.state = StreamState.STOPPED
        self.reconnects = 0

    def set_state(self, state: StreamState) -> None:
        """Change the state and tell the owner, as the real stream does."""
        if state is self.state:
            return
        self.state = state
        if self.on_state is not None:
            self.on_state(state)

    async def run(self) -> None:
        """Take the id token, connect, and stay connected until cancelled."""
        self.set_state(StreamState.CONNECTING)
        await self.tokens.async_get_id_token()
        self.history.append((datetime.now(UTC), "connected"))
        self.set_state(StreamState.CONNECTED)
        try:
            await asyncio.Event().wait()
        finally:
            self.set_state(StreamState.STOPPED)

    def request_reconnect(self) -> None:
        """Count a reconnect the owner asked for (it stays connected)."""
        self.reconnects += 1

    def notify_new_token(self) -> None:
        """Nothing to swap: the fake's session never expires."""

    def deliver(self, topic: str, payload: bytes) -> None:
        """Parse a payload as the real stream does and hand it to the owner."""
        message = self.parser.parse(payload, topic)
        if message is None:
            return
        self.messages += 1
        self.last_message_at = datetime.now(UTC)
        self.on_message(message)
        if self.on_payload is not None:
            self.on_payload(message, payload)
