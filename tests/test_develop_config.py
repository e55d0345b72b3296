"""scripts/develop's configuration: only what a developer needs, no default_config."""

from __future__ import annotations

from pathlib import Path

from homeassistant.util.yaml import load_yaml_dict
import pytest

CONFIG = Path(__file__).parents[1] / "config" / "configuration.yaml"


def test_no_default_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """default_config pulls in go2rtc, bluetooth, cloud...: they fail on a
    fresh machine. The develop world lists what it needs instead."""
    monkeypatch.setenv("HA_PORT", "18123")
    config = load_yaml_dict(CONFIG)
    assert "default_config" not in config
    assert {"config", "history", "logbook", "recorder", "logger"} <= set(config)
    assert not {"go2rtc", "bluetooth", "cloud", "stream", "radio_browser"} & set(config)
    http = config["http"]
    assert http["server_host"] == "127.0.0.1"
    assert str(http["server_port"]) == "18123"  # scripts/develop's HA_PORT


def test_development_login_companion(monkeypatch: pytest.MonkeyPatch) -> None:
    """scripts/develop points logins at the simulator through the companion,
    not through anything an owner's form shows."""
    monkeypatch.setenv("HA_PORT", "18123")
    config = load_yaml_dict(CONFIG)
    assert config["cardata_dev"] == {"endpoints_file": ".cardata-simulator.json"}
    companion = Path(__file__).parent / "development" / "cardata_dev"
    assert (companion / "manifest.json").is_file()
