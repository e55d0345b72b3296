"""A rotated token is never dropped: saving it can fail, using it cannot.

BMW spends the old refresh token when it issues a new one. When the new one
cannot be written (here: the configuration folder's ``.storage`` replaced by
a plain file, so no write into it works, not even root's), it stays in use
from memory, saving is retried with backoff, and a repair issue says why
until a save works. The next start takes the newer of the config entry's
and the token file's tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import STORAGE_DIR
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.cardata.api import StreamState, TokenSet
from custom_components.cardata.auth.token_manager import TokenManager
from custom_components.cardata.const import CONF_TOKENS, DOMAIN
from tests.conftest import rest_settled
from tests.simulator import CLIENT_A, GCID_A, Simulator
from tests.waiting import wait_for

type MakeEntry = Callable[..., MockConfigEntry]


class Storage:
    """The test's ``.storage`` folder, made to fail every write and mended."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.folder = Path(hass.config.path(STORAGE_DIR))
        self._held = self.folder.with_name(".storage-held")

    def fail_writes(self) -> None:
        """Put a plain file where the folder was: no file can be made in it."""
        self.folder.mkdir(exist_ok=True)
        self.folder.rename(self._held)
        self.folder.write_text("", encoding="utf-8")

    def mend(self) -> None:
        """The owner fixed it: the folder is back, with what it held."""
        if self._held.exists():
            self.folder.unlink()
            self._held.rename(self.folder)


@pytest.fixture
def storage(hass: HomeAssistant) -> Iterator[Storage]:
    """The ``.storage`` folder of the test's own configuration folder."""
    folder = Storage(hass)
    yield folder
    folder.mend()


async def _loaded(hass: HomeAssistant, entry: MockConfigEntry) -> TokenManager:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await rest_settled(entry)
    runtime = entry.runtime_data
    await wait_for(lambda: runtime.stream.state is StreamState.CONNECTED)
    return runtime.tokens


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    registry = ir.async_get(hass)
    return registry.async_get_issue(DOMAIN, f"token_not_saved_{entry.entry_id}")


def _stored(entry: MockConfigEntry) -> TokenSet:
    return TokenSet.from_dict(entry.data[CONF_TOKENS])


async def _reauth_flows(hass: HomeAssistant) -> int:
    await hass.async_block_till_done()
    return len(hass.config_entries.flow.async_progress_by_handler(DOMAIN))


def _retry_in(tokens: TokenManager) -> float:
    assert tokens.next_save is not None
    return (tokens.next_save - datetime.now(UTC)).total_seconds()


async def _retry_now(hass: HomeAssistant, tokens: TokenManager) -> None:
    """Let the clock reach the next save retry, and wait for its outcome."""
    due = tokens.next_save
    assert due is not None
    async_fire_time_changed(hass, due + timedelta(seconds=1))
    await wait_for(lambda: tokens.saved or tokens.next_save not in (None, due))


