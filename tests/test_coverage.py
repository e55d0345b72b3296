"""The coverage report: which fields each car sends, by stream, by container
read or never (simulator tier).

The simulator knows each car's fields (``supported``) and the values it holds
(what the container read answers); the test streams part of them and checks
every field lands in its column, in the diagnostics and on the sensor, and
that a container without the core fields raises the repair issue.
"""

from __future__ import annotations

import json
from typing import Any

from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest

from custom_components.cardata.catalogue.charging import LEVEL
from custom_components.cardata.catalogue.descriptors import catalogue_descriptors
from custom_components.cardata.catalogue.streaming import NOT_STREAMED
from custom_components.cardata.common.issues import CONTAINER_LACKS, issue_id
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.coverage.report import CORE_FIELDS, CoverageReport
from custom_components.cardata.diagnostics import async_get_device_diagnostics
from custom_components.cardata.rest.bootstrap import (
    async_fetch_telematic,
    container_descriptors,
)
from custom_components.cardata.rest.quota_policy import CallKind
from tests.entity_helpers import (
    LAT,
    age_rest_data,
    device_for,
    entity_id,
    make_entry,
    setup_entry,
)
from tests.rest_helpers import CONTAINER_NAME, CONTAINER_PURPOSE
from tests.simulator import CLIENT_A, CLIENT_C, GCID_A, GCID_C, VIN_BEV, Simulator
from tests.simulator.rest import Container
from tests.waiting import wait_for


def _held(sim: Simulator, vin: str) -> dict[str, Any]:
    """What the car holds of its own fields: what a container read answers."""
    vehicle = sim.vehicles[vin]
    return {
        name: held.value
        for name, held in vehicle.state.items()
        if name in vehicle.supported
    }


def _report(entry, vin: str) -> CoverageReport:
    return entry.runtime_data.coverage.report(vin)


def test_not_streamed_table_names_catalogue_fields() -> None:
    """BMW's not-streamed fields are the catalogue's, and asked for by the
    container (the only way they come)."""
    assert set(catalogue_descriptors()) >= NOT_STREAMED
    assert set(container_descriptors()) >= NOT_STREAMED
    assert set(container_descriptors()) >= CORE_FIELDS


@pytest.mark.parametrize(
    ("gcid", "client_id"),
    [(GCID_A, CLIENT_A), (GCID_C, CLIENT_C)],
    ids=["bev_and_phev", "neue_klasse_and_miles_car"],
)
async def test_every_field_in_its_column(
    hass: HomeAssistant, simulator: Simulator, gcid: str, client_id: str
) -> None:
    await age_rest_data(simulator)  # the stream's values below are newer
    entry = make_entry(simulator, gcid, client_id)
    coordinator = await setup_entry(hass, entry)
    asked = set(container_descriptors())
    streamed: dict[str, set[str]] = {}
    vins = simulator.accounts[gcid].primary_vins()
    assert vins
    for vin in vins:
        held = _held(simulator, vin)
        # Half of what the car holds comes on the stream as well (never a
        # field BMW does not stream: the battery's state of health).
        streamable = {k: v for k, v in held.items() if k not in NOT_STREAMED}
        part = dict(sorted(streamable.items())[::2])
        streamed[vin] = set(part)
        assert await simulator.publish(vin, part) == 1
    for vin in vins:
        await wait_for(lambda vin=vin: set(_report(entry, vin).stream) == streamed[vin])
    await hass.async_block_till_done()

    for vin in vins:
        held = set(_held(simulator, vin))
        report = _report(entry, vin)
        assert set(report.stream) == streamed[vin]
        assert set(report.rest_only) == held - streamed[vin]
        assert set(report.never_arrived) == asked - held
        # Every field of the car in exactly one column, each one it holds
        # as received.
        columns = (report.stream, report.rest_only, report.never_arrived)
        assert sum(len(c) for c in columns) == len(asked | held)
        assert set(simulator.vehicles[vin].supported) & asked <= set().union(*columns)
        assert report.received == len(held)
        assert set(report.not_streamed) == NOT_STREAMED
        assert report.read_at is not None
        assert not NOT_STREAMED & set(report.stream)

        # The sensor: number received, counts per column, a diagnostic.
        sensor = entity_id(hass, "sensor", f"{vin}_data_coverage")
        state = hass.states.get(sensor)
        assert state is not None
        assert int(state.state) == len(held)
        assert state.attributes["stream"] == len(streamed[vin])
        assert state.attributes["rest_only"] == len(held - streamed[vin])
        assert state.attributes["never_arrived"] == len(asked - held)
        assert state.attributes["not_streamed"] == len(NOT_STREAMED)
        registered = er.async_get(hass).async_get(sensor)
        assert registered is not None
        assert registered.entity_category is EntityCategory.DIAGNOSTIC
        assert registered.translation_key == "data_coverage"

        # The device diagnostics: names and counts per column, no VIN.
        dump = await async_get_device_diagnostics(
            hass, entry, device_for(hass, entry, vin)
        )
        part = next(iter(dump["data_coverage"].values()))
        assert set(part["stream"]) == streamed[vin]
        assert set(part["rest_only"]) == held - streamed[vin]
        assert part["counts"] == report.counts()
        assert part["container_lacks_core_fields"] == []
        assert vin not in json.dumps(dump["data_coverage"])

    # What was seen survives a restart (the report does not start empty).
    before = _report(entry, vins[0])
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert _report(entry, vins[0]) == before
    assert coordinator is not entry.runtime_data.coordinator


async def test_container_without_core_fields_raises_repair(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """An older container with our name but without the charge level and the
    position: the repair names them; a container with every field clears it."""
    lacking = {LEVEL, LAT}
    simulator.rest.containers["keep000000001"] = Container(
        "keep000000001",
        GCID_A,
        CONTAINER_NAME,
        CONTAINER_PURPOSE,
        [d for d in container_descriptors() if d not in lacking],
        simulator.now(),
    )
    entry = make_entry(simulator)
    await setup_entry(hass, entry)
    registry = ir.async_get(hass)
    issue = registry.async_get_issue(DOMAIN, issue_id(CONTAINER_LACKS, entry.entry_id))
    assert issue is not None
    assert issue.translation_key == CONTAINER_LACKS
    assert issue.translation_placeholders == {"fields": ", ".join(sorted(lacking))}
    report = _report(entry, VIN_BEV)
    assert lacking.isdisjoint(report.rest_only)
    dump = await async_get_device_diagnostics(
        hass, entry, device_for(hass, entry, VIN_BEV)
    )
    part = next(iter(dump["data_coverage"].values()))
    assert part["container_lacks_core_fields"] == sorted(lacking)

    # The owner deleted the container; the next read creates a full one.
    del simulator.rest.containers["keep000000001"]
    await async_fetch_telematic(entry.runtime_data.rest, VIN_BEV, CallKind.USER)
    await hass.async_block_till_done()
    assert (
        registry.async_get_issue(DOMAIN, issue_id(CONTAINER_LACKS, entry.entry_id))
        is None
    )
    assert set(_report(entry, VIN_BEV).rest_only) >= {LEVEL, LAT}
