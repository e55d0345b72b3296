"""Exceptions raised by the CarData client, and the REST error classifier.

Messages carry BMW's error id and note where there is one, never a token.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

from .vin import VIN_CHARS


class CarDataError(Exception):
    """Base class of every error raised by this package."""


class CarDataConnectionError(CarDataError):
    """A transient failure: network error, timeout or server error (5xx)."""


class InvalidGrantError(CarDataError):
    """The refresh token is gone (expired, revoked or replaced); log in again."""


# --- device login -----------------------------------------------------------


class DeviceLoginError(CarDataError):
    """The device-code login failed."""


class ScopeNotGrantedError(DeviceLoginError):
    """BMW refused the requested scopes (a service is not subscribed)."""


class AccessDeniedError(DeviceLoginError):
    """BMW refused the code (the user declined, or a BMW-side flake)."""


class LoginServiceFailingError(DeviceLoginError):
    """BMW's gateway failed every poll until the code expired."""


class LoginServiceFaultError(LoginServiceFailingError):
    """BMW's gateway failed the device-code request (500 or 403, ``fault``)."""


class DeviceCodeExpiredError(DeviceLoginError):
    """The user did not approve the code in time."""


class UnknownClientError(DeviceLoginError):
    """BMW does not know this client id."""


# --- REST -------------------------------------------------------------------


class ApiError(CarDataError):
    """The CarData REST API answered with an error.

    Attributes:
        status: the HTTP status.
        error_id: BMW's ``exveErrorId`` (for example ``CU-104``), if any.
        note: BMW's ``exveNote`` or ``exveErrorMsg``, if any.
    """

    def __init__(
        self, status: int, error_id: str | None = None, note: str | None = None
    ) -> None:
        """Store the error details and build a readable message."""
        self.status = status
        self.error_id = error_id
        self.note = note
        parts = [f"HTTP {status}"]
        if error_id:
            parts.append(error_id)
        if note:
            parts.append(note)
        super().__init__(": ".join(parts))


class QuotaExceededError(ApiError):
    """The daily call quota is used up.

    Attributes:
        retry_after: seconds to wait as sent in ``Retry-After``, if sent.
    """

    def __init__(
        self,
        status: int,
        error_id: str | None = None,
        note: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Store the error details and the server's wait hint."""
        super().__init__(status, error_id, note)
        self.retry_after = retry_after


class ApiAuthError(ApiError):
    """The access token was refused."""


class VehicleNotPermittedError(ApiError):
    """No permission for this VIN (CU-104)."""


class ContainerInvalidError(ApiError):
    """Unknown or foreign container id (CU-105, CU-121)."""


class ContainerLimitError(ApiError):
    """The account already has the maximum number of containers (CU-124)."""


class ContainerDeletedError(ApiError):
    """The container is already marked for deletion (CU-122)."""


class BadRequestError(ApiError):
    """The request was malformed or a parameter was invalid."""


class NotFoundError(ApiError):
    """The requested data does not exist (no image, no settings, HTTP 404)."""


class ServerError(ApiError):
    """BMW's server failed (HTTP 5xx, CU-500)."""


class ServiceUnavailableError(ServerError):
    """BMW's service is temporarily unavailable (HTTP 503, CU-503)."""


_BY_CODE: dict[str, type[ApiError]] = {
    "CU-100": ApiAuthError,
    "CU-101": ApiAuthError,
    "CU-102": ApiAuthError,
    "CU-103": ApiAuthError,
    "CU-104": VehicleNotPermittedError,
    "CU-105": ContainerInvalidError,
    "CU-120": BadRequestError,
    "CU-121": ContainerInvalidError,
    "CU-122": ContainerDeletedError,
    "CU-124": ContainerLimitError,
    "CU-125": BadRequestError,
    "CU-126": NotFoundError,
    "CU-400": BadRequestError,
    "CU-401": BadRequestError,
    "CU-402": BadRequestError,
    "CU-500": ServerError,
    "CU-503": ServiceUnavailableError,
}

HTTP_BAD_REQUEST = 400
HTTP_UNAUTHORIZED = 401
HTTP_FORBIDDEN = 403
HTTP_NOT_FOUND = 404
HTTP_TOO_MANY_REQUESTS = 429
HTTP_SERVER_ERROR = 500
HTTP_UNAVAILABLE = 503
QUOTA_ERROR_ID = "CU-429"
_MAX_NOTE = 300


_VIN_LIKE = re.compile(rf"(?<![A-Za-z0-9])(?=[A-Z]*[0-9]){VIN_CHARS}(?![A-Za-z0-9])")
_UUID_LIKE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)


def redact(text: str) -> str:
    """Replace anything shaped like a VIN or an account/client id."""
    return _UUID_LIKE.sub("<id>", _VIN_LIKE.sub("<vin>", text))


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = redact(value.strip())
    return value[:_MAX_NOTE] if value else None


def parse_retry_after(value: str | None) -> float | None:
    """Return the seconds of a ``Retry-After`` header given as a number.

    The HTTP-date form is not used by BMW; it yields ``None``.
    """
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if seconds != seconds or seconds < 0 or seconds == float("inf"):  # noqa: PLR0124
        return None
    return seconds


def classify_api_error(
    status: int,
    body: Any,
    *,
    retry_after: float | None = None,
    lbcs: bool = False,
) -> ApiError:
    """Turn an error answer into the matching :class:`ApiError` subclass.

    BMW's ``exveErrorId`` decides first, then the HTTP status. Unknown codes
    become a plain :class:`ApiError` that keeps the code.

    Args:
        status: the HTTP status.
        body: the decoded JSON body (anything; non-mappings are ignored).
        retry_after: seconds from a ``Retry-After`` header, if sent.
        lbcs: the call was locationBasedChargingSettings, where CU-127 means
            "no data" (elsewhere it has been seen for a refused token).
    """
    error_id: str | None = None
    note: str | None = None
    if isinstance(body, Mapping):
        error_id = _text(body.get("exveErrorId"))
        note = _text(body.get("exveNote")) or _text(body.get("exveErrorMsg"))
    if error_id is not None:
        error_id = error_id.upper()
    if error_id == QUOTA_ERROR_ID or status == HTTP_TOO_MANY_REQUESTS:
        return QuotaExceededError(status, error_id, note, retry_after)
    if error_id == "CU-127":
        return (NotFoundError if lbcs else ApiAuthError)(status, error_id, note)
    if error_id is not None:
        if (cls := _BY_CODE.get(error_id)) is not None:
            return cls(status, error_id, note)
        return ApiError(status, error_id, note)
    return _by_status(status)(status, None, note)


def _by_status(status: int) -> type[ApiError]:
    if (cls := _BY_STATUS.get(status)) is not None:
        return cls
    if status >= HTTP_SERVER_ERROR:
        return ServerError
    if status >= HTTP_BAD_REQUEST:
        return BadRequestError
    return ApiError


# A 403 without BMW's body comes from something in front of the API, not from
# a refused token (BMW names those: CU-101, CU-102, CU-127, ...).
_BY_STATUS: dict[int, type[ApiError]] = {
    HTTP_UNAUTHORIZED: ApiAuthError,
    HTTP_FORBIDDEN: ApiError,
    HTTP_NOT_FOUND: NotFoundError,
    HTTP_UNAVAILABLE: ServiceUnavailableError,
}
