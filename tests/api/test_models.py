"""Pure unit tests: tokens, client ids, endpoints, error classification, models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
import ssl

import pytest

from custom_components.cardata.api import (
    PRODUCTION,
    ApiAuthError,
    ApiError,
    BadRequestError,
    BasicData,
    Container,
    ContainerDeletedError,
    ContainerInvalidError,
    ContainerLimitError,
    Endpoints,
    NotFoundError,
    QuotaExceededError,
    ServerError,
    ServiceUnavailableError,
    StreamConfig,
    StreamTls,
    TelematicValue,
    TokenSet,
    VehicleMapping,
    VehicleNotPermittedError,
    is_valid_client_id,
    normalize_client_id,
    parse_timestamp,
)
from custom_components.cardata.api.auth import code_challenge, make_code_verifier
from custom_components.cardata.api.exceptions import (
    classify_api_error,
    parse_retry_after,
)
from custom_components.cardata.api.stream import build_ssl_context

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
UUID = "aa111192-d570-4d3d-8835-656ee00edcd7"


# --- client ids ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"  {UUID.upper()}\n", UUID),
        (f"\u200b{UUID}", UUID),
        (UUID, UUID),
    ],
)
def test_normalize_client_id(raw: str, expected: str) -> None:
    assert normalize_client_id(raw) == expected
    assert is_valid_client_id(normalize_client_id(raw))


@pytest.mark.parametrize(
    "value",
    ["", "not-a-uuid", UUID.upper(), UUID[:-1], UUID + "0", UUID.replace("-", "")],
)
def test_invalid_client_ids(value: str) -> None:
    assert not is_valid_client_id(value)


# --- tokens -------------------------------------------------------------------


def _answer(**changes: object) -> dict[str, object]:
    answer: dict[str, object] = {
        "access_token": "access",
        "id_token": "id",
        "refresh_token": "refresh",
        "expires_in": 3599,
        "scope": "openid cardata:api:read authenticate_user",
        "token_type": "Bearer",
        "gcid": UUID,
    }
    answer.update(changes)
    return answer


def test_token_set_from_response_and_round_trip() -> None:
    tokens = TokenSet.from_response(_answer(), now=NOW)
    assert tokens.expires_at == NOW + timedelta(seconds=3599)
    assert tokens.refresh_expires_at == NOW + timedelta(days=14)
    assert tokens.seconds_left(NOW) == 3599
    assert tokens.seconds_left(NOW.replace(tzinfo=None)) == 3599
    assert "cardata:api:read" in tokens.scopes
    stored = tokens.to_dict()
    assert set(stored) == {
        "access_token",
        "id_token",
        "refresh_token",
        "expires_at",
        "scope",
        "gcid",
        "token_type",
        "refresh_expires_at",
    }
    assert isinstance(stored["expires_at"], str)
    assert TokenSet.from_dict(stored) == tokens
    assert "access" not in repr(tokens)
    assert UUID not in repr(tokens)


def test_token_set_tolerates_odd_answers() -> None:
    tokens = TokenSet.from_response(
        _answer(expires_in="120", id_token=None, gcid=None, token_type=5), now=NOW
    )
    assert tokens.expires_at == NOW + timedelta(seconds=120)
    assert tokens.id_token == ""
    assert tokens.gcid == ""
    assert tokens.token_type == "Bearer"
    tokens = TokenSet.from_response(
        _answer(expires_in="soon", refresh_expires_in=60), now=NOW
    )
    assert tokens.seconds_left(NOW) == 3600
    assert tokens.refresh_expires_at == NOW + timedelta(seconds=60)
    with pytest.raises(ValueError, match="access_token"):
        TokenSet.from_response(_answer(access_token=""))
    with pytest.raises(ValueError, match="refresh_token"):
        TokenSet.from_response(_answer(refresh_token=None))


def test_token_set_from_bad_dict() -> None:
    stored = TokenSet.from_response(_answer(), now=NOW).to_dict()
    with pytest.raises(ValueError, match="invalid stored token set"):
        TokenSet.from_dict({k: v for k, v in stored.items() if k != "refresh_token"})
    with pytest.raises(ValueError, match="invalid stored token set"):
        TokenSet.from_dict(stored | {"expires_at": 5})
    with pytest.raises(ValueError, match="expires_at"):
        TokenSet.from_dict(stored | {"expires_at": None})
    naive = TokenSet.from_dict(stored | {"expires_at": "2026-01-02T03:04:05"})
    assert naive.expires_at.tzinfo is UTC


def test_pkce_challenge() -> None:
    verifier = make_code_verifier()
    assert 43 <= len(verifier) <= 128
    # RFC 7636 appendix B
    assert (
        code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


# --- endpoints / stream config --------------------------------------------------


def test_endpoints_round_trip_and_defaults() -> None:
    assert Endpoints() == PRODUCTION
    assert PRODUCTION.stream_port == 9000
    assert PRODUCTION.stream_tls is StreamTls.VERIFY
    assert Endpoints.from_dict({}) == PRODUCTION
    custom = Endpoints.from_dict(
        {
            "auth_url": "http://127.0.0.1:1/",
            "api_url": "http://127.0.0.1:2",
            "stream_host": "127.0.0.1",
            "stream_port": "8883",
            "stream_tls": "custom_ca",
            "stream_ca_file": "/ca.pem",
        }
    )
    assert custom.auth_url == "http://127.0.0.1:1"
    assert custom.stream_port == 8883
    assert custom.stream_tls is StreamTls.CUSTOM_CA
    assert Endpoints.from_dict(custom.to_dict()) == custom
    with pytest.raises(ValueError, match="stream_port"):
        Endpoints.from_dict({"stream_port": "x"})
    with pytest.raises(ValueError, match="bogus"):
        Endpoints.from_dict({"stream_tls": "bogus"})


def test_stream_config_for_endpoints_hides_ids() -> None:
    config = StreamConfig.for_endpoints(PRODUCTION, UUID)
    assert config.username == UUID
    assert config.topic == f"{UUID}/+"
    assert config.keepalive == 30
    assert config.password is None
    assert UUID not in repr(config)


def test_ssl_context_verifies() -> None:
    assert build_ssl_context(StreamTls.NONE, None) is None
    context = build_ssl_context(StreamTls.VERIFY, None)
    assert context is not None
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert context.maximum_version in (
        ssl.TLSVersion.MAXIMUM_SUPPORTED,
        ssl.TLSVersion.TLSv1_3,
    )
    with pytest.raises(ValueError, match="CA file"):
        build_ssl_context(StreamTls.CUSTOM_CA, None)


# --- REST error classification -------------------------------------------------


def _body(code: str | None, note: str = "a note") -> dict[str, str]:
    body = {"exveErrorRef": "", "exveErrorMsg": "message", "exveNote": note}
    if code:
        body["exveErrorId"] = code
    return body


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (429, None, QuotaExceededError),
        (403, _body("CU-429"), QuotaExceededError),
        (403, _body("cu-429"), QuotaExceededError),
        (401, _body("CU-100"), ApiAuthError),
        (403, _body("CU-102"), ApiAuthError),
        (403, _body("CU-127"), ApiAuthError),
        (403, _body("CU-104"), VehicleNotPermittedError),
        (403, _body("CU-105"), ContainerInvalidError),
        (400, _body("CU-121"), ContainerInvalidError),
        (403, _body("CU-122"), ContainerDeletedError),
        (208, _body("CU-122"), ContainerDeletedError),  # observed
        (403, _body("CU-124"), ContainerLimitError),
        (400, _body("CU-400"), BadRequestError),
        (400, _body("CU-402"), BadRequestError),
        (404, _body("CU-126"), NotFoundError),
        (500, _body("CU-500"), ServerError),
        (503, _body("CU-503"), ServiceUnavailableError),
        (401, None, ApiAuthError),
        # No BMW body: not a refused token, a generic error keeping its status.
        (403, "not json", ApiError),
        (403, None, ApiError),
        (404, None, NotFoundError),
        (400, None, BadRequestError),
        (502, None, ServerError),
        (503, [], ServiceUnavailableError),
        (302, None, ApiError),
    ],
)
def test_classify_api_error(status: int, body: object, expected: type) -> None:
    error = classify_api_error(status, body)
    assert type(error) is expected
    assert error.status == status


def test_unknown_code_is_kept() -> None:
    error = classify_api_error(403, _body("CU-403", "odd"))
    assert type(error) is ApiError
    assert error.error_id == "CU-403"
    assert error.note == "odd"
    assert str(error) == "HTTP 403: CU-403: odd"


def test_quota_error_carries_retry_after() -> None:
    error = classify_api_error(429, _body(None), retry_after=30.0)
    assert isinstance(error, QuotaExceededError)
    assert error.retry_after == 30.0
    assert (
        classify_api_error(403, _body("CU-127"), lbcs=True).__class__ is NotFoundError
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("120", 120.0),
        (" 1.5 ", 1.5),
        (None, None),
        ("-1", None),
        ("nan", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        ("inf", None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


# --- models ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-07-28T05:16:53.000Z", datetime(2025, 7, 28, 5, 16, 53, tzinfo=UTC)),
        ("2025-07-28T05:16:53Z", datetime(2025, 7, 28, 5, 16, 53, tzinfo=UTC)),
        ("2025-07-28T07:16:53+0200", datetime(2025, 7, 28, 5, 16, 53, tzinfo=UTC)),
        ("2025-07-28T05:16:53+00:00", datetime(2025, 7, 28, 5, 16, 53, tzinfo=UTC)),
        ("2025-07-28T05:16:53", datetime(2025, 7, 28, 5, 16, 53, tzinfo=UTC)),
        (1753679813, datetime(2025, 7, 28, 5, 16, 53, tzinfo=UTC)),
        (1753679813000, datetime(2025, 7, 28, 5, 16, 53, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
        (True, None),
        (float("nan"), None),
        (-5, None),
        (1e300, None),
        ("9" * 100, None),
    ],
)
def test_parse_timestamp(raw: object, expected: datetime | None) -> None:
    assert parse_timestamp(raw) == expected


def test_vehicle_mapping() -> None:
    mapping = VehicleMapping.from_dict(
        {
            "vin": "wba12345678901234",
            "mappedSince": "2024-01-01T00:00:00.000Z",
            "mappingType": "PRIMARY",
            "extra": 1,
        }
    )
    assert mapping is not None
    assert mapping.vin == "WBA12345678901234"
    assert mapping.is_primary
    secondary = VehicleMapping.from_dict({"vin": "X", "mappingType": None})
    assert secondary is not None
    assert not secondary.is_primary
    assert secondary.mapped_since is None
    assert VehicleMapping.from_dict({"mappingType": "PRIMARY"}) is None


def test_basic_data_is_defensive() -> None:
    data = BasicData.from_dict(
        {
            "brand": "BMW",
            "modelName": "iX xDrive50",
            "series": 7,
            "constructionDate": "2022-03-01T00:00:00.000+0000",
            "numberOfDoors": "5",
            "hasNavi": "true",
            "hasSunRoof": "maybe",
            "chargingModes": ["AC", 5, "DC"],
            "hvsMaxEnergyAbsolute": "111.5",
            "isTelematicsCapable": True,
            "unknownField": {"x": 1},
        }
    )
    assert data.brand == "BMW"
    assert data.series is None
    assert data.construction_date == datetime(2022, 3, 1, tzinfo=UTC)
    assert data.number_of_doors == 5
    assert data.has_navi is True
    assert data.has_sun_roof is None
    assert data.charging_modes == ("AC", "DC")
    assert data.hvs_max_energy_kwh == 111.5
    assert data.is_telematics_capable is True
    assert data.raw["unknownField"] == {"x": 1}
    empty = BasicData.from_dict({"numberOfDoors": 4.5, "hvsMaxEnergyAbsolute": "inf"})
    assert empty.number_of_doors is None
    assert empty.hvs_max_energy_kwh is None
    assert (
        BasicData.from_dict(
            {"numberOfDoors": "x", "hvsMaxEnergyAbsolute": []}
        ).number_of_doors
        is None
    )


def test_container_and_telematic_value() -> None:
    container = Container.from_dict(
        {
            "containerId": "c1",
            "name": "n",
            "state": "ACTIVE",
            "created": "2025-01-01T00:00:00Z",
            "technicalDescriptors": ["a", "b"],
        }
    )
    assert container is not None
    assert container.is_active
    assert container.descriptors == ("a", "b")
    assert Container.from_dict({"name": "n"}) is None
    assert TelematicValue.from_dict(
        {"value": "9.49", "unit": "degrees", "timestamp": "2025-07-28T05:16:53.000Z"}
    ) == TelematicValue("9.49", "degrees", datetime(2025, 7, 28, 5, 16, 53, tzinfo=UTC))
    assert TelematicValue.from_dict(
        {"value": None, "timestamp": None}
    ) == TelematicValue(None, None, None)
    assert TelematicValue.from_dict({"value": 5}).value == "5"
    assert TelematicValue.from_dict({"value": True}).value == "true"
    # A list or an object is kept as its JSON text (the check-control messages).
    listed = [{"type": "TIRE_PRESSURE", "severity": "LOW"}]
    assert json.loads(TelematicValue.from_dict({"value": listed}).value or "") == listed
    assert TelematicValue.from_dict({"value": {"a": 1}}).value == '{"a":1}'
    assert TelematicValue.from_dict("x") == TelematicValue(None, None, None)


def test_notes_are_redacted() -> None:
    note = f"VIN WBA12345678901234 of account {UUID} not permitted"
    error = classify_api_error(403, _body("CU-104", note))
    assert "WBA12345678901234" not in str(error)
    assert UUID not in str(error)
    assert error.note == "VIN <vin> of account <id> not permitted"
