"""Push coordinator: the integration's memory of every vehicle's descriptors.

The VIN gate hands each parsed MQTT message of the account's own vehicles to
:meth:`CarDataCoordinator.async_apply_message`; the REST side hands telematic
snapshots to :meth:`CarDataCoordinator.async_apply_values`. The coordinator keeps,
per VIN and per descriptor, the value, unit, BMW timestamp and the time Home
Assistant received it, drops values that do not fit the descriptor or are older
than the one it holds (by BMW's timestamps while BMW's clock agrees with ours;
in arrival order while it does not, see :mod:`.clock`), and wakes only the
listeners of the (VIN, descriptor) pairs that changed. Stream sharing follows
the descriptors each message had accepted
(:meth:`CarDataCoordinator.async_add_accepted_listener`). It also announces
vehicles and descriptors it has not seen before, so the platforms can add
entities at runtime, and it remembers from the entity and device registries what
existed before a restart, so the platforms can recreate those entities at setup
(they then restore their last state themselves).

It is not a polling ``DataUpdateCoordinator``: nothing here ever fetches.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.util import dt as dt_util

from ..api.vin import VIN_RE, maker
from ..auth.token_manager import TokenManager
from ..catalogue.value_check import ValueCheck
from ..common.listeners import KeyedListeners, Listeners
from ..const import DOMAIN, LOGGER
from .clock import CLOCK_SKEW, StreamClock
from .state import (
    DescriptorState,
    VehicleState,
    heard,
    is_older,
    same,
    split_unique_id,
)

if TYPE_CHECKING:
    from ..api import StreamMessage

type VehicleCallback = Callable[[str], None]
type DescriptorsCallback = Callable[[str, tuple[str, ...]], None]
type AcceptedCallback = Callable[[StreamMessage, tuple[str, ...]], None]
type ChangesCallback = Callable[[tuple[str, ...]], None]

MANUFACTURER: Final = "BMW"
TRACKER_SUFFIX: Final = "device_tracker"
"""Unique id of a vehicle's tracker is ``{VIN}_device_tracker``.

