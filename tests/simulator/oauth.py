"""BMW's OAuth 2.0 device-code flow with PKCE, as the simulator serves it.

Routes: ``POST /gcdm/oauth/device/code``, ``POST /gcdm/oauth/token`` and a
verification page at ``/verify`` where a person approves or denies a code.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
import datetime as dt
import hashlib
import hmac
import html
import json
import re
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .world import BASE_SCOPES

if TYPE_CHECKING:
    from .core import Simulator

FORM = "application/x-www-form-urlencoded"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_VERIFIER_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9\-_]{43}$")
_USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZbcdfghjkmnpqrstvwxz"


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def iso(moment: dt.datetime) -> str:
    """ISO 8601 with milliseconds and ``Z``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


@dataclass
class IssuedToken:
    """Server-side record of an access, id or refresh token."""

    kind: str
    gcid: str
    client_id: str
    scopes: frozenset[str]
    expires_at: dt.datetime
    revoked: bool = False


@dataclass
class DeviceCode:
    """One pending device authorization."""

    client_id: str
    gcid: str
    user_code: str
    device_code: str
    challenge: str
    scopes: frozenset[str]
    expires_at: dt.datetime
    interval: int
    status: str = "pending"  # pending | approved | denied | used
    last_poll: dt.datetime | None = None
    polls: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class OAuth:
    """State and HTTP handlers of the simulated BMW login service."""

    def __init__(self, sim: Simulator) -> None:
        """Bind to the simulator (clock, world, faults)."""
        self._sim = sim
        self._secret = secrets.token_bytes(32)
        self.tokens: dict[str, IssuedToken] = {}
        self.codes: dict[str, DeviceCode] = {}  # by device_code
        self.auto_approve = False
        self.interval = 5
        self.code_lifetime = 300
        self.token_calls = 0
        self._answer_held = asyncio.Event()

    # ----- control used by tests ---------------------------------------
    def _by_user_code(self, user_code: str) -> DeviceCode:
        for code in self.codes.values():
            if code.user_code == user_code.strip():
                return code
        raise KeyError("unknown user code")

    def approve(self, user_code: str) -> None:
        """Approve a pending code as the account owner would."""
        code = self._by_user_code(user_code)
        if code.status == "pending":
            code.status = "approved"

    def deny(self, user_code: str) -> None:
        """Deny a pending code."""
        code = self._by_user_code(user_code)
        if code.status == "pending":
            code.status = "denied"

    def pending_user_codes(self) -> list[str]:
        """User codes still waiting for the person."""
        return [c.user_code for c in self.codes.values() if c.status == "pending"]

    def refresh_token_valid(self, token: str) -> bool:
        """True while ``token`` is an unspent, unexpired refresh token."""
        record = self.tokens.get(token)
        return bool(
            record
            and record.kind == "refresh"
            and not record.revoked
            and record.expires_at > self._sim.now()
        )

    def revoke_refresh_tokens(self, gcid: str) -> None:
        """Invalidate every refresh token of an account (e.g. de-subscribed)."""
        for record in self.tokens.values():
            if record.kind == "refresh" and record.gcid == gcid:
                record.revoked = True

    def lookup(self, token: str, kind: str) -> IssuedToken | None:
        """The record of a token of ``kind`` (valid or not)."""
        record = self.tokens.get(token)
        return record if record and record.kind == kind else None

    def _id_token(
        self, gcid: str, client_id: str, now: dt.datetime, exp: dt.datetime
    ) -> str:
        header = b64url(
            json.dumps({"typ": "JWT", "alg": "HS256", "kid": "sim"}).encode()
        )
        claims = {
            "sub": gcid,
            "aud": client_id,
            "iss": self._sim.endpoints["auth_url"] + "/gcdm/oauth",
            "iat": int(now.timestamp()),
            "exp": int(exp.timestamp()),
            "tokenName": "id_token",
            "jti": secrets.token_hex(8),
        }
        body = b64url(json.dumps(claims, separators=(",", ":")).encode())
        sig = hmac.new(self._secret, f"{header}.{body}".encode(), hashlib.sha256)
        return f"{header}.{body}.{b64url(sig.digest())}"

    def issue_tokens(
        self, gcid: str, client_id: str, scopes: frozenset[str] | None = None
    ) -> dict[str, Any]:
        """Make a full token answer without the device flow."""
        sim = self._sim
        account = sim.accounts[gcid]
        granted = frozenset(BASE_SCOPES) | account.clients[client_id]
        scopes = granted if scopes is None else scopes & granted
        now = sim.now()
        access_exp = now + dt.timedelta(seconds=sim.access_token_lifetime)
        id_exp = now + dt.timedelta(seconds=sim.id_token_lifetime)
        refresh_exp = now + dt.timedelta(seconds=sim.refresh_token_lifetime)
        access = secrets.token_urlsafe(40)
        refresh = secrets.token_urlsafe(36)
        self.tokens[access] = IssuedToken("access", gcid, client_id, scopes, access_exp)
        self.tokens[refresh] = IssuedToken(
            "refresh", gcid, client_id, scopes, refresh_exp
        )
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            # BMW answers one second less than the lifetime (observed 3599).
            "expires_in": max(sim.access_token_lifetime - 1, 1),
            "refresh_token": refresh,
            # The order of scopes varies (observed): reversed here.
            "scope": " ".join(sorted(scopes, reverse=True)),
            "gcid": gcid,
        }
        if "openid" in scopes:
            id_token = self._id_token(gcid, client_id, now, id_exp)
            self.tokens[id_token] = IssuedToken("id", gcid, client_id, scopes, id_exp)
            answer["id_token"] = id_token
        return answer

    def answer_held(self) -> None:
        """Let token requests held by ``Faults.token_timeouts`` answer now."""
        self._answer_held.set()

    async def _hold(self, seconds: float) -> None:
        self._answer_held.clear()
        waits = [
            asyncio.ensure_future(self._sim.stopping.wait()),
            asyncio.ensure_future(self._answer_held.wait()),
        ]
        try:
            await asyncio.wait(
                waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for wait in waits:
                wait.cancel()

    # ----- HTTP ----------------------------------------------------------
    def routes(self) -> list[web.RouteDef]:
        """Routes of the login service."""
        return [
            web.post("/gcdm/oauth/device/code", self.device_code),
            web.post("/gcdm/oauth/token", self.token),
            web.get("/verify", self.verify_page),
            web.post("/verify", self.verify_submit),
        ]

    @staticmethod
    def _error(status: int, error: str, description: str) -> web.Response:
        return web.json_response(
            {"error": error, "error_description": description}, status=status
        )

    async def _form(self, request: web.Request) -> dict[str, str] | web.Response:
        if request.content_type != FORM:
            return self._error(
                400, "invalid_request", "Content-Type must be form-encoded"
            )
        post = await request.post()
        form: dict[str, str] = {}
        for key in post:
            values = post.getall(key)
            if len(values) != 1 or not isinstance(values[0], str):
                return self._error(400, "invalid_request", f"Repeated parameter {key}")
            form[key] = values[0]
        return form

    async def device_code(self, request: web.Request) -> web.Response:  # noqa: PLR0911
        """Start a device authorization."""
        faults = self._sim.faults
        if faults.device_code_gateway_faults > 0:
            # BMW's gateway fails before the login service sees the request.
            faults.device_code_gateway_faults -= 1
            return self._used_code(faults.device_code_gateway_status)
        if self._sim.faults.device_code_errors > 0:
            self._sim.faults.device_code_errors -= 1
            return web.json_response({"error": "server_error"}, status=500)
        form = await self._form(request)
        if isinstance(form, web.Response):
            return form
        required = (
            "client_id",
            "response_type",
            "scope",
            "code_challenge",
            "code_challenge_method",
        )
        if missing := [k for k in required if not form.get(k)]:
            return self._error(
                400, "invalid_request", f"Missing parameter {missing[0]}"
            )
        if form["response_type"] != "device_code":
            return self._error(400, "invalid_request", "Unsupported response_type")
        if form["code_challenge_method"] != "S256":
            return self._error(
                400, "invalid_request", "Unsupported code_challenge_method"
            )
        if not _CHALLENGE_RE.match(form["code_challenge"]):
            return self._error(400, "invalid_request", "Malformed code_challenge")
        owner = self._sim.client_owner(form["client_id"])
        if owner is None:
            # This endpoint documents 400 only (the token endpoint uses 401).
            return self._error(400, "invalid_client", "Client authentication failed")
        granted = frozenset(BASE_SCOPES) | owner.clients[form["client_id"]]
        requested = frozenset(form["scope"].split(" "))
        if "" in requested or not requested <= granted:
            # Observed: a scope ticked but not granted gives invalid_request.
            return self._error(400, "invalid_request", "Invalid scope requested")
        now = self._sim.now()
        user_code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(8))
        device_code = ".".join(b64url(secrets.token_bytes(n)) for n in (24, 96, 32))
        self.codes[device_code] = DeviceCode(
            client_id=form["client_id"],
            gcid=owner.gcid,
            user_code=user_code,
            device_code=device_code,
            challenge=form["code_challenge"],
            scopes=requested,
            expires_at=now + dt.timedelta(seconds=self.code_lifetime),
            interval=self.interval,
        )
        verify = self._sim.endpoints["auth_url"] + "/verify"
        return web.json_response(
            {
                "user_code": user_code,
                "device_code": device_code,
                "interval": self.interval,
                "verification_uri": verify,
                "verification_uri_complete": f"{verify}?user_code={user_code}",
                "expires_in": self.code_lifetime,
            }
        )

    async def token(self, request: web.Request) -> web.Response:
        """Token endpoint: device-code polling and refresh."""
        self.token_calls += 1
        faults = self._sim.faults
        form = await self._form(request)
        if faults.token_timeouts > 0:
            faults.token_timeouts -= 1
            # BMW finishes a slow request even when its client gave up or
            # died meanwhile: a refresh still rotates the tokens.
            return await asyncio.shield(
                self._answer_late(request, form, faults.timeout_seconds)
            )
        return await self._answer(request, form)

    async def _answer_late(
        self,
        request: web.Request,
        form: dict[str, str] | web.Response,
        seconds: float,
    ) -> web.Response:
        await self._hold(seconds)
        return await self._answer(request, form)

    async def _answer(  # noqa: PLR0911
        self, request: web.Request, form: dict[str, str] | web.Response
    ) -> web.Response:
        faults = self._sim.faults
        if faults.token_errors > 0:
            faults.token_errors -= 1
            return web.json_response({"error": "server_error"}, status=500)
        if faults.token_gateway_faults > 0:
            # BMW's gateway fails before the login service sees the request.
            faults.token_gateway_faults -= 1
            return self._used_code()
        if isinstance(form, web.Response):
            return form
        grant = form.get("grant_type")
        if grant == DEVICE_GRANT:
            return self._device_grant(form)
        if grant == "refresh_token":
            answer = self._refresh_grant(form)
            if answer.status == 200 and faults.token_drop_after_rotate > 0:
                # Rotated (the old refresh token is spent), but the answer
                # never reaches the client.
                faults.token_drop_after_rotate -= 1
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError
            return answer
        if not grant:
            return self._error(400, "invalid_request", "Missing parameter grant_type")
        return self._error(400, "unsupported_grant_type", "Grant type not supported")

    @staticmethod
    def _used_code(status: int = 500) -> web.Response:
        return web.json_response(
            {
                "fault": {
                    "faultstring": "Invalid Access Token",
                    "detail": {
                        "errorcode": "keymanagement.service.invalid_access_token"
                    },
                }
            },
            status=status,
        )

    def _device_grant(self, form: dict[str, str]) -> web.Response:  # noqa: PLR0911
        required = ("client_id", "device_code", "code_verifier")
        if missing := [k for k in required if not form.get(k)]:
            return self._error(
                400, "invalid_request", f"Missing parameter {missing[0]}"
            )
        if self._sim.client_owner(form["client_id"]) is None:
            return self._error(401, "invalid_client", "Client authentication failed")
        if self._sim.faults.used_device_code:
            return self._used_code()
        code = self.codes.get(form["device_code"])
        if code is None or code.client_id != form["client_id"]:
            return self._error(400, "invalid_grant", "Unknown device code")
        if code.status == "used":
            return self._used_code()
        now = self._sim.now()
        if now >= code.expires_at:
            return self._error(401, "expired_token", "The code is expired")
        last, code.last_poll = code.last_poll, now
        code.polls += 1
        if last is not None and (now - last).total_seconds() < code.interval:
            code.interval += 5  # RFC 8628: for this and every later request
            return self._error(400, "slow_down", "Polling too fast")
        if code.status == "denied" or (
            code.status == "approved" and self._sim.faults.access_denied_flakes > 0
        ):
            if code.status == "approved":  # BMW-side flake: approved, refused
                self._sim.faults.access_denied_flakes -= 1
            return self._error(
                403, "access_denied", "The user has declined authorization"
            )
        if code.status == "pending":
            if self.auto_approve:
                code.status = "approved"
            return self._error(
                403,
                "authorization_pending",
                "The user has not yet completed authorization",
            )
        verifier = form["code_verifier"]
        if not _VERIFIER_RE.match(verifier):
            return self._error(400, "invalid_request", "Malformed code_verifier")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != code.challenge:
            return self._error(400, "invalid_grant", "PKCE verification failed")
        code.status = "used"
        return web.json_response(
            self.issue_tokens(code.gcid, code.client_id, code.scopes)
        )

    def _refresh_grant(self, form: dict[str, str]) -> web.Response:
        required = ("client_id", "refresh_token")
        if missing := [k for k in required if not form.get(k)]:
            return self._error(
                400, "invalid_request", f"Missing parameter {missing[0]}"
            )
        if self._sim.client_owner(form["client_id"]) is None:
            return self._error(401, "invalid_client", "Client authentication failed")
        token = form["refresh_token"]
        record = self.lookup(token, "refresh")
        if (
            record is None
            or not self.refresh_token_valid(token)
            or record.client_id != form["client_id"]
        ):
            return self._error(400, "invalid_grant", "Invalid refresh token")
        faults = self._sim.faults
        if faults.refresh_refusals > 0:
            # BMW's OpenAPI documents 401 and 403 on the token endpoint.
            faults.refresh_refusals -= 1
            status = faults.refresh_refusal_status
            if status == 401:
                return self._error(status, "invalid_client", "Client not active")
            return self._error(status, "access_denied", "Refresh not allowed")
        record.revoked = True  # rotation: the old one is spent now
        answer = self.issue_tokens(record.gcid, record.client_id, record.scopes)
        if faults.refresh_without_gcid > 0:
            faults.refresh_without_gcid -= 1
            del answer["gcid"]
        return web.json_response(answer)

    # ----- verification page --------------------------------------------
    def _page(self, message: str, user_code: str = "") -> web.Response:
        pending = "".join(
            f"<li><code>{html.escape(c)}</code></li>" for c in self.pending_user_codes()
        )
        body = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>CarData simulator login</title>
