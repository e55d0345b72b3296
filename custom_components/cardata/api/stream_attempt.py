"""One connection attempt of the stream and how it ended.

Internal to :mod:`.stream`: the states, the attempt's failures sorted into
the state that fits them, and the TLS context.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
import os
import ssl

from .connection import (
    ConnectRefusedError,
    MqttConnection,
    MqttConnectionError,
    SubscribeRefusedError,
    open_socket,
)
from .endpoints import StreamTls


class StreamState(StrEnum):
    """State of the stream connection."""

    STOPPED = "stopped"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    WAITING_TO_RETRY = "waiting_to_retry"
    WAITING_FOR_TOKEN = "waiting_for_token"  # noqa: S105 - a state name
    EVICTED = "evicted"
    REFUSED = "refused"
    TLS_FAILED = "tls_failed"
    """The broker's certificate was not trusted, or the CA file not usable."""
    UNSTABLE = "unstable"
    """Waiting to retry a flapping connection (see :mod:`.stream_contest`)."""


class AttemptFailedError(Exception):
    """A connection attempt failed; ``kind`` picks the next state.

    Attributes:
        not_authorized: the broker answered rc 5.
        bad_credentials: the broker answered rc 4.
        unreachable: no MQTT answer (TCP, TLS, a close before CONNACK, a
            timeout, rc 3 "server unavailable").
        kicked: the broker accepted the connection, then closed it before
            answering the subscription.
    """

    def __init__(
        self,
        kind: StreamState,
        message: str,
        *,
        not_authorized: bool = False,
        bad_credentials: bool = False,
        tls_reason: str | None = None,
        unreachable: bool = False,
        kicked: bool = False,
    ) -> None:
        """Store the failure and what it says about the broker.

        ``tls_reason`` says why TLS failed (certificate not trusted, CA file
        not usable); ``None`` for every other failure.
        """
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.not_authorized = not_authorized
        self.bad_credentials = bad_credentials
        self.tls_reason = tls_reason
        self.unreachable = unreachable
        self.kicked = kicked


@dataclass(frozen=True, slots=True)
class Ended:
    """How an established connection ended."""

    planned: bool
    stable: bool
    reason: str
    token: tuple[str, datetime] | None = None
    lasted: float = 0.0
    """Seconds from CONNACK to the end."""


def build_ssl_context(tls: StreamTls, ca_file: str | None) -> ssl.SSLContext | None:
    """Return the TLS context for ``tls`` (blocking: reads certificate files).

    Verification is on (hostname and chain); TLS 1.2 and 1.3 are allowed.

    Raises:
        OSError: the CA file cannot be read (``ssl.SSLError``: no PEM
            certificate in it).
        ValueError: ``CUSTOM_CA`` without a CA file.
    """
    if tls is StreamTls.NONE:
        return None
    if tls is StreamTls.CUSTOM_CA:
        if not ca_file:
            raise ValueError("custom_ca needs a CA file")
        context = ssl.create_default_context(cafile=ca_file)
    else:
        context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def establish(
    connection: MqttConnection,
    *,
    host: str,
    port: int,
    topic: str,
    context: ssl.SSLContext | None,
    limit: float,
) -> None:
    """Connect, log in and subscribe within ``limit`` seconds.

    Raises:
        AttemptFailedError: with the state that fits the failure.
    """
    accepted = False
    try:
        async with asyncio.timeout(limit):
            sock = await open_socket(host, port, context)
            await connection.connect(sock, host, port)
            accepted = True
            await connection.subscribe(topic)
    except ConnectRefusedError as err:
        if err.not_authorized:
            raise AttemptFailedError(
                StreamState.WAITING_TO_RETRY,
                "broker answered not authorized (rc 5)",
                not_authorized=True,
            ) from None
        unavailable = err.reason == "Server unavailable"
        kind = StreamState.WAITING_TO_RETRY if unavailable else StreamState.REFUSED
        raise AttemptFailedError(
            kind,
            str(err),
            bad_credentials=err.bad_credentials,
            unreachable=unavailable,
        ) from None
    except SubscribeRefusedError as err:
        raise AttemptFailedError(StreamState.REFUSED, str(err)) from None
    except ssl.SSLCertVerificationError as err:
        reason = str(err.verify_message or err.reason or "verification failed")
        raise AttemptFailedError(
            StreamState.TLS_FAILED,
            f"stream certificate not trusted: {reason}",
            tls_reason=reason,
        ) from None
    except TimeoutError:
        raise AttemptFailedError(
            StreamState.WAITING_TO_RETRY, "connecting timed out", unreachable=True
        ) from None
    except (OSError, MqttConnectionError) as err:
        detail = (
            str(err) if isinstance(err, MqttConnectionError) else type(err).__name__
        )
        if accepted:
            raise AttemptFailedError(
                StreamState.WAITING_TO_RETRY,
                f"closed right after the broker accepted it: {detail}",
                kicked=True,
            ) from None
        raise AttemptFailedError(
            StreamState.WAITING_TO_RETRY, f"cannot connect: {detail}", unreachable=True
        ) from None


async def load_ssl_context(
    tls: StreamTls, ca_file: str | None
) -> ssl.SSLContext | None:
    """Build the TLS context in an executor (it reads certificate files).

    Raises:
        AttemptFailedError: the CA file cannot be read or holds no
            certificate (a TLS failure).
    """
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(None, build_ssl_context, tls, ca_file)
    except (OSError, ValueError) as err:
        reason = f"CA file not usable ({_describe(err)})"
        raise AttemptFailedError(
            StreamState.TLS_FAILED,
            f"cannot load the TLS settings: {reason}",
            tls_reason=reason,
        ) from None


def _describe(err: Exception) -> str:
    """A short reason without a traceback (``ssl.SSLError`` is an OSError)."""
    if isinstance(err, ssl.SSLError):
        reason = err.reason or "not a PEM certificate"
        return str(reason).lower().replace("_", " ")
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err)


def check_ca_file(path: str) -> str | None:
    """Check a CA file the way the stream loads it (blocking: reads the file).

    Returns:
        ``None`` when it is a readable PEM file with at least one
        certificate; else ``"missing"`` (no such file) or ``"invalid"``
        (unreadable, or no PEM certificate in it).
    """
    if not path or not os.path.isfile(path):  # noqa: PTH113 - a str path
        return "missing"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=path)
    except OSError, ValueError:
        return "invalid"
    return None if context.cert_store_stats()["x509"] else "invalid"
