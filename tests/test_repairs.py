"""Repair issues against the simulator: shown when the owner can act, fixed by flows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.cardata.api import StreamState
from custom_components.cardata.common.display import local_time
from custom_components.cardata.common.settings import OPT_TIMING
from custom_components.cardata.const import DOMAIN
from custom_components.cardata.repairs import async_create_fix_flow
from custom_components.cardata.rest.quota_policy import CallKind
from tests.entity_helpers import entry_data
from tests.rest_helpers import (
    make_entry,
    planner,
    setup_rest,
    start_fix_flow,
)
from tests.simulator import CLIENT_NO_STREAM, GCID_A
from tests.waiting import wait_for

# The stream retries within a fraction of a second, so eviction shows soon.
FAST_BACKOFF = {OPT_TIMING: {"backoff_min": 0.05, "backoff_max": 0.3}}


def _issue(hass: HomeAssistant, kind: str, entry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{entry.entry_id}")


async def test_evicted_stream_issue_and_fix(hass: HomeAssistant, simulator) -> None:
    entry = await setup_rest(hass, make_entry(simulator, options=FAST_BACKOFF))
    stream = entry.runtime_data.stream
    assert _issue(hass, "stream_evicted", entry) is None
    simulator.evict(GCID_A)
    await wait_for(lambda: _issue(hass, "stream_evicted", entry) is not None)
    issue = _issue(hass, "stream_evicted", entry)
    assert issue is not None
    assert issue.is_fixable
    # The owner stops the other client, then lets the flow reconnect.
    simulator.release(GCID_A)
    result = await start_fix_flow(hass, issue.issue_id)
    assert result["step_id"] == "confirm"
    manager = hass.data["repairs"]["flow_manager"]
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await wait_for(lambda: stream.state is StreamState.CONNECTED)
    assert _issue(hass, "stream_evicted", entry) is None


async def test_missing_stream_scope_issue_starts_login(
    hass: HomeAssistant, simulator
) -> None:
    entry = make_entry(simulator)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data=entry_data(simulator, client_id=CLIENT_NO_STREAM)
    )
    await setup_rest(hass, entry, connected=False)
    issue = _issue(hass, "stream_scope_missing", entry)
    assert issue is not None
    assert issue.severity is ir.IssueSeverity.ERROR
    result = await start_fix_flow(hass, issue.issue_id)
    manager = hass.data["repairs"]["flow_manager"]
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    # The same "Log in again" dialog, saying why: the stream is not granted.
    assert [f["step_id"] for f in flows if f["context"]["source"] == "reauth"] == [
        "reauth_stream_scope"
    ]


async def test_quota_issue_follows_the_block(hass: HomeAssistant, simulator) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    plan = planner(entry)
    plan.block(600, "CU-429")
    issue = _issue(hass, "quota_exhausted", entry)
    assert issue is not None
    assert not issue.is_fixable
    assert issue.translation_placeholders["until"]
    assert plan.remaining(CallKind.USER) == 0
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=601))
    await hass.async_block_till_done()
    assert _issue(hass, "quota_exhausted", entry) is None
    assert plan.remaining(CallKind.USER) > 0


async def test_fix_flow_for_unloaded_entry(hass: HomeAssistant, simulator) -> None:
    entry = await setup_rest(hass, make_entry(simulator))
    assert await hass.config_entries.async_unload(entry.entry_id)
    flow = await async_create_fix_flow(
        hass, "x", {"entry_id": entry.entry_id, "kind": "stream_evicted"}
    )
    flow.hass = hass
    result = await flow.async_step_confirm({})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_loaded"


async def test_evicted_issue_cleared_on_unload(hass: HomeAssistant, simulator) -> None:
    """An unloaded entry has no stream: its eviction issue goes with it."""
    entry = await setup_rest(hass, make_entry(simulator, options=FAST_BACKOFF))
    simulator.evict(GCID_A)
    await wait_for(lambda: _issue(hass, "stream_evicted", entry) is not None)
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert _issue(hass, "stream_evicted", entry) is None
    simulator.release(GCID_A)


async def test_times_in_local_time_rounded_up(hass: HomeAssistant) -> None:
    """Owner-facing times: local zone, to the minute; a wait's end rounded up."""
    await hass.config.async_set_time_zone("Europe/Berlin")
    now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    end = datetime(2026, 12, 2, 3, 7, 30, tzinfo=UTC)
    assert local_time(end, round_up=True, now=now) == "04:08"
    assert local_time(end, now=now) == "04:07"
    assert local_time(end.replace(second=0), round_up=True, now=now) == "04:07"
    assert local_time(end + timedelta(days=1), now=now) == "2026-12-03 04:07"


async def test_quota_issue_shows_local_time(hass: HomeAssistant, simulator) -> None:
    """The quota issue names the block's end in local time, never before it ends."""
    await hass.config.async_set_time_zone("Europe/Berlin")
    entry = await setup_rest(hass, make_entry(simulator))
    plan = planner(entry)
    plan.block(600, "CU-429")
    until = plan.blocked_until
    shown = _issue(hass, "quota_exhausted", entry).translation_placeholders["until"]
    assert shown == local_time(until, round_up=True)
    assert "+" not in shown
    assert "T" not in shown