<style>body{{font-family:sans-serif;max-width:36em;margin:3em auto}}
input{{font-size:1.4em;letter-spacing:.1em}}
button{{font-size:1.1em;margin:.5em}}</style>
</head><body><h1>CarData simulator: approve a device</h1>
<p>{html.escape(message)}</p>
<form method="post" action="/verify">
<label>User code
<input name="user_code" value="{html.escape(user_code)}" required></label><br>
<button name="action" value="approve" type="submit">Approve</button>
<button name="action" value="deny" type="submit">Deny</button>
</form><h2>Waiting codes</h2><ul>{pending or "<li>none</li>"}</ul>
</body></html>"""
        return web.Response(text=body, content_type="text/html")

    async def verify_page(self, request: web.Request) -> web.Response:
        """Show the user-code form."""
        return self._page(
            "Enter the code shown by Home Assistant, then approve or deny.",
            request.query.get("user_code", ""),
        )

    async def verify_submit(self, request: web.Request) -> web.Response:
        """Approve or deny the submitted user code."""
        post = await request.post()
        user_code = str(post.get("user_code", "")).strip()
        action = str(post.get("action", ""))
        try:
            code = self._by_user_code(user_code)
        except KeyError:
            return self._page("Unknown code. Check it and try again.", user_code)
        if code.status != "pending":
            return self._page(f"This code is already {code.status}.", user_code)
        if action == "deny":
            self.deny(user_code)
            return self._page("Denied. The device gets no access.")
        self.approve(user_code)
        return self._page("Approved. You can close this page.")
