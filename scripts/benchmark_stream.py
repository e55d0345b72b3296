"""Benchmark: stream messages through a set-up entry, and set-up with restores.

Run from the repository root::

    .venv/bin/python scripts/benchmark_stream.py [--batch 200] [--batches 9] [--share]

What it does (prints figures, asserts nothing about time):

1. Starts the BMW simulator (127.0.0.1 only) and a test Home Assistant, sets up
   a logged-in entry through ``hass.config_entries.async_setup`` and waits for
   the stream to connect.
2. Sends what a driving and charging car sends: 20 descriptor values per
   message, with the units the simulator's car sends; 8 of them are
   prediction inputs (charge level, ranges, charging power, status, current,
   voltage, odometer), the others the position (the tracker), tyres,
   charging times and the 12 V battery. Each payload goes the stream's way:
   ``MessageParser.parse(bytes)``, then the stream owner's
   ``on_message`` (the VIN gate, then the coordinator); state writes happen
   inside that call. Three cases: every value changes (the charging status
   too, so each message starts or ends a charge: the worst case); 2 of 20
   change and neither is a prediction input; 2 of 20 change and one is (the
   charging power). Unchanged values are resent with the message's new
   timestamp, as the simulator's resends. Each case runs with EMPTY
   prediction history (the entry is reloaded before each batch, as the
   history is memory only, and 20 messages after the reload go untimed:
   what a start costs once is not a message's cost) and with FULL history
   (first fed through the same path until every series holds
   ``MAX_SAMPLES``).
   Figures are CPU time (``time.process_time``) per message, median of
   several batches, the loop's work for the batch included. Between our
   batches the same number of state writes (20 or 2) of bare
   ``SensorEntity`` sensors of a tiny test platform, no integration logic,
   gives Home Assistant's own floor in the same process; the table shows
   ours as a multiple of it, the state writes per message, the history's
   samples and any values dropped as older, and the machine's load. Two
   figures put the floor in context, neither replaces it: an extra run with
   a clock around every state write gives the share of our CPU inside Home
   Assistant's own writes of our entities (the tracker's zone check and the
   estimate's attributes included), so the rest is the integration's own
   work; and the 17 sensors of the message written as bare sensors typed
   as ours (our entity descriptions: device class, unit, state class,
   options), which shows what the typing alone costs Home Assistant.
3. Sets up a fresh entry whose registry already holds 3 vehicles x 300
   entities with a restore cache for each, and times ``async_setup`` until
   every entity has its restored state.
4. With ``--share``: starts mosquitto on a free loopback port with Home
   Assistant's MQTT integration on it, and drives the same payloads through
   the stream's path with sharing stopped and started (sharing follows what
   the coordinator accepted), then times the publisher until every message
   is on the broker.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import gc
import json
import logging
import os
from pathlib import Path
import statistics
import sys
import time
from typing import Any
from unittest.mock import patch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from homeassistant.components.sensor import SensorEntity
from homeassistant.core import HomeAssistant, State, callback
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.entity import Entity
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    MockPlatform,
    mock_integration,
    mock_platform,
    mock_restore_cache_with_extra_data,
)

from custom_components.cardata.api import MessageParser, StreamState
from custom_components.cardata.catalogue.conversion import convert
from custom_components.cardata.catalogue.descriptors import (
    ValueKind,
    catalogue_descriptors,
    describe,
)
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.prediction.series import MAX_SAMPLES
from custom_components.cardata.sensor import sensor_description
from scripts.bench_hass import bench_hass
from tests.entity_helpers import entry_data
from tests.simulator import (
    GCID_A,
    VIN_BEV,
    VIN_PHEV,
    VIN_SECONDARY,
    Simulator,
)
from tests.simulator.market import stream_unit

RESTORED_PER_VEHICLE = 300

_CHG = "vehicle.drivetrain.electricEngine.charging."
_LOC = "vehicle.cabin.infotainment.navigation.currentLocation."
SOC = "vehicle.drivetrain.batteryManagement.header"
POWER = "vehicle.powertrain.electric.battery.charging.power"
TIME_TO_FULL = _CHG + "timeToFullyCharged"
LOW_VOLTAGE = "vehicle.electricalSystem.battery.voltage"

INPUTS: tuple[str, ...] = (
    SOC,
    "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange",
    "vehicle.drivetrain.electricEngine.remainingElectricRange",
    POWER,
    _CHG + "hvStatus",
    _CHG + "acAmpere",
    _CHG + "acVoltage",
    "vehicle.vehicle.travelledDistance",
)
"""What a driving and charging car sends that the prediction watches."""
OTHERS: tuple[str, ...] = (
    _LOC + "latitude",
    _LOC + "longitude",
    _LOC + "heading",
    "vehicle.chassis.axle.row1.wheel.left.tire.pressure",
    "vehicle.chassis.axle.row1.wheel.right.tire.pressure",
    "vehicle.chassis.axle.row2.wheel.left.tire.pressure",
    "vehicle.chassis.axle.row2.wheel.right.tire.pressure",
    _CHG + "status",
    _CHG + "timeRemaining",
    TIME_TO_FULL,
    LOW_VOLTAGE,
    "vehicle.drivetrain.totalRemainingRange",
)
"""The rest of the message: position (the tracker), tyres, times, 12 V."""
DESCRIPTORS: tuple[str, ...] = INPUTS + OTHERS
DESCRIPTORS_PER_MESSAGE = len(DESCRIPTORS)  # 20

CASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("20 of 20 changed", DESCRIPTORS),
    ("2 of 20 changed, no prediction input", (TIME_TO_FULL, LOW_VOLTAGE)),
    ("2 of 20 changed, one prediction input", (POWER, TIME_TO_FULL)),
)
"""Per case the descriptors whose values change; the others are resent
unchanged with the message's new timestamp (as the simulator's resends)."""

WARM_UP = 20
"""Messages sent untimed after a reload, before a batch with empty history."""
STAMP_STEP = timedelta(microseconds=100)
"""BMW timestamps of consecutive messages (all in the past when applied)."""


def pick_descriptors() -> list[str]:
    """The 20 descriptors of every message."""
    return list(DESCRIPTORS)


_SPECIAL: dict[str, Callable[[int], Any]] = {
    SOC: lambda step: round(20 + (step % 800) * 0.1, 1),
    POWER: lambda step: 7000 + (step % 400) * 10,
    # Every value changes: the status too (the prediction's charge start and
    # end, the worst case). Even steps are charging.
    _CHG + "hvStatus": lambda step: "FINISHED_NOT_FULL" if step % 2 else "CHARGING",
    "vehicle.vehicle.travelledDistance": lambda step: round(10_000 + step * 0.1, 1),
    _LOC + "latitude": lambda step: round(48.1 + step * 1e-5, 5),
    _LOC + "longitude": lambda step: round(11.5 + step * 1e-5, 5),
    _LOC + "heading": lambda step: step % 360,
}


def raw_value(descriptor: str, step: int) -> Any:
    """A plausible raw value of ``descriptor`` that differs from step to step."""
    if (special := _SPECIAL.get(descriptor)) is not None:
        return special(step)
    info = describe(descriptor)
    if info.data_type is ValueKind.BOOLEAN:
        return step % 2 == 0
    if info.data_type is ValueKind.ENUM and info.options:
        return info.options[step % len(info.options)].upper()
    if info.data_type is ValueKind.NUMBER:
        return round(10 + (step % 500) * 0.5, 1)
    return f"value {step % 7}"


def payload(
    vin: str,
    values: dict[str, Any],
    at: datetime,
    units: dict[str, str | None] | None = None,
) -> bytes:
    """A stream message shaped like BMW's (``units``: as the car sends them)."""
    stamp = at.isoformat().replace("+00:00", "Z")
    units = units or {}
    data: dict[str, Any] = {}
    for name, value in values.items():
        entry = data[name] = {"value": value, "timestamp": stamp}
        if unit := units.get(name):
            entry["unit"] = unit
    return json.dumps(
        {
            "vin": vin,
            "entityId": GCID_A,
            "topic": vin,
            "timestamp": stamp,
            "data": data,
        }
    ).encode()


