"""Settings of one account's MQTT stream (BMW's broker or another one)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .endpoints import Endpoints, StreamTls

__all__ = ["StreamConfig"]


@dataclass(frozen=True, slots=True)
class StreamConfig:
    """Settings of one account's stream.

    Attributes:
        host: broker host.
        port: broker port.
        tls: how the connection is secured.
        ca_file: PEM file of the trusted CA for ``StreamTls.CUSTOM_CA``.
        username: the account's GCID.
        topic: subscription topic, ``<GCID>/+`` for every vehicle.
        keepalive: MQTT keepalive in seconds.
        swap_margin: seconds before the id token expires to swap connections.
        backoff_min: first retry delay after a failure, in seconds.
        backoff_max: longest retry delay, also used when evicted.
        password: fixed password for a broker that is not BMW's (the token
            provider is then not asked; empty: no credentials are sent);
            ``None`` uses the id token.
        client_id: MQTT client id; ``None`` uses the user name.
        connect_timeout: seconds allowed from TCP connect to SUBACK.
        evicted_after: "not authorized" refusals in a row that mean eviction
            (after one forced token refresh).
        evicted_drops: kicks (connections the broker closes within
            ``kick_window`` of accepting them, plus refusals) in a row that
            mean another client on the account.
        kick_window: seconds after CONNACK within which a close by the
            broker fits another client taking the stream.
        unstable_backoff_max: longest retry delay while the connection
            flaps (recovery within 30 s of the broker being stable).
        stable_after: seconds a connection must last to reset the backoff.
        reconnect_pause: seconds to wait after our own disconnect before
            connecting again (the broker still holds the old session).
        own_disconnect_grace: seconds after our own disconnect in which
            "not authorized" is the broker's echo of it, not eviction.
        token_recheck: seconds between looks for a newer id token while the
            current one is kept past its swap time.
    """

    host: str
    port: int
    tls: StreamTls
    ca_file: str | None
    username: str = field(repr=False)
    topic: str = field(repr=False)
    keepalive: int = 30
    swap_margin: float = 300.0
    backoff_min: float = 2.0
    backoff_max: float = 300.0
    password: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    connect_timeout: float = 30.0
    evicted_after: int = 2
    evicted_drops: int = 3
    kick_window: float = 10.0
    unstable_backoff_max: float = 20.0
    stable_after: float = 60.0
    reconnect_pause: float = 2.0
    own_disconnect_grace: float = 10.0
    token_recheck: float = 60.0

    @classmethod
    def for_endpoints(cls, endpoints: Endpoints, gcid: str) -> StreamConfig:
        """Return the configuration for ``gcid`` on ``endpoints``."""
        return cls(
            host=endpoints.stream_host,
            port=endpoints.stream_port,
            tls=endpoints.stream_tls,
            ca_file=endpoints.stream_ca_file,
            username=gcid,
            topic=f"{gcid}/+",
        )
