"""Charging and plug transitions per vehicle, from the coordinator's changes.

The hub follows each vehicle's batches of changed values (the coordinator's
changes listener) and evaluates the rules of :mod:`..catalogue.charging` on
the held values: is it charging, is a cable plugged in. A transition is a
change of a rule's answer from one known answer to the other:

- A vehicle's held values when it is first followed (restored at start,
  before the platforms, or the first batch of a new vehicle) set the
  answers without a transition; so does a first answer after none.
- A value resent unchanged, or a second descriptor that says the same
  (``charging.status`` next to ``hvStatus``, several plug descriptors),
  leaves the answer as it is: no transition.

A charge that ends carries BMW's ``reasonChargingEnd`` when the car sent one
for this charge (not older than its start) and its group
(:mod:`.reasons`); every transition carries the charge level the car sent
last.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Final

from homeassistant.core import CALLBACK_TYPE, callback

from ..api.vin import VIN_RE
from ..catalogue.charging import (
    CHARGING_INPUTS,
    HV_STATUS,
    PLUG_INPUTS,
    REASON_END,
    SOC_SOURCES,
    is_charging,
    is_plugged,
    number,
)
from ..common.listeners import KeyedListeners
from ..data.coordinator import CarDataCoordinator
from .reasons import ReasonGroup, reason_group

WATCHED: Final = frozenset({*CHARGING_INPUTS, *PLUG_INPUTS})
"""Descriptors whose change can move a rule's answer."""


class TransitionKind(StrEnum):
    """What happened."""

    CHARGING_STARTED = "charging_started"
    CHARGING_ENDED = "charging_ended"
    PLUGGED = "plugged"
    UNPLUGGED = "unplugged"


@dataclass(frozen=True, slots=True)
class Transition:
    """One real change of a vehicle's charging or plug state."""

    vin: str
    kind: TransitionKind
    at: datetime
    """BMW's time of the value that made the change."""
    charge_level: float | None
    """The charge level the car sent last (percent), if any."""
    reason: str | None = None
    """BMW's ``reasonChargingEnd`` of this charge (an ended charge only)."""
    reason_group: ReasonGroup | None = None


type TransitionCallback = Callable[[Transition], None]


@dataclass(slots=True)
class _Answers:
    """What the rules said last for one vehicle."""

    charging: bool | None
    plugged: bool | None
    charging_since: datetime | None
    """BMW's time the running charge was first seen (None: not charging)."""


