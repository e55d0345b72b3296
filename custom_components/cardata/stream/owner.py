"""Stream owner: runs one entry's MQTT stream inside Home Assistant.

Builds the client layer's :class:`CarDataStream` from the entry, runs it as an
entry-owned background task, hands every message to the coordinator and keeps
a mirror of the stream's state, last error and reconnect history for the
diagnostic entities and the diagnostics download.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.util.ssl import client_context, client_context_no_verify

from ..api import (
    CarDataStream,
    Endpoints,
    StreamConfig,
    StreamMessage,
    StreamState,
    StreamTls,
)
from ..common.listeners import Listeners
from ..common.settings import BrokerTls, custom_broker
from ..common.tasks import async_cancel
from ..const import DOMAIN, LOGGER

if TYPE_CHECKING:
    from ..auth.token_manager import TokenManager
    from ..data.coordinator import CarDataCoordinator

# Swap to a fresh id token this many seconds before the old one expires. Must
# stay below the token manager's refresh margin. The defaults of the
# constructor's arguments.
SWAP_MARGIN: float = 300.0
BACKOFF_MIN: float = 2.0
BACKOFF_MAX: float = 300.0
# Wait after our own disconnect (a swap): BMW's broker still holds the old
# session for a moment and refuses a reconnect meanwhile.
RECONNECT_PAUSE: float = 2.0
# How many of the latest messages diagnostics can show (redacted there).
RECENT_MESSAGES = 50


class StreamOwner:
    """Own the stream task of one config entry."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        endpoints: Endpoints,
        tokens: TokenManager,
        coordinator: CarDataCoordinator,
        *,
        swap_margin: float | None = None,
        backoff_min: float | None = None,
        backoff_max: float | None = None,
    ) -> None:
        """Prepare the stream; nothing connects before :meth:`async_start`.

        ``swap_margin``, ``backoff_min`` and ``backoff_max`` (seconds) replace
        :data:`SWAP_MARGIN`, :data:`BACKOFF_MIN` and :data:`BACKOFF_MAX`.
        """
        self._hass = hass
        self._entry = entry
        self._tokens = tokens
        self._coordinator = coordinator
        self.on_message: Callable[[StreamMessage], None] = (
            coordinator.async_apply_message
        )
        broker = custom_broker(entry.options)
        self.custom_broker = broker is not None
        """True when the stream reads from a custom broker (Settings), not BMW's."""
        config = (
            broker.stream_config(tokens.gcid)
            if broker is not None
            else StreamConfig.for_endpoints(endpoints, tokens.gcid)
        )
        self.config = replace(
            config,
            swap_margin=SWAP_MARGIN if swap_margin is None else swap_margin,
            backoff_min=BACKOFF_MIN if backoff_min is None else backoff_min,
            backoff_max=BACKOFF_MAX if backoff_max is None else backoff_max,
            reconnect_pause=RECONNECT_PAUSE,
        )
        # Home Assistant's shared verifying context: built once, no file
        # reads on the event loop. Custom CA and plain TCP build their own.
        ssl_context = client_context() if self.config.tls is StreamTls.VERIFY else None
        if broker is not None and broker.tls is BrokerTls.NO_VERIFY:
            ssl_context = client_context_no_verify()  # the owner's choice
        self.stream = CarDataStream(
            self.config,
            tokens,
            self._on_message,
            self._on_state,
            ssl_context=ssl_context,
        )
        self._task: asyncio.Task[None] | None = None
        self._listeners = Listeners()
        self._state = StreamState.STOPPED
        self._auth_failed = False
        self._lost_logged = False
        self._tls_warned: set[str] = set()
        self.messages_received = 0
        self.last_message_at: datetime | None = None
        self.recent_messages: deque[StreamMessage] = deque(maxlen=RECENT_MESSAGES)
        self.state_changed_at: datetime | None = None
        self._unsub_tokens = tokens.async_add_listener(self._on_tokens)

    # ----------------------------------------------------------------- state
    @property
    def state(self) -> StreamState:
        """Return the stream state (REFUSED once the login is gone)."""
        return StreamState.REFUSED if self._auth_failed else self._state

    @property
    def last_error(self) -> str | None:
        """Return the last reason the stream disconnected or failed."""
        if self._auth_failed:
            return "login expired"
        return self.stream.last_error

    @property
    def tls_reason(self) -> str | None:
        """Return why TLS failed since the last connection (no secrets), or None."""
        return self.stream.tls_reason

    @property
    def next_attempt(self) -> datetime | None:
        """Return when the stream tries again, while it waits."""
        if self.state is StreamState.WAITING_FOR_TOKEN and self._tokens.next_retry:
            return self._tokens.next_retry
        return self.stream.next_attempt

    @property
    def history(self) -> list[tuple[datetime, str]]:
        """Return the recent reconnect reasons, oldest first."""
        return list(self.stream.history)

    @property
    def running(self) -> bool:
        """Return True while the stream task runs."""
        return self._task is not None and not self._task.done()

    @callback
    def async_add_listener(self, update: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``update`` whenever the stream state changes."""
        return self._listeners.add(update)

    # ------------------------------------------------------------- callbacks
    @callback
    def _on_message(self, message: StreamMessage) -> None:
        self.messages_received += 1
        self.last_message_at = datetime.now(UTC)
        self.recent_messages.append(message)
        self.on_message(message)

    @callback
    def _on_state(self, state: StreamState) -> None:
        if state == self._state:
            return
        was_connected = self._state is StreamState.CONNECTED
        self._state = state
        self.state_changed_at = datetime.now(UTC)
        LOGGER.debug("Stream state: %s", state)
        # Log once when the live data stops and once when it is back; a
        # planned swap to a new id token is no loss (the stream logs it).
        if (
            was_connected
            and state is not StreamState.STOPPED
            and not self.stream.swapping
        ):
            self._lost_logged = True
            LOGGER.info("BMW CarData stream lost (%s); reconnecting", self.last_error)
        elif state is StreamState.CONNECTED and self._lost_logged:
            self._lost_logged = False
            LOGGER.info("BMW CarData stream is back")
        if state is StreamState.TLS_FAILED:
            self._warn_tls()
        elif state is StreamState.CONNECTED:
            self._tls_warned.clear()
        self._coordinator.async_set_stream_state(self.state)
        self._listeners.notify()

    def _warn_tls(self) -> None:
        """Log a TLS failure once per distinct reason until the stream connects."""
        reason = self.stream.tls_reason or "unknown reason"
        if reason in self._tls_warned:
            return
        self._tls_warned.add(reason)
        LOGGER.warning(
            "BMW CarData stream: TLS with %s:%s failed: %s. The stream retries; "
            "check the CA certificate under Configure > %s",
            self.config.host,
            self.config.port,
            reason,
            "Settings > Custom MQTT broker"
            if self.custom_broker
            else "Stream security",
        )

    @callback
    def _on_tokens(self) -> None:
        self.stream.notify_new_token()
        if self._tokens.auth_failed and not self._auth_failed:
            # No point reconnecting with a login BMW refused: stop until
            # the user logs in again (reauth reloads the entry).
            self._auth_failed = True
            self._on_state(StreamState.REFUSED)
            self._entry.async_create_background_task(
                self._hass, self.async_stop(), f"{DOMAIN} stream stop"
            )

    # ------------------------------------------------------------ life cycle
    @callback
    def async_start(self) -> None:
        """Start the stream as an entry-owned background task."""
        self._task = self._entry.async_create_background_task(
            self._hass, self._async_run(), f"{DOMAIN} stream"
        )

    async def _async_run(self) -> None:
        try:
            await self.stream.run()
        except ConfigEntryAuthFailed:
            self._auth_failed = True
            self._on_state(StreamState.REFUSED)

    @callback
    def async_request_reconnect(self) -> None:
        """Reconnect with a fresh id token (after a forced token refresh)."""
        self.stream.request_reconnect()

    async def async_stop(self) -> None:
        """Stop the stream; returns when its connection is closed."""
        self._unsub_tokens()
        task, self._task = self._task, None
        await async_cancel(task)
        if not self._auth_failed:
            self._on_state(StreamState.STOPPED)

    def diagnostics(self) -> dict[str, Any]:
        """Return non-secret facts about the stream for diagnostics."""
        return {
            "state": str(self.state),
            "last_error": self.last_error,
            "history": [(at.isoformat(), reason) for at, reason in self.history],
            "messages_received": self.messages_received,
            "last_message_at": self.last_message_at.isoformat()
            if self.last_message_at
            else None,
            "dropped": dict(self.stream.parser.dropped),
            "host": self.config.host,
            "port": self.config.port,
            "tls": str(self.config.tls),
            "swap_margin": self.config.swap_margin,
            "next_attempt": self.next_attempt.isoformat()
            if self.next_attempt
            else None,
        }
