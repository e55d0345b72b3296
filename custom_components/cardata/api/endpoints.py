"""Addresses of the BMW CarData services.

This is the only module that names a BMW host. Everything else receives an
:class:`Endpoints` value, so tests and local bridges can point the client at
other servers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class StreamTls(StrEnum):
    """How the MQTT stream connection is secured."""

    VERIFY = "verify"
    """TLS, verified against the system's certificate authorities."""
    CUSTOM_CA = "custom_ca"
    """TLS, verified against the certificate authority in a given PEM file."""
    NONE = "none"
    """Plain TCP, for a trusted local bridge only."""


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Every address the client talks to."""

    auth_url: str = "https://customer.bmwgroup.com"
    api_url: str = "https://api-cardata.bmwgroup.com"
    stream_host: str = "customer.streaming-cardata.bmwgroup.com"
    stream_port: int = 9000
    stream_tls: StreamTls = StreamTls.VERIFY
    stream_ca_file: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Endpoints:
        """Build endpoints from a mapping; missing keys take production values.

        Args:
            data: keys ``auth_url``, ``api_url``, ``stream_host``,
                ``stream_port``, ``stream_tls`` and ``stream_ca_file``; other
                keys are ignored.

        Raises:
            ValueError: a value has the wrong type or an unknown TLS mode.
        """
        default = PRODUCTION
        try:
            port = int(data.get("stream_port", default.stream_port))
        except (TypeError, ValueError) as err:
            raise ValueError("stream_port must be an integer") from err
        ca_file = data.get("stream_ca_file")
        return cls(
            auth_url=str(data.get("auth_url") or default.auth_url).rstrip("/"),
            api_url=str(data.get("api_url") or default.api_url).rstrip("/"),
            stream_host=str(data.get("stream_host") or default.stream_host),
            stream_port=port,
            stream_tls=StreamTls(data.get("stream_tls") or default.stream_tls),
            stream_ca_file=str(ca_file) if ca_file else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the endpoints as a JSON-serialisable dict (inverse of from_dict)."""
        return {
            "auth_url": self.auth_url,
            "api_url": self.api_url,
            "stream_host": self.stream_host,
            "stream_port": self.stream_port,
            "stream_tls": str(self.stream_tls),
            "stream_ca_file": self.stream_ca_file,
        }


PRODUCTION = Endpoints()
"""BMW's production services."""
