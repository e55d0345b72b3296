"""What the daily-read tests share: simulated days with nothing in flight.

A clock jump fires every timer that is due, an HTTP request's own timeout
included, and the loop clock stands still between jumps. A token refresh in
flight at the next jump ends as if BMW had not answered, after BMW spent the
refresh token, and the login is lost; a stream connect cut off that way ends
in a forced refresh. With a clock that runs nothing like it happens. So the
daily-read tests use logins that outlast them (:func:`long_logins`), stop
the stream after set-up (:func:`stop_stream`) and poll no car
(:data:`NO_POLLS`); refreshing is the token tests' subject.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.cardata.common.settings import (
    OPT_MAX_DATA_AGE,
    OPT_POLL_INTERVAL,
)
from tests.simulator import Simulator

LOGIN_LASTS = timedelta(days=30)
"""Longer than any daily-read test runs in simulated time."""
NO_POLLS = {OPT_MAX_DATA_AGE: 72, OPT_POLL_INTERVAL: 72 * 60}
"""No car is polled for three days, with the stream or without: every call a
daily-read test counts after the first set-up is a daily read."""


def long_logins(simulator: Simulator) -> None:
    """Tokens the simulator issues from now on last :data:`LOGIN_LASTS`."""
    lifetime = int(LOGIN_LASTS.total_seconds())
    simulator.access_token_lifetime = simulator.id_token_lifetime = lifetime


async def stop_stream(entry: MockConfigEntry) -> None:
    """Stop the entry's stream: the daily reads do not need it."""
    await entry.runtime_data.stream.async_stop()


async def later(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    """Jump the clock by ``delta`` and run what fell due."""
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def a_day(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Three checks, eight hours apart."""
    for _ in range(3):
        await later(hass, freezer, timedelta(hours=8))
