"""Id tokens for the stream, never one a session already used.

BMW's broker has been reported to refuse a reconnect with the id token of a
session that just ended, while a freshly refreshed one is accepted. Such a
refusal looks like another client on the account (rc 5), so the stream never
offers a used token: after a session ended it asks for a fresh one first.
If BMW's login service cannot give one now, the used token is tried anyway
(the broker decides; a refusal then takes the stream's usual course).
"""

from __future__ import annotations

from datetime import datetime

from .auth import IdTokenProvider
from .exceptions import CarDataConnectionError

__all__ = ["UnspentTokens"]


class UnspentTokens:
    """An :class:`~.auth.IdTokenProvider` that refreshes past a spent token."""

    def __init__(self, provider: IdTokenProvider) -> None:
        """Wrap the account's token provider."""
        self._provider = provider
        self._spent: str | None = None

    def spend(self, token: str) -> None:
        """A session that used ``token`` ended."""
        self._spent = token or None

    def unspent(
        self, token: tuple[str, datetime] | None
    ) -> tuple[str, datetime] | None:
        """``token`` unless an ended session used it (``None``: ask for one)."""
        if token is None or token[0] == self._spent:
            return None
        return token

    async def async_get_id_token(self) -> tuple[str, datetime]:
        """A valid id token no ended session used (see the module)."""
        token = await self._provider.async_get_id_token()
        if token[0] != self._spent:
            return token
        try:
            return await self._provider.async_refresh_id_token(token[0])
        except CarDataConnectionError:
            return token

    def peek_id_token(self) -> tuple[str, datetime]:
        """The current id token, without asking BMW."""
        return self._provider.peek_id_token()

    async def async_refresh_id_token(self, refused: str) -> tuple[str, datetime]:
        """An id token newer than ``refused`` (refreshed only if needed)."""
        return await self._provider.async_refresh_id_token(refused)
