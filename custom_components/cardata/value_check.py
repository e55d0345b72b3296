"""Whether a descriptor value fits its type in BMW's catalogue.

A value that cannot be what the catalogue says the descriptor is (a tyre
pressure of ``"abc"``, a timestamp of ``"soon"``) is dropped before the
coordinator stores it, so the last good value stays; the drop is counted
and logged at debug level (rate-limited, reason only, never the value).

BMW's own "no value" words (INVALID, UNKNOWN, -NA-, ...) and ``None`` fit
every type: they say "unknown" on purpose. Enum and text values are not
checked here: a word the catalogue does not list is the enum handling's
business (it shows "unknown" and keeps the raw word).
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from .api.parser import DropLog
from .catalogue import DescriptorInfo, RawValue, ValueKind, describe, enum_state
from .catalogue_overrides import NO_VALUE_WORDS
from .const import LOGGER
from .conversion import convert

_CHECKED: Final = frozenset({ValueKind.NUMBER, ValueKind.TIMESTAMP, ValueKind.BOOLEAN})


def misfit(info: DescriptorInfo, value: RawValue) -> str | None:
    """Return why ``value`` cannot be a value of the descriptor, else ``None``."""
    kind = info.data_type
    if (
        value is None
        or not info.in_catalogue
        or kind not in _CHECKED
        or (isinstance(value, str) and enum_state(value) in NO_VALUE_WORDS)
    ):
        return None
    if kind is ValueKind.BOOLEAN:
        # Words are the boolean converter's job; a number other than 0/1
        # cannot be a flag.
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return "not_a_flag" if number and value not in (0, 1) else None
    if isinstance(value, bool) or convert(info, value) is None:
        return f"not_a_{kind}"
    return None


class ValueCheck:
    """Counts and logs the values that do not fit (one per coordinator)."""

    def __init__(self) -> None:
        """Start with nothing dropped."""
        self.dropped: Counter[str] = Counter()
        self._log = DropLog(LOGGER, "Descriptor value")

    def accepts(self, descriptor: str, value: RawValue) -> bool:
        """Return True when ``value`` fits ``descriptor``; count it otherwise."""
        reason = misfit(describe(descriptor), value)
        if reason is None:
            return True
        self.dropped[reason] += 1
        self._log(reason)
        return False
