"""The callback registries: order, and changes made while they notify."""

from __future__ import annotations

from custom_components.cardata.common.listeners import KeyedListeners, Listeners


def test_a_notification_runs_over_the_callbacks_registered_when_it_began() -> None:
    listeners: Listeners[str] = Listeners()
    calls: list[str] = []
    removers = {}

    def first(value: str) -> None:
        calls.append(f"first {value}")
        removers["second"]()  # removed now: still told this time, not again
        listeners.add(lambda v: calls.append(f"late {v}"))  # from the next one

    def second(value: str) -> None:
        calls.append(f"second {value}")

    removers["first"] = listeners.add(first)
    removers["second"] = listeners.add(second)
    listeners.notify("a")
    assert calls == ["first a", "second a"]
    assert len(listeners) == 2
    removers["first"]()
    removers["first"]()  # twice changes nothing
    calls.clear()
    listeners.notify("b")
    assert calls == ["late b"]
    assert len(listeners) == 1


def test_the_same_callback_twice_is_removed_once_per_remover() -> None:
    listeners: Listeners = Listeners()
    calls: list[int] = []

    def told() -> None:
        calls.append(1)

    remove = listeners.add(told)
    listeners.add(told)
    listeners.notify()
    assert calls == [1, 1]
    remove()
    listeners.notify()
    assert calls == [1, 1, 1]


def test_keyed_listeners_wake_only_their_key_and_forget_empty_keys() -> None:
    keyed: KeyedListeners[str] = KeyedListeners()
    calls: list[str] = []
    remove_a = keyed.add("a", lambda: calls.append("a"))
    keyed.add("b", lambda: calls.append("b"))
    keyed.notify("a")
    for update in keyed.get("b"):
        update()
    assert calls == ["a", "b"]
    remove_a()
    keyed.notify("a")
    assert list(keyed.get("a")) == []
    assert list(keyed.get("unknown")) == []
    assert calls == ["a", "b"]
