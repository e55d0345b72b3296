"""Device-code login and refresh against the simulator."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
from aiohttp import web
import pytest

from custom_components.cardata.api import (
    DEFAULT_SCOPES,
    AccessDeniedError,
    CarDataConnectionError,
    DeviceAuthorization,
    DeviceCodeExpiredError,
    Endpoints,
    InvalidGrantError,
    LoginServiceFailingError,
    OAuthClient,
    ScopeNotGrantedError,
    UnknownClientError,
)
from custom_components.cardata.api.auth import make_code_verifier
from tests.simulator import CLIENT_A, CLIENT_NO_STREAM, GCID_A, Simulator
from tests.waiting import wait_for

from .helpers import endpoints_of, issued

UNKNOWN_CLIENT = "00000000-0000-4000-8000-000000000000"


async def test_full_login_and_refresh_rotation(simulator: Simulator) -> None:
    async with aiohttp.ClientSession() as session:
        oauth = OAuthClient(session, endpoints_of(simulator))
        # A client id pasted with spaces and in upper case still works.
        login = await oauth.request_device_code(f"  {CLIENT_A.upper()} ")
        assert login.user_code
        assert login.verification_uri.startswith(simulator.endpoints["auth_url"])
        assert login.verification_uri_complete
        assert login.interval == 1
        assert login.expires_at > datetime.now(UTC)
        assert login.device_code not in repr(login)
        poll = asyncio.create_task(oauth.poll_tokens(CLIENT_A, login))
        await wait_for(simulator.oauth.pending_user_codes)
        simulator.oauth.approve(login.user_code)
        tokens = await asyncio.wait_for(poll, 20)
        assert tokens.gcid == GCID_A
        assert set(DEFAULT_SCOPES) <= tokens.scopes
        assert tokens.id_token
        assert tokens.seconds_left(datetime.now(UTC)) > 3500

        refreshed = await oauth.refresh(CLIENT_A, tokens.refresh_token)
        assert refreshed.refresh_token != tokens.refresh_token
        assert refreshed.access_token != tokens.access_token
        assert refreshed.gcid == GCID_A
        assert not simulator.oauth.refresh_token_valid(tokens.refresh_token)
        assert simulator.oauth.refresh_token_valid(refreshed.refresh_token)
        with pytest.raises(InvalidGrantError):
            await oauth.refresh(CLIENT_A, tokens.refresh_token)


async def test_auto_approve(simulator: Simulator) -> None:
    simulator.oauth.auto_approve = True
    async with aiohttp.ClientSession() as session:
        oauth = OAuthClient(session, endpoints_of(simulator))
        login = await oauth.request_device_code(CLIENT_A)
        tokens = await asyncio.wait_for(oauth.poll_tokens(CLIENT_A, login), 30)
    assert tokens.gcid == GCID_A


async def test_slow_down_adds_to_the_interval(socket_enabled: None) -> None:
    """Each slow_down adds the step to the interval once, as BMW's server
    sees it: the first poll after 0.1 s, the next two 1.1 s apart."""
    polls: list[float] = []
    loop = asyncio.get_running_loop()

    async def token(_request: web.Request) -> web.Response:
        polls.append(loop.time())
        if len(polls) == 1:
            return web.json_response({"error": "slow_down"}, status=400)
        if len(polls) == 2:
            return web.json_response({"error": "authorization_pending"}, status=403)
        return web.json_response(
            {
                "access_token": "a",
                "refresh_token": "r",
                "id_token": "i",
                "expires_in": 3599,
                "gcid": "g",
                "scope": "openid",
            }
        )

    app = web.Application()
    app.add_routes([web.post("/gcdm/oauth/token", token)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            oauth = OAuthClient(
                session,
                Endpoints(auth_url=f"http://127.0.0.1:{port}"),
                slow_down_step=1.0,
            )
            login = DeviceAuthorization(
                user_code="u",
                device_code="d",
                verification_uri="v",
                verification_uri_complete=None,
                interval=0.1,
                expires_at=datetime.now(UTC) + timedelta(minutes=5),
                code_verifier=make_code_verifier(),
            )
            started = loop.time()
            tokens = await oauth.poll_tokens(CLIENT_A, login)
    finally:
        await runner.cleanup()
    assert tokens.access_token == "a"
    assert len(polls) == 3
    first, second, third = polls
    assert first - started >= 0.1
    # 1.1 s after a slow_down, and not more after an answer without one (a
    # second step would make it 2.1 s; the margin is for a busy machine).
    assert 1.1 <= second - first < 2.1
    assert 1.1 <= third - second < 2.1


async def test_denied_login(simulator: Simulator) -> None:
    async with aiohttp.ClientSession() as session:
        oauth = OAuthClient(session, endpoints_of(simulator))
        login = await oauth.request_device_code(CLIENT_A)
        simulator.oauth.deny(login.user_code)
        with pytest.raises(AccessDeniedError):
            await asyncio.wait_for(oauth.poll_tokens(CLIENT_A, login), 20)


async def test_expired_code(simulator: Simulator) -> None:
    async with aiohttp.ClientSession() as session:
        oauth = OAuthClient(session, endpoints_of(simulator))
        login = await oauth.request_device_code(CLIENT_A)
        simulator.advance(3600)
        with pytest.raises(DeviceCodeExpiredError):
            await asyncio.wait_for(oauth.poll_tokens(CLIENT_A, login), 20)
        # Our own clock: an authorisation past its expiry is not polled.
        past = replace(login, expires_at=datetime.now(UTC) - timedelta(seconds=1))
        with pytest.raises(DeviceCodeExpiredError):
            await oauth.poll_tokens(CLIENT_A, past)


async def test_gateway_fault_until_expiry(simulator: Simulator) -> None:
    """BMW's gateway fault (500, ``fault`` body) is polled through while the
    code lasts; lasting until expiry, it says the login service failed."""
    simulator.oauth.interval = 0
    async with aiohttp.ClientSession() as session:
        oauth = OAuthClient(session, endpoints_of(simulator))
        login = await oauth.request_device_code(CLIENT_A)
        login = replace(login, expires_at=datetime.now(UTC) + timedelta(seconds=0.5))
        simulator.faults.used_device_code = True
        with pytest.raises(LoginServiceFailingError):
            await asyncio.wait_for(oauth.poll_tokens(CLIENT_A, login), 20)
        # Polled more than once: the fault did not end the login.
        assert simulator.oauth.token_calls > 1


async def test_unknown_client(simulator: Simulator) -> None:
    async with aiohttp.ClientSession() as session:
        oauth = OAuthClient(session, endpoints_of(simulator))
        with pytest.raises(UnknownClientError):
            await oauth.request_device_code(UNKNOWN_CLIENT)
        login = await oauth.request_device_code(CLIENT_A)
        with pytest.raises(UnknownClientError):
            await asyncio.wait_for(oauth.poll_tokens(UNKNOWN_CLIENT, login), 20)


async def test_scope_not_granted(simulator: Simulator) -> None:
    async with aiohttp.ClientSession() as session:
        oauth = OAuthClient(session, endpoints_of(simulator))
        with pytest.raises(ScopeNotGrantedError):
            await oauth.request_device_code(CLIENT_NO_STREAM)


async def test_transient_poll_errors_are_tolerated(simulator: Simulator) -> None:
    simulator.oauth.auto_approve = True
    async with aiohttp.ClientSession() as session:
        oauth = OAuthClient(session, endpoints_of(simulator))
        login = await oauth.request_device_code(CLIENT_A)
        simulator.faults.token_errors = 2
        tokens = await asyncio.wait_for(oauth.poll_tokens(CLIENT_A, login), 30)
        assert tokens.gcid == GCID_A
        login = await oauth.request_device_code(CLIENT_A)
        simulator.faults.token_errors = 3
        with pytest.raises(CarDataConnectionError):
            await asyncio.wait_for(oauth.poll_tokens(CLIENT_A, login), 30)


async def test_refresh_errors(simulator: Simulator) -> None:
    tokens = issued(simulator, GCID_A, CLIENT_A)
    async with aiohttp.ClientSession() as session:
        oauth = OAuthClient(session, endpoints_of(simulator))
        simulator.faults.token_errors = 1
        with pytest.raises(CarDataConnectionError):
            await oauth.refresh(CLIENT_A, tokens.refresh_token)
        # The failed call did not spend the refresh token.
        assert simulator.oauth.refresh_token_valid(tokens.refresh_token)
        with pytest.raises(InvalidGrantError):
            await oauth.refresh(UNKNOWN_CLIENT, tokens.refresh_token)
        with pytest.raises(InvalidGrantError):
            await oauth.refresh(CLIENT_A, "no-such-token")
        simulator.oauth.revoke_refresh_tokens(GCID_A)
        with pytest.raises(InvalidGrantError):
            await oauth.refresh(CLIENT_A, tokens.refresh_token)


async def test_refresh_timeout_and_unreachable(simulator: Simulator) -> None:
    tokens = issued(simulator, GCID_A, CLIENT_A)
    simulator.faults.token_timeouts = 1
    simulator.faults.timeout_seconds = 1.0
    async with aiohttp.ClientSession() as session:
        oauth = OAuthClient(session, endpoints_of(simulator), refresh_timeout=0.2)
        with pytest.raises(CarDataConnectionError, match="timeout"):
            await oauth.refresh(CLIENT_A, tokens.refresh_token)
        closed = replace(endpoints_of(simulator), auth_url="http://127.0.0.1:9")
        with pytest.raises(CarDataConnectionError, match="cannot reach"):
            await OAuthClient(session, closed).refresh(CLIENT_A, tokens.refresh_token)
