"""Entity base classes and the runtime entity creation shared by the platforms."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import callback
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from ..catalogue.descriptors import DescriptorInfo, describe
from ..data.coordinator import CarDataCoordinator
from ..data.state import DescriptorState


class CarDataEntity(Entity):
    """An entity of one vehicle.

    Availability: always available. A parked car can be silent for hours
    and its last known values stay valid, so silence is never shown as
    unavailable; nor is a refused login: while the owner logs in again the
    entities keep showing their last values (the account's stream status and
    token sensors, and Home Assistant's "Log in again" notice, say why nothing
    new comes).
    """

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, coordinator: CarDataCoordinator, vin: str) -> None:
        """Bind the entity to its vehicle's device."""
        self.coordinator = coordinator
        self.vin = vin
        self._attr_device_info = coordinator.device_info(vin)


class CarDataDescriptorEntity(CarDataEntity):
    """An entity showing one descriptor of one vehicle (unique id VIN_descriptor)."""

    _unitless_by_vehicle = False
    """Whether a value without a unit is read in the vehicle's other units (a
    road distance): the same value can then show differently later."""

    def __init__(
        self, coordinator: CarDataCoordinator, vin: str, info: DescriptorInfo
    ) -> None:
        """Bind the entity to one descriptor."""
        super().__init__(coordinator, vin)
        self.info = info
        self.descriptor = info.descriptor
        self._attr_unique_id = f"{vin}_{info.descriptor}"
        self._taken: DescriptorState | None = None
        """The held value :meth:`_handle_update` applied last."""

    async def async_added_to_hass(self) -> None:
        """Take the live value, else the restored one, then follow the coordinator."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.async_add_listener(
                self.vin, self.descriptor, self._handle_update
            )
        )
        if self.coordinator.get(self.vin, self.descriptor) is None:
            await self._async_restore()
        # A value that arrived while restoring wins over the restored one.
        if (state := self.coordinator.get(self.vin, self.descriptor)) is not None:
            self._apply(state)

    @callback
    def _handle_update(self) -> None:
        """Write the state only when the entity's own state moved.

        A value and unit equal to the ones applied last (a resend: only BMW's
        timestamp moved) show the same, so they are not converted again.
        """
        state = self.coordinator.get(self.vin, self.descriptor)
        if state is None:
            return
        taken = self._taken
        if (
            taken is not None
            and state.value == taken.value
            and type(state.value) is type(taken.value)
            and state.unit == taken.unit
            and (state.unit is not None or not self._unitless_by_vehicle)
        ):
            return
        self._taken = state
        if self._apply(state):
            self.async_write_ha_state()

    def _apply(self, state: DescriptorState) -> bool:
        """Take a held value; return True when the shown state changed."""
        raise NotImplementedError

    async def _async_restore(self) -> None:
        """Restore the last state from before the restart."""
        raise NotImplementedError


type EntityFactory = Callable[
    [CarDataCoordinator, str, DescriptorInfo], CarDataDescriptorEntity
]


class _EntityAdder:
    """Create each (VIN, descriptor) entity of one platform exactly once."""

    def __init__(
        self,
        coordinator: CarDataCoordinator,
        platform: str,
        factory: EntityFactory,
        extra_for_vehicle: Callable[[str], Iterable[Entity]] | None,
    ) -> None:
        self.coordinator = coordinator
        self.platform = platform
        self.factory = factory
        self.extra_for_vehicle = extra_for_vehicle
        self.created: set[tuple[str, str]] = set()
        self.vehicles_done: set[str] = set()

    def for_descriptors(self, vin: str, descriptors: Iterable[str]) -> list[Entity]:
        entities: list[Entity] = []
        for descriptor in descriptors:
            if (vin, descriptor) in self.created:
                continue
            info = describe(descriptor)
            if info.platform != self.platform:
                continue
            self.created.add((vin, descriptor))
            entities.append(self.factory(self.coordinator, vin, info))
        return entities

    def for_vehicle(self, vin: str) -> list[Entity]:
        if self.extra_for_vehicle is None or vin in self.vehicles_done:
            return []
        self.vehicles_done.add(vin)
        return list(self.extra_for_vehicle(vin))


@callback
def async_setup_descriptor_entities(
    entry: ConfigEntry,
    coordinator: CarDataCoordinator,
    platform: str,
    factory: EntityFactory,
    async_add_entities: AddConfigEntryEntitiesCallback,
    *,
    extra_for_vehicle: Callable[[str], Iterable[Entity]] | None = None,
) -> None:
    """Create entities of ``platform`` now and whenever vehicles/descriptors appear.

    At setup every (VIN, descriptor) the coordinator knows (seen live or restored
    from the entity registry) gets its entity; afterwards the coordinator's
    announcements add entities without a reload. ``extra_for_vehicle`` adds
    per-vehicle entities (for example "last data received").
    """
    adder = _EntityAdder(coordinator, platform, factory, extra_for_vehicle)
    initial: list[Entity] = []
    for vin, vehicle in coordinator.vehicles.items():
        initial.extend(adder.for_vehicle(vin))
        initial.extend(adder.for_descriptors(vin, sorted(vehicle.known_descriptors)))
    async_add_entities(initial)

    @callback
    def on_new_vehicle(vin: str) -> None:
        if entities := adder.for_vehicle(vin):
            async_add_entities(entities)

    @callback
    def on_new_descriptors(vin: str, descriptors: tuple[str, ...]) -> None:
        if entities := adder.for_descriptors(vin, descriptors):
            async_add_entities(entities)

    entry.async_on_unload(coordinator.async_add_vehicle_listener(on_new_vehicle))
    entry.async_on_unload(coordinator.async_add_descriptor_listener(on_new_descriptors))
