"""A strict local stand-in for BMW CarData: login, REST API and MQTT stream.

Imports nothing from ``custom_components``: it checks the client against
BMW's documented rules instead of sharing its assumptions.
"""

from .core import Faults, Simulator
from .scenario import Step
from .world import (
    CLIENT_A,
    CLIENT_B,
    CLIENT_NO_STREAM,
    GCID_A,
    GCID_B,
    VIN_BEV,
    VIN_ID6,
    VIN_PHEV,
    VIN_SECONDARY,
)

__all__ = [
    "CLIENT_A",
    "CLIENT_B",
    "CLIENT_NO_STREAM",
    "GCID_A",
    "GCID_B",
    "VIN_BEV",
    "VIN_ID6",
    "VIN_PHEV",
    "VIN_SECONDARY",
    "Faults",
    "Simulator",
    "Step",
]
