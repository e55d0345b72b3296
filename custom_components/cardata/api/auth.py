"""Device-code login (RFC 8628 with PKCE, RFC 7636), token refresh, REST auth."""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import hashlib
import logging
import secrets
from typing import Any, Protocol

import aiohttp

from .endpoints import PRODUCTION, Endpoints
from .exceptions import (
    AccessDeniedError,
    CarDataConnectionError,
    DeviceCodeExpiredError,
    DeviceLoginError,
    InvalidGrantError,
    LoginServiceFailingError,
    LoginServiceFaultError,
    ScopeNotGrantedError,
    UnknownClientError,
)
from .tokens import TokenSet, normalize_client_id

_LOGGER = logging.getLogger(__name__)

DEFAULT_SCOPES = (
    "authenticate_user",
    "openid",
    "cardata:api:read",
    "cardata:streaming:read",
)
DEVICE_CODE_PATH = "/gcdm/oauth/device/code"
TOKEN_PATH = "/gcdm/oauth/token"  # noqa: S105 - a path, not a secret
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = 5.0
REQUEST_TIMEOUT = 30.0
REFRESH_TIMEOUT = 300.0
"""A refresh waits minutes for BMW: once BMW has rotated the refresh token,
an abandoned answer costs the login (the old refresh token is spent)."""
MAX_TRANSIENT_POLL_ERRORS = 3
_USED_CODE_MARKER = "keymanagement.service.invalid_access_token"
_HTTP_SERVER_ERROR = 500
_HTTP_TOO_MANY = 429
_HTTP_CLIENT_ERROR = 400
_HTTP_UNAUTHORIZED = 401
_HTTP_FORBIDDEN = 403


@dataclass(frozen=True, slots=True)
class DeviceAuthorization:
    """A pending device login: show ``user_code`` / ``verification_uri``.

    Attributes:
        user_code: the code the user confirms in the browser.
        device_code: the code the client polls with (secret).
        verification_uri: the page where the user enters the code.
        verification_uri_complete: the page with the code filled in, if sent.
        interval: seconds between polls.
        expires_at: UTC instant the codes expire.
        code_verifier: the PKCE verifier (secret).
    """

    user_code: str
    device_code: str
    verification_uri: str
    verification_uri_complete: str | None
    interval: float
    expires_at: datetime
    code_verifier: str

    def __repr__(self) -> str:
        """Describe the login without its secrets."""
        return (
            f"DeviceAuthorization(verification_uri={self.verification_uri!r}, "
            f"interval={self.interval}, expires_at={self.expires_at.isoformat()})"
        )


def make_code_verifier() -> str:
    """Return a random PKCE code verifier (64 URL-safe characters)."""
    return secrets.token_urlsafe(48)


