"""Stream connection edge cases against plain local TCP servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from dataclasses import replace
import socket
from typing import Any

from custom_components.cardata.api import (
    CarDataStream,
    StreamConfig,
    StreamState,
    StreamTls,
)
from tests.waiting import wait_for


@contextlib.asynccontextmanager
async def silent_broker() -> AsyncIterator[tuple[int, list[asyncio.StreamReader]]]:
    """A TCP server that accepts and never answers."""
    readers: list[asyncio.StreamReader] = []
    writers: list[asyncio.StreamWriter] = []

    async def silent(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        readers.append(reader)
        writers.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], readers
    finally:
        for writer in writers:
            writer.close()
        server.close()
        await server.wait_closed()


def _plain_config(port: int, **changes: Any) -> StreamConfig:
    config = StreamConfig(
        host="127.0.0.1",
        port=port,
        tls=StreamTls.NONE,
        ca_file=None,
        username="user",
        topic="user/+",
        password="secret",
        connect_timeout=0.3,
        backoff_min=0.05,
        backoff_max=0.2,
    )
    return replace(config, **changes)


class NoTokens:
    async def async_get_id_token(self) -> tuple[str, Any]:
        raise AssertionError("fixed password: no token needed")

    def peek_id_token(self) -> tuple[str, Any]:
        raise AssertionError("fixed password: no token needed")

    async def async_refresh_id_token(self, refused: str) -> tuple[str, Any]:
        raise AssertionError("fixed password: no token needed")


async def test_connack_timeout_is_retried(socket_enabled: None) -> None:
    """A broker that accepts TCP but never answers CONNACK: bounded wait."""
    async with silent_broker() as (port, readers):
        stream = CarDataStream(_plain_config(port), NoTokens(), lambda _m: None)
        task = asyncio.create_task(stream.run())
        try:
            await wait_for(lambda: len(readers) >= 2)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert any("timed out" in reason for _, reason in stream.history)
    assert stream.state is StreamState.STOPPED


async def test_cancel_while_connecting_closes_the_socket(socket_enabled: None) -> None:
    async with silent_broker() as (port, readers):
        config = _plain_config(port, connect_timeout=30.0)
        stream = CarDataStream(config, NoTokens(), lambda _m: None)
        task = asyncio.create_task(stream.run())
        await wait_for(lambda: len(readers) == 1)
        # The CONNECT packet arrives; then cancellation closes the socket.
        assert (await readers[0].read(1))[0] >> 4 == 1
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        async with asyncio.timeout(5):
            while await readers[0].read(1024):
                pass
    assert stream.state is StreamState.STOPPED


async def test_closed_port_is_retried(socket_enabled: None) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    stream = CarDataStream(_plain_config(port), NoTokens(), lambda _m: None)
    task = asyncio.create_task(stream.run())
    try:
        await wait_for(lambda: len(stream.history) >= 2)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert stream.last_error == "cannot connect: ConnectionRefusedError"


async def test_host_name_is_resolved(socket_enabled: None) -> None:
    async with silent_broker() as (port, readers):
        config = _plain_config(port, host="localhost")
        stream = CarDataStream(config, NoTokens(), lambda _m: None)
        task = asyncio.create_task(stream.run())
        try:
            await wait_for(lambda: len(readers) >= 1)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
