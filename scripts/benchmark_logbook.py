"""Benchmark: logbook entries and recorder rows of the develop world.

Run from the repository root::

    .venv/bin/python scripts/benchmark_logbook.py [--minutes 10] [--speed 30]

What it does (prints figures, asserts nothing about time):

1. Starts the BMW simulator (127.0.0.1 only) with the default world and plays
   every vehicle's scenario in a loop at ``--speed`` (the speed
   ``scripts/develop`` uses), as ``scripts/develop`` does.
2. Starts a test Home Assistant with the recorder (SQLite in a temporary
   directory) and the logbook, sets up a logged-in entry of the account and
   lets it run for ``--minutes`` of real time.
3. Counts, for that time: state rows the recorder wrote (all entities, ours,
   and those of the "last data received" sensors) and logbook entries (the
   logbook's own event processor, as the Activity panel asks it).
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
import logging
from pathlib import Path
import sys
import time
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from homeassistant.components.logbook.processor import EventProcessor
from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.db_schema import States, StatesMeta
from homeassistant.components.recorder.util import session_scope
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, recorder as recorder_helper
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_component,
)
from sqlalchemy import func, select

from custom_components.cardata.api import StreamState
from custom_components.cardata.const import DOMAIN
from scripts.bench_hass import bench_hass
from tests.entity_helpers import entry_data
from tests.simulator import GCID_A, Simulator


def _state_rows(hass: HomeAssistant) -> Counter[str]:
    """States rows per entity id (runs in the recorder's executor)."""
    with session_scope(hass=hass, read_only=True) as session:
        rows = session.execute(
            select(StatesMeta.entity_id, func.count(States.state_id))
            .join(States, States.metadata_id == StatesMeta.metadata_id)
            .group_by(StatesMeta.entity_id)
        ).all()
    return Counter(dict(rows))


async def run(hass: HomeAssistant, sim: Simulator, minutes: float) -> None:
    """Set the entry up, let the world run, count rows and entries."""
    entry = MockConfigEntry(
        domain=DOMAIN, version=2, unique_id=GCID_A, title="Bench", data=entry_data(sim)
    )
    entry.add_to_hass(hass)
    if not await hass.config_entries.async_setup(entry.entry_id):
        msg = "set-up failed"
        raise RuntimeError(msg)
    await hass.async_block_till_done()
    for _ in range(1000):
        if entry.runtime_data.stream.state is StreamState.CONNECTED:
            break
        await asyncio.sleep(0.02)
    recorder = get_instance(hass)
    await asyncio.sleep(3)  # let the set-up's own writes reach the database
    await recorder.async_block_till_done()
    start_rows = await recorder.async_add_executor_job(_state_rows, hass)
    start = dt_util.utcnow()
    writes = 0

    def count(_event: Any) -> None:
        nonlocal writes
        writes += 1

    unsub = hass.bus.async_listen(EVENT_STATE_CHANGED, count)
    for vin in list(sim.vehicles):
        if any(vin in a.primary_vins() for a in sim.accounts.values() if a.clients):
            sim.start_scenario(vin, speed=SPEED, loop=True)
    began = time.monotonic()
    await asyncio.sleep(minutes * 60)
    elapsed = time.monotonic() - began
    unsub()
    end = dt_util.utcnow()
    await recorder.async_block_till_done()
    rows = await recorder.async_add_executor_job(_state_rows, hass)
    rows.subtract(start_rows)
    registry = er.async_get(hass)
    ours = {
        e.entity_id for e in er.async_entries_for_config_entry(registry, entry.entry_id)
    }
    last_data = {
        e.entity_id
        for e in er.async_entries_for_config_entry(registry, entry.entry_id)
        if e.unique_id.endswith("_last_data_received")
    }
    processor = EventProcessor(hass, (EVENT_STATE_CHANGED,))
    entries = await recorder.async_add_executor_job(processor.get_events, start, end)
    logbook = Counter(str(item.get("entity_id")) for item in entries)
    print(
        f"{elapsed / 60:.1f} min at speed {SPEED:g}: {writes:,} state writes;"
        f" recorder rows {sum(rows.values()):,} (ours {sum(rows[e] for e in ours):,},"
        f" last data received {sum(rows[e] for e in last_data):,});"
        f" logbook entries {sum(logbook.values()):,}"
        f" (ours {sum(logbook[e] for e in ours):,},"
        f" last data received {sum(logbook[e] for e in last_data):,})"
    )
    for entity_id, number in logbook.most_common(5):
        print(f"  logbook {number:5d}  {entity_id}")
    for entity_id, number in rows.most_common(5):
        print(f"  rows    {number:5d}  {entity_id}")
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


SPEED = 30.0


async def main(minutes: float) -> None:
    """Run the world once with the recorder and the logbook."""
    logging.basicConfig(level=logging.WARNING)
    sim = Simulator()
    sim.load_default_world()
    await sim.start()
    try:
        async with bench_hass() as hass:
            recorder_helper.async_initialize_recorder(hass)
            db = f"sqlite:///{hass.config.config_dir}/home-assistant_v2.db"
            recorder = {"recorder": {"db_url": db, "commit_interval": 1}}
            if not await async_setup_component(hass, "recorder", recorder):
                msg = "recorder did not start"
                raise RuntimeError(msg)
            # No frontend files in a test instance; the logbook only
            # registers its panel there.
            mock_component(hass, "frontend")
            if not await async_setup_component(hass, "logbook", {}):
                msg = "logbook did not start"
                raise RuntimeError(msg)
            await run(hass, sim, minutes)
    finally:
        await sim.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--speed", type=float, default=SPEED)
    args = parser.parse_args()
    SPEED = args.speed
    asyncio.run(main(args.minutes))