def code_challenge(verifier: str) -> str:
    """Return the S256 code challenge of ``verifier``."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: Any
    text: str

    @property
    def error(self) -> str | None:
        if isinstance(self.body, Mapping):
            value = self.body.get("error")
            if isinstance(value, str):
                return value.strip().lower()
        return None

    @property
    def description(self) -> str:
        if isinstance(self.body, Mapping):
            value = self.body.get("error_description")
            if isinstance(value, str):
                return value[:200]
        return ""


class OAuthClient:
    """Speaks to BMW's OAuth endpoints; holds no tokens itself."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        endpoints: Endpoints = PRODUCTION,
        *,
        request_timeout: float | None = None,
        refresh_timeout: float | None = None,
        slow_down_step: float | None = None,
    ) -> None:
        """Use ``session`` (owned by the caller) against ``endpoints``.

        ``request_timeout``, ``refresh_timeout`` and ``slow_down_step``
        (seconds) replace :data:`REQUEST_TIMEOUT`, :data:`REFRESH_TIMEOUT` and
        :data:`SLOW_DOWN_STEP`.
        """
        self._session = session
        self._endpoints = endpoints
        self._request_timeout = (
            REQUEST_TIMEOUT if request_timeout is None else request_timeout
        )
        self._refresh_timeout = (
            REFRESH_TIMEOUT if refresh_timeout is None else refresh_timeout
        )
        self._slow_down_step = (
            SLOW_DOWN_STEP if slow_down_step is None else slow_down_step
        )

    async def _post(
        self, path: str, form: Mapping[str, str], limit: float | None = None
    ) -> _Answer:
        url = f"{self._endpoints.auth_url.rstrip('/')}{path}"
        total = self._request_timeout if limit is None else limit
        try:
            async with self._session.post(
                url,
                data=dict(form),
                headers={"Accept": "application/json"},
                timeout=aiohttp.ClientTimeout(total=total),
            ) as response:
                text = await response.text()
                try:
                    body: Any = await response.json(content_type=None)
                except ValueError:
                    body = None
                return _Answer(response.status, body, text)
        except TimeoutError as err:
            raise CarDataConnectionError(
                "timeout talking to the login service"
            ) from err
        except aiohttp.ClientError as err:
            raise CarDataConnectionError(
                f"cannot reach the login service: {type(err).__name__}"
            ) from err

    async def request_device_code(
        self, client_id: str, scopes: tuple[str, ...] = DEFAULT_SCOPES
    ) -> DeviceAuthorization:
        """Start a device login.

        Raises:
            ScopeNotGrantedError: BMW refused the scopes (``invalid_request``).
            UnknownClientError: BMW does not know the client id.
            LoginServiceFaultError: BMW's gateway failed (500 or 403 with a
                ``fault`` body); no code was issued, so none can be used up.
            CarDataConnectionError: network error, timeout or 5xx.
            DeviceLoginError: any other refusal.
        """
        verifier = make_code_verifier()
        answer = await self._post(
            DEVICE_CODE_PATH,
            {
                "client_id": normalize_client_id(client_id),
                "response_type": "device_code",
                "scope": " ".join(scopes),
                "code_challenge": code_challenge(verifier),
                "code_challenge_method": "S256",
            },
        )
        if answer.status == 200 and isinstance(answer.body, Mapping):  # noqa: PLR2004
            return self._authorization(answer.body, verifier)
        if isinstance(answer.body, Mapping) and "fault" in answer.body:
            raise LoginServiceFaultError(
                f"BMW's login service failed ({answer.status} fault)"
            )
        error = answer.error
        if error in ("invalid_client", "unauthorized_client"):
            raise UnknownClientError("BMW does not know this client id")
        if error in ("invalid_request", "invalid_scope"):
            raise ScopeNotGrantedError(
                "BMW refused the requested scopes: subscribe the client id to "
                "CarData API and CarData Streaming"
            )
        if answer.status >= _HTTP_SERVER_ERROR or answer.status == _HTTP_TOO_MANY:
            raise CarDataConnectionError(f"login service answered {answer.status}")
        raise DeviceLoginError(
            f"device code refused ({answer.status} {error or 'no error'})"
        )

    @staticmethod
    def _authorization(body: Mapping[str, Any], verifier: str) -> DeviceAuthorization:
        user_code = body.get("user_code")
        device_code = body.get("device_code")
        uri = body.get("verification_uri")
        if not all(isinstance(v, str) and v for v in (user_code, device_code, uri)):
            raise DeviceLoginError("incomplete device code answer")
        complete = body.get("verification_uri_complete")
        interval = body.get("interval", 5)
        expires_in = body.get("expires_in", 300)
        if isinstance(interval, bool) or not isinstance(interval, int | float):
            interval = 5
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            expires_in = 300
        return DeviceAuthorization(
            user_code=str(user_code),
            device_code=str(device_code),
            verification_uri=str(uri),
            verification_uri_complete=complete if isinstance(complete, str) else None,
            interval=max(float(interval), 0.0),
            expires_at=datetime.now(UTC) + timedelta(seconds=float(expires_in)),
            code_verifier=verifier,
        )

    async def poll_tokens(
        self, client_id: str, authorization: DeviceAuthorization
    ) -> TokenSet:
        """Poll until the user approves, then return the tokens.

        Waits ``interval`` before every poll, adds 5 s on ``slow_down``,
        tolerates a few transient errors in a row, and keeps polling through
        BMW's gateway fault (a 500 with a ``fault`` body) while the code lasts.

        Raises:
            AccessDeniedError: BMW refused the code (declined, or a flake).
            DeviceCodeExpiredError: the code expired before approval.
            LoginServiceFailingError: the gateway fault lasted until expiry.
            UnknownClientError: BMW does not know the client id.
            CarDataConnectionError: repeated network errors, timeouts or 5xx.
            DeviceLoginError: any other refusal.
        """
        form = {
            "client_id": normalize_client_id(client_id),
            "device_code": authorization.device_code,
            "grant_type": DEVICE_GRANT,
            "code_verifier": authorization.code_verifier,
        }
        interval = authorization.interval
        transient = 0
        gateway_failing = False
        while True:
            _raise_if_expired(authorization, gateway_failing=gateway_failing)
            await asyncio.sleep(interval)
            try:
                answer = await self._post(TOKEN_PATH, form)
            except CarDataConnectionError:
                step, status = "transient", 0
            else:
                if answer.status == 200 and isinstance(answer.body, Mapping):  # noqa: PLR2004
                    return _token_set(answer.body)
                step, status = _poll_step(answer), answer.status
            gateway_failing = step == "gateway_fault"
            if step == "gateway_fault":
                _LOGGER.debug("Login service gateway fault while polling; polling on")
            elif step == "slow_down":
                interval += self._slow_down_step
            elif step != "transient":
                transient = 0
            elif (transient := transient + 1) >= MAX_TRANSIENT_POLL_ERRORS:
                raise CarDataConnectionError(
                    f"login service answered {status}"
                    if status
                    else "cannot reach the login service"
                )

    async def refresh(self, client_id: str, refresh_token: str) -> TokenSet:
        """Trade ``refresh_token`` for a new token set.

        The old refresh token is spent the moment BMW answers; store the new
        set before anything else.

        The request waits up to ``refresh_timeout`` (:data:`REFRESH_TIMEOUT`)
        for BMW's answer.

        Raises:
            InvalidGrantError: the refresh token is gone or BMW refused the
                refresh (400, 401, 403): log in again.
            CarDataConnectionError: network error, timeout or 5xx.
        """
        answer = await self._post(
            TOKEN_PATH,
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": normalize_client_id(client_id),
            },
            limit=self._refresh_timeout,
        )
        if answer.status == 200 and isinstance(answer.body, Mapping):  # noqa: PLR2004
            return _token_set(answer.body)
        error = answer.error
        if error in ("invalid_grant", "invalid_token", "expired_token"):
            raise InvalidGrantError("the refresh token is no longer valid")
        if error in ("invalid_client", "unauthorized_client"):
            raise InvalidGrantError("BMW no longer accepts this client id")
        if answer.status in (_HTTP_CLIENT_ERROR, _HTTP_UNAUTHORIZED, _HTTP_FORBIDDEN):
            raise InvalidGrantError(
                f"refresh refused ({answer.status} {error or 'no error'})"
            )
        raise CarDataConnectionError(f"login service answered {answer.status}")


