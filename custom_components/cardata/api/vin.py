"""The shape of a VIN, the one pattern the whole integration checks VINs with.

Seventeen digits and capital letters; I, O and Q never occur (ISO 3779).
"""

from __future__ import annotations

import re
from typing import Final

VIN_CHARS: Final = r"[A-HJ-NPR-Z0-9]{17}"
"""A VIN inside a longer pattern (no anchors)."""

VIN_RE: Final = re.compile(rf"^{VIN_CHARS}$")
"""A whole string that is a VIN."""
