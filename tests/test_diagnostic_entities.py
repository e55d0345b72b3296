"""Account diagnostics: a failing token refresh shows on the token expiry sensor."""

from __future__ import annotations

from datetime import datetime

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
import pytest

from custom_components.cardata.api import CarDataConnectionError
from custom_components.cardata.common.settings import OPT_TIMING
from custom_components.cardata.entities.diagnostic import (
    ATTR_LAST_REFRESH_ERROR,
    ATTR_NEXT_RETRY,
)
from tests.entity_helpers import (
    entity_id,
    make_entry,
    setup_entry,
    written_states,
)
from tests.simulator import GCID_A
from tests.waiting import wait_for


async def test_refresh_failures_show_until_recovered(
    hass: HomeAssistant, simulator
) -> None:
    """BMW's token endpoint fails twice: error and retry time show, then clear."""
    entry = make_entry(simulator, options={OPT_TIMING: {"retry_min": 0.3}})
    await setup_entry(hass, entry)
    tokens = entry.runtime_data.tokens
    expiry = entity_id(hass, "sensor", f"{entry.entry_id}_token_expiry")
    state = hass.states.get(expiry)
    assert state.attributes[ATTR_LAST_REFRESH_ERROR] is None
    assert state.attributes[ATTR_NEXT_RETRY] is None
    before = state.state
    refreshes = tokens.refresh_count
    written = written_states(hass, expiry)

    # The refresh fails; the token still works, so only the attributes move.
    simulator.faults.token_errors = 2
    with pytest.raises(CarDataConnectionError):
        await tokens.async_force_refresh()
    await hass.async_block_till_done()
    first = written[0]
    assert first.state == before
    assert first.attributes[ATTR_LAST_REFRESH_ERROR] == "connection_error"
    first_retry = datetime.fromisoformat(first.attributes[ATTR_NEXT_RETRY])
    assert first_retry > first.last_updated

    # The refresher retries on its own: once more failing, then it succeeds.
    await wait_for(lambda: tokens.refresh_count > refreshes)
    await hass.async_block_till_done()
    failures = [s for s in written if s.attributes[ATTR_LAST_REFRESH_ERROR]]
    assert len(failures) == 2
    second_retry = datetime.fromisoformat(failures[1].attributes[ATTR_NEXT_RETRY])
    assert second_retry > first_retry
    recovered = hass.states.get(expiry)
    assert recovered.attributes[ATTR_LAST_REFRESH_ERROR] is None
    assert recovered.attributes[ATTR_NEXT_RETRY] is None
    assert recovered.state == tokens.expires_at.replace(microsecond=0).isoformat()
    assert recovered.state >= before
    assert simulator.faults.token_errors == 0


async def test_refused_login_shows(hass: HomeAssistant, simulator) -> None:
    """BMW refuses the refresh token: the sensor says a new login is needed."""
    entry = make_entry(simulator)
    await setup_entry(hass, entry)
    expiry = entity_id(hass, "sensor", f"{entry.entry_id}_token_expiry")
    simulator.oauth.revoke_refresh_tokens(GCID_A)
    with pytest.raises(ConfigEntryAuthFailed):
        await entry.runtime_data.tokens.async_force_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(expiry)
    assert state.attributes[ATTR_LAST_REFRESH_ERROR] == "invalid_grant"
    assert state.attributes[ATTR_NEXT_RETRY] is None
