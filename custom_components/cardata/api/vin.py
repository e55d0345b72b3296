"""The shape of a VIN, the one pattern the whole integration checks VINs with.

Seventeen digits and capital letters; I, O and Q never occur (ISO 3779). The
first three characters are the world manufacturer identifier (WMI, ISO 3780):
:data:`MAKERS` names the BMW Group brand behind each of the group's WMIs, so
a car without BMW's basic data is still named after its brand.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Final

VIN_CHARS: Final = r"[A-HJ-NPR-Z0-9]{17}"
"""A VIN inside a longer pattern (no anchors)."""

VIN_RE: Final = re.compile(rf"^{VIN_CHARS}$")
"""A whole string that is a VIN."""

DEFAULT_MAKER: Final = "BMW"
"""The brand of a VIN whose WMI is not in :data:`MAKERS`."""

MAKERS: Final = MappingProxyType(
    {
        # BMW cars: Germany (WBA), BMW M (WBS), BMW i (WBY), X models built
        # under contract (WBX), Spartanburg USA (4US, 5UJ, 5UX, 5YM), BMW
        # Brilliance China (LBV), Rosslyn South Africa (ADN), Avtotor (X4X).
        "WBA": "BMW",
        "WBS": "BMW",
        "WBX": "BMW",
        "WBY": "BMW",
        "4US": "BMW",
        "5UJ": "BMW",
        "5UX": "BMW",
        "5YM": "BMW",
        "LBV": "BMW",
        "ADN": "BMW",
        "X4X": "BMW",
        # MINI: Oxford and the group's other plants (WMW), VDL Nedcar (WMZ).
        "WMW": "MINI",
        "WMZ": "MINI",
        # Rolls-Royce Motor Cars, Goodwood.
        "SCA": "Rolls-Royce",
        # BMW Motorrad: Berlin (WB1), and its other motorcycles (WB3).
        "WB1": "BMW Motorrad",
        "WB3": "BMW Motorrad",
    }
)
"""BMW Group brand per world manufacturer identifier (a VIN's first three)."""


def maker(vin: str) -> str:
    """The brand a VIN names (BMW, MINI, Rolls-Royce, BMW Motorrad)."""
    return MAKERS.get(vin[:3].upper(), DEFAULT_MAKER)