def stream_units(sim: Simulator) -> dict[str, str | None]:
    """The unit the simulated car sends with each descriptor (km, percent, W)."""
    vehicle = sim.vehicles[VIN_BEV]
    return {d: stream_unit(vehicle, d, sim.descriptor(d)) for d in DESCRIPTORS}


async def wait_connected(entry: MockConfigEntry) -> None:
    """Wait (bounded) for the stream of the entry to connect."""
    for _ in range(500):
        if entry.runtime_data.stream.state is StreamState.CONNECTED:
            return
        await asyncio.sleep(0.01)
    msg = "stream did not connect"
    raise RuntimeError(msg)


def new_entry(sim: Simulator) -> MockConfigEntry:
    """A logged-in VERSION 2 entry against the simulator."""
    return MockConfigEntry(
        domain=DOMAIN, version=2, unique_id=GCID_A, title="Bench", data=entry_data(sim)
    )


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up the entry through Home Assistant and let it settle."""
    if not await hass.config_entries.async_setup(entry.entry_id):
        msg = "set-up failed"
        raise RuntimeError(msg)
    await hass.async_block_till_done()
    # The first set-up's REST fetch lands before the workload starts, so its
    # values never mix with (or get counted among) the workload's.
    runtime = getattr(entry, "runtime_data", None)  # None: not our entry
    poller = getattr(runtime, "poller", None)
    if (first_setup := getattr(poller, "bootstrap", None)) is not None:
        await first_setup
        await hass.async_block_till_done()


class _BareSensor(SensorEntity):
    """Home Assistant's floor: a sensor with no integration logic at all."""

    _attr_should_poll = False

    def __init__(self, index: int) -> None:
        self._attr_name = f"floor {index}"
        self._attr_unique_id = f"floor_{index}"
        self._attr_native_value = 0.0