The same as in kvanbiesen/bmw-cardata-ha, so an in-place upgrade adopts its
tracker entity (entity id and history) instead of creating a second one.
"""

DEVICE_INFO_FIELDS: Final = frozenset(
    {
        "manufacturer",
        "model",
        "model_id",
        "name",
        "serial_number",
        "sw_version",
        "hw_version",
        "configuration_url",
    }
)


class CarDataCoordinator:
    """Per-entry push coordinator (see the module docstring)."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry, tokens: TokenManager
    ) -> None:
        """Create the coordinator and load what the registries remember.

        ``tokens`` is the entry's login: its entities are unavailable while
        BMW refuses it.
        """
        self.hass = hass
        self.entry = entry
        self.tokens = tokens
        self.vehicles: dict[str, VehicleState] = {}
        self.stream_state: str | None = None
        """Mirror of the stream state, set by the stream owner."""
        self.ignored_older = 0
        """Values dropped because BMW's timestamp was older than the held one."""
        self.clock = StreamClock()
        """BMW's stream clock against ours, per vehicle."""
        self.value_check = ValueCheck()
        """Drops (and counts) values that do not fit the descriptor's type."""
        self.closed = False
        """Set at unload (:meth:`async_close`): nothing more is taken."""
        self._change_listeners: Listeners[str] = Listeners()
        self._listeners: KeyedListeners[tuple[str, str]] = KeyedListeners()
        self._changes_listeners: KeyedListeners[str, tuple[str, ...]] = KeyedListeners()
        self._vehicle_data_listeners: KeyedListeners[str] = KeyedListeners()
        self._vehicle_listeners: Listeners[str] = Listeners()
        self._descriptor_listeners: Listeners[str, tuple[str, ...]] = Listeners()
        self._accepted_listeners: Listeners[StreamMessage, tuple[str, ...]] = (
            Listeners()
        )
        self._failed: set[tuple[int, str]] = set()
        self._shared: set[str] = set()
        self._load_registries()

    # ------------------------------------------------------------------ restore
    def _load_registries(self) -> None:
        """Remember vehicles and descriptors that had entities before a restart."""
        for device in dr.async_entries_for_config_entry(
            dr.async_get(self.hass), self.entry.entry_id
        ):
            for domain, ident in device.identifiers:
                if domain == DOMAIN and VIN_RE.match(ident):
                    # Keep what the REST side filled in before the restart.
                    self._vehicle(ident).device_fields.update(_device_fields(device))
        for entity in er.async_entries_for_config_entry(
            er.async_get(self.hass), self.entry.entry_id
        ):
            if (parsed := split_unique_id(entity.unique_id)) is not None:
                vin, descriptor = parsed
                self._vehicle(vin).known_descriptors.add(descriptor)
            elif entity.unique_id.endswith(f"_{TRACKER_SUFFIX}"):
                vin = entity.unique_id.removesuffix(f"_{TRACKER_SUFFIX}")
                if VIN_RE.match(vin):
                    self._vehicle(vin).has_restored_tracker = True

    def _vehicle(self, vin: str) -> VehicleState:
        if (vehicle := self.vehicles.get(vin)) is None:
            vehicle = self.vehicles[vin] = VehicleState(vin)
        return vehicle

    # ------------------------------------------------------------------ reading
    def get(self, vin: str, descriptor: str) -> DescriptorState | None:
        """Return the held state of one descriptor, if any arrived since start."""
        if (vehicle := self.vehicles.get(vin)) is None:
            return None
        return vehicle.descriptors.get(descriptor)

    def held(
        self, vin: str, descriptors: Iterable[str]
    ) -> tuple[dict[str, object], dict[str, datetime]]:
        """The held values of ``descriptors`` and their BMW times (the rules' input)."""
        values: dict[str, object] = {}
        stamps: dict[str, datetime] = {}
        if (vehicle := self.vehicles.get(vin)) is None:
            return values, stamps
        held = vehicle.descriptors
        for name in descriptors:
            if (state := held.get(name)) is not None:
                values[name] = state.value
                stamps[name] = state.effective_timestamp
        return values, stamps

    def shared(self, vin: str) -> bool:
        """Whether the vehicle is only shared with the account (SECONDARY).

        Such a car is shown from its stream and never asked over REST (BMW
        refuses it).
        """
        return vin in self._shared

    @callback
    def set_shared(self, vin: str, *, shared: bool) -> None:
        """Mark a vehicle as shared with the account, or as its own."""
        if shared:
            self._shared.add(vin)
        else:
            self._shared.discard(vin)

    def last_received(self, vin: str) -> datetime | None:
        """Return BMW's newest timestamp of any value of the vehicle, if any.

        When BMW sent a value without a timestamp, its reception time counts.
        """
        if (vehicle := self.vehicles.get(vin)) is None:
            return None
        return vehicle.last_timestamp

    def device_info(self, vin: str) -> DeviceInfo:
        """Return the DeviceInfo of a vehicle (one device per VIN)."""
        fields = self.vehicles[vin].device_fields if vin in self.vehicles else {}
        # Named by brand (basicData, else the VIN's maker code): "MINI 1234".
        # Existing entity ids stay; only entities created later take the new
        # name into their ids.
        brand = fields.get("manufacturer") or maker(vin)
        info = DeviceInfo(
            identifiers={(DOMAIN, vin)},
            manufacturer=maker(vin),
            name=f"{brand} {vin[-4:]}",
            serial_number=vin,
        )
        info.update(fields)  # type: ignore[typeddict-item]
        return info

    # ------------------------------------------------------------------ writing
    @callback
    def async_apply_message(self, msg: StreamMessage) -> None:
        """Apply one parsed stream message (the VIN gate's way in).

        The accepted listeners then get the message with the descriptors that
        passed the checks, if any did.
        """
        received_at = dt_util.utcnow()
        outer = msg.timestamp
        self.clock.follow(msg.vin, outer, received_at)
        accepted = self._apply(
            msg.vin,
            {
                name: DescriptorState(
                    dv.value, dv.unit, dv.timestamp or outer, received_at
                )
                for name, dv in msg.data.items()
            },
        )
        if accepted and self._accepted_listeners:
            self._accepted_listeners.notify(msg, tuple(accepted))

    @callback
    def async_apply_values(
        self, vin: str, values: Mapping[str, DescriptorState]
    ) -> None:
        """Apply descriptor values of one vehicle (stream or REST snapshot).

        A value whose BMW timestamp is older than the held one is ignored,
        unless BMW's stream clock disagrees with ours (then values count in
        the order they arrive). A value equal in value, unit and timestamp to
        the held one changes nothing.
        Listeners of a (VIN, descriptor) are called when its value, unit or BMW
        timestamp changed; entities decide themselves whether their state moved.
        """
        self._apply(vin, values)

    def _apply(self, vin: str, values: Mapping[str, DescriptorState]) -> list[str]:
        """Apply values (see :meth:`async_apply_values`); return the accepted."""
        if self.closed:
            return []
        vehicle = self.vehicles.get(vin)
        new_vehicle = vehicle is None
        if vehicle is None:
            vehicle = self.vehicles[vin] = VehicleState(vin)
        previous = vehicle.last_timestamp
        changed, new, accepted = self._store(vehicle, values)
        if new_vehicle:
            self._vehicle_listeners.notify(vin)
        if new:
            self._descriptor_listeners.notify(vin, tuple(new))
        if changed:
            self._wake(vin, changed)
        if changed or new:
            names = (*new, *changed)
            for changes_cb in self._changes_listeners.get(vin):
                self._call(changes_cb, "changes", names)
        if vehicle.last_timestamp != previous:
            for update_cb in self._vehicle_data_listeners.get(vin):
                self._call(update_cb, "")
        self._notify_change(vin, bool(changed or new))
        return accepted

    def _wake(self, vin: str, changed: list[str]) -> None:
        """Run the entity listeners of the changed descriptors (as :meth:`_call`)."""
        listeners = self._listeners
        for name in changed:
            for update_cb in listeners.get((vin, name)):
                try:  # inline, not _call: this runs for every changed value
                    update_cb()
                except Exception:  # noqa: BLE001 - one entity must not stop the rest
                    self._failed_once(update_cb, name)

    def _call[*Ts](
        self, update_cb: Callable[[*Ts], None], name: str, *args: *Ts
    ) -> None:
        """Run one entity's update; its failure never stops the others."""
        try:
            update_cb(*args)
        except Exception:  # noqa: BLE001 - one entity must not stop the rest
            self._failed_once(update_cb, name)

    def _failed_once(self, update_cb: Callable[..., None], name: str) -> None:
        """Log an entity's failed update once per entity and value."""
        key = (id(update_cb), name)
        if key not in self._failed:
            self._failed.add(key)
            LOGGER.exception("Error updating an entity with %s", name or "data")

    def _notify_change(self, vin: str, stored: bool) -> None:
        """Tell the change listeners (the value store) that values were stored."""
        if stored:
            self._change_listeners.notify(vin)

    def _store(
        self, vehicle: VehicleState, values: Mapping[str, DescriptorState]
    ) -> tuple[list[str], list[str], list[str]]:
        """Store accepted values.

        Returns the descriptors that changed (known ones), that were seen for
        the first time, and every one accepted (resends of the held value too).
        """
        held = vehicle.descriptors
        known = vehicle.known_descriptors
        arrival = self.clock.skewed(vehicle.vin)
        changed: list[str] = []
        new: list[str] = []
        accepted: list[str] = []
        for name, state in values.items():
            if state.value is None and state.timestamp is None:
                continue  # no value, no time: says nothing (REST: unsupported)
            if not self.value_check.accepts(name, state.value):
                continue  # the wrong type: the last good value stays
            if (old := held.get(name)) is not None:
                if not arrival and is_older(state, old):
                    self.ignored_older += 1
                    continue
                if same(state, old):
                    # A resend: only the reception time moves. The car still
                    # spoke, so it counts as activity (the REST poller skips
                    # cars it hears from), but no entity listener is woken.
                    held[name] = state
                    heard(vehicle, state)
                    accepted.append(name)
                    continue
            held[name] = state
            accepted.append(name)
            heard(vehicle, state)
            stamp = state.effective_timestamp
            newest = vehicle.last_timestamp
            if (
                arrival
                or newest is None
                or stamp > newest
                or newest - state.received_at > CLOCK_SKEW
            ):
                vehicle.last_timestamp = stamp
            if name in known:
                changed.append(name)
            else:
                known.add(name)
                new.append(name)
        return changed, new, accepted

    @callback
    @callback
    def async_close(self) -> None:
        """Take nothing more: the entry unloads.

        A stream message or a REST answer that lands while the platforms
        unload would announce a vehicle or descriptor to a platform already
        gone; its entities would linger and clash with the next load's.
        """
        self.closed = True

    def set_device_info(self, vin: str, **fields: str | None) -> None:
        """Fill in device details of a vehicle (brand, model, ...) from REST.

        Accepted keys: manufacturer, model, model_id, name, serial_number,
        sw_version, hw_version, configuration_url. None values are skipped. A
        vehicle not seen before is announced, so its entities appear.
        """
        unknown = set(fields) - DEVICE_INFO_FIELDS
        if unknown:
            raise ValueError(f"Unknown device info fields: {sorted(unknown)}")
        if self.closed:
            return
        clean = {key: value for key, value in fields.items() if value is not None}
        new_vehicle = vin not in self.vehicles
        vehicle = self._vehicle(vin)
        held = vehicle.device_fields
        if (brand := clean.get("manufacturer")) and "name" not in clean:
            # Our default name follows the brand; any other name is kept.
            default = f"{held.get('manufacturer') or maker(vin)} {vin[-4:]}"
            if held.get("name", default) == default:
                clean["name"] = f"{brand} {vin[-4:]}"
        vehicle.device_fields.update(clean)
        dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.entry.entry_id,
            **self.device_info(vin),
        )
        if new_vehicle:
            self._vehicle_listeners.notify(vin)

    @callback
    def async_set_stream_state(self, state: str) -> None:
        """Mirror the stream state (a StreamState value; the stream owner calls it)."""
        self.stream_state = str(state)

    # ------------------------------------------------------------------ listeners
    @callback
    def async_add_listener(
        self, vin: str, descriptor: str, update_callback: CALLBACK_TYPE
    ) -> CALLBACK_TYPE:
        """Call ``update_callback`` when this (VIN, descriptor) changes."""
        return self._listeners.add((vin, descriptor), update_callback)

    @callback
    def async_add_changes_listener(
        self, vin: str, changed: ChangesCallback
    ) -> CALLBACK_TYPE:
        """Call ``changed(names)`` once per batch of the vehicle's values applied.

        ``names`` are the descriptors the batch brought news of: first the
        ones seen for the first time (as announced), then those whose value,
        unit or BMW timestamp changed (whose listeners were just woken), in
        the order they came. One call per message, however many changed;
        none when nothing did.
        """
        return self._changes_listeners.add(vin, changed)

    @callback
    def async_add_vehicle_data_listener(
        self, vin: str, update_callback: CALLBACK_TYPE
    ) -> CALLBACK_TYPE:
        """Call ``update_callback`` when the vehicle's newest BMW timestamp moves."""
        return self._vehicle_data_listeners.add(vin, update_callback)

    @callback
    def async_add_vehicle_listener(self, new_vehicle: VehicleCallback) -> CALLBACK_TYPE:
        """Call ``new_vehicle(vin)`` when a vehicle appears for the first time."""
        return self._vehicle_listeners.add(new_vehicle)

    @callback
    def async_add_change_listener(self, changed: VehicleCallback) -> CALLBACK_TYPE:
        """Call ``changed(vin)`` after values of a vehicle were stored."""
        return self._change_listeners.add(changed)

    @callback
    def async_add_accepted_listener(self, accepted: AcceptedCallback) -> CALLBACK_TYPE:
        """Call ``accepted(message, names)`` after a stream message was applied.

        ``names`` are the message's descriptors that passed the coordinator's
        checks (the value fits the descriptor, not older than the held one);
        a message with none is not passed on. Only the VIN gate applies stream
        messages, so these are messages of the account's own vehicles.
        """
        return self._accepted_listeners.add(accepted)

    @callback
    def async_add_descriptor_listener(
        self, new_descriptors: DescriptorsCallback
    ) -> CALLBACK_TYPE:
        """Call ``new_descriptors(vin, names)`` when descriptors first arrive."""
        return self._descriptor_listeners.add(new_descriptors)


def _device_fields(device: dr.DeviceEntry) -> dict[str, str]:
    """The device registry's details of a vehicle (filled by REST earlier)."""
    fields: dict[str, str] = {}
    for key in DEVICE_INFO_FIELDS:
        value = getattr(device, key, None)
        if isinstance(value, str):
            fields[key] = value
    return fields
