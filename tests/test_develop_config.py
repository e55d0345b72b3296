"""scripts/develop's configuration: only what a developer needs, no default_config."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

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


LOOP = Path(__file__).parents[1] / "scripts" / "hass_loop"
# A stand-in for Home Assistant: counts its starts in a file and exits with
# the codes given, one per start (the last one repeats).
_FAKE_HASS = (
    "import pathlib, sys\n"
    "p = pathlib.Path(sys.argv[1]); n = int(p.read_text() or 0) + 1\n"
    "p.write_text(str(n)); codes = sys.argv[2:]\n"
    "sys.exit(int(codes[min(n, len(codes)) - 1]))\n"
)


def _run_loop(tmp_path: Path, *codes: int) -> tuple[int, int]:
    counter = tmp_path / "starts"
    counter.write_text("")
    done = subprocess.run(  # noqa: S603
        [str(LOOP), sys.executable, "-c", _FAKE_HASS, str(counter), *map(str, codes)],
        check=False,
        capture_output=True,
        timeout=60,
    )
    return done.returncode, int(counter.read_text())


def test_restart_from_the_ui_starts_home_assistant_again(tmp_path: Path) -> None:
    """Exit code 100 (a restart asked for in the UI) starts it again."""
    assert _run_loop(tmp_path, 100, 100, 0) == (0, 3)


def test_any_other_exit_ends_the_loop(tmp_path: Path) -> None:
    """A stop or a failure ends scripts/develop's Home Assistant as before."""
    assert _run_loop(tmp_path, 3) == (3, 1)
