"""The newest tokens of one entry in a file of their own, written so a failure shows.

BMW spends the old refresh token the moment it issues a new one, so the new
one has to reach the disk. The config entry alone cannot promise that:
``async_update_entry`` returns at once and Home Assistant writes
``core.config_entries`` a second later; when that write fails (a read-only
``.storage``, a full disk) it only logs an error. ``Store.async_save`` does
the same: it catches the write error and logs it, so its caller cannot tell.

So the token manager keeps every rotated set also here, in
``.storage/cardata.tokens.<entry_id>`` (the envelope of a Home Assistant
store, mode 0600, as private as the config entry), written by this module
itself: a temporary file in the same folder, flushed to disk, then renamed
over the old one. Either the whole new file is there or the old one still is,
and every failure reaches the caller as :class:`OSError`. Nothing here uses
more of Home Assistant than ``hass.config.path`` and its executor.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
import json
import os
from pathlib import Path
import tempfile
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import STORAGE_DIR

from ..api import TokenSet
from ..const import DOMAIN, LOGGER

STORAGE_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class SavedTokens:
    """What the file holds: the tokens and the client they were issued to."""

    client_id: str
    tokens: TokenSet


class TokenFile:
    """The token file of one config entry."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Name the file of ``entry_id`` in Home Assistant's storage folder."""
        self._hass = hass
        self.key = f"{DOMAIN}.tokens.{entry_id}"
        self.folder = hass.config.path(STORAGE_DIR)
        self.path = Path(self.folder) / self.key

    async def async_load(self) -> SavedTokens | None:
        """Return the saved tokens; ``None`` when there is no usable file."""
        try:
            text = await self._hass.async_add_executor_job(_read, self.path)
        except OSError as err:
            LOGGER.warning(
                "Cannot read %s (%s); using the login of the config entry",
                self.path,
                err.strerror or type(err).__name__,
            )
            return None
        if text is None:
            return None
        try:
            data = json.loads(text)["data"]
            return SavedTokens(
                str(data["client_id"]), TokenSet.from_dict(data["tokens"])
            )
        except ValueError, KeyError, TypeError:
            # No detail: it could quote a token.
            LOGGER.warning(
                "%s is not readable; using the login of the config entry", self.path
            )
            return None

    async def async_save(self, client_id: str, tokens: TokenSet) -> None:
        """Write the file; raise :class:`OSError` when it could not be written."""
        content: dict[str, Any] = {
            "version": STORAGE_VERSION,
            "minor_version": 1,
            "key": self.key,
            "data": {"client_id": client_id, "tokens": tokens.to_dict()},
        }
        text = json.dumps(content, indent=2)
        await self._hass.async_add_executor_job(_write, self.path, text)

    async def async_remove(self) -> None:
        """Delete the file (the entry is being removed)."""
        await self._hass.async_add_executor_job(_remove, self.path)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600.
    handle, name = tempfile.mkstemp(
        dir=path.parent, prefix=path.name + ".", suffix=".tmp"
    )
    temporary = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(path)
    except BaseException:
        with suppress(OSError):
            temporary.unlink()
        raise


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


async def async_remove_store(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the token file of a removed entry."""
    await TokenFile(hass, entry_id).async_remove()
