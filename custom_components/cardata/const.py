"""Constants of the BMW CarData integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "cardata"
LOGGER: Final = logging.getLogger(__package__)
