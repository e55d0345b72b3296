"""One connection attempt of the stream and how it ended.

Internal to :mod:`.stream`: the states, the attempt's failures sorted into
the state that fits them, and the TLS context.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
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
        unreachable: bool = False,
        kicked: bool = False,
    ) -> None:
        """Store the failure and what it says about the broker."""
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.not_authorized = not_authorized
        self.bad_credentials = bad_credentials
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
        raise AttemptFailedError(
            StreamState.REFUSED,
            f"stream certificate not trusted: {err.verify_message}",
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
        AttemptFailedError: the settings cannot be loaded (refused).
    """
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(None, build_ssl_context, tls, ca_file)
    except (OSError, ValueError, ssl.SSLError) as err:
        raise AttemptFailedError(
            StreamState.REFUSED, f"cannot load the TLS settings: {err}"
        ) from None
