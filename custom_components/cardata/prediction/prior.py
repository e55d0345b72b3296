"""What a car of its kind uses while driving, before it taught its own figure.

A car's first trip has nothing learned behind it, so the charge estimate
falls by a prior: the typical consumption of the car's drive type (BEV or
PHEV) and class (small, mid, large) over its usable capacity. The class comes
from BMW's basic data (drive train, model name) when it was read, else from
the battery's size. :class:`.model.VehiclePredictor` uses the prior only
until the trip itself or earlier trips taught a rate.

The figures are battery-side consumption in mixed driving in mild weather,
rounded, as published for BMW and MINI models: the WLTP type approval
(combined electric consumption, which includes charging losses, so a little
above the battery's figure) and the "real range" tables of ev-database.org
(usable capacity over the range in mixed driving). Examples per class:

- BEV small: MINI Cooper SE (28.9 kWh usable, about 190 km), i3 120 Ah
  (37.9 kWh, about 235 km): about 15-16 kWh/100 km.
- BEV mid: i4 eDrive40 (81 kWh, about 470 km), iX1 xDrive30 (64.7 kWh,
  about 360 km), iX3 (74 kWh, about 385 km): about 17-19 kWh/100 km.
- BEV large: iX xDrive50 (105.2 kWh, about 505 km), i7 xDrive60 (101.7 kWh,
  about 485 km): about 21 kWh/100 km.
- PHEV small: 225e Active Tourer, MINI Countryman SE ALL4 (about 10-14 kWh
  usable): WLTP about 15-17 kWh/100 km.
- PHEV mid: 330e, 530e (about 10-18 kWh usable): WLTP about 16-19 kWh/100 km.
- PHEV large: X5 xDrive50e (about 25.7 kWh usable): WLTP about 22-27 kWh/100 km.

Consumption grows with speed: rolling resistance and the car's own needs
are about constant per kilometre, air drag grows with the square of the
speed and equals them near :data:`DRAG_SPEED_KMH` for a typical car (drag
0.5 x 1.2 kg/m3 x 0.7 m2 x (25 m/s)^2, about 260 N, against rolling
0.01 x 2.4 t x 9.81 m/s2, about 235 N). The table's figures hold at
:data:`MIXED_SPEED_KMH`; :meth:`DrivingPrior.kwh_per_km` scales them to the
trip's average speed.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Final

DRAG_SPEED_KMH: Final = 90.0
"""Speed at which air drag equals the rest of the consumption."""
MIXED_SPEED_KMH: Final = 60.0
"""Average speed the table's mixed-driving figures stand for."""
SPEED_BOUNDS: Final = (10.0, 160.0)
"""Average trip speeds the scaling is trusted for (km/h)."""


@dataclass(frozen=True, slots=True)
class DrivingPrior:
    """Typical consumption and usable capacity of one kind of car."""

    kwh_per_100km: float
    usable_kwh: float

    def kwh_per_km(self, speed_kmh: float | None = None) -> float:
        """Consumption per kilometre, at ``speed_kmh`` when known."""
        base = self.kwh_per_100km / 100
        if speed_kmh is None:
            return base
        low, high = SPEED_BOUNDS
        speed = min(max(speed_kmh, low), high)
        return (
            base
            * (1 + (speed / DRAG_SPEED_KMH) ** 2)
            / (1 + (MIXED_SPEED_KMH / DRAG_SPEED_KMH) ** 2)
        )


PRIORS: Final[dict[str, DrivingPrior]] = {
    "bev_small": DrivingPrior(15.5, 30.0),
    "bev_mid": DrivingPrior(18.0, 75.0),
    "bev_large": DrivingPrior(21.0, 100.0),
    "phev_small": DrivingPrior(16.0, 11.0),
    "phev_mid": DrivingPrior(17.5, 12.0),
    "phev_large": DrivingPrior(24.0, 25.0),
}
"""Kinds of car by drive type and class (see the module's text for sources)."""

_BEV_WORDS: Final = frozenset({"BEV", "BE", "ELECTRIC"})
_PHEV_WORDS: Final = frozenset({"PHEV", "PHE", "PLUGIN_HYBRID"})
_CASE: Final = re.IGNORECASE
_BEV_NAME: Final = re.compile(r"^(?:MINI\s+)?(?:i[0-9X]|COOPER\s+S?E\b|ACEMAN)", _CASE)
_PHEV_NAME: Final = re.compile(r"\d+\s?e\b|\bSE\s+ALL4\b", _CASE)
_SMALL_NAME: Final = re.compile(
    r"\b(?:MINI|COOPER|ACEMAN|COUNTRYMAN|i3|iX[12]|X[12]|[12]\d\d\w*)\b", _CASE
)
_LARGE_NAME: Final = re.compile(r"\b(?:iX|i7|X[5-7]|XM|7\d\d\w*)\b", _CASE)
""""iX" alone is the large SUV; iX1, iX2 and iX3 have no word boundary after X."""
PHEV_MAX_KWH: Final = 30.0
"""Largest battery of a BMW group PHEV (gross); a larger one is a BEV's."""
SIZE_BY_CAPACITY: Final[dict[str, tuple[float, float]]] = {
    "bev": (45.0, 90.0),
    "phev": (0.0, 20.0),
}
"""Where a car without a model name stops being small and starts being large
(kWh of battery; a PHEV without a name is taken for mid or large)."""


def _drive_type(
    drive_train: str | None, model_name: str, capacity_kwh: float | None
) -> str | None:
    word = (drive_train or "").strip().upper()
    if word in _BEV_WORDS or (word not in _PHEV_WORDS and _BEV_NAME.search(model_name)):
        return "bev"
    if word in _PHEV_WORDS or _PHEV_NAME.search(model_name):
        return "phev"
    if capacity_kwh is not None:
        return "phev" if capacity_kwh < PHEV_MAX_KWH else "bev"
    return None


def _size(drive: str, model_name: str, capacity_kwh: float | None) -> str:
    if model_name:
        if _SMALL_NAME.search(model_name):
            return "small"
        return "large" if _LARGE_NAME.search(model_name) else "mid"
    small_below, large_from = SIZE_BY_CAPACITY[drive]
    if capacity_kwh is None:
        return "mid"
    if capacity_kwh < small_below:
        return "small"
    return "large" if capacity_kwh >= large_from else "mid"


def classify(
    model_name: str | None,
    drive_train: str | None = None,
    capacity_kwh: float | None = None,
) -> str | None:
    """The key of :data:`PRIORS` for a car, or None when nothing tells.

    ``drive_train`` is BMW's basic data word (``BEV``, ``PHEV``, …);
    ``capacity_kwh`` the battery's size, used where the name says nothing.
    """
    name = (model_name or "").strip()
    drive = _drive_type(drive_train, name, capacity_kwh)
    if drive is None:
        return None
    return f"{drive}_{_size(drive, name, capacity_kwh)}"