class _TypedSensor(SensorEntity):
    """A sensor typed as ours (our description), with no integration logic.

    Not the floor: it shows what Home Assistant's own write of a sensor with
    a device class, unit, state class, precision or options costs.
    """

    _attr_should_poll = False

    def __init__(self, index: int, descriptor: str) -> None:
        info = describe(descriptor)
        self.entity_description = replace(
            sensor_description(info), entity_registry_enabled_default=True
        )
        self._attr_unique_id = f"typed_{index}"
        # Two values our sensor shows for this descriptor, shown in turn.
        self.shown = tuple(
            convert(info, raw_value(descriptor, step)) for step in (1, 2)
        )
        self._attr_native_value = self.shown[0]


TYPED: tuple[str, ...] = tuple(
    d
    for d in DESCRIPTORS
    if describe(d).platform == "sensor" and describe(d).tracker_role is None
)
"""The message's descriptors that our sensors show (the rest: the tracker)."""


async def floor_sensors(
    hass: HomeAssistant,
) -> tuple[list[_BareSensor], list[_TypedSensor]]:
    """Twenty bare sensors and the typed ones, added through Home Assistant."""
    sensors = [_BareSensor(i) for i in range(DESCRIPTORS_PER_MESSAGE)]
    typed = [_TypedSensor(i, d) for i, d in enumerate(TYPED)]

    async def setup_platform(
        _hass: HomeAssistant, _config: Any, add: Any, _info: Any = None
    ) -> None:
        add([*sensors, *typed])

    mock_integration(hass, MockModule("bench_floor"))
    mock_platform(
        hass, "bench_floor.sensor", MockPlatform(async_setup_platform=setup_platform)
    )
    config = {"sensor": [{"platform": "bench_floor"}]}
    if not await async_setup_component(hass, "sensor", config):
        msg = "the floor's sensor platform did not start"
        raise RuntimeError(msg)
    await hass.async_block_till_done()
    return sensors, typed


