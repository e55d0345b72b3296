"""The stream's id tokens: never one a session already used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.cardata.api.exceptions import CarDataConnectionError
from custom_components.cardata.api.stream_tokens import UnspentTokens

EXPIRY = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=1)


class _Provider:
    """A token provider whose refresh counts and may fail."""

    def __init__(self) -> None:
        self.token = "id-1"
        self.refreshes = 0
        self.refresh_fails = False

    async def async_get_id_token(self) -> tuple[str, datetime]:
        return self.token, EXPIRY

    def peek_id_token(self) -> tuple[str, datetime]:
        return self.token, EXPIRY

    async def async_refresh_id_token(self, refused: str) -> tuple[str, datetime]:
        if refused != self.token:
            return self.token, EXPIRY  # refreshed since: no call
        if self.refresh_fails:
            raise CarDataConnectionError("login service down")
        self.refreshes += 1
        self.token = f"id-{self.refreshes + 1}"
        return self.token, EXPIRY


async def test_a_spent_token_is_replaced_by_a_fresh_one() -> None:
    provider = _Provider()
    tokens = UnspentTokens(provider)
    assert await tokens.async_get_id_token() == ("id-1", EXPIRY)
    assert provider.refreshes == 0
    tokens.spend("id-1")
    assert await tokens.async_get_id_token() == ("id-2", EXPIRY)
    assert provider.refreshes == 1
    # Not spent yet: no refresh.
    assert await tokens.async_get_id_token() == ("id-2", EXPIRY)
    assert tokens.peek_id_token() == ("id-2", EXPIRY)
    assert await tokens.async_refresh_id_token("id-2") == ("id-3", EXPIRY)
    # Refused an older one: the current one is newer already, no refresh.
    assert await tokens.async_refresh_id_token("id-2") == ("id-3", EXPIRY)
    assert provider.refreshes == 2
    # A swap handed the token of the session that just ended: not offered.
    tokens.spend("id-3")
    assert tokens.unspent(("id-3", EXPIRY)) is None
    assert tokens.unspent(("id-4", EXPIRY)) == ("id-4", EXPIRY)
    assert tokens.unspent(None) is None


async def test_without_a_fresh_token_the_spent_one_is_tried() -> None:
    provider = _Provider()
    provider.refresh_fails = True
    tokens = UnspentTokens(provider)
    tokens.spend("id-1")
    assert await tokens.async_get_id_token() == ("id-1", EXPIRY)
    # A broker that needs no password: nothing is spent.
    tokens.spend("")
    provider.refresh_fails = False
    assert await tokens.async_get_id_token() == ("id-1", EXPIRY)
