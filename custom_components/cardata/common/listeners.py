"""A list of no-argument callbacks whose registrations can be removed."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from homeassistant.core import CALLBACK_TYPE, callback


class Listeners:
    """Callbacks told about a change (token manager, stream owner)."""

    def __init__(self) -> None:
        """Start with none."""
        self._updates: list[Callable[[], None]] = []

    @callback
    def add(self, update: Callable[[], None]) -> CALLBACK_TYPE:
        """Register ``update``; return the function that removes it."""
        self._updates.append(update)

        @callback
        def remove() -> None:
            with suppress(ValueError):
                self._updates.remove(update)

        return remove

    def notify(self) -> None:
        """Call every registered update (a copy: updates may unsubscribe)."""
        for update in list(self._updates):
            update()