def _token_set(body: Mapping[str, Any]) -> TokenSet:
    try:
        return TokenSet.from_response(body)
    except ValueError as err:
        raise CarDataConnectionError(f"incomplete token answer: {err}") from None


def _raise_if_expired(
    authorization: DeviceAuthorization, *, gateway_failing: bool
) -> None:
    if datetime.now(UTC) < authorization.expires_at:
        return
    if gateway_failing:
        raise LoginServiceFailingError(
            "BMW's login service failed until the code expired"
        )
    raise DeviceCodeExpiredError("the login code expired")


def _poll_step(answer: _Answer) -> str:
    """Classify a non-success poll answer.

    Returns ``authorization_pending``, ``slow_down``, ``gateway_fault`` (BMW's
    gateway failed; usually transient, so polling goes on while the code
    lasts) or ``transient``; raises the login error that ends the flow.
    """
    if _USED_CODE_MARKER in answer.text:
        return "gateway_fault"
    error = answer.error
    if error in ("authorization_pending", "slow_down"):
        return error
    if answer.status >= _HTTP_SERVER_ERROR or answer.status == _HTTP_TOO_MANY:
        return "transient"
    if error == "access_denied":
        raise AccessDeniedError("the login was denied")
    if error in ("expired_token", "invalid_grant"):
        raise DeviceCodeExpiredError("the login code expired")
    if error in ("invalid_client", "unauthorized_client"):
        raise UnknownClientError("BMW does not know this client id")
    if error == "invalid_scope":
        raise ScopeNotGrantedError("BMW refused the requested scopes")
    raise DeviceLoginError(f"login refused ({answer.status} {error or 'no error'})")


class AbstractAuth(ABC):
    """Authenticated access to the CarData REST API.

    Subclasses supply a valid access token; the HA side refreshes as needed.
    """

    def __init__(self, session: aiohttp.ClientSession, api_url: str) -> None:
        """Use ``session`` (owned by the caller) against ``api_url``."""
        self.session = session
        self.api_url = api_url.rstrip("/")

    @abstractmethod
    async def async_get_access_token(self) -> str:
        """Return a valid access token."""

    async def async_refresh_access_token(self, refused: str) -> str:  # noqa: ARG002 - the owner's hook
        """Return an access token newer than ``refused``, the one BMW refused.

        A token owner refreshes only while its current token is the refused
        one (another caller may have refreshed meanwhile). The default has no
        way to refresh and returns the current token.
        """
        return await self.async_get_access_token()

    async def async_access_token_refused(self) -> None:  # noqa: B027 - a hook
        """Hear that BMW refused a freshly refreshed access token too.

        The default does nothing; the caller raises the API error. A token
        owner may raise its own login error instead.
        """

    async def request(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> aiohttp.ClientResponse:
        """Make a request with the bearer token and ``x-version: v1``.

        ``token``: the access token to send (default: a valid one now). The
        caller must release the response (``async with`` or ``release``).
        """
        headers = dict(kwargs.pop("headers", None) or {})
        if token is None:
            token = await self.async_get_access_token()
        headers["Authorization"] = f"Bearer {token}"
        headers.setdefault("x-version", "v1")
        headers.setdefault("Accept", "application/json")
        url = f"{self.api_url}/{path.lstrip('/')}"
        return await self.session.request(method, url, headers=headers, **kwargs)


class IdTokenProvider(Protocol):
    """Source of the id token used as the stream's password."""

    async def async_get_id_token(self) -> tuple[str, datetime]:
        """Return a currently valid id token and its expiry (UTC).

        May wait for a refresh in flight.
        """
        ...

    def peek_id_token(self) -> tuple[str, datetime]:
        """Return the current id token and its expiry without waiting."""
        ...

    async def async_refresh_id_token(self, refused: str) -> tuple[str, datetime]:
        """Return an id token newer than ``refused`` (the broker refused it).

        Refreshes only while the current id token is the refused one.
        """
        ...