class ActivityHub:
    """Per-entry transitions of every vehicle (see the module docstring)."""

    def __init__(self, coordinator: CarDataCoordinator) -> None:
        """Bind to the entry's coordinator; :meth:`async_start` follows it."""
        self.coordinator = coordinator
        self._answers: dict[str, _Answers] = {}
        self._transitions: KeyedListeners[str, Transition] = KeyedListeners()
        self._states: KeyedListeners[str] = KeyedListeners()

    @callback
    def async_start(self) -> None:
        """Follow every vehicle the coordinator knows, and each new one.

        Called after the stored values were restored: they set the answers.
        """
        coordinator = self.coordinator
        for vin in list(coordinator.vehicles):
            self._track(vin)
        coordinator.entry.async_on_unload(
            coordinator.async_add_vehicle_listener(self._track)
        )

    # ----- reading ----------------------------------------------------------

    def charging(self, vin: str) -> bool | None:
        """Whether the vehicle charges (None: the car never said)."""
        answers = self._answers.get(vin)
        return answers.charging if answers is not None else None

    def plugged(self, vin: str) -> bool | None:
        """Whether a cable is plugged in (None: the car never said)."""
        answers = self._answers.get(vin)
        return answers.plugged if answers is not None else None

    def charge_level(self, vin: str) -> float | None:
        """The charge level the car sent last (the newest of its descriptors)."""
        newest: tuple[datetime, float] | None = None
        for name in SOC_SOURCES:
            state = self.coordinator.get(vin, name)
            if state is None or (level := number(state.value)) is None:
                continue
            if newest is None or state.effective_timestamp > newest[0]:
                newest = (state.effective_timestamp, level)
        return newest[1] if newest is not None else None

    # ----- listeners --------------------------------------------------------

    @callback
    def async_add_listener(
        self, vin: str, listener: TransitionCallback
    ) -> CALLBACK_TYPE:
        """Call ``listener(transition)`` for each transition of the vehicle."""
        return self._transitions.add(vin, listener)

    @callback
    def async_add_state_listener(
        self, vin: str, listener: CALLBACK_TYPE
    ) -> CALLBACK_TYPE:
        """Call ``listener()`` when an answer of the vehicle changed at all.

        Also for a first answer, which makes no transition.
        """
        return self._states.add(vin, listener)

    # ----- following the coordinator -----------------------------------------

    @callback
    def _track(self, vin: str) -> None:
        """Follow a vehicle; its held values set the answers, silently."""
        if vin in self._answers or not VIN_RE.match(vin):
            return
        values, stamps = self.coordinator.held(vin, WATCHED)
        charging = (
            is_charging(values, stamps) if _any(values, CHARGING_INPUTS) else None
        )
        self._answers[vin] = _Answers(
            charging=charging,
            plugged=is_plugged(values, stamps),
            charging_since=_since(stamps) if charging else None,
        )
        self.coordinator.entry.async_on_unload(
            self.coordinator.async_add_changes_listener(
                vin, partial(self._on_changes, vin)
            )
        )

    @callback
    def _on_changes(self, vin: str, names: Sequence[str]) -> None:
        """Evaluate the rules again when a batch changed one of their inputs."""
        if not any(name in WATCHED for name in names):
            return
        answers = self._answers[vin]
        values, stamps = self.coordinator.held(vin, WATCHED)
        at = max((stamps[name] for name in names if name in stamps), default=None)
        if at is None:
            return
        found: list[Transition] = []
        moved = False
        if _any(values, CHARGING_INPUTS):
            charging = is_charging(values, stamps)
            if charging != answers.charging:
                moved = True
                if answers.charging is not None:
                    found.append(self._charging_change(vin, answers, charging, at))
                answers.charging = charging
                answers.charging_since = at if charging else None
        plugged = is_plugged(values, stamps)
        if plugged is not None and plugged != answers.plugged:
            moved = True
            if answers.plugged is not None:
                kind = TransitionKind.PLUGGED if plugged else TransitionKind.UNPLUGGED
                found.append(Transition(vin, kind, at, self.charge_level(vin)))
            answers.plugged = plugged
        if moved:
            self._states.notify(vin)
        for transition in found:
            self._transitions.notify(vin, transition)

    def _charging_change(
        self, vin: str, answers: _Answers, charging: bool, at: datetime
    ) -> Transition:
        level = self.charge_level(vin)
        if charging:
            return Transition(vin, TransitionKind.CHARGING_STARTED, at, level)
        reason = self._reason(vin, answers.charging_since)
        return Transition(
            vin,
            TransitionKind.CHARGING_ENDED,
            at,
            level,
            reason,
            reason_group(reason) if reason is not None else None,
        )

    def _reason(self, vin: str, since: datetime | None) -> str | None:
        """BMW's reason the charge ended, when the car sent one for this charge."""
        state = self.coordinator.get(vin, REASON_END)
        if state is None or not isinstance(state.value, str) or not state.value:
            return None
        if since is not None and state.effective_timestamp < since:
            return None  # the reason of an earlier charge
        return state.value


def _any(values: dict[str, object], names: frozenset[str]) -> bool:
    return any(name in values for name in names)


def _since(stamps: dict[str, datetime]) -> datetime | None:
    """When a charge found running (restored) began, as far as the values say."""
    if (started := stamps.get(HV_STATUS)) is not None:
        return started
    return max(
        (at for name, at in stamps.items() if name in CHARGING_INPUTS), default=None
    )
