"""The token set of a logged-in account and client-id helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import re
from typing import Any

REFRESH_TOKEN_LIFETIME = timedelta(days=14)
"""Documented lifetime of a refresh token; renewed by every refresh."""

_CLIENT_ID = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def normalize_client_id(raw: str) -> str:
    """Return a pasted client id trimmed and lower-cased."""
    return raw.translate(_INVISIBLE).strip().lower()


def is_valid_client_id(s: str) -> bool:
    """Return whether ``s`` has the UUID shape of a client id (lower case)."""
    return _CLIENT_ID.fullmatch(s) is not None


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _parse_instant(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return _as_utc(value)
    if not isinstance(value, str):
        raise TypeError("expected an ISO 8601 string")
    return _as_utc(datetime.fromisoformat(value))


@dataclass(frozen=True, slots=True)
class TokenSet:
    """The tokens of one login.

    Attributes:
        access_token: bearer token for the REST API.
        id_token: password for the MQTT stream.
        refresh_token: single-use token for the next refresh.
        expires_at: UTC instant the access and id tokens expire.
        scope: the granted scopes, space separated.
        gcid: the account id (MQTT user name).
        token_type: normally ``Bearer``.
        refresh_expires_at: UTC instant the refresh token expires, if known.
    """

    access_token: str
    id_token: str
    refresh_token: str
    expires_at: datetime
    scope: str
    gcid: str
    token_type: str = "Bearer"  # noqa: S105 - a token type, not a secret
    refresh_expires_at: datetime | None = None

    def __repr__(self) -> str:
        """Describe the set without revealing any token or the account id."""
        return (
            f"TokenSet(expires_at={self.expires_at.isoformat()}, "
            f"scope={self.scope!r}, token_type={self.token_type!r})"
        )

    def seconds_left(self, now: datetime) -> float:
        """Return the seconds until the access and id tokens expire."""
        return (self.expires_at - _as_utc(now)).total_seconds()

    @property
    def scopes(self) -> frozenset[str]:
        """Return the granted scopes as a set (BMW's order varies)."""
        return frozenset(self.scope.split())

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict for storage."""
        return {
            "access_token": self.access_token,
            "id_token": self.id_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat(),
            "scope": self.scope,
            "gcid": self.gcid,
            "token_type": self.token_type,
            "refresh_expires_at": (
                self.refresh_expires_at.isoformat()
                if self.refresh_expires_at is not None
                else None
            ),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TokenSet:
        """Rebuild a token set stored with :meth:`to_dict`.

        Raises:
            ValueError: a key is missing or has the wrong type.
        """
        try:
            expires_at = _parse_instant(d["expires_at"])
            if expires_at is None:
                raise ValueError("expires_at is missing")
            return cls(
                access_token=str(d["access_token"]),
                id_token=str(d.get("id_token") or ""),
                refresh_token=str(d["refresh_token"]),
                expires_at=expires_at,
                scope=str(d.get("scope") or ""),
                gcid=str(d.get("gcid") or ""),
                token_type=str(d.get("token_type") or "Bearer"),
                refresh_expires_at=_parse_instant(d.get("refresh_expires_at")),
            )
        except (KeyError, TypeError) as err:
            raise ValueError(f"invalid stored token set: {err}") from None

    @classmethod
    def from_response(
        cls, payload: Mapping[str, Any], *, now: datetime | None = None
    ) -> TokenSet:
        """Build a token set from a token endpoint answer.

        Args:
            payload: the decoded JSON answer.
            now: the instant the answer arrived (UTC); defaults to now.

        Raises:
            ValueError: the answer lacks an access or refresh token.
        """
        now = _as_utc(now) if now is not None else datetime.now(UTC)
        access = payload.get("access_token")
        refresh = payload.get("refresh_token")
        if not isinstance(access, str) or not access:
            raise ValueError("token answer without access_token")
        if not isinstance(refresh, str) or not refresh:
            raise ValueError("token answer without refresh_token")
        expires_in = payload.get("expires_in")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            try:
                expires_in = float(str(expires_in))
            except ValueError:
                expires_in = 3600.0
        refresh_in = payload.get("refresh_expires_in")
        refresh_expires_at = now + REFRESH_TOKEN_LIFETIME
        if isinstance(refresh_in, int | float) and not isinstance(refresh_in, bool):
            refresh_expires_at = now + timedelta(seconds=float(refresh_in))
        id_token = payload.get("id_token")
        scope = payload.get("scope")
        gcid = payload.get("gcid")
        token_type = payload.get("token_type")
        return cls(
            access_token=access,
            id_token=id_token if isinstance(id_token, str) else "",
            refresh_token=refresh,
            expires_at=now + timedelta(seconds=max(0.0, float(expires_in))),
            scope=scope if isinstance(scope, str) else "",
            gcid=gcid if isinstance(gcid, str) else "",
            token_type=token_type if isinstance(token_type, str) else "Bearer",
            refresh_expires_at=refresh_expires_at,
        )
