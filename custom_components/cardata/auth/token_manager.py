"""Token manager: keeps one entry's BMW tokens fresh and persisted.

One instance per config entry. It refreshes ahead of expiry (early enough that
the stream can swap its id token before the broker drops it) and lets
concurrent callers share one refresh.

A rotated token is never dropped. BMW spends the old refresh token the moment
a new one is issued, so the new set is the only way back in:

- It goes into memory and into the config entry at once; every later refresh
  (of this instance, or of the next one after a reload) uses it.
- It is also written to the entry's token file (:mod:`.token_file`), before
  the stream or anyone else is told about it. Home Assistant writes the
  config entry later and only logs when that fails (``async_update_entry``
  and ``Store.async_save`` do not raise), while the token file is written
  here and a failure raises, so the manager knows whether the token is on
  disk (:attr:`TokenManager.saved`).
- When the write fails the token is used from memory all the same, the write
  is retried after 30 s, 1, 2, 4 and 8 min and then every 10 min until it
  works, and a repair issue (``token_not_saved``) says that the login could
  not be saved and what to do; it clears itself with the first save that
  works. A refresh meanwhile writes its own, newer set at once.
- At set-up the newer of the two stored sets (config entry, token file) is
  used: after a stop during which Home Assistant could not write the config
  entry, the token file has the newer one; after a new login, the entry.
- When Home Assistant stops with the token unsaved, one last write is tried.
  Only if that fails too (``.storage`` still not writable) the token exists
  nowhere but in memory and the next start needs a new login: there is no
  other place to keep it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from aiohttp import ClientSession
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed

from ..api import (
    AbstractAuth,
    CarDataConnectionError,
    InvalidGrantError,
    OAuthClient,
    TokenSet,
)
from ..common.listeners import Listeners
from ..common.tasks import async_cancel
from ..const import CONF_CLIENT_ID, CONF_TOKENS, DOMAIN, LOGGER
from .token_saver import TokenSaver

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

# Refresh this many seconds before the id/access token expires. It must be
# larger than the stream's swap margin so the stream always finds a fresh
# token when it swaps. The defaults of the constructor's arguments.
REFRESH_MARGIN: float = 600.0
RETRY_MIN: float = 5.0
RETRY_MAX: float = 300.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _consume_error(task: asyncio.Future[TokenSet]) -> None:
    # The caller may be gone (cancelled); its error is handled, or moot.
    if not task.cancelled():
        task.exception()


class TokenManager(AbstractAuth):
    """Own the tokens of one config entry.

    Implements ``AbstractAuth.async_get_access_token`` (REST) and
    ``IdTokenProvider.async_get_id_token`` (stream).
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        oauth: OAuthClient,
        session: ClientSession,
        api_url: str,
        *,
        refresh_margin: float | None = None,
        retry_min: float | None = None,
        retry_max: float | None = None,
    ) -> None:
        """Start from the tokens stored in the entry.

        ``refresh_margin``, ``retry_min`` and ``retry_max`` (seconds) replace
        :data:`REFRESH_MARGIN`, :data:`RETRY_MIN` and :data:`RETRY_MAX`.
        """
        super().__init__(session, api_url)
        self._hass = hass
        self._entry = entry
        self._oauth = oauth
        self._client_id: str = entry.data[CONF_CLIENT_ID]
        self._tokens = TokenSet.from_dict(entry.data[CONF_TOKENS])
        self._margin_setting = (
            REFRESH_MARGIN if refresh_margin is None else refresh_margin
        )
        # Stored tokens: lifetime unknown, use the full margin.
        self._margin = self._margin_setting
        self._retry_min = RETRY_MIN if retry_min is None else retry_min
        self._retry_max = RETRY_MAX if retry_max is None else retry_max
        self._lock = asyncio.Lock()
        self._auth_failed = False
        self._failures = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._listeners = Listeners()
        self.last_error: str | None = None
        self.next_retry: datetime | None = None
        self.last_refresh: datetime | None = None
        self.refresh_count = 0
        self._saver = TokenSaver(hass, entry, self._client_id, lambda: self._tokens)
        self._unsub_stop: CALLBACK_TYPE | None = None

    # ----------------------------------------------------------------- state
    @property
    def tokens(self) -> TokenSet:
        """Return the current token set."""
        return self._tokens

    @property
    def gcid(self) -> str:
        """Return the account id the tokens belong to."""
        return self._tokens.gcid

    @property
    def expires_at(self) -> datetime:
        """Return when the current access and id token expire."""
        return self._tokens.expires_at

    @property
    def refresh_margin(self) -> float:
        """Return how long before expiry the tokens are refreshed."""
        return self._margin

    @property
    def saved(self) -> bool:
        """Return whether the tokens in use are saved on disk."""
        return self._saver.saved

    @property
    def save_error(self) -> str | None:
        """Why the last write of the token file failed (None once saved)."""
        return self._saver.error

    @property
    def next_save(self) -> datetime | None:
        """When the next try to save the tokens is due (None when saved)."""
        return self._saver.next_save

    @property
    def auth_failed(self) -> bool:
        """Return True once BMW refused the refresh token."""
        return self._auth_failed

    @callback
    def async_add_listener(self, update: Callable[[], None]) -> CALLBACK_TYPE:
        """Call ``update`` whenever tokens or the error state change."""
        return self._listeners.add(update)

    def _margin_for(self, tokens: TokenSet) -> float:
        # Never more than half the lifetime of a freshly issued set, so
        # short-lived tokens (the simulator's) do not make every call a refresh.
        left = tokens.seconds_left(_utcnow())
        return min(self._margin_setting, max(left, 0.0) / 2)

    def _needs_refresh(self) -> bool:
        return self._tokens.seconds_left(_utcnow()) <= self._margin

    def _usable(self) -> bool:
        return self._tokens.seconds_left(_utcnow()) > 0

    # ------------------------------------------------------------- providers
    async def async_get_access_token(self) -> str:
        """Return a valid access token for the REST API."""
        return (await self.async_ensure_valid()).access_token

    async def async_get_id_token(self) -> tuple[str, datetime]:
        """Return a valid id token (the stream password) and its expiry."""
        tokens = await self.async_ensure_valid()
        return tokens.id_token, tokens.expires_at

    async def async_ensure_valid(self) -> TokenSet:
        """Return tokens that are valid, refreshing when they are due.

        Raises:
            ConfigEntryAuthFailed: BMW refused the refresh token.
            CarDataConnectionError: BMW unreachable and no valid token left.

        """
        if self._auth_failed:
            raise self._auth_error()
        if not self._needs_refresh():
            return self._tokens
        if self._lock.locked() and self._usable():
            # A refresh is in flight (BMW may take minutes): the current
            # tokens still work meanwhile.
            return self._tokens
        if self.next_retry is not None and _utcnow() < self.next_retry:
            # A refresh failed a moment ago; the refresher retries on its
            # schedule. Use the token while it lasts.
            if self._usable():
                return self._tokens
            raise CarDataConnectionError(self.last_error or "token refresh failed")
        try:
            return await self._refresh(force=False)
        except CarDataConnectionError:
            if self._usable():
                return self._tokens
            raise

    async def async_force_refresh(
        self, refused: Callable[[TokenSet], bool] | None = None
    ) -> TokenSet:
        """Refresh now, even if the tokens are still valid.

        ``refused``: only while it says the current tokens are the refused
        ones; tokens refreshed since are new already, and another refresh
        would cost a call to BMW for nothing.
        """
        if self._auth_failed:
            raise self._auth_error()
        return await self._refresh(force=True, refused=refused)

    async def async_refresh_id_token(self, refused: str) -> tuple[str, datetime]:
        """An id token newer than the one the broker refused (its last resort)."""
        tokens = await self.async_force_refresh(lambda t: t.id_token == refused)
        return tokens.id_token, tokens.expires_at

    def peek_id_token(self) -> tuple[str, datetime]:
        """Return the current id token and its expiry; never asks BMW."""
        return self._tokens.id_token, self._tokens.expires_at

    async def async_refresh_access_token(self, refused: str) -> str:
        """An access token newer than the one BMW refused (CU-127 ...)."""
        tokens = await self.async_force_refresh(lambda t: t.access_token == refused)
        return tokens.access_token

    async def async_access_token_refused(self) -> None:
        """BMW refused even a fresh access token: the login is no good.

        Raises:
            ConfigEntryAuthFailed: always; one reauth is started.
        """
        if not self._auth_failed:
            self._set_auth_failed("BMW refused even a fresh access token")
        raise self._auth_error()

    # --------------------------------------------------------------- refresh
    async def _refresh(
        self, *, force: bool, refused: Callable[[TokenSet], bool] | None = None
    ) -> TokenSet:
        seen = self._tokens
        async with self._lock:
            if self._auth_failed:
                raise self._auth_error()
            if self._adopt_stored():
                # Stored in the entry by an earlier instance: save it here too.
                await self._saver.async_save()
                return self._tokens
            if self._tokens is not seen:
                # Someone else refreshed while we waited for the lock.
                return self._tokens
            if not force and not self._needs_refresh():
                return self._tokens
            if refused is not None and not refused(self._tokens):
                # Refreshed since the refused token was handed out.
                return self._tokens
            # Shielded: once BMW was asked, the answer is stored even if the
            # caller is cancelled (an unload), or the new refresh token
            # would be lost while the old one is already spent.
            task = asyncio.ensure_future(self._fetch_and_store())
            task.add_done_callback(_consume_error)
            try:
                # asyncio.wait, not asyncio.shield: a cancelled caller leaves
                # the task running just the same, and Python 3.13+ would
                # report a shielded task's error nobody waits for any more
                # (an unload during a refused refresh) as unhandled.
                await asyncio.wait({task})
                return task.result()
            except InvalidGrantError as err:
                self._set_auth_failed()
                raise self._auth_error() from err
            except CarDataConnectionError as err:
                self._set_retry(err)
                raise

    async def _fetch_and_store(self) -> TokenSet:
        new = await self._oauth.refresh(self._client_id, self._tokens.refresh_token)
        if not new.gcid:
            # Never overwrite the account id with nothing.
            new = replace(new, gcid=self._tokens.gcid)
        self._store(new)
        try:
            # Before anyone is told: written, or kept in memory and retried.
            await self._saver.async_save()
        finally:
            self._announce(new)
        return new

    def _adopt_stored(self) -> bool:
        """Take newer tokens stored in the entry by an earlier instance."""
        stored = self._entry.data.get(CONF_TOKENS)
        if not stored or stored.get("refresh_token") == self._tokens.refresh_token:
            return False
        tokens = TokenSet.from_dict(stored)
        if tokens.expires_at < self._tokens.expires_at:
            return False
        self._tokens = tokens
        self._margin = self._margin_setting
        return True

    def _store(self, new: TokenSet) -> None:
        # Memory and config entry first: the old refresh token is spent from
        # now on, and a reload takes the entry's (in-memory) tokens.
        self._update_entry(new)
        self._tokens = new
        self._margin = self._margin_for(new)
        self._failures = 0
        self.last_error = None
        self.next_retry = None

    def _announce(self, new: TokenSet) -> None:
        # Counted where it is told: whoever sees the count sees the news.
        self.last_refresh = _utcnow()
        self.refresh_count += 1
        LOGGER.debug(
            "Tokens refreshed, valid for %.0f s", new.seconds_left(self.last_refresh)
        )
        self._wake.set()
        self._listeners.notify()

    def _update_entry(self, tokens: TokenSet) -> None:
        self._hass.config_entries.async_update_entry(
            self._entry, data={**self._entry.data, CONF_TOKENS: tokens.to_dict()}
        )

    async def _async_on_stop(self, _event: Event) -> None:
        """Home Assistant stops: one last try to save a login kept in memory."""
        if self.saved:
            return
        await self._saver.async_save()
        if not self.saved:
            LOGGER.warning(
                "Home Assistant stops before the newest login could be saved"
                " (%s); after the restart a new login is needed",
                self._saver.error,
            )

    def _set_retry(self, err: CarDataConnectionError) -> None:
        self._failures += 1
        # The exponent is capped: BMW down for days must not overflow a float.
        delay = min(self._retry_max, self._retry_min * 2 ** min(self._failures - 1, 16))
        self.last_error = type(err).__name__
        self.next_retry = _utcnow() + timedelta(seconds=delay)
        LOGGER.warning(
            "Token refresh failed (%s), retrying in %.0f s", self.last_error, delay
        )
        self._wake.set()
        self._listeners.notify()

    def _set_auth_failed(self, why: str = "BMW refused the refresh token") -> None:
        self._auth_failed = True
        self.last_error = "invalid_grant"
        self.next_retry = None
        LOGGER.warning("%s; a new login is needed", why)
        # Also while the entry still sets up: the refresh runs in the
        # background then. Home Assistant starts one reauth flow at most.
        self._entry.async_start_reauth(self._hass)
        self._wake.set()
        self._listeners.notify()

    @staticmethod
    def _auth_error() -> ConfigEntryAuthFailed:
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="auth_failed"
        )

    # ------------------------------------------------------------ life cycle
    async def async_load(self) -> None:
        """Use the newer of the entry's and the token file's tokens; save it.

        The token file is newer when Home Assistant could not write the
        config entry after the last refresh; the entry is newer after a new
        login, and on the first start (no token file yet).
        """
        saved = await self._saver.async_load()
        if (
            saved is not None
            and saved.client_id == self._client_id
            and saved.tokens.gcid == self._tokens.gcid
        ):
            if saved.tokens.refresh_token == self._tokens.refresh_token:
                self._saver.mark_saved(saved.tokens)
            elif saved.tokens.expires_at > self._tokens.expires_at:
                LOGGER.info(
                    "The config entry holds an older login than the token file"
                    " (its last write failed); using the newer one"
                )
                self._tokens = saved.tokens
                self._saver.mark_saved(saved.tokens)
                self._update_entry(saved.tokens)
        await self._saver.async_save()

    @callback
    def async_setup(self) -> None:
        """Start from the stored tokens; never waits for BMW.

        A refresh that is due runs in the background refresher
        (:meth:`async_start`): BMW may take minutes to answer, and Home
        Assistant's start must not wait for it. Until it answers, the stream
        and the REST calls wait for the token themselves.
        """
        # A failure of an earlier set-up must not delay this one's refresh.
        self.next_retry = None

    @callback
    def async_start(self) -> None:
        """Run the background refresher as an entry-owned task."""
        self._unsub_stop = self._hass.bus.async_listen(
            EVENT_HOMEASSISTANT_STOP, self._async_on_stop
        )
        self._task = self._entry.async_create_background_task(
            self._hass, self._async_refresher(), f"{DOMAIN} token refresher"
        )

    async def async_stop(self) -> None:
        """Stop the background refresher and the save retries.

        A login still unsaved gets one more try; if it fails, the next
        set-up (a reload) takes it from the config entry and goes on trying.
        """
        self._saver.stop()
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None
        task, self._task = self._task, None
        await async_cancel(task)
        if not self.saved:
            await self._saver.async_save()

    def _seconds_until_due(self) -> float:
        now = _utcnow()
        if self.next_retry is not None:
            return max(0.0, (self.next_retry - now).total_seconds())
        return max(0.0, self._tokens.seconds_left(now) - self._margin)

    async def _async_refresher(self) -> None:
        while not self._auth_failed:
            self._wake.clear()
            delay = self._seconds_until_due()
            if delay > 0:
                try:
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
                except TimeoutError:
                    pass
                else:
                    continue  # something changed; recompute the schedule
            self.next_retry = None
            try:
                # After a failure retry even if the tokens are not due yet
                # (a forced refresh failed); otherwise refresh when due.
                await self._refresh(force=self._failures > 0)
            except CarDataConnectionError:
                continue  # _set_retry scheduled the next attempt
            except ConfigEntryAuthFailed:
                return


def token_diagnostics(manager: TokenManager) -> Mapping[str, Any]:
    """Return non-secret facts about the tokens for diagnostics."""
    return {
        "expires_at": manager.expires_at.isoformat(),
        "scope": manager.tokens.scope,
        "last_refresh": manager.last_refresh.isoformat()
        if manager.last_refresh
        else None,
        "refresh_count": manager.refresh_count,
        "last_error": manager.last_error,
        "next_retry": manager.next_retry.isoformat() if manager.next_retry else None,
        "auth_failed": manager.auth_failed,
    }
