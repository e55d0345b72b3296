"""Home Assistant and the simulator as child processes on loopback ports.

Each runs in a process group of its own, so stopping it stops what it
started too; every wait is bounded (the one helper in wait.py).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request

from .wait import wait_until

ROOT = Path(__file__).resolve().parents[2]
HOME = (48.177_662, 11.556_120)  # the simulator's vehicles park here


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (never Home Assistant's 8123)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    """The simulator and Home Assistant of one run, in a temporary folder."""

    config: Path
    speed: float = 30.0
    port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    endpoints: dict[str, object] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """Home Assistant's address."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """Home Assistant's log file."""
        return self.config / "home-assistant.log"

    def write_config(self) -> None:
        """A minimal configuration: the frontend and what it pulls in, the
        logbook (with the recorder) for the device page's activity, and the
        Energy settings for the ledger's statistics."""
        (self.config / "custom_components").mkdir(parents=True, exist_ok=True)
        links = {
            "cardata": ROOT / "custom_components" / "cardata",
            # Points the login form at the simulator (tests/development).
            "cardata_dev": ROOT / "tests" / "development" / "cardata_dev",
        }
        for name, target in links.items():
            link = self.config / "custom_components" / name
            if not link.exists():
                link.symlink_to(target)
        lat, lon = HOME
        (self.config / "configuration.yaml").write_text(
            "homeassistant:\n"
            "  name: Home\n"
            f"  latitude: {lat}\n  longitude: {lon}\n  elevation: 520\n"
            "  unit_system: metric\n  time_zone: Europe/Berlin\n"
            "  country: DE\n  currency: EUR\n"
            f"http:\n  server_host: 127.0.0.1\n  server_port: {self.port}\n"
            "frontend:\nconfig:\nlogbook:\nenergy:\n"
            "cardata_dev:\n  endpoints_file: .cardata-simulator.json\n"
            "logger:\n  default: warning\n  logs:\n"
            "    custom_components.cardata: debug\n",
            encoding="utf-8",
        )

    def simulator_command(self, command: str, **args: object) -> None:
        """One command of the simulator's control API (loopback only)."""
        body = json.dumps({"command": command, **args}).encode()
        request = urllib.request.Request(  # noqa: S310 - the simulator on loopback
            f"{self.endpoints['api_url']}/_sim/world",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            if json.load(answer).get("ok") is not True:
                msg = f"the simulator refused {command}"
                raise RuntimeError(msg)

    def _spawn(
        self, args: list[str], log: Path, *, repository: bool = True
    ) -> subprocess.Popen[bytes]:
        # The simulator runs from the repository. Home Assistant does not:
        # with the repository on its path, its own custom_components package
        # would hide the configuration's (and the development companion).
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        if repository:
            env["PYTHONPATH"] = str(ROOT)
        with log.open("wb") as out:
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                args,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(proc)
        return proc

    def start(self) -> None:
        """Start the simulator (any free ports), then Home Assistant."""
        self.write_config()
        endpoints = self.config / ".cardata-simulator.json"
        sim = self._spawn(
            [
                sys.executable,
                "-m",
                "tests.simulator",
                "--http-port",
                "0",
                "--mqtt-port",
                "0",
                "--speed",
                str(self.speed),
                "--interval",
                "1",
                "--cert-dir",
                str(self.config / ".cardata-simulator-ca"),
                "--endpoints-file",
                str(endpoints),
            ],
            self.config / "simulator.log",
        )

        def sim_ready() -> bool:
            if sim.poll() is not None:
                msg = "the simulator stopped while starting"
                raise RuntimeError(msg)
            return endpoints.is_file()

        wait_until("the simulator", sim_ready, 60)
        self.endpoints = json.loads(endpoints.read_text(encoding="utf-8"))
        hass = self._spawn(
            [
                str(Path(sys.executable).parent / "hass"),
                "-c",
                str(self.config),
                "--skip-pip",
            ],
            self.config / "hass.out",
            repository=False,
        )

        def hass_ready() -> bool:
            if hass.poll() is not None:
                msg = "Home Assistant stopped while starting"
                raise RuntimeError(msg)
            try:
                with urllib.request.urlopen(  # noqa: S310 - loopback http only
                    f"{self.url}/manifest.json", timeout=2
                ) as response:
                    return bool(response.status == 200)
            except OSError, urllib.error.URLError:
                return False

        wait_until("Home Assistant", hass_ready, 240)

    def stop(self) -> None:
        """Stop every process started (TERM, then KILL), newest first."""
        for proc in reversed(self.processes):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.processes):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.processes.clear()
