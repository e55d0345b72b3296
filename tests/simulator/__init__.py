"""A strict local stand-in for BMW CarData: login, REST API and MQTT stream.

Imports nothing from ``custom_components``: it checks the client against
BMW's documented rules instead of sharing its assumptions.

Use in tests (fixture ``simulator``: started, default world, interval 1 s)::

    sim.endpoints                       # auth_url, api_url, stream_* keys
    sim.oauth.issue_tokens(GCID_A, CLIENT_A)   # token answer, no login
    sim.oauth.approve(user_code) / deny(user_code) / auto_approve = True
    await sim.publish(VIN_BEV, {descriptor: value})  # on <GCID>/<VIN>
    await sim.publish_raw(gcid, vin, b"...")          # malformed, oversized
    sim.broker.active_connections(gcid) / connect_count / max_concurrent
    await sim.broker.drop(gcid); sim.evict(gcid, hold_for=None); sim.release(gcid)
    sim.faults.token_errors = 1; sim.faults.rest_errors = 1; ...  (see Faults)
    sim.quota.exhaust(gcid); sim.quota.mode = "429"; sim.quota.calls(gcid)
    sim.advance(seconds)                # token expiry, quota window, codes
    await sim.run_scenario(VIN_BEV, speed=1000)

Standalone: ``python -m tests.simulator --help``.
"""

from .core import Faults, Simulator
from .scenario import Step
from .world import (
    CLIENT_A,
    CLIENT_B,
    CLIENT_C,
    CLIENT_NO_STREAM,
    GCID_A,
    GCID_B,
    GCID_C,
    VIN_BEV,
    VIN_ID6,
    VIN_MILES,
    VIN_NK,
    VIN_NO_BASIC,
    VIN_PHEV,
    VIN_SECONDARY,
)

__all__ = [
    "CLIENT_A",
    "CLIENT_B",
    "CLIENT_C",
    "CLIENT_NO_STREAM",
    "GCID_A",
    "GCID_B",
    "GCID_C",
    "VIN_BEV",
    "VIN_ID6",
    "VIN_MILES",
    "VIN_NK",
    "VIN_NO_BASIC",
    "VIN_PHEV",
    "VIN_SECONDARY",
    "Faults",
    "Simulator",
    "Step",
]
