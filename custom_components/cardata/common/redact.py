"""Consistent masking of account secrets for diagnostics and attributes.

:func:`vin_hash` is the one hash of a VIN (or another account id) wherever
one is stored or shown instead of the value: issue ids, storage keys, the
quota log and diagnostics.

A VIN, GCID or client id is replaced by a short keyed hash: the same value
always gives the same reference within one installation, so two records of a
dump can still be compared, while the value itself cannot be read back or
guessed by hashing candidate VINs (the key is a random secret kept with the
quota log of the account).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import hashlib
import hmac
from typing import Any

REDACTED = "**REDACTED**"

#: Keys whose values are secrets or positions wherever they appear.
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "tokens",
        "password",
        "username",
        "client_id",
        "code_verifier",
        "device_code",
        "user_code",
        "latitude",
        "longitude",
        "altitude",
        "mapMatchedLatitude",
        "mapMatchedLongitude",
        "formattedAddress",
        "streetAddress",
        "municipality",
    }
)

_POSITION_PARTS = ("latitude", "longitude", "altitude")


def vin_hash(
    vin: str, length: int, *, salt: str | None = None, key: bytes | None = None
) -> str:
    """Return the first ``length`` hex digits of a SHA-256 hash of ``vin``.

    Stored hashes must never change, so every spelling in use is one
    combination of the arguments.

    Args:
        vin: a VIN, or another value to hide the same way (a GCID).
        length: hex digits kept.
        salt: hashed as ``{salt}:{vin}`` (an entry id: the same car gives
            other hashes in other entries).
        key: an HMAC key (an installation secret: hashing candidate VINs
            cannot find the value).

    """
    text = (vin if salt is None else f"{salt}:{vin}").encode()
    if key is None:
        digest = hashlib.sha256(text).hexdigest()
    else:
        digest = hmac.new(key, text, hashlib.sha256).hexdigest()
    return digest[:length]


def is_position_key(key: str) -> bool:
    """Return whether a key or descriptor names a position."""
    lowered = key.lower()
    return any(part in lowered for part in _POSITION_PARTS)


class Redactor:
    """Replaces known secret strings by stable references."""

    def __init__(self, key: bytes) -> None:
        """Create a redactor keyed with an installation secret."""
        self._key = key
        self._known: dict[str, str] = {}

    def ref(self, kind: str, value: str) -> str:
        """Return the stable reference for ``value`` (and remember it)."""
        reference = f"{kind}_{vin_hash(value, 10, key=self._key)}"
        if len(value) >= 4:  # noqa: PLR2004 - shorter strings are not secrets
            self._known[value] = reference
        return reference

    def learn(self, kind: str, values: Iterable[str | None]) -> None:
        """Register secret strings to be replaced wherever they occur."""
        for value in values:
            if value:
                self.ref(kind, value)

    def text(self, value: str) -> str:
        """Return ``value`` with every known secret replaced by its reference."""
        for secret in sorted(self._known, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, self._known[secret])
        return value

    def data(self, value: Any) -> Any:
        """Return a copy of ``value`` with secrets masked, recursively.

        Mapping keys that are known secrets (a VIN used as a key) become their
        references; values under secret or position keys become
        ``**REDACTED**``; every other string has known secrets replaced.
        """
        if isinstance(value, Mapping):
            result: dict[str, Any] = {}
            for key, item in value.items():
                name = self.text(str(key))
                if str(key) in SECRET_KEYS or is_position_key(str(key)):
                    result[name] = REDACTED if item is not None else None
                else:
                    result[name] = self.data(item)
            return result
        if isinstance(value, list | tuple | set | frozenset):
            return [self.data(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value
