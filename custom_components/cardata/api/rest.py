"""Client of the CarData REST API.

Every HTTP request counts against BMW's daily quota (50 calls per account), so
nothing here retries, except once after BMW refused the access token (then
with a freshly refreshed one); ``on_call`` hears about every request made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
import json
import logging
from typing import Any
from urllib.parse import quote

import aiohttp

from .auth import AbstractAuth
from .exceptions import (
    ApiAuthError,
    ApiError,
    CarDataConnectionError,
    ContainerDeletedError,
    NotFoundError,
    classify_api_error,
    parse_retry_after,
)
from .models import (
    BasicData,
    Container,
    TelematicValue,
    VehicleMapping,
    format_timestamp,
)

_LOGGER = logging.getLogger(__name__)

MAX_PAGES = 10
"""Most pages fetched for one paginated call (each page costs one call)."""
_HTTP_OK_MIN = 200
_HTTP_OK_MAX = 299
_HTTP_ALREADY_REPORTED = 208


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One HTTP request made to the REST API.

    Attributes:
        endpoint: a stable endpoint name, for example ``telematicData``.
        vin: the vehicle the call was about, if any.
        at: when the request was made (UTC).
        outcome: ``"ok"``, BMW's error id, ``"http <status>"``, ``"timeout"``
            or ``"connection_error"``.
    """

    endpoint: str
    vin: str | None
    at: datetime
    outcome: str


@dataclass(frozen=True, slots=True)
class ChargingHistory:
    """Charging sessions as far as they were fetched.

    Attributes:
        sessions: BMW's session objects, in the order BMW sent them.
        complete: ``False`` when BMW had more pages than were fetched.
        pages: how many pages (calls) were fetched.
        start: the window asked for (``from``), when known.
        end: the window asked for (``to``), when known.
        next_token: BMW's token for the next page, when one was left.
    """

    sessions: list[dict[str, Any]]
    complete: bool
    pages: int
    start: datetime | None = None
    end: datetime | None = None
    next_token: str | None = None


def _vin_path(vin: str) -> str:
    return quote(vin.strip().upper(), safe="")


