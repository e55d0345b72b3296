"""The simulator: BMW's login service, CarData REST API and MQTT stream."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
import datetime as dt
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from aiohttp import web

from . import persist
from .broker import Broker
from .catalogue_csv import load_catalogue
from .control import Control
from .market import basic_data, stream_unit, to_wire
from .oauth import OAuth, iso
from .rest import Quota, Rest
from .scenario import Step, default_steps, run_steps
from .tls import (
    CertFiles,
    Presented,
    cert_files,
    presented_context,
    rotate,
    server_context,
)
from .world import (
    BUILTIN,
    CLIENT_A,
    CLIENT_B,
    CLIENT_C,
    CLIENT_NO_STREAM,
    GCID_A,
    GCID_B,
    GCID_C,
    GCID_OWNER_OF_SECONDARY,
    LIVE_EXTRAS,
    SCOPE_API,
    SCOPE_STREAM,
    SUPPORTED,
    VIN_BEV,
    VIN_ID6,
    VIN_MILES,
    VIN_NK,
    VIN_NO_BASIC,
    VIN_PHEV,
    VIN_RE,
    VIN_SECONDARY,
    Account,
    Descriptor,
    Mapping,
    StateValue,
    Vehicle,
    initial_values,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

_LOGGER = logging.getLogger(__name__)
_DESCRIPTOR_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789."
)


@dataclass
class Faults:
    """Faults the next calls run into (counters count down)."""

    device_code_errors: int = 0
    token_errors: int = 0
    token_timeouts: int = 0
    timeout_seconds: float = 30.0
    used_device_code: bool = False
    rest_errors: int = 0
    rest_unavailable: int = 0
    rest_drops: int = 0
    """Calls whose connection is closed unanswered (the network failed)."""
    stream_refusals: int = 0
    stream_connect_timeouts: int = 0
    # OAuth, as BMW's login service misbehaves (counters count down).
    token_gateway_faults: int = 0
    """Token endpoint answers 500 with a ``{"fault": ...}`` body (poll or refresh)."""
    device_code_gateway_faults: int = 0
    """Device-code requests answered with BMW's gateway fault (no code issued)."""
    device_code_gateway_status: int = 500
    """HTTP status of that fault: 500 or 403 (both observed)."""
    access_denied_flakes: int = 0
    """``access_denied`` to the poll of a code the user did approve."""
    refresh_refusals: int = 0
    """Refreshes answered with ``refresh_refusal_status`` (401 or 403)."""
    refresh_refusal_status: int = 401
    refresh_without_gcid: int = 0
    """Refresh answers that lack ``gcid``."""
    token_drop_after_rotate: int = 0
    """Refreshes that rotate the tokens, then drop the connection unanswered."""
    # REST errors.
    rest_invalid_token: int = 0
    """Calls answered 403 CU-127 (BMW's answer to a refused access token)."""
    rest_bare_403: int = 0
    """Calls answered 403 with ``rest_bare_403_body`` instead of BMW's body."""
    rest_bare_403_body: str = ""
    quota_without_retry_after: bool = False
    """The 429 CU-429 quota answer comes without ``Retry-After``."""
    # Broker.
    stream_hold_after_disconnect: float = 0.0
    """Seconds the broker refuses (rc 5) a reconnect after a client's own
    disconnect, while it still holds the old session (BMW: 1 to 3 s)."""
    stream_flap_seconds: float = 0.0
    """Seconds the broker's connection flaps from now on (counts down; 0:
    stable). It drops every open connection at once, then each new one after
    an irregular interval (:data:`~.broker.FLAP_INTERVALS`); for
    ``stream_flap_down`` seconds after each drop it is unreachable (new
    connections are reset before TLS). Then it is stable again."""
    stream_flap_down: float = 3.0
    """Seconds the broker is unreachable after each drop while it flaps."""
    stream_used_token_refused: bool = False
    """A reconnect with an id token whose session ended is refused (rc 5),
    while a freshly refreshed token is accepted (reported by peers)."""
    stream_connects_per_minute: int = 0
    """New stream connections one source address may open per minute (BMW
    limits them; its number is not published); past it the address is locked
    out for ``stream_lockout_seconds``. 0: no limit."""
    stream_lockout_seconds: float = 60.0
    stream_clock_skew_hours: float = 0.0
    """BMW's clock on the stream, in hours from the true time: message
    timestamps (outer, and inner ones BMW stamps itself) are shifted by it.
    The REST API keeps the true time."""