class Workload:
    """Messages of one vehicle through the stream's path, CPU-timed in batches."""

    def __init__(
        self, hass: HomeAssistant, entry: MockConfigEntry, sim: Simulator
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.units = stream_units(sim)
        self.parser = MessageParser()
        self.step = 0
        """Values of this step are the ones held (even: charging)."""
        self.stamp = datetime.now(UTC)
        """The last BMW timestamp sent (newer than anything REST fetched)."""

    def bodies(self, changed: tuple[str, ...], count: int) -> list[bytes]:
        """``count`` messages; ``changed`` move, the others are resent as held."""
        held = self.step
        bodies = []
        for _ in range(count):
            self.step += 1
            self.stamp += STAMP_STEP
            values = {
                d: raw_value(d, self.step if d in changed else held)
                for d in DESCRIPTORS
            }
            bodies.append(payload(VIN_BEV, values, self.stamp, self.units))
        if len(changed) == DESCRIPTORS_PER_MESSAGE:
            self.step += self.step % 2  # end on a charging step
        else:
            self.step = held  # the held values stay
        return bodies

    async def settle(self) -> None:
        """Send the held values once, so a case starts from them."""
        self.step += self.step % 2
        self.apply(self.bodies((), 1))
        await self.hass.async_block_till_done()

    def apply(self, bodies: list[bytes]) -> None:
        """What the stream does per payload: parse, hand to the owner's target."""
        parse = self.parser.parse
        route = self.entry.runtime_data.stream.on_message
        for body in bodies:
            if (message := parse(body, VIN_BEV)) is not None:
                route(message)

    async def cpu_per_message(self, bodies: list[bytes]) -> float:
        """CPU seconds per message, loop work the messages caused included."""
        gc.collect()
        started = time.process_time()
        self.apply(bodies)
        await self.hass.async_block_till_done()
        return (time.process_time() - started) / len(bodies)

    async def count_writes(self, changed: tuple[str, ...], count: int) -> float:
        """State writes per message of a case (an untimed run)."""
        written = 0

        @callback
        def count_write(_event: Any) -> None:
            nonlocal written
            written += 1

        bodies = self.bodies(changed, count)
        unsub = self.hass.bus.async_listen("state_changed", count_write)
        self.apply(bodies)
        await self.hass.async_block_till_done()
        unsub()
        return written / count

    async def write_share(self, changed: tuple[str, ...], count: int) -> float:
        """Share of our CPU that went into Home Assistant's state writes.

        An extra, untimed run: every ``async_write_ha_state`` is wrapped in a
        clock (which costs a little itself), so the timed batches stay
        unwrapped. The rest is the integration's own work per message.
        """
        inside = 0.0
        write = Entity.async_write_ha_state

        def timed_write(entity: Entity) -> None:
            nonlocal inside
            started = time.process_time()
            write(entity)
            inside += time.process_time() - started

        bodies = self.bodies(changed, count)
        gc.collect()
        with patch.object(Entity, "async_write_ha_state", timed_write):
            started = time.process_time()
            self.apply(bodies)
            await self.hass.async_block_till_done()
            total = time.process_time() - started
        return inside / total


async def floor_cpu_per_message(
    hass: HomeAssistant, sensors: list[_BareSensor], writes: int, count: int
) -> float:
    """CPU seconds of ``writes`` bare state writes, per message of ``count``."""
    chosen = sensors[:writes]
    gc.collect()
    started = time.process_time()
    for step in range(count):
        for sensor in chosen:
            sensor._attr_native_value = float(step)  # noqa: SLF001 - as _apply does
            sensor.async_write_ha_state()
    await hass.async_block_till_done()
    return (time.process_time() - started) / count


async def typed_cpu_per_message(
    hass: HomeAssistant, sensors: list[_TypedSensor], count: int
) -> float:
    """CPU seconds of one state write of each typed sensor, per message of ``count``."""
    gc.collect()
    started = time.process_time()
    for step in range(count):
        for sensor in sensors:
            sensor._attr_native_value = sensor.shown[step % 2]  # noqa: SLF001
            sensor.async_write_ha_state()
    await hass.async_block_till_done()
    return (time.process_time() - started) / count


def history(entry: MockConfigEntry) -> int:
    """Samples in the prediction's shorter series (power, odometer), for the table."""
    feed = entry.runtime_data.prediction.feeds.get(VIN_BEV)
    if feed is None:
        return 0
    predictor = feed.predictor
    series = (predictor._power, predictor._odometer)  # noqa: SLF001 - only counted
    return min(len(s.points) for s in series)


class Row:
    """One line of the table."""

    def __init__(self, case: str, filled: str) -> None:
        self.case = case
        self.filled = filled
        self.ours: list[float] = []
        self.floor: list[float] = []
        """The floor of this case's number of writes, after each batch."""
        self.floor20: list[float] = []
        """The floor of 20 writes, after each batch."""
        self.typed: list[float] = []
        """The typed sensors' writes (see _TypedSensor), after each batch."""
        self.writes = 0.0
        self.write_share = 0.0
        """Share of our CPU inside Home Assistant's state writes (see
        Workload.write_share)."""
        self.samples: list[int] = []
        self.dropped = 0

    @property
    def floor_writes(self) -> int:
        return 2 if self.case.startswith("2 ") else DESCRIPTORS_PER_MESSAGE


async def bench_stream(
    hass: HomeAssistant, sim: Simulator, batch: int, batches: int
) -> list[Row]:
    """CPU per message, ours and Home Assistant's floor, per case and history."""
    sensors, typed = await floor_sensors(hass)
    entry = new_entry(sim)
    entry.add_to_hass(hass)
    await set_up(hass, entry)
    await wait_connected(entry)
    work = Workload(hass, entry, sim)
    # First sight of each descriptor creates its entity; charging from here.
    work.apply(work.bodies(DESCRIPTORS, 2))
    await work.settle()
    rows: list[Row] = []

    async def run(row: Row, changed: tuple[str, ...], *, reload: bool) -> None:
        row.writes = await work.count_writes(changed, 20)
        for _ in range(batches):
            if reload:  # the prediction's history is memory only: empty again
                await hass.config_entries.async_reload(entry.entry_id)
                await wait_connected(entry)
                # Untimed: what the first messages after a start cost once.
                work.apply(work.bodies(changed, WARM_UP))
            await work.settle()
            bodies = work.bodies(changed, batch)
            coordinator = entry.runtime_data.coordinator
            dropped = coordinator.ignored_older
            row.samples.append(history(entry))
            row.ours.append(await work.cpu_per_message(bodies))
            row.samples.append(history(entry))
            row.dropped += coordinator.ignored_older - dropped
            row.floor20.append(await floor_cpu_per_message(hass, sensors, 20, batch))
            if row.floor_writes == DESCRIPTORS_PER_MESSAGE:
                row.typed.append(await typed_cpu_per_message(hass, typed, batch))
            row.floor.append(
                row.floor20[-1]
                if row.floor_writes == 20
                else await floor_cpu_per_message(hass, sensors, row.floor_writes, batch)
            )
        await work.settle()  # after the batches: the history as they left it
        row.write_share = await work.write_share(changed, batch)
        rows.append(row)

    for case, changed in CASES:
        await run(Row(case, "empty"), changed, reload=True)
    # Full: every series at its cap, fed through the same path.
    await work.settle()
    for _ in range(MAX_SAMPLES // batch + 1):
        work.apply(work.bodies(DESCRIPTORS, batch))
        await hass.async_block_till_done()
    for case, changed in CASES:
        await run(Row(case, "full"), changed, reload=False)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    return rows


def _paired(ours: list[float], floor: list[float]) -> float:
    """Median of each batch against the floor measured right after it."""
    return statistics.median(o / f for o, f in zip(ours, floor, strict=True))


def print_table(rows: list[Row], batch: int, batches: int) -> None:
    """The table: CPU per message, ours against the floor."""
    print(
        f"\nCPU per message: time.process_time, median of {batches} batches of"
        f" {batch} messages, loop work included. Floor: as many state writes"
        " (w) of bare SensorEntity sensors, measured after each of our batches;"
        " the multiples are medians of each batch against its own floor, so"
        " they hold up when the load changes during the run."
    )
    head = (
        f"{'case':<38} {'history':<15} {'writes':>6} {'ours µs':>8}"
        f" {'floor µs':>13} {'x floor':>8} {'x floor 20 w':>13}"
    )
    print(head)
    print("-" * len(head))
    per_floor20: dict[tuple[str, str], float] = {}
    for row in rows:
        ours = statistics.median(row.ours) * 1e6
        floor = statistics.median(row.floor) * 1e6
        per_floor20[row.case, row.filled] = times20 = _paired(row.ours, row.floor20)
        span = f"{row.filled} {min(row.samples)}-{max(row.samples)}"
        note = f"  ({row.dropped} values dropped!)" if row.dropped else ""
        print(
            f"{row.case:<38} {span:<15} {row.writes:>6.1f} {ours:>8.0f}"
            f" {floor:>5.0f} ({row.floor_writes:>2} w)"
            f" {_paired(row.ours, row.floor):>7.1f}x {times20:>12.2f}x{note}"
        )
    print("(multiples of the floor of 20 writes:)")
    all_changed = CASES[0][0]
    for filled in ("empty", "full"):
        base = per_floor20[all_changed, filled]
        shares = ", ".join(
            f"{case.removeprefix('2 of 20 changed, ')}"
            f" {per_floor20[case, filled] / base:.0%}"
            for case, _ in CASES[1:]
        )
        print(f"  2 of 20 against 20 of 20 ({filled} history): {shares}")
    print(
        "(an extra run with a clock around every state write: the share of our"
        " CPU inside Home Assistant's own writes of our entities, the tracker's"
        " zones and the estimate's attributes included; the rest is the"
        " integration's work:)"
    )
    for row in rows:
        ours = statistics.median(row.ours) * 1e6
        writes20 = row.write_share * per_floor20[row.case, row.filled]
        print(
            f"  {row.case} ({row.filled} history): {row.write_share:.0%} in state"
            f" writes, {ours * (1 - row.write_share):.0f} µs our own; the writes"
            f" alone {writes20:.2f}x the floor of 20 writes"
        )
    for row in rows:
        if row.typed:
            typed = statistics.median(row.typed) * 1e6
            print(
                f"  {row.case} ({row.filled} history): Home Assistant's own writes"
                f" of {len(TYPED)} sensors typed as ours (device class, unit, state"
                f" class, options; no integration logic, no tracker, no estimate)"
                f" {typed:.0f} µs, {_paired(row.typed, row.floor20):.2f}x the floor;"
                f" ours {_paired(row.ours, row.typed):.2f}x these"
            )
    changes = ", ".join(
        f"{case} {per_floor20[case, 'full'] / per_floor20[case, 'empty'] - 1:+.0%}"
        for case, _ in CASES
    )
    print(f"  full against empty history: {changes}")


def restored_states(
    hass: HomeAssistant, entry: MockConfigEntry, vins: list[str]
) -> list[tuple[State, dict[str, Any]]]:
    """Registry entries and restore cache as a previous run would leave them."""
    reg = er.async_get(hass)
    devices = dr.async_get(hass)
    names = list(catalogue_descriptors())
    names += [
        f"vehicle.bench.extra{i}" for i in range(RESTORED_PER_VEHICLE - len(names))
    ]
    names = names[:RESTORED_PER_VEHICLE]
    cache: list[tuple[State, dict[str, Any]]] = []
    for vin in vins:
        device = devices.async_get_or_create(
            config_entry_id=entry.entry_id, identifiers={(DOMAIN, vin)}
        )
        for name in names:
            info = describe(name)
            platform = str(info.platform)
            entity = reg.async_get_or_create(
                platform,
                DOMAIN,
                f"{vin}_{name}",
                config_entry=entry,
                device_id=device.id,
            )
            if platform == "binary_sensor":
                cache.append((State(entity.entity_id, "on"), {}))
                continue
            value: Any = "restored"
            if info.data_type is ValueKind.NUMBER:
                value = 42
            elif info.data_type is ValueKind.ENUM and info.options:
                value = info.options[0]
            elif info.data_type is ValueKind.TIMESTAMP:
                value = None
            extra = {
                "native_value": value,
                "native_unit_of_measurement": info.native_unit,
            }
            cache.append((State(entity.entity_id, str(value)), extra))
    return cache


async def bench_setup(hass: HomeAssistant, sim: Simulator) -> None:
    """Time to set up an entry with 3 vehicles x 300 restored entities."""
    entry = new_entry(sim)
    entry.add_to_hass(hass)
    vins = [VIN_BEV, VIN_PHEV, VIN_SECONDARY]
    cache = restored_states(hass, entry, vins)
    mock_restore_cache_with_extra_data(hass, cache)
    started = time.perf_counter()
    await set_up(hass, entry)
    elapsed = time.perf_counter() - started
    ours = [
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    ]
    restored = sum(
        1
        for entity_id in ours
        if (state := hass.states.get(entity_id)) is not None
        and state.state not in {"unknown", "unavailable"}
    )
    print(
        f"set-up: {len(vins)} vehicles x {RESTORED_PER_VEHICLE} restored entities"
        f" ({len(ours)} entities of the entry, {restored} with a restored state)"
        f" in {elapsed:.3f} s"
    )
    await wait_connected(entry)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def bench_sharing(hass: HomeAssistant, sim: Simulator, count: int) -> None:
    """Messages/s of the stream path with and without sharing on HA's MQTT."""
    from tests.mosquitto import mosquitto, mosquitto_binary  # noqa: PLC0415

    if mosquitto_binary() is None:
        print("sharing: skipped, mosquitto is not installed")
        return
    config = Path(hass.config.config_dir)  # the instance's own, see bench_hass
    async with mosquitto(config) as broker:
        # MQTT reads its YAML from the configuration folder.
        (config / "configuration.yaml").write_text("", encoding="utf-8")
        mqtt_entry = MockConfigEntry(
            domain="mqtt",
            data={"broker": broker.host, "port": broker.port},
            version=2,
            minor_version=1,
        )
        mqtt_entry.add_to_hass(hass)
        if not await hass.config_entries.async_setup(mqtt_entry.entry_id):
            msg = "MQTT did not start"
            raise RuntimeError(msg)
        await hass.async_block_till_done()
        entry = new_entry(sim)
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(entry, options={"share_stream": True})
        await set_up(hass, entry)
        await wait_connected(entry)
        await _share_runs(hass, entry, count)
        await hass.config_entries.async_unload(entry.entry_id)
        await hass.config_entries.async_unload(mqtt_entry.entry_id)
        await hass.async_block_till_done()


async def _share_runs(hass: HomeAssistant, entry: MockConfigEntry, count: int) -> None:
    coordinator = entry.runtime_data.coordinator
    sharing = entry.runtime_data.sharing
    parser = MessageParser()
    descriptors = pick_descriptors()
    # Newer than anything the set-up fetched over REST (see bench_stream).
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    await sharing.async_stop()  # off: the coordinator hands nothing over
    for run, label in enumerate(("sharing off", "sharing on")):
        if run:
            sharing.async_start()  # on: it follows the coordinator again
        bodies = [
            payload(
                VIN_BEV,
                {d: raw_value(d, step + 2) for d in descriptors},
                base + timedelta(seconds=run * count + step + 1),
            )
            for step in range(count)
        ]
        before = sharing.handled
        dropped_before = coordinator.ignored_older
        gc.collect()
        started = time.perf_counter()
        for body in bodies:  # what CarDataStream and the VIN gate do per message
            if (message := parser.parse(body)) is not None:
                coordinator.async_apply_message(message)
        elapsed = time.perf_counter() - started
        if dropped := coordinator.ignored_older - dropped_before:
            print(
                f"stream, {label}: {dropped:,} values dropped as older; NO THROUGHPUT"
            )
            continue
        line = (
            f"stream, {label}: {count} messages in {elapsed:.3f} s"
            f" -> {count / elapsed:,.0f} messages/s (0 values dropped)"
        )
        if run:
            for _ in range(60_000):  # bounded: at most about a minute
                if sharing.handled - before >= count:
                    break
                await asyncio.sleep(0.001)
            drained = time.perf_counter() - started
            line += (
                f"; all {sharing.handled - before:,} published on the broker after"
                f" {drained:.3f} s ({(sharing.handled - before) / drained:,.0f}/s),"
                f" dropped {sharing.dropped}"
            )
        await hass.async_block_till_done()
        print(line)


def load() -> str:
    """The machine's load average (1, 5, 15 minutes) and its CPUs."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


async def main(args: argparse.Namespace) -> None:
    """Run the benchmarks against one simulator."""
    logging.basicConfig(level=logging.WARNING)
    print(f"load average before: {load()}")
    sim = Simulator()
    sim.load_default_world()
    await sim.start()
    try:
        async with bench_hass() as hass:
            rows = await bench_stream(hass, sim, args.batch, args.batches)
        print_table(rows, args.batch, args.batches)
        async with bench_hass() as hass:
            await bench_setup(hass, sim)
        if args.share:
            async with bench_hass() as hass:
                await bench_sharing(hass, sim, args.messages)
    finally:
        await sim.stop()
    print(f"load average after: {load()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--batch", type=int, default=200, help="messages per timed batch"
    )
    parser.add_argument("--batches", type=int, default=9, help="timed batches per case")
    parser.add_argument(
        "--messages", type=int, default=5000, help="messages of the --share runs"
    )
    parser.add_argument(
        "--share", action="store_true", help="also measure sharing (mosquitto)"
    )
    print(f"Python {sys.version.split()[0]}")
    asyncio.run(main(parser.parse_args()))
