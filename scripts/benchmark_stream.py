"""Benchmark: stream messages through a set-up entry, and set-up with restores.

Run from the repository root::

    .venv/bin/python scripts/benchmark_stream.py [--messages 5000]

What it does (prints figures, asserts nothing about time):

1. Starts the BMW simulator (127.0.0.1 only) and a test Home Assistant, sets up
   a logged-in entry through ``hass.config_entries.async_setup`` and waits for
   the stream to connect.
2. Drives N MQTT payloads of 20 descriptors each through the path the stream
   owner uses: ``MessageParser.parse(bytes)`` then
   ``coordinator.async_apply_message(message)``; entity state writes happen
   synchronously inside that call, so "received -> states written" is the time
   around both. Two workloads: every value changes (worst case) and 2 of 20
   change (BMW resends unchanged values a lot). Timestamps start at the time
   of the run (a fixed date would be older than what the first REST fetch
   restores, and the values would be dropped unseen). Each workload prints
   the state writes and the values the coordinator dropped as older; when any
   value was dropped, no throughput is printed (it would time skipped work).
3. Sets up a fresh entry whose registry already holds 3 vehicles x 300
   entities with a restore cache for each, and times ``async_setup`` until
   every entity has its restored state.
4. With ``--share``: starts mosquitto on a free loopback port with Home
   Assistant's MQTT integration on it, and drives the same payloads through
   the stream's path with sharing off and on (what the stream does per
   message), then times the publisher until every message is on the broker.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
import gc
import json
import logging
from pathlib import Path
import sys
import time
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from homeassistant.core import HomeAssistant, State, callback
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
)
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.cardata.api import MessageParser, StreamState
from custom_components.cardata.catalogue.descriptors import (
    ValueKind,
    catalogue_descriptors,
    describe,
)
from custom_components.cardata.const import DOMAIN
from scripts.bench_hass import bench_hass
from tests.entity_helpers import entry_data
from tests.simulator import (
    GCID_A,
    VIN_BEV,
    VIN_PHEV,
    VIN_SECONDARY,
    Simulator,
)

DESCRIPTORS_PER_MESSAGE = 20
RESTORED_PER_VEHICLE = 300


def pick_descriptors() -> list[str]:
    """20 descriptors enabled by default (entities exist and write states)."""
    enabled = [d for d in catalogue_descriptors() if describe(d).enabled_default]
    enabled.sort(key=lambda d: describe(d).data_type is not ValueKind.NUMBER)
    return enabled[:DESCRIPTORS_PER_MESSAGE]


def raw_value(descriptor: str, step: int) -> Any:
    """A valid raw value of ``descriptor`` that differs from step to step."""
    info = describe(descriptor)
    if info.data_type is ValueKind.BOOLEAN:
        return step % 2 == 0
    if info.data_type is ValueKind.ENUM and info.options:
        return info.options[step % len(info.options)].upper()
    if info.data_type is ValueKind.NUMBER:
        return round(10 + (step % 500) * 0.5, 1)
    return f"value {step % 7}"


def payload(vin: str, values: dict[str, Any], at: datetime) -> bytes:
    """A stream message shaped like BMW's."""
    stamp = at.isoformat().replace("+00:00", "Z")
    return json.dumps(
        {
            "vin": vin,
            "entityId": GCID_A,
            "topic": vin,
            "timestamp": stamp,
            "data": {
                name: {"value": value, "timestamp": stamp}
                for name, value in values.items()
            },
        }
    ).encode()


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


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


async def bench_stream(hass: HomeAssistant, sim: Simulator, count: int) -> None:
    """Messages per second and latency, received bytes -> states written."""
    entry = new_entry(sim)
    entry.add_to_hass(hass)
    await set_up(hass, entry)
    await wait_connected(entry)
    coordinator = entry.runtime_data.coordinator
    parser = MessageParser()
    descriptors = pick_descriptors()
    # Newer than anything the set-up fetched over REST.
    start_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)

    # Warm-up: creates the entities (first sight of each descriptor).
    first = parser.parse(
        payload(VIN_BEV, {d: raw_value(d, 1) for d in descriptors}, start_at)
    )
    if first is None:
        msg = "parser refused the warm-up message"
        raise RuntimeError(msg)
    coordinator.async_apply_message(first)
    await hass.async_block_till_done()

    for label, changed in (("all 20 values change", 20), ("2 of 20 change", 2)):
        bodies = []
        for step in range(count):
            values = {
                d: raw_value(d, step + 2 if i < changed else 1)
                for i, d in enumerate(descriptors)
            }
            at = start_at + timedelta(
                seconds=(step + 1) + (0 if changed == 20 else count + 1)
            )
            bodies.append(payload(VIN_BEV, values, at))
        written = 0

        @callback
        def count_write(_event: Any) -> None:
            nonlocal written
            written += 1

        unsub = hass.bus.async_listen("state_changed", count_write)
        dropped_before = coordinator.ignored_older
        gc.collect()
        latencies: list[float] = []
        started = time.perf_counter()
        for body in bodies:
            t0 = time.perf_counter()
            if (message := parser.parse(body)) is not None:
                coordinator.async_apply_message(message)
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
        await hass.async_block_till_done()
        unsub()
        dropped = coordinator.ignored_older - dropped_before
        values = count * DESCRIPTORS_PER_MESSAGE
        work = (
            f"{values:,} values, {written:,} state writes, {dropped:,} dropped as older"
        )
        if dropped:
            print(
                f"stream, {label}: {work}; NO THROUGHPUT: dropped values would"
                " time skipped work"
            )
            continue
        print(
            f"stream, {label}: {count} messages x {DESCRIPTORS_PER_MESSAGE}"
            f" descriptors ({work}) in {elapsed:.3f} s ->"
            f" {count / elapsed:,.0f} messages/s;"
            f" latency p50 {percentile(latencies, 0.5) * 1000:.3f} ms,"
            f" p99 {percentile(latencies, 0.99) * 1000:.3f} ms,"
            f" max {max(latencies) * 1000:.3f} ms"
        )
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


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
    for run, label in enumerate(("sharing off", "sharing on")):
        offer = sharing.offer if run else None
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
        for body in bodies:  # what CarDataStream does per message
            if (message := parser.parse(body)) is not None:
                coordinator.async_apply_message(message)
                if offer is not None:
                    offer(message, body)
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
        if offer is not None:
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


async def main(count: int, share: bool = False) -> None:
    """Run both benchmarks against one simulator."""
    logging.basicConfig(level=logging.WARNING)
    sim = Simulator()
    sim.load_default_world()
    await sim.start()
    try:
        async with bench_hass() as hass:
            await bench_stream(hass, sim, count)
        async with bench_hass() as hass:
            await bench_setup(hass, sim)
        if share:
            async with bench_hass() as hass:
                await bench_sharing(hass, sim, count)
    finally:
        await sim.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument(
        "--share", action="store_true", help="also measure sharing (mosquitto)"
    )
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {args.messages} messages per workload")
    asyncio.run(main(args.messages, args.share))