class CarDataApi:
    """Typed access to every endpoint of the CarData REST API."""

    def __init__(
        self,
        auth: AbstractAuth,
        on_call: Callable[[ApiCall], None] | None = None,
    ) -> None:
        """Use ``auth`` for requests; ``on_call`` hears about each request."""
        self._auth = auth
        self._on_call = on_call

    def _report(
        self, endpoint: str, vin: str | None, at: datetime, outcome: str
    ) -> None:
        if self._on_call is None:
            return
        try:
            self._on_call(ApiCall(endpoint, vin, at, outcome))
        except Exception:
            _LOGGER.exception("Error in the API call hook")

    async def _request(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        vin: str | None = None,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        raw: bool = False,
    ) -> Any:
        """Make one request; return decoded JSON (or bytes when ``raw``).

        A refused access token (CU-127, CU-101 ...) gets one forced token
        refresh and one retry; refused again, the login is reported as failed.
        """
        kwargs: dict[str, Any] = {}
        if params:
            kwargs["params"] = dict(params)
        if body is not None:
            kwargs["json"] = body
        if raw:
            kwargs["headers"] = {"Accept": "*/*"}
        once = partial(
            self._request_once, method, path, endpoint=endpoint, vin=vin, raw=raw
        )
        token = await self._auth.async_get_access_token()
        try:
            return await once(kwargs=kwargs, token=token)
        except ApiAuthError:
            _LOGGER.debug("%s: access token refused; refreshing once", endpoint)
            token = await self._auth.async_refresh_access_token(token)
        try:
            return await once(kwargs=kwargs, token=token)
        except ApiAuthError:
            await self._auth.async_access_token_refused()
            raise

    async def _request_once(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        vin: str | None,
        raw: bool,
        kwargs: dict[str, Any],
        token: str,
    ) -> Any:
        at = datetime.now(UTC)
        kwargs = dict(kwargs)
        try:
            response = await self._auth.request(method, path, token=token, **kwargs)
            async with response:
                body = await response.read()
                if _HTTP_OK_MIN <= response.status <= _HTTP_OK_MAX and not (
                    _reported_error(response.status, body)
                ):
                    self._report(endpoint, vin, at, "ok")
                    return body if raw else _decode(body)
                error = classify_api_error(
                    response.status,
                    _decode(body),
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                    lbcs=endpoint == "locationBasedChargingSettings",
                )
        except TimeoutError as err:
            self._report(endpoint, vin, at, "timeout")
            raise CarDataConnectionError(f"{endpoint}: timeout") from err
        except aiohttp.ClientError as err:
            self._report(endpoint, vin, at, "connection_error")
            raise CarDataConnectionError(f"{endpoint}: {type(err).__name__}") from err
        self._report(endpoint, vin, at, error.error_id or f"http {error.status}")
        raise error

    async def get_mappings(self) -> list[VehicleMapping]:
        """Return the vehicles mapped to the account."""
        data = await self._request(
            "GET", "/customers/vehicles/mappings", endpoint="mappings"
        )
        if isinstance(data, Mapping):  # tolerate a wrapped list
            data = data.get("mappings") or data.get("vehicles") or [data]
        if not isinstance(data, list):
            return []
        mappings = (
            VehicleMapping.from_dict(item) for item in data if isinstance(item, Mapping)
        )
        return [mapping for mapping in mappings if mapping is not None]

    async def get_basic_data(self, vin: str) -> BasicData:
        """Return the static facts of a vehicle."""
        data = await self._request(
            "GET",
            f"/customers/vehicles/{_vin_path(vin)}/basicData",
            endpoint="basicData",
            vin=vin,
        )
        return BasicData.from_dict(data if isinstance(data, Mapping) else {})

    async def list_containers(self) -> list[Container]:
        """Return the account's containers (without their descriptors)."""
        data = await self._request(
            "GET", "/customers/containers", endpoint="containers"
        )
        items = data.get("containers") if isinstance(data, Mapping) else data
        if not isinstance(items, list):
            return []
        containers = (
            Container.from_dict(item) for item in items if isinstance(item, Mapping)
        )
        return [container for container in containers if container is not None]

    async def create_container(
        self, name: str, purpose: str, descriptors: Sequence[str]
    ) -> Container:
        """Create a container for ``descriptors`` and return it."""
        data = await self._request(
            "POST",
            "/customers/containers",
            endpoint="createContainer",
            body={
                "name": name,
                "purpose": purpose,
                "technicalDescriptors": list(descriptors),
            },
        )
        container = Container.from_dict(data) if isinstance(data, Mapping) else None
        if container is None:
            raise ApiError(201, None, "container answer without containerId")
        if not container.descriptors:
            container = Container(
                container.container_id,
                container.name or name,
                container.purpose or purpose,
                container.state,
                container.created,
                tuple(descriptors),
            )
        return container

    async def get_container(self, container_id: str) -> Container:
        """Return one container with its descriptors."""
        data = await self._request(
            "GET",
            f"/customers/containers/{quote(container_id, safe='')}",
            endpoint="container",
        )
        container = Container.from_dict(data) if isinstance(data, Mapping) else None
        if container is None:
            raise ApiError(200, None, "container answer without containerId")
        return container

    async def delete_container(self, container_id: str) -> None:
        """Mark a container for deletion; one already marked counts as done."""
        try:
            await self._request(
                "DELETE",
                f"/customers/containers/{quote(container_id, safe='')}",
                endpoint="deleteContainer",
            )
        except ContainerDeletedError:
            return

    async def get_telematic_data(
        self, vin: str, container_id: str
    ) -> dict[str, TelematicValue]:
        """Return the container's descriptor values for a vehicle."""
        data = await self._request(
            "GET",
            f"/customers/vehicles/{_vin_path(vin)}/telematicData",
            endpoint="telematicData",
            vin=vin,
            params={"containerId": container_id},
        )
        entries = data.get("telematicData") if isinstance(data, Mapping) else None
        if not isinstance(entries, Mapping):
            return {}
        return {
            str(name).replace("\u200b", "").strip(): TelematicValue.from_dict(entry)
            for name, entry in entries.items()
        }

    async def get_charging_history(
        self,
        vin: str,
        start: datetime,
        end: datetime,
        *,
        max_pages: int | None = None,
    ) -> list[dict[str, Any]]:
        """Return the charging sessions between ``start`` and ``end``.

        The sessions of :meth:`get_charging_history_pages`, without saying
        whether more pages were left.
        """
        history = await self.get_charging_history_pages(
            vin, start, end, max_pages=max_pages
        )
        return history.sessions

    async def get_charging_history_pages(
        self,
        vin: str,
        start: datetime,
        end: datetime,
        *,
        max_pages: int | None = None,
        token: str | None = None,
    ) -> ChargingHistory:
        """Return the charging sessions between ``start`` and ``end``.

        Follows ``next_token`` page by page; each page is one call against
        the quota. Stops after ``max_pages`` pages (never more than
        :data:`MAX_PAGES`); :attr:`ChargingHistory.complete` then says
        whether BMW had more, and :attr:`ChargingHistory.next_token` where
        a later read may go on (``token``: begin at that page of the same
        window).

        Raises:
            ValueError: ``max_pages`` is below one.
        """
        limit = MAX_PAGES if max_pages is None else min(max_pages, MAX_PAGES)
        if limit < 1:
            raise ValueError("max_pages must be at least 1")
        sessions: list[dict[str, Any]] = []
        params = {
            "from": format_timestamp(start, for_bmw=True),
            "to": format_timestamp(end, for_bmw=True),
        }
        if token is not None:
            params["nextToken"] = token
        seen: set[str] = set()
        pages = 0
        token = None
        while pages < limit:
            data = await self._request(
                "GET",
                f"/customers/vehicles/{_vin_path(vin)}/chargingHistory",
                endpoint="chargingHistory",
                vin=vin,
                params=params,
            )
            pages += 1
            if not isinstance(data, Mapping):
                break
            page = data.get("data")
            if isinstance(page, list):
                sessions.extend(item for item in page if isinstance(item, dict))
            token = _next_token(data)
            if token is None or token in seen:
                break
            seen.add(token)
            params = {**params, "nextToken": token}
        else:
            return ChargingHistory(
                sessions,
                complete=False,
                pages=pages,
                start=start,
                end=end,
                next_token=token,
            )
        return ChargingHistory(
            sessions, complete=True, pages=pages, start=start, end=end
        )

    async def get_tyre_diagnosis(self, vin: str) -> dict[str, Any]:
        """Return the smart-maintenance tyre diagnosis."""
        data = await self._request(
            "GET",
            f"/customers/vehicles/{_vin_path(vin)}/smartMaintenanceTyreDiagnosis",
            endpoint="smartMaintenanceTyreDiagnosis",
            vin=vin,
        )
        return dict(data) if isinstance(data, Mapping) else {}

    async def get_image(self, vin: str) -> bytes:
        """Return the vehicle's picture (PNG bytes)."""
        data = await self._request(
            "GET",
            f"/customers/vehicles/{_vin_path(vin)}/image",
            endpoint="image",
            vin=vin,
            raw=True,
        )
        return bytes(data)

    async def get_location_based_charging_settings(self, vin: str) -> dict[str, Any]:
        """Return the location-based charging settings.

        Pages are merged into one ``data`` list. "No data" (CU-127) gives an
        empty dict.
        """
        merged: dict[str, Any] = {}
        items: list[Any] = []
        params: dict[str, str] = {}
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            try:
                data = await self._request(
                    "GET",
                    f"/customers/vehicles/{_vin_path(vin)}/locationBasedChargingSettings",
                    endpoint="locationBasedChargingSettings",
                    vin=vin,
                    params=params or None,
                )
            except NotFoundError:
                if not merged:
                    return {}
                break
            if not isinstance(data, Mapping):
                break
            if not merged:
                merged = dict(data)
            page = data.get("data")
            if isinstance(page, list):
                items.extend(page)
            token = _next_token(data)
            if token is None or token in seen:
                break
            seen.add(token)
            params = {"nextToken": token}
        if merged:
            merged["data"] = items
            merged.pop("nextToken", None)
            merged.pop("next_token", None)
        return merged


def _next_token(data: Mapping[str, Any]) -> str | None:
    token = data.get("next_token") or data.get("nextToken")
    return token if isinstance(token, str) and token else None


def _reported_error(status: int, raw: bytes) -> bool:
    """A 208 with BMW's error body: CU-122, a container already marked (observed)."""
    if status != _HTTP_ALREADY_REPORTED:
        return False
    data = _decode(raw)
    return isinstance(data, Mapping) and bool(data.get("exveErrorId"))


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None
