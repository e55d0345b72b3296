"""Registries of callbacks whose registrations can be removed.

:class:`Listeners` is one list of callbacks, all called with the same
arguments (none by default); :class:`KeyedListeners` keeps one such list per
key (a VIN, a (VIN, descriptor) pair) so a change wakes only its own. Every
registry of the integration outside ``api`` is one of these two.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import suppress

from homeassistant.core import CALLBACK_TYPE, callback


class Listeners[*Ts = *tuple[()]]:
    """Callbacks told about a change, in the order they were added.

    The callbacks are held as a tuple that :meth:`add` and the returned
    remover replace, never change: a notification runs over the tuple it
    started with (a callback may add or remove registrations) without
    copying it for every change of every value.
    """

    __slots__ = ("_updates",)

    def __init__(self) -> None:
        """Start with none."""
        self._updates: tuple[Callable[[*Ts], None], ...] = ()

    @callback
    def add(self, update: Callable[[*Ts], None]) -> CALLBACK_TYPE:
        """Register ``update``; return the function that removes it."""
        self._updates = (*self._updates, update)

        @callback
        def remove() -> None:
            updates = self._updates
            with suppress(ValueError):
                index = updates.index(update)
                self._updates = updates[:index] + updates[index + 1 :]

        return remove

    def __iter__(self) -> Iterator[Callable[[*Ts], None]]:
        """Iterate over the callbacks registered now (later changes aside)."""
        return iter(self._updates)

    def __len__(self) -> int:
        """Return how many callbacks are registered."""
        return len(self._updates)

    def notify(self, *args: *Ts) -> None:
        """Call every registered callback with ``args``."""
        for update in self._updates:
            update(*args)


class KeyedListeners[K: Hashable, *Ts = *tuple[()]]:
    """One :class:`Listeners` per key; a key without callbacks is dropped."""

    __slots__ = ("_by_key",)

    def __init__(self) -> None:
        """Start with none."""
        self._by_key: dict[K, Listeners[*Ts]] = {}

    @callback
    def add(self, key: K, update: Callable[[*Ts], None]) -> CALLBACK_TYPE:
        """Register ``update`` for ``key``; return the function that removes it."""
        listeners = self._by_key.get(key)
        if listeners is None:
            listeners = self._by_key[key] = Listeners()
        remove_update = listeners.add(update)

        @callback
        def remove() -> None:
            remove_update()
            if not listeners and self._by_key.get(key) is listeners:
                del self._by_key[key]

        return remove

    def get(self, key: K) -> Iterator[Callable[[*Ts], None]]:
        """Iterate over the callbacks of ``key`` registered now (none if unknown)."""
        listeners = self._by_key.get(key)
        return iter(listeners) if listeners is not None else iter(())

    def notify(self, key: K, *args: *Ts) -> None:
        """Call every callback of ``key`` with ``args``."""
        if (listeners := self._by_key.get(key)) is not None:
            listeners.notify(*args)
