"""Shared fixtures.

``custom_components.cardata`` is imported first so that our package, not the
test plugin's bundled ``custom_components``, is the one on the path.
"""

from __future__ import annotations

import pytest

import custom_components.cardata  # noqa: F401

pytest_plugins = ["tests.simulator.fixtures"]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load integrations from custom_components."""
