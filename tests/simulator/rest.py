"""The CarData REST API as the simulator serves it (``/customers/...``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import datetime as dt
import re
import secrets
import string
import struct
from typing import TYPE_CHECKING, Any
import zlib

from aiohttp import web

from .market import rest_unit
from .oauth import iso
from .rest_answers import (  # Quota stays importable from here (core.py)
    Quota as Quota,  # noqa: PLC0414
    error,
)
from .rest_data import charging_sessions, lbcs, tyre_diagnosis
from .world import DEDICATED, SCOPE_API, VIN_RE, Account

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from .core import Simulator

    Handler = Callable[[web.Request, Account], Awaitable[web.Response]]

_CONTAINER_RE = re.compile(r"^[a-z0-9]{13}$")
_ALNUM = string.ascii_lowercase + string.digits


@dataclass
class Container:
    """A telematic data container."""

    container_id: str
    gcid: str
    name: str
    purpose: str
    descriptors: list[str]
    created: dt.datetime
    state: str = "ACTIVE"
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """ContainerDto."""
        return {
            "containerId": self.container_id,
            "name": self.name,
            "purpose": self.purpose,
            "state": self.state,
            "created": iso(self.created),
        }


def png(width: int = 64, height: int = 32) -> bytes:
    """A small valid PNG (a blue car-ish block) made without any library."""
    row = b"\x00" + b"\x1c\x69\xd4" * width
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


class Rest:
    """State and handlers of the CarData REST API."""

    def __init__(self, sim: Simulator) -> None:
        """Bind to the simulator."""
        self._sim = sim
        self.containers: dict[str, Container] = {}
        self.container_limit = 10
        self.deleted_state = "DELETED"  # the OpenAPI enum; the guide says INACTIVE
        self.count_deleted_containers = False
        self.history_page_size = 3
        self._pages: dict[
            str, tuple[str, str, dt.datetime, dt.datetime, int, dt.datetime]
        ] = {}
        self.calls: list[tuple[str, str, int]] = []  # (gcid, path, status)

    def routes(self) -> list[web.RouteDef]:
        """Every path of BMW's CarData OpenAPI."""
        w = self._wrap
        base = "/customers/vehicles/{vin}"
        return [
            web.get("/customers/containers", w(self.list_containers)),
            web.post("/customers/containers", w(self.create_container)),
            web.get("/customers/containers/{cid}", w(self.get_container)),
            web.delete("/customers/containers/{cid}", w(self.delete_container)),
            web.get("/customers/vehicles/mappings", w(self.mappings)),
            web.get(base + "/basicData", w(self.basic_data)),
            web.get(base + "/telematicData", w(self.telematic_data)),
            web.get(base + "/chargingHistory", w(self.charging_history)),
            web.get(base + "/smartMaintenanceTyreDiagnosis", w(self.tyres)),
            web.get(base + "/image", w(self.image)),
            web.get(base + "/locationBasedChargingSettings", w(self.lbcs)),
        ]

    def _authenticate(self, request: web.Request) -> Account | web.Response:
        header = request.headers.get("Authorization")
        if not header:
            return error(401, "CU-100", "No Authorization header")
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token:
            return error(401, "CU-101", "Malformed Authorization header")
        record = self._sim.oauth.lookup(token, "access")
        if record is None:
            # Observed: token errors come back as 403.
            return error(403, "CU-101", "Unknown token")
        if record.expires_at <= self._sim.now():
            return error(403, "CU-102", "Access token expired")
        if SCOPE_API not in record.scopes:
            return error(403, "CU-103", "Token lacks the CarData API scope")
        return self._sim.accounts[record.gcid]

    def _wrap(
        self, handler: Handler
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def wrapped(request: web.Request) -> web.Response:
            faults = self._sim.faults
            if faults.rest_drops > 0:
                # No answer at all: the client sees a broken connection.
                faults.rest_drops -= 1
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError
            account = self._authenticate(request)
            if isinstance(account, web.Response):
                return account
            response = await self._handle(request, account, handler)
            self.calls.append((account.gcid, request.path, response.status))
            return response

        return wrapped

    async def _handle(  # noqa: PLR0911
        self, request: web.Request, account: Account, handler: Handler
    ) -> web.Response:
        if refused := self._sim.quota.take(account.gcid):
            return refused
        faults = self._sim.faults
        if faults.rest_invalid_token > 0:
            # Observed: a refused access token answered with CU-127.
            faults.rest_invalid_token -= 1
            return error(403, "CU-127", "Invalid token")
        if faults.rest_bare_403 > 0:
            # A gateway in front of the API answers without BMW's error body.
            faults.rest_bare_403 -= 1
            return web.Response(status=403, text=faults.rest_bare_403_body)
        if faults.rest_errors > 0:
            faults.rest_errors -= 1
            return error(500, "CU-500", "Injected fault")
        if faults.rest_unavailable > 0:
            faults.rest_unavailable -= 1
            return error(503, "CU-503", "Injected fault")
        version = request.headers.get("x-version")
        if version is None:
            return error(400, "CU-400", "Missing header x-version")
        if version != "v1":
            return error(400, "CU-401", "Unsupported x-version")
        return await handler(request, account)

    def _vin(self, request: web.Request, account: Account) -> str | web.Response:
        vin = request.match_info["vin"]
        if not VIN_RE.match(vin):
            return error(400, "CU-120", "VIN must be 17 upper-case characters")
        mapping = account.mappings.get(vin)
        if mapping is None or mapping.mapping_type != "PRIMARY":
            return error(403, "CU-104", "Not the primary user of this VIN")
        return vin

    def _container(self, cid: str, account: Account) -> Container | web.Response:
        if not _CONTAINER_RE.match(cid):
            return error(400, "CU-121", "containerId must have 13 characters")
        container = self.containers.get(cid)
        if container is None or container.gcid != account.gcid:
            return error(403, "CU-105", "Unknown containerId")
        return container

    # ----- containers ----------------------------------------------------
    async def list_containers(
        self, request: web.Request, account: Account
    ) -> web.Response:
        """GET /customers/containers (no descriptors in the list)."""
        own = [c.summary() for c in self.containers.values() if c.gcid == account.gcid]
        return web.json_response({"containers": own})

    async def create_container(  # noqa: PLR0911
        self, request: web.Request, account: Account
    ) -> web.Response:
        """POST /customers/containers."""
        if request.content_type != "application/json":
            return error(400, "CU-400", "Body must be JSON")
        try:
            body = await request.json()
        except ValueError:
            return error(400, "CU-400", "Body is not valid JSON")
        if not isinstance(body, dict):
            return error(400, "CU-400", "Body must be an object")
        name, purpose = body.get("name"), body.get("purpose")
        descriptors = body.get("technicalDescriptors")
        if (
            not isinstance(name, str)
            or not name
            or not isinstance(purpose, str)
            or not purpose
        ):
            return error(400, "CU-401", "name and purpose are required")
        if (
            not isinstance(descriptors, list)
            or not descriptors
            or not all(isinstance(d, str) for d in descriptors)
        ):
            return error(400, "CU-401", "technicalDescriptors must be a non-empty list")
        if unknown := [d for d in descriptors if not self._sim.known_descriptor(d)]:
            return error(400, "CU-402", f"{len(unknown)} unknown telematic key(s)")
        counted = [
            c
            for c in self.containers.values()
            if c.gcid == account.gcid
            and (c.state == "ACTIVE" or self.count_deleted_containers)
        ]
        if len(counted) >= self.container_limit:
            return error(403, "CU-124", "Delete a container first")
        cid = "".join(secrets.choice(_ALNUM) for _ in range(13))
        container = Container(
            cid, account.gcid, name, purpose, list(descriptors), self._sim.now()
        )
        self.containers[cid] = container
        return web.json_response(
            container.summary() | {"technicalDescriptors": container.descriptors},
            status=201,
        )

    async def get_container(
        self, request: web.Request, account: Account
    ) -> web.Response:
        """GET /customers/containers/{containerId}."""
        container = self._container(request.match_info["cid"], account)
        if isinstance(container, web.Response):
            return container
        return web.json_response(
            container.summary() | {"technicalDescriptors": container.descriptors}
        )

    async def delete_container(
        self, request: web.Request, account: Account
    ) -> web.Response:
        """DELETE /customers/containers/{containerId}: marks it for deletion."""
        container = self._container(request.match_info["cid"], account)
        if isinstance(container, web.Response):
            return container
        if container.state != "ACTIVE":
            # Seen by bmw-cardata-ha's owners: 208 Already Reported, error body.
            return error(208, "CU-122", "Already set for deletion")
        container.state = self.deleted_state
        return web.Response(status=204)

    # ----- vehicles ------------------------------------------------------
    async def mappings(self, request: web.Request, account: Account) -> web.Response:
        """GET /customers/vehicles/mappings: a bare JSON array (observed)."""
        return web.json_response(
            [
                {
                    "vin": m.vin,
                    "mappedSince": iso(m.mapped_since),
                    "mappingType": m.mapping_type,
                }
                for m in account.mappings.values()
            ]
        )

    async def basic_data(self, request: web.Request, account: Account) -> web.Response:
        """GET .../basicData (404 for a car BMW keeps no basic data of)."""
        vin = self._vin(request, account)
        if isinstance(vin, web.Response):
            return vin
        if not self._sim.vehicles[vin].has_basic_data:
            return error(404, "CU-404", "No basic data for this vehicle")
        return web.json_response(self._sim.basic_data(vin))

    async def telematic_data(
        self, request: web.Request, account: Account
    ) -> web.Response:
        """GET .../telematicData?containerId=: values as strings."""
        vin = self._vin(request, account)
        if isinstance(vin, web.Response):
            return vin
        cid = request.query.get("containerId")
        if not cid:
            return error(400, "CU-400", "containerId is required")
        container = self._container(cid, account)
        if isinstance(container, web.Response):
            return container
        if container.state != "ACTIVE":
            return error(403, "CU-105", "Container is not active")
        vehicle = self._sim.vehicles[vin]
        data: dict[str, dict[str, Any]] = {}
        for name in container.descriptors:
            if name in DEDICATED:
                continue
            info = self._sim.descriptor(name)
            value = vehicle.state.get(name) if name in vehicle.supported else None
            data[name] = {
                "value": None if value is None else rest_string(value.value),
                "unit": rest_unit(vehicle, name, info),
                # REST timestamps end in ".000Z" (observed).
                "timestamp": None
                if value is None
                else iso(value.timestamp.replace(microsecond=0)),
            }
        return web.json_response({"telematicData": data})

    async def charging_history(
        self, request: web.Request, account: Account
    ) -> web.Response:
        """GET .../chargingHistory?from=&to=[&nextToken=], paginated."""
        vin = self._vin(request, account)
        if isinstance(vin, web.Response):
            return vin
        token = request.query.get("nextToken")
        now = self._sim.now()
        start_s, end_s = request.query.get("from"), request.query.get("to")
        if not start_s or not end_s:  # required on every page
            return error(400, "CU-400", "from and to are required")
        if token is not None:
            page = self._pages.get(token)
            if (
                page is None
                or page[5] <= now
                or page[0] != vin
                or page[1] != account.gcid
            ):
                return error(400, "CU-125", "Unknown or expired nextToken")
            _, _, start, end, offset, _ = page
        else:
            try:
                start, end = parse_time(start_s), parse_time(end_s)
            except ValueError:
                return error(400, "CU-401", "from/to must be ISO 8601 date-times")
            if end < start:
                return error(400, "CU-401", "from is after to")
            offset = 0
        sessions = [
            s
            for s in charging_sessions(self._sim.vehicles[vin], now)
            if start.timestamp() * 1000 <= s["startTime"] <= end.timestamp() * 1000
        ]
        size = self.history_page_size
        body: dict[str, Any] = {"data": sessions[offset : offset + size]}
        if offset + size < len(sessions):
            next_token = secrets.token_urlsafe(24)
            expires = now + dt.timedelta(minutes=15)
            self._pages[next_token] = (
                vin,
                account.gcid,
                start,
                end,
                offset + size,
                expires,
            )
            body["next_token"] = next_token
        return web.json_response(body)

    async def tyres(self, request: web.Request, account: Account) -> web.Response:
        """GET .../smartMaintenanceTyreDiagnosis."""
        vin = self._vin(request, account)
        if isinstance(vin, web.Response):
            return vin
        return web.json_response(tyre_diagnosis())

    async def image(self, request: web.Request, account: Account) -> web.Response:
        """GET .../image: a PNG (none for the old iDrive 6 car)."""
        vin = self._vin(request, account)
        if isinstance(vin, web.Response):
            return vin
        if self._sim.vehicles[vin].idrive6:
            return error(404, "CU-126", "No image for this vehicle")
        return web.Response(body=png(), content_type="image/png")

    async def lbcs(self, request: web.Request, account: Account) -> web.Response:
        """GET .../locationBasedChargingSettings."""
        vin = self._vin(request, account)
        if isinstance(vin, web.Response):
            return vin
        vehicle = self._sim.vehicles[vin]
        if not vehicle.electric:
            return error(404, "CU-127", "No LBCS data for this vehicle")
        return web.json_response(lbcs(vehicle, account.gcid, self._sim.now()))


def rest_string(value: Any) -> Any:
    """REST returns every value as a string; a list (check control) as a list."""
    if isinstance(value, list | dict):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else str(value)
    return str(value)


def parse_time(text: str) -> dt.datetime:
    """Parse an ISO 8601 date-time with an offset (``Z`` allowed)."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("offset required")
    return moment