class Simulator:
    """BMW CarData stand-in on the caller's event loop.

    Args:
        access_token_lifetime: seconds an access token is valid.
        id_token_lifetime: seconds an id token (the MQTT password) is valid.
        refresh_token_lifetime: seconds a refresh token is valid.
        quota_per_day: REST calls per account per rolling 24 h.
        host: address to bind.
        http_port: port of the login service and REST API (0: any free).
        mqtt_port: port of the MQTT broker (0: any free).
        cert_dir: keep the CA here (reused across runs); ``None``: temporary.
        state_file: remember tokens, containers, quota and vehicle values
            here across restarts (loaded by :meth:`start`, written within
            :data:`persist.SAVE_INTERVAL` of every change and by :meth:`stop`,
            so a killed simulator keeps its tokens); ``None``: forget everything.
        control: serve the fault switchboard under ``/_sim/`` (loopback only,
            see :mod:`.control`).
    """

    def __init__(
        self,
        *,
        access_token_lifetime: int = 3600,
        id_token_lifetime: int = 3600,
        refresh_token_lifetime: int = 14 * 86400,
        quota_per_day: int = 50,
        host: str = "127.0.0.1",
        http_port: int = 0,
        mqtt_port: int = 0,
        cert_dir: str | None = None,
        state_file: str | None = None,
        control: bool = False,
    ) -> None:
        """Create the simulator; nothing runs before :meth:`start`."""
        self.access_token_lifetime = access_token_lifetime
        self.id_token_lifetime = id_token_lifetime
        self.refresh_token_lifetime = refresh_token_lifetime
        self.host = host
        self._http_port = http_port
        self._mqtt_port = mqtt_port
        self._cert_dir = cert_dir
        self._state_file = Path(state_file) if state_file else None
        self._control = control
        self._autosave: asyncio.Task[None] | None = None
        self._offset = dt.timedelta()
        self.accounts: dict[str, Account] = {}
        self.vehicles: dict[str, Vehicle] = {}
        self.catalogue: dict[str, Descriptor] = load_catalogue()
        self.faults = Faults()
        self.oauth = OAuth(self)
        self.quota = Quota(self, quota_per_day)
        self.rest = Rest(self)
        self.broker = Broker(self)
        self.endpoints: dict[str, Any] = {}
        self.ca_file = ""
        self._files: CertFiles | None = None
        self.presented = Presented.TRUSTED
        self.messages: list[tuple[str, bytes]] = []
        self._runner: web.AppRunner | None = None
        self._handlers: set[asyncio.Task[Any]] = set()
        self.stopping = asyncio.Event()
        self._scenarios: set[asyncio.Task[None]] = set()

    # ----- clock -----------------------------------------------------------
    def now(self) -> dt.datetime:
        """The simulator's time (UTC, shifted by :meth:`advance`)."""
        return dt.datetime.now(dt.UTC) + self._offset

    def advance(self, seconds: float) -> None:
        """Move the simulator's clock forward (token expiry, quota, codes)."""
        self._offset += dt.timedelta(seconds=seconds)

    # ----- TLS -------------------------------------------------------------
    def present_certificate(self, presented: str) -> str:
        """Make the broker present another certificate from the next connection.

        Args:
            presented: a :class:`~.tls.Presented` value: ``trusted`` (the
                default), ``untrusted`` (another CA), ``expired`` or
                ``wrong_host``.

        Returns:
            The CA file that trusts the presented certificate: ``ca_file``,
            or for ``untrusted`` the other CA's file next to it.

        Connections already open keep theirs.
        """
        files = self._started_files()
        kind = Presented(presented)
        self.broker.use_context(presented_context(files, kind))
        self.presented = kind
        return files.other_ca_file if kind is Presented.UNTRUSTED else files.ca_file

    def rotate_ca(self) -> str:
        """Replace the CA file in place (same path, a new CA) and use it.

        The broker presents a certificate of the new CA from the next
        connection on; connections already open keep theirs. Every file of
        the certificate directory is rewritten, so give a simulator that
        rotates its own ``cert_dir``. Returns the CA file's path.
        """
        files = self._started_files()
        rotate(files)
        self.broker.use_context(server_context(files))
        self.presented = Presented.TRUSTED
        return files.ca_file

    def _started_files(self) -> CertFiles:
        if self._files is None:
            raise RuntimeError("the simulator is not started")
        return self._files

    # ----- lifecycle -------------------------------------------------------
    async def start(self) -> None:
        """Serve HTTP and MQTT on the running loop."""
        files = cert_files(self._cert_dir)  # EC keys: quick, cached per process
        if self._state_file:
            await asyncio.to_thread(persist.load, self, self._state_file)
        self.ca_file = files.ca_file
        self._files = files
        self.presented = Presented.TRUSTED
        self.stopping.clear()
        app = web.Application(middlewares=[self._track])
        app.add_routes(self.oauth.routes())
        app.add_routes(self.rest.routes())
        app.add_routes([web.get("/", self._index)])
        if self._control:
            app.add_routes(Control(self).routes())
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._http_port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        http_port = server.sockets[0].getsockname()[1]
        await self.broker.start(server_context(files), self.host, self._mqtt_port)
        base = f"http://{self.host}:{http_port}"
        self.endpoints = {
            "auth_url": base,
            "api_url": base,
            "stream_host": self.host,
            "stream_port": self.broker.port,
            "stream_tls": "custom_ca",
            "stream_ca_file": self.ca_file,
        }
        if self._state_file:
            self._autosave = asyncio.create_task(
                persist.autosave(self, self._state_file), name="cardata-sim-autosave"
            )

    async def stop(self) -> None:
        """Stop everything started; nothing is left running."""
        for task in list(self._scenarios):
            task.cancel()
        if self._scenarios:
            await asyncio.wait(self._scenarios, timeout=5)
        self.stopping.set()  # hanging (timeout-fault) handlers return now
        if self._autosave:
            self._autosave.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._autosave
            self._autosave = None
        await self.broker.stop()
        if self._runner:
            await self._runner.cleanup()
            self._runner = None
        for task in list(self._handlers):
            task.cancel()
        if self._handlers:
            await asyncio.wait(self._handlers, timeout=5)
        if self._state_file:
            await asyncio.to_thread(persist.save, self, self._state_file)

    async def __aenter__(self) -> Self:
        """Start on entry."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop on exit."""
        await self.stop()

    @web.middleware
    async def _track(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            return await handler(request)
        finally:
            self._handlers.discard(task)

    async def _index(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"service": "BMW CarData simulator", "endpoints": self.endpoints}
        )

    # ----- world -----------------------------------------------------------
    def add_account(
        self,
        gcid: str,
        client_id: str,
        *,
        streaming_scope: bool = True,
        api_scope: bool = True,
    ) -> Account:
        """Add (or extend) an account with a CarData client id."""
        account = self.accounts.setdefault(gcid, Account(gcid))
        scopes = {SCOPE_API} if api_scope else set()
        if streaming_scope:
            scopes.add(SCOPE_STREAM)
        account.clients[client_id] = frozenset(scopes)
        return account

    def client_owner(self, client_id: str) -> Account | None:
        """The account a client id belongs to (exact match, as BMW)."""
        for account in self.accounts.values():
            if client_id in account.clients:
                return account
        return None

    def add_vehicle(
        self,
        gcid: str,
        vin: str,
        kind: str = "BEV",
        mapping: str = "PRIMARY",
        *,
        streams: bool | None = None,
        basic_data: bool = True,
    ) -> Vehicle:
        """Map a vehicle to an account (created with starting values).

        ``streams``: whether the car's messages reach this account's stream;
        default yes for PRIMARY, no for SECONDARY (a shared car streams to
        the secondary user only when its owner shared it so).
        ``basic_data``: False for a car BMW keeps no basic data of.
        """
        if not VIN_RE.match(vin):
            raise ValueError("VIN must be 17 characters without I, O, Q")
        if kind not in SUPPORTED:
            raise ValueError(f"kind must be one of {sorted(SUPPORTED)}")
        if mapping not in {"PRIMARY", "SECONDARY"}:
            raise ValueError("mapping must be PRIMARY or SECONDARY")
        vehicle = self.vehicles.get(vin)
        if vehicle is None:
            vehicle = Vehicle(vin, kind, SUPPORTED[kind])
            stamp = self.now() - dt.timedelta(hours=2)
            vehicle.state = {
                k: StateValue(v, stamp)
                for k, v in to_wire(vehicle, initial_values(kind)).items()
            }
            self.vehicles[vin] = vehicle
        vehicle.has_basic_data = basic_data
        account = self.accounts.setdefault(gcid, Account(gcid))
        since = self.now().replace(microsecond=0) - dt.timedelta(days=400)
        if streams is None:
            streams = mapping == "PRIMARY"
        account.mappings[vin] = Mapping(vin, mapping, since, streams)
        return vehicle

    def load_default_world(self) -> None:
        """Three accounts, seven vehicles and a client without stream scope."""
        self.add_account(GCID_A, CLIENT_A)
        self.add_account(GCID_A, CLIENT_NO_STREAM, streaming_scope=False)
        self.add_vehicle(GCID_A, VIN_BEV, "BEV")
        self.add_vehicle(GCID_A, VIN_PHEV, "PHEV")
        self.add_vehicle(GCID_OWNER_OF_SECONDARY, VIN_SECONDARY, "BEV")
        # A family member's car shared to account A: it streams there, REST
        # refuses it (reported by owners of the other integration).
        self.add_vehicle(
            GCID_A, VIN_SECONDARY, "BEV", mapping="SECONDARY", streams=True
        )
        self.add_account(GCID_B, CLIENT_B)
        self.add_vehicle(GCID_B, VIN_ID6, "ICE_ID6")
        # A MINI from a miles market on an account of its own, with a Neue
        # Klasse iX3 (charge level on stateOfCharge.displayed only) and a
        # MINI BMW keeps no basic data of (basicData answers 404).
        self.add_account(GCID_C, CLIENT_C)
        self.add_vehicle(GCID_C, VIN_MILES, "BEV")
        self.add_vehicle(GCID_C, VIN_NK, "BEV_NK")
        self.add_vehicle(GCID_C, VIN_NO_BASIC, "BEV", basic_data=False)

    def descriptor(self, name: str) -> Descriptor | None:
        """Facts of a descriptor (catalogue first, then built-in)."""
        return self.catalogue.get(name) or BUILTIN.get(name)

    def known_descriptor(self, name: str) -> bool:
        """Whether BMW would accept ``name`` in a container."""
        if name in LIVE_EXTRAS:
            return True
        if self.catalogue:
            return name in self.catalogue
        return name in BUILTIN or (
            name.startswith("vehicle.") and set(name) <= _DESCRIPTOR_CHARS
        )

    def basic_data(self, vin: str) -> dict[str, Any]:
        """VehicleDto of a vehicle."""
        return basic_data(self.vehicles[vin])

    # ----- stream ----------------------------------------------------------
    def _owners(self, vin: str) -> list[str]:
        """Accounts the car streams to: its PRIMARY user, and SECONDARY users
        it was shared to with its stream."""
        return [
            a.gcid
            for a in self.accounts.values()
            if (m := a.mappings.get(vin)) and m.streams
        ]

    def message(
        self,
        vin: str,
        gcid: str,
        values: dict[str, Any],
        *,
        timestamp: dt.datetime | str | None = None,
        unit: str | None = None,
    ) -> dict[str, Any]:
        """Build a message in BMW's stream shape.

        BMW's clock stamps it: shifted by ``faults.stream_clock_skew_hours``
        (``timestamp``, the car's time when given, is sent as is).
        """
        now = self.now() + dt.timedelta(hours=self.faults.stream_clock_skew_hours)
        if isinstance(timestamp, str):
            inner = timestamp
        else:
            # Inner timestamps come without milliseconds (observed).
            inner = (timestamp or now).strftime("%Y-%m-%dT%H:%M:%SZ")
        data: dict[str, Any] = {}
        vehicle = self.vehicles.get(vin)
        for name, value in values.items():
            entry: dict[str, Any] = {"value": value}
            info = self.descriptor(name)
            if unit is not None:
                if unit:
                    entry["unit"] = unit
            elif vehicle is not None:
                if wire_unit := stream_unit(vehicle, name, info):
                    entry["unit"] = wire_unit
            elif info and info.stream_unit:
                entry["unit"] = info.stream_unit
            entry["timestamp"] = inner
            data[name] = entry
        # Neue Klasse cars leave the header's VIN fields empty (observed):
        # only the MQTT topic names the car.
        header_vin = "" if vehicle is not None and vehicle.kind == "BEV_NK" else vin
        return {
            "vin": header_vin,
            "entityId": gcid,
            "topic": header_vin,
            "timestamp": iso(now),
            "data": data,
        }

    async def publish(
        self,
        vin: str,
        values: dict[str, Any],
        *,
        timestamp: dt.datetime | str | None = None,
        unit: str | None = None,
    ) -> int:
        """Publish values on ``<GCID>/<VIN>`` to each account the car streams to.

        Values go out as given (wire form: numbers, strings, booleans,
        ``"asn_istrue"`` ...). ``unit``: ``None`` uses the catalogue's stream
        unit, ``""`` leaves the key out, anything else is sent as is.
        Returns the number of deliveries.
        """
        vehicle = self.vehicles.get(vin)
        moment = self.now()
        if isinstance(timestamp, dt.datetime):
            moment = timestamp
        elif isinstance(timestamp, str):
            moment = dt.datetime.fromisoformat(timestamp)
        if vehicle:
            for name, value in values.items():
                vehicle.state[name] = StateValue(value, moment)
        sent = 0
        for gcid in self._owners(vin):
            payload = json.dumps(
                self.message(vin, gcid, values, timestamp=timestamp, unit=unit)
            ).encode()
            sent += await self.publish_raw(gcid, vin, payload)
        return sent

    async def publish_raw(self, gcid: str, vin: str, payload: bytes) -> int:
        """Publish any payload on ``<GCID>/<VIN>`` (malformed, oversized, ...)."""
        topic = f"{gcid}/{vin}"
        self.messages.append((topic, payload))
        return await self.broker.publish(topic, payload)

    def evict(self, gcid: str, hold_for: float | None = None) -> None:
        """A foreign client takes the account's stream (see Broker.evict)."""
        self.broker.evict(gcid, hold_for)

    def release(self, gcid: str) -> None:
        """The foreign client lets go of the stream."""
        self.broker.release(gcid)

    # ----- scenario --------------------------------------------------------
    def scenario(self, vin: str) -> list[Step]:
        """The default day of a vehicle: park, drive, park, charge."""
        return default_steps(self.vehicles[vin])

    async def run_scenario(
        self, vin: str, steps: list[Step] | None = None, *, speed: float = 1.0
    ) -> None:
        """Run steps for ``vin``; ``speed`` > 1 runs faster than real time."""
        vehicle = self.vehicles[vin]
        await run_steps(self, vehicle, steps or default_steps(vehicle), speed)

    def start_scenario(
        self, vin: str, *, speed: float = 1.0, loop: bool = False
    ) -> asyncio.Task[None]:
        """Run the default scenario in the background (stopped by :meth:`stop`)."""

        async def runner() -> None:
            while True:
                await self.run_scenario(vin, speed=speed)
                if not loop:
                    return

        task = asyncio.create_task(runner(), name=f"cardata-sim-scenario-{vin[-3:]}")
        self._scenarios.add(task)
        task.add_done_callback(self._scenarios.discard)
        return task

    async def restart_scenario(self, vin: str, *, speed: float = 1.0) -> None:
        """Start one car's day again now, looping (its drive comes first)."""
        name = f"cardata-sim-scenario-{vin[-3:]}"
        tasks = [task for task in self._scenarios if task.get_name() == name]
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        self.start_scenario(vin, speed=speed, loop=True)

    async def stop_scenarios(self) -> None:
        """Cancel background scenarios."""
        for task in list(self._scenarios):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._scenarios, return_exceptions=True)