async def test_rotated_token_kept_while_saving_fails(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    storage: Storage,
) -> None:
    """Refresh with a ``.storage`` that takes no write: the new token is used
    from memory, the next refresh spends it (BMW accepts it: no invalid_grant,
    no new login), the repair says why, and goes once a save works."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    runtime = entry.runtime_data
    assert tokens.saved
    assert _issue(hass, entry) is None
    old = tokens.tokens

    storage.fail_writes()
    new = await tokens.async_force_refresh()
    assert not simulator.oauth.refresh_token_valid(old.refresh_token)
    assert tokens.tokens == new
    assert _stored(entry) == new  # the entry in memory: a reload takes it
    assert not tokens.saved
    issue = _issue(hass, entry)
    assert issue is not None
    assert issue.translation_key == "token_not_saved"
    assert issue.severity is ir.IssueSeverity.ERROR
    assert not issue.is_fixable
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["folder"] == str(storage.folder)
    assert issue.translation_placeholders["error"]
    assert 25 < _retry_in(tokens) <= 30

    # The next refresh uses the token only memory holds; BMW accepts it.
    newer = await tokens.async_force_refresh()
    assert newer.refresh_token != new.refresh_token
    assert not simulator.oauth.refresh_token_valid(new.refresh_token)
    assert simulator.oauth.refresh_token_valid(newer.refresh_token)
    assert not tokens.auth_failed
    assert await _reauth_flows(hass) == 0
    assert runtime.stream.state is StreamState.CONNECTED
    assert not tokens.saved
    assert _issue(hass, entry) is not None

    # The owner frees the folder: the next retry saves, the repair goes.
    storage.mend()
    await _retry_now(hass, tokens)
    assert tokens.saved
    assert tokens.next_save is None
    assert _issue(hass, entry) is None
    assert await _reauth_flows(hass) == 0
    await hass.config_entries.async_unload(entry.entry_id)


async def test_save_retried_with_backoff(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    storage: Storage,
) -> None:
    """Retries after 30 s, doubling to 10 min, then every 10 min until a save
    works."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    storage.fail_writes()
    await tokens.async_force_refresh()
    waits = [round(_retry_in(tokens))]
    for _ in range(6):
        await _retry_now(hass, tokens)
        assert not tokens.saved
        waits.append(round(_retry_in(tokens)))
    assert waits == [30, 60, 120, 240, 480, 600, 600]
    assert _issue(hass, entry) is not None
    storage.mend()
    await _retry_now(hass, tokens)
    assert tokens.saved
    assert _issue(hass, entry) is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_reload_keeps_the_unsaved_token(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    storage: Storage,
) -> None:
    """A reload while saving fails: the new instance uses the token from the
    entry in memory, raises the repair again and goes on trying."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    storage.fail_writes()
    new = await tokens.async_force_refresh()
    assert await hass.config_entries.async_reload(entry.entry_id)
    again = entry.runtime_data.tokens
    assert again is not tokens
    assert again.tokens == new
    assert not again.saved
    assert _issue(hass, entry) is not None
    storage.mend()
    await _retry_now(hass, again)
    assert again.saved
    assert _issue(hass, entry) is None
    refreshed = await again.async_force_refresh()
    assert simulator.oauth.refresh_token_valid(refreshed.refresh_token)
    assert await _reauth_flows(hass) == 0
    await hass.config_entries.async_unload(entry.entry_id)


async def test_stop_saves_what_memory_holds(
    hass: HomeAssistant,
    simulator: Simulator,
    make_entry: MakeEntry,
    storage: Storage,
) -> None:
    """Home Assistant stops between the owner's fix and the next retry: the
    token is saved on the way out, not lost."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    storage.fail_writes()
    await tokens.async_force_refresh()
    storage.mend()
    assert not tokens.saved
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await wait_for(lambda: tokens.saved)
    assert _issue(hass, entry) is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_start_takes_the_newer_token_file(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """Home Assistant could not write the config entry before it stopped (it
    only logs that): the entry holds the spent token, the token file the new
    one. The set-up uses the newer and puts it back into the entry."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    spent = tokens.tokens
    new = await tokens.async_force_refresh()
    assert tokens.saved
    assert await hass.config_entries.async_unload(entry.entry_id)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_TOKENS: spent.to_dict()}
    )

    assert await hass.config_entries.async_setup(entry.entry_id)
    again = entry.runtime_data.tokens
    assert again.tokens == new
    assert again.saved
    assert _stored(entry) == new
    refreshed = await again.async_force_refresh()
    assert simulator.oauth.refresh_token_valid(refreshed.refresh_token)
    assert not again.auth_failed
    assert await _reauth_flows(hass) == 0
    await hass.config_entries.async_unload(entry.entry_id)


async def test_newer_login_in_the_entry_wins(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """After a new login the entry is newer than the token file: it is used
    and saved; the token file's older set is not."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    tokens = await _loaded(hass, entry)
    assert tokens.saved
    assert await hass.config_entries.async_unload(entry.entry_id)
    login = TokenSet.from_response(simulator.oauth.issue_tokens(GCID_A, CLIENT_A))
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_TOKENS: login.to_dict()}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    again = entry.runtime_data.tokens
    assert again.tokens == login
    assert again.saved
    await hass.config_entries.async_unload(entry.entry_id)


async def test_token_file_private_and_removed_with_the_entry(
    hass: HomeAssistant, simulator: Simulator, make_entry: MakeEntry
) -> None:
    """The token file is readable by its owner only, and goes with the entry."""
    entry = make_entry(simulator, GCID_A, CLIENT_A)
    await _loaded(hass, entry)
    folder = Path(hass.config.path(STORAGE_DIR))
    assert _modes_of_files_named(folder, entry.entry_id) == [0o600]
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert _modes_of_files_named(folder, entry.entry_id) == []


def _modes_of_files_named(folder: Path, part: str) -> list[int]:
    return [p.stat().st_mode & 0o777 for p in folder.iterdir() if part in p.name]
