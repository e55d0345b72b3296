"""Processes and clients of a fault run: the standalone simulator and a real ``hass``.

Everything listens on free loopback ports in a temporary directory; every
wait is bounded; :meth:`Harness.close` stops whatever is still running.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Self
import uuid

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
HASS = Path(os.environ.get("CARDATA_FAULTS_HASS") or ROOT / ".venv" / "bin" / "hass")
"""The ``hass`` under test (``scripts/faults --ha VERSION`` picks another)."""
DOMAIN = "cardata"
HOST = "127.0.0.1"
START_TIMEOUT = 240.0
"""Seconds a ``hass`` start may take with both cores busy."""


class FaultSuiteError(Exception):
    """The run cannot go on (a process did not start, an API refused)."""


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


async def wait_until(
    condition: Any, limit: float, interval: float = 0.5
) -> float | None:
    """Seconds until ``await condition()`` is truthy; ``None`` after ``limit``."""
    start = time.monotonic()
    for _ in range(int(limit / interval) + 2):
        with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
            if await condition():
                return time.monotonic() - start
        if time.monotonic() - start > limit:
            return None
        await asyncio.sleep(interval)
    return None


@dataclass
class Harness:
    """One fault run: directories, ports, the two processes and their clients."""

    base: Path
    keep: bool = False
    sim_http: int = field(default_factory=free_port)
    sim_mqtt: int = field(default_factory=free_port)
    hass_port: int = field(default_factory=free_port)
    sim_proc: asyncio.subprocess.Process | None = None
    hass_proc: asyncio.subprocess.Process | None = None
    info: dict[str, Any] = field(default_factory=dict)
    token: str = ""
    refresh_token: str = ""
    session: aiohttp.ClientSession | None = None
    entry_id: str = ""
    _entity_ids: dict[str, str] = field(default_factory=dict)
    _msg_id: int = 0
    rest_offset: int = 0
    _frozen: list[Path] = field(default_factory=list)

    @property
    def http(self) -> aiohttp.ClientSession:
        """The run's HTTP session (open between enter and exit)."""
        if self.session is None:
            raise FaultSuiteError("the harness is not entered")
        return self.session

    # ------------------------------------------------------------ paths
    @property
    def config(self) -> Path:
        """Home Assistant's configuration directory."""
        return self.base / "config"

    @property
    def state_file(self) -> Path:
        """The simulator's memory."""
        return self.base / "simulator-state.json"

    @property
    def hass_url(self) -> str:
        """Home Assistant's HTTP base."""
        return f"http://{HOST}:{self.hass_port}"

    @property
    def control(self) -> str:
        """The simulator's switchboard."""
        return f"http://{HOST}:{self.sim_http}/_sim"

    def log_text(self) -> str:
        """Home Assistant's log so far."""
        path = self.config / "home-assistant.log"
        return (
            path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        )

    # ------------------------------------------------------------ simulator
    async def start_sim(self) -> None:
        """Start the standalone simulator as ``scripts/develop`` does."""
        endpoints = self.base / "endpoints.json"
        endpoints.unlink(missing_ok=True)
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        self.sim_proc = await asyncio.create_subprocess_exec(
            str(PYTHON),
            "-m",
            "tests.simulator",
            "--http-port",
            str(self.sim_http),
            "--mqtt-port",
            str(self.sim_mqtt),
            "--no-scenario",
            "--auto-approve",
            "--interval",
            "1",
            "--cert-dir",
            str(self.base / "ca"),
            "--endpoints-file",
            str(endpoints),
            "--state-file",
            str(self.state_file),
            cwd=ROOT,
            env=env,
            stdout=(self.base / "simulator.log").open("ab"),
            stderr=asyncio.subprocess.STDOUT,
        )

        async def ready() -> bool:
            if self.sim_proc is None or self.sim_proc.returncode is not None:
                raise FaultSuiteError("the simulator did not start")
            return endpoints.is_file()

        if await wait_until(ready, 60, 0.1) is None:
            raise FaultSuiteError("the simulator did not start in time")
        self.info = json.loads(endpoints.read_text(encoding="utf-8"))

    async def stop_sim(self, sig: int = signal.SIGTERM) -> None:
        """Stop (SIGTERM) or kill (SIGKILL) the simulator.

        Its REST call log starts empty again: the count so far is kept here.
        """
        with contextlib.suppress(aiohttp.ClientError, OSError, FaultSuiteError):
            self.rest_offset += (await self.sim("/stats"))["rest_calls"]
        await _stop(self.sim_proc, sig)
        self.sim_proc = None

    async def sim(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the switchboard (GET without a body, POST with one)."""
        url = self.control + path
        request = self.http.get(url) if body is None else self.http.post(url, json=body)
        async with request as resp:
            answer = await resp.json()
            if resp.status != 200:
                raise FaultSuiteError(f"switchboard {path}: {answer}")
            return answer

    async def faults(self, **fields: Any) -> None:
        """Set simulator faults by name."""
        await self.sim("/faults", fields)

    async def world(self, command: str, **args: Any) -> Any:
        """Run a world command (publish, drop, evict, advance ...)."""
        return await self.sim("/world", {"command": command} | args)

    async def stats(self) -> dict[str, Any]:
        """The simulator's counters of account A (REST calls over restarts)."""
        stats: dict[str, Any] = await self.sim("/stats")
        stats["rest_calls"] += self.rest_offset
        return stats

    # ------------------------------------------------------------ hass
    def write_config(self) -> None:
        """A minimal configuration: HTTP on loopback, API, repairs, debug logs."""
        self.config.mkdir(parents=True, exist_ok=True)
        (self.config / "configuration.yaml").write_text(
            "\n".join(
                [
                    "homeassistant:",
                    "  name: Fault run",
                    "  time_zone: UTC",
                    "  unit_system: metric",
                    "http:",
                    f"  server_host: {HOST}",
                    f"  server_port: {self.hass_port}",
                    "api:",
                    "frontend:",
                    f"  development_repo: {self._frontend_stub()}",
                    "config:",
                    "onboarding:",
                    "repairs:",
                    "logger:",
                    "  default: warning",
                    "  logs:",
                    "    custom_components.cardata: debug",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        custom = self.config / "custom_components"
        custom.mkdir(exist_ok=True)
        link = custom / DOMAIN
        if not link.exists():
            link.symlink_to(ROOT / "custom_components" / DOMAIN)

    def _frontend_stub(self) -> Path:
        """An empty frontend: the run needs no UI, but Home Assistant wants one.

        Without it Home Assistant starts in recovery mode and never loads
        the integration (the test venv has no frontend package).
        """
        stub = self.base / "frontend" / "hass_frontend"
        for folder in ("static", "frontend_latest", "frontend_es5"):
            (stub / folder).mkdir(parents=True, exist_ok=True)
        for name in ("index.html", "onboarding.html", "authorize.html"):
            (stub / name).write_text("<html></html>", encoding="utf-8")
        return stub.parent

    async def start_hass(self) -> float:
        """Start ``hass``; return seconds until its API answered."""
        self.hass_proc = await asyncio.create_subprocess_exec(
            str(HASS),
            "-c",
            str(self.config),
            "--skip-pip",
            cwd=ROOT,
            stdout=(self.base / "hass.out").open("ab"),
            stderr=asyncio.subprocess.STDOUT,
        )

        async def up() -> bool:
            if self.hass_proc is None or self.hass_proc.returncode is not None:
                raise FaultSuiteError("hass exited; see hass.out")
            async with self.http.get(self.hass_url + "/api/onboarding") as resp:
                return resp.status in (200, 401, 404)

        took = await wait_until(up, START_TIMEOUT, 0.5)
        if took is None:
            raise FaultSuiteError("hass did not start in time")
        if not self.token:
            await self._onboard()
            # Newer Home Assistant takes the YAML HTTP settings as a trial and
            # reverts (restarting itself) after 5 minutes unless confirmed.
            await self.ws({"type": "http/config/promote"})
        else:
            await self._refresh_login()
        await self._wait_running()
        return took

    async def stop_hass(self, sig: int = signal.SIGTERM) -> None:
        """Stop (SIGTERM) or kill (SIGKILL) Home Assistant."""
        await _stop(self.hass_proc, sig, grace=60)
        self.hass_proc = None

    async def _onboard(self) -> None:
        """Create the owner through onboarding and log in (no UI)."""
        client_id = self.hass_url + "/"
        async with self.http.post(
            self.hass_url + "/api/onboarding/users",
            json={
                "client_id": client_id,
                "name": "Fault run",
                "username": "faults",
                "password": uuid.uuid4().hex,
                "language": "en",
            },
        ) as resp:
            if resp.status != 200:
                raise FaultSuiteError(f"onboarding refused: {resp.status}")
            code = (await resp.json())["auth_code"]
        await self._token({"grant_type": "authorization_code", "code": code})

    async def _refresh_login(self) -> None:
        await self._token(
            {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
        )

    async def _token(self, form: dict[str, str]) -> None:
        form = form | {"client_id": self.hass_url + "/"}
        async with self.http.post(self.hass_url + "/auth/token", data=form) as resp:
            if resp.status != 200:
                raise FaultSuiteError(f"login refused: {resp.status}")
            answer = await resp.json()
        self.token = answer["access_token"]
        self.refresh_token = answer.get("refresh_token") or self.refresh_token

    async def _wait_running(self) -> None:
        async def running() -> bool:
            config = await self.api("GET", "/api/config")
            return bool(config.get("state") == "RUNNING")

        if await wait_until(running, START_TIMEOUT, 1.0) is None:
            raise FaultSuiteError("hass did not reach RUNNING")

    async def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call Home Assistant's REST API as the owner."""
        async with self.http.request(
            method,
            self.hass_url + path,
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=aiohttp.ClientTimeout(total=120),
        ) as resp:
            text = await resp.text()
            try:
                answer = json.loads(text) if text else None
            except ValueError:
                answer = text
            if resp.status >= 400:
                return {"status": resp.status, "error": answer}
            return answer

    async def ws(self, message: dict[str, Any]) -> Any:
        """One websocket command (a fresh connection each time: survives restarts)."""
        async with self.http.ws_connect(self.hass_url + "/api/websocket") as ws:
            await ws.receive_json(timeout=30)
            await ws.send_json({"type": "auth", "access_token": self.token})
            if (await ws.receive_json(timeout=30)).get("type") != "auth_ok":
                raise FaultSuiteError("websocket login refused")
            self._msg_id += 1
            await ws.send_json({"id": self._msg_id} | message)
            answer = await ws.receive_json(timeout=120)
            return answer.get("result") if answer.get("success") else answer

    # ------------------------------------------------------------ entities
    async def entity_id(self, unique_id: str) -> str | None:
        """Entity id of one of our entities by unique id."""
        if unique_id not in self._entity_ids:
            entries = await self.ws({"type": "config/entity_registry/list"})
            self._entity_ids = {
                e["unique_id"]: e["entity_id"]
                for e in entries or []
                if e.get("platform") == DOMAIN
            }
        return self._entity_ids.get(unique_id)

    async def state(self, unique_id: str) -> str | None:
        """State of one of our entities (``None``: no such entity)."""
        if (entity := await self.entity_id(unique_id)) is None:
            return None
        answer = await self.api("GET", f"/api/states/{entity}")
        return answer.get("state") if isinstance(answer, dict) else None

    async def states(self) -> dict[str, str]:
        """States of every entity of the integration (entity id -> state)."""
        await self.entity_id("")  # refresh the registry view
        ours = set(self._entity_ids.values())
        every = await self.api("GET", "/api/states")
        return {
            s["entity_id"]: s["state"]
            for s in every or []
            if isinstance(s, dict) and s.get("entity_id") in ours
        }

    async def devices(self) -> list[dict[str, Any]]:
        """Devices of our config entry."""
        every = await self.ws({"type": "config/device_registry/list"})
        return [d for d in every or [] if self.entry_id in d.get("config_entries", [])]

    async def issues(self) -> list[str]:
        """Repair issue ids of the integration."""
        answer = await self.ws({"type": "repairs/list_issues"})
        issues = answer.get("issues", []) if isinstance(answer, dict) else []
        return [i["issue_id"] for i in issues if i.get("domain") == DOMAIN]

    async def reauth_flows(self) -> int:
        """Login flows Home Assistant offers the owner for our entry."""
        flows = await self.ws({"type": "config_entries/flow/progress"})
        return sum(
            1
            for f in flows or []
            if isinstance(f, dict)
            and f.get("handler") == DOMAIN
            and f.get("context", {}).get("source") == "reauth"
        )

    async def entry_state(self) -> str | None:
        """State of our config entry (loaded, setup_retry ...)."""
        entries = await self.api("GET", "/api/config/config_entries/entry")
        for entry in entries or []:
            if isinstance(entry, dict) and entry.get("entry_id") == self.entry_id:
                return str(entry.get("state"))
        return None

    async def service(self, name: str, data: dict[str, Any]) -> Any:
        """Call one of our service actions (with a response)."""
        return await self.api(
            "POST", f"/api/services/{DOMAIN}/{name}?return_response", data
        )

    async def refresh_tokens(self) -> Any:
        """The owner's Configure > Refresh tokens now."""
        flow = await self.api(
            "POST",
            "/api/config/config_entries/options/flow",
            {"handler": self.entry_id},
        )
        flow_id = flow["flow_id"]
        path = f"/api/config/config_entries/options/flow/{flow_id}"
        await self.api("POST", path, {"next_step_id": "refresh_tokens"})
        return await self.api("POST", path, {})

    # ------------------------------------------------------------ storage
    def storage_read_only(self) -> str | None:
        """Make ``.storage`` refuse every write, root's too; a reason if not.

        ``chmod`` does not stop root, so the folder and its files get the
        immutable attribute (``chattr +i``, ext4/xfs/btrfs, needs
        CAP_LINUX_IMMUTABLE): no file can be created, renamed, replaced or
        changed in it. A probe write checks that it really holds.
        """
        folder = self.config / ".storage"
        if shutil.which("chattr") is None:
            return "chattr is not installed"
        # The folder first: then nothing comes or goes while its files follow.
        if (failed := self._chattr_on(folder)) or any(
            failed := self._chattr_on(path) for path in sorted(folder.iterdir())
        ):
            self.storage_writable()
            return f"chattr +i failed: {failed}"
        probe = folder / ".write-probe"
        try:
            probe.write_text("x", encoding="utf-8")
        except OSError:
            return None
        probe.unlink()
        self.storage_writable()
        return "chattr +i did not stop a write here"

    def _chattr_on(self, path: Path) -> str:
        """Make ``path`` immutable; chattr's complaint when it could not."""
        done = subprocess.run(
            ["chattr", "+i", str(path)], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            return done.stderr.strip() or f"exit status {done.returncode}"
        self._frozen.append(path)
        return ""

    def storage_writable(self) -> None:
        """Undo :meth:`storage_read_only` (the files first, the folder last)."""
        while self._frozen:
            path = self._frozen.pop()
            subprocess.run(
                ["chattr", "-i", str(path)],
                capture_output=True,
                check=False,
            )

    # ------------------------------------------------------------ life cycle
    async def __aenter__(self) -> Self:
        """Open the HTTP session."""
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=150))
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop both processes and close the session, whatever happened."""
        await self.close()

    async def close(self) -> None:
        """Stop what this harness started."""
        self.storage_writable()
        with contextlib.suppress(Exception):
            await self.stop_hass()
        with contextlib.suppress(Exception):
            await self.stop_sim()
        if self.session is not None:
            await self.http.close()
            self.session = None
        if not self.keep:
            shutil.rmtree(self.base, ignore_errors=True)


async def _stop(
    proc: asyncio.subprocess.Process | None, sig: int, grace: float = 20
) -> None:
    if proc is None or proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
    try:
        async with asyncio.timeout(grace):
            await proc.wait()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        async with asyncio.timeout(10):
            await proc.wait()


def python_version_ok() -> bool:
    """The project's venv is there."""
    return PYTHON.is_file() and HASS.is_file() and sys.version_info >= (3, 13)
