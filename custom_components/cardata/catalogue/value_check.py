"""Whether a descriptor value fits its type in BMW's catalogue.

A value that cannot be what the catalogue says the descriptor is (a tyre
pressure of ``"abc"``, a timestamp of ``"soon"``) is dropped before the
coordinator stores it, so the last good value stays; the drop is counted
and logged at debug level (rate-limited, reason only, never the value).

BMW's own "no value" words (INVALID, UNKNOWN, -NA-, ...) and ``None`` fit
every type: they say "unknown" on purpose. Enum and text values are not
checked here: an enum sensor shows a word the catalogue does not list and
adds it to its options.

A word a binary sensor cannot read as on or off (not in the descriptor's
word sets) is kept, so the sensor shows unknown rather than an old state
that may be wrong; the check remembers it (:attr:`ValueCheck.unread_words`,
in the diagnostics) and logs one warning per word, so an owner can report it.
"""

from __future__ import annotations

from collections import Counter
import re
from typing import Final

from ..api.parser import DropLog
from ..const import LOGGER
from .conversion import convert
from .descriptors import DescriptorInfo, RawValue, ValueKind, describe, enum_state
from .overrides import NO_VALUE_WORDS

_CHECKED: Final = frozenset({ValueKind.NUMBER, ValueKind.TIMESTAMP, ValueKind.BOOLEAN})
WORDS_KEPT: Final = 10
"""Unread words remembered per descriptor (later ones are not logged)."""
_WORD_RE: Final = re.compile(r"[A-Za-z][A-Za-z_ -]{0,31}")
"""What is shown as a word; anything else (digits, long text) is not repeated."""
_NOTHING: Final = object()


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
        self.unread_words: dict[str, set[str]] = {}
        self._log = DropLog(LOGGER, "Descriptor value")
        self._fits: dict[str, RawValue] = {}
        """The last value that fit, per catalogue descriptor: BMW resends
        values unchanged a lot, and a resend need not be converted again."""
        self._unchecked: set[str] = set()
        """Catalogue descriptors whose values are not checked (enum, text)."""

    def accepts(self, descriptor: str, value: RawValue) -> bool:
        """Return True when ``value`` fits ``descriptor``; count it otherwise."""
        if descriptor in self._unchecked:
            return True
        last = self._fits.get(descriptor, _NOTHING)
        if last == value and type(last) is type(value):
            return True
        info = describe(descriptor)
        if info.in_catalogue and info.data_type not in _CHECKED:
            self._unchecked.add(descriptor)  # bounded by the catalogue
            return True
        reason = misfit(info, value)
        if reason is None:
            if info.data_type is ValueKind.BOOLEAN and isinstance(value, str):
                self._note_word(info, value)
            if info.in_catalogue:  # bounded: unknown names are not kept
                self._fits[descriptor] = value
            return True
        self.dropped[reason] += 1
        self._log(reason)
        return False

    def _note_word(self, info: DescriptorInfo, value: str) -> None:
        """Remember (and log once) a word that is neither on nor off."""
        word = enum_state(value)
        if word in NO_VALUE_WORDS or convert(info, value) is not None:
            return
        if not _WORD_RE.fullmatch(word):
            word = "(not a word)"
        words = self.unread_words.setdefault(info.descriptor, set())
        if word in words or len(words) >= WORDS_KEPT:
            return
        words.add(word)
        LOGGER.warning(
            "BMW sent %s for %s, which reads as neither on nor off, so its binary "
            "sensor shows unknown. Please report the word to the integration's "
            "issue tracker so it can be read",
            word,
            info.descriptor,
        )
