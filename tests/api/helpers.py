"""Helpers shared by the api tests: a token source backed by the simulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import aiohttp

from custom_components.cardata.api import (
    AbstractAuth,
    Endpoints,
    OAuthClient,
    TokenSet,
)
from tests.simulator import Simulator


def endpoints_of(sim: Simulator) -> Endpoints:
    """The simulator's addresses as an Endpoints value."""
    return Endpoints.from_dict(sim.endpoints)


class SimTokens(AbstractAuth):
    """Token source like the HA token manager: refreshes when needed."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        sim: Simulator,
        client_id: str,
        tokens: TokenSet,
        *,
        refresh_before: float = 0.0,
    ) -> None:
        endpoints = endpoints_of(sim)
        super().__init__(session, endpoints.api_url)
        self.oauth = OAuthClient(session, endpoints)
        self.client_id = client_id
        self.tokens = tokens
        self.refresh_before = refresh_before
        self.refreshes = 0
        self.id_tokens_given: list[str] = []
        self._lock = asyncio.Lock()

    async def _valid(self) -> TokenSet:
        async with self._lock:
            if self.tokens.seconds_left(datetime.now(UTC)) <= self.refresh_before:
                self.tokens = await self.oauth.refresh(
                    self.client_id, self.tokens.refresh_token
                )
                self.refreshes += 1
            return self.tokens

    async def async_get_access_token(self) -> str:
        return (await self._valid()).access_token

    async def async_get_id_token(self) -> tuple[str, datetime]:
        tokens = await self._valid()
        self.id_tokens_given.append(tokens.id_token)
        return tokens.id_token, tokens.expires_at

    def peek_id_token(self) -> tuple[str, datetime]:
        return self.tokens.id_token, self.tokens.expires_at

    async def async_refresh_id_token(self, refused: str) -> tuple[str, datetime]:
        async with self._lock:
            if self.tokens.id_token != refused:  # refreshed since
                return self.tokens.id_token, self.tokens.expires_at
            self.tokens = await self.oauth.refresh(
                self.client_id, self.tokens.refresh_token
            )
            self.refreshes += 1
        return await self.async_get_id_token()


def issued(sim: Simulator, gcid: str, client_id: str) -> TokenSet:
    """A token set issued by the simulator without the device flow."""
    return TokenSet.from_response(sim.oauth.issue_tokens(gcid, client_id))
