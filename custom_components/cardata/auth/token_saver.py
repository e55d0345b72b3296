"""Saving the tokens in use to the token file, retried until it works.

The token manager (:mod:`.token_manager`) hands every rotated set here right
after it took it into memory. A failed write never raises: the tokens stay
in use, the write is retried after 30 s, 1, 2, 4 and 8 min and then every
10 min, and a repair issue (``token_not_saved``) says why until a write works.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from ..api import TokenSet
from ..common.issues import async_report_token_not_saved
from ..const import DOMAIN, LOGGER
from .token_file import SavedTokens, TokenFile

SAVE_RETRY_FIRST: Final = 30.0
SAVE_RETRY_MAX: Final = 600.0


class TokenSaver:
    """Writes one entry's tokens in use to its token file (see the module)."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client_id: str,
        current: Callable[[], TokenSet],
    ) -> None:
        """Save what ``current`` returns: the tokens in use at write time."""
        self._hass = hass
        self._entry = entry
        self._client_id = client_id
        self._current = current
        self._file = TokenFile(hass, entry.entry_id)
        # The refresh token of the set known to be in the token file.
        self._saved_refresh: str | None = None
        self._lock = asyncio.Lock()
        self._failures = 0
        self._cancel_retry: CALLBACK_TYPE | None = None
        self._stopped = False
        self.error: str | None = None
        """Why the last write failed (None once saved)."""
        self.next_save: datetime | None = None
        """When the next try is due (None when nothing waits)."""

    @property
    def saved(self) -> bool:
        """Return whether the tokens in use are in the token file."""
        return self._saved_refresh == self._current().refresh_token

    async def async_load(self) -> SavedTokens | None:
        """Read the token file (None when there is none or it is unreadable)."""
        return await self._file.async_load()

    def mark_saved(self, tokens: TokenSet) -> None:
        """``tokens`` are the ones in the token file (read at set-up)."""
        self._saved_refresh = tokens.refresh_token

    async def async_save(self) -> None:
        """Write the tokens in use to the token file, or schedule a retry.

        Never raises for a failed write: the tokens stay in use from memory.
        """
        async with self._lock:
            while not self.saved:
                tokens = self._current()
                try:
                    await self._file.async_save(self._client_id, tokens)
                except OSError as err:
                    self._failed(err)
                    return
                # A refresh during the write: write its newer set too.
                self._saved_refresh = tokens.refresh_token
            self._succeeded()

    def _failed(self, err: OSError) -> None:
        self._failures += 1
        doublings = min(self._failures - 1, 10)
        delay = min(SAVE_RETRY_MAX, SAVE_RETRY_FIRST * 2**doublings)
        self.error = err.strerror or type(err).__name__
        if self._failures == 1:
            LOGGER.warning(
                "The new login could not be saved in %s (%s); it stays in use"
                " from memory and saving is retried in %.0f s. Until it is"
                " saved, a restart of Home Assistant needs a new login",
                self._file.folder,
                self.error,
                delay,
            )
        else:
            LOGGER.debug(
                "Saving the login failed again (%s), next try in %.0f s",
                self.error,
                delay,
            )
        self._schedule_retry(delay)
        async_report_token_not_saved(
            self._hass, self._entry, self._file.folder, self.error
        )

    def _succeeded(self) -> None:
        self._cancel()
        if self._failures:
            LOGGER.info("The login is saved now, after %d failed tries", self._failures)
        self._failures = 0
        self.error = None
        async_report_token_not_saved(self._hass, self._entry, self._file.folder, None)

    def _schedule_retry(self, delay: float) -> None:
        self._cancel()
        if self._stopped:
            return  # the next set-up takes the tokens from the entry and saves
        self.next_save = datetime.now(UTC) + timedelta(seconds=delay)
        self._cancel_retry = async_call_later(self._hass, delay, self._retry_due)

    @callback
    def _retry_due(self, _now: datetime) -> None:
        self._cancel_retry = None
        self.next_save = None
        self._entry.async_create_background_task(
            self._hass, self.async_save(), f"{DOMAIN} token save"
        )

    def _cancel(self) -> None:
        if self._cancel_retry is not None:
            self._cancel_retry()
            self._cancel_retry = None
        self.next_save = None

    def stop(self) -> None:
        """The entry unloads: no more retries (a reload takes over)."""
        self._stopped = True
        self._cancel()
