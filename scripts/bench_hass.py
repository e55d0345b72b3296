"""A test Home Assistant for the benchmarks, in a fresh temporary folder.

``async_test_home_assistant`` of pytest-homeassistant-custom-component
defaults to the ``testing_config`` folder inside the installed package, and
unlike pytest's ``hass`` fixture it never stops the instance. A benchmark's
instance stores for real (config entries with tokens, the value stores,
the registries), so runs left all that in the package for the next run to
load, and the registries' delayed saves fired after the benchmark had moved
on. Here every instance gets a folder of its own, is stopped at the end
(the final write lands in its folder, the recorder's thread ends) and the
folder is removed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
import socket
import tempfile
from unittest.mock import patch

from aiohttp.resolver import ThreadedResolver
from homeassistant import loader
from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_test_home_assistant


class _PlainResolver(ThreadedResolver):
    """The system's resolver: a bare test instance has no zeroconf."""

    async def real_close(self) -> None:
        """What Home Assistant calls when it closes."""
        await self.close()


@contextlib.asynccontextmanager
async def bench_hass() -> AsyncIterator[HomeAssistant]:
    """A running test Home Assistant with its web server on 127.0.0.1."""
    resolver = patch(
        "homeassistant.helpers.aiohttp_client._async_make_resolver",
        return_value=_PlainResolver(),
    )
    with (
        tempfile.TemporaryDirectory(prefix="cardata-bench-") as config,
        resolver,
    ):
        async with async_test_home_assistant(config_dir=config) as hass:
            try:
                # Find this repository's custom_components, not the plug-in's.
                hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
                # As Home Assistant's start (and pytest's fixture) does: a
                # deprecated call then warns instead of raising RuntimeError.
                frame.async_setup(hass)
                await _loopback_http(hass)
                yield hass
            finally:
                await hass.async_stop(force=True)


async def _loopback_http(hass: HomeAssistant) -> None:
    """Home Assistant's web server (the logbook and images need it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = {"http": {"server_host": ["127.0.0.1"], "server_port": port}}
    if not await async_setup_component(hass, "http", config):
        msg = "http did not start"
        raise RuntimeError(msg)
