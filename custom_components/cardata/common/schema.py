"""Schemas of the forms and service actions, built one way everywhere.

``vol`` is probatio where Home Assistant ships it (2026.10 and later), else
voluptuous: the modules with forms or service actions import it from here.
The helpers give the number fields their one look: a box, or a whole number
in a range for a plain schema.
"""

from __future__ import annotations

from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
)

try:
    import probatio as vol  # Home Assistant 2026.10 and later
except ImportError:  # pragma: no cover - older Home Assistant
    import voluptuous as vol  # type: ignore[no-redef]

__all__ = ["int_range", "number_box", "vol"]


def number_box(
    low: float, high: float, step: float = 1, unit: str | None = None
) -> NumberSelector:
    """Return a number field typed into a box, from ``low`` to ``high``."""
    config = NumberSelectorConfig(
        min=low, max=high, step=step, mode=NumberSelectorMode.BOX
    )
    if unit is not None:
        config["unit_of_measurement"] = unit
    return NumberSelector(config)


def int_range(low: int, high: int) -> vol.All[int]:
    """Return a validator of a whole number from ``low`` to ``high``."""
    return vol.All(vol.Coerce(int), vol.Range(min=low, max=high))
