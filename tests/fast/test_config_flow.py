"""Config flow: BMW's device-code login answered by aioclient_mock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest.mock import AsyncMock, patch

from aiohttp import ClientConnectionError
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from custom_components.cardata.const import DOMAIN

from .conftest import ACCESS_TOKEN, API, AUTH, ID_TOKEN, REFRESH_TOKEN, entry_data
from .vehicles import CLIENT_ID, GCID, NOW

DEVICE_CODE = f"{AUTH}/gcdm/oauth/device/code"
TOKEN = f"{AUTH}/gcdm/oauth/token"
SCOPES = "authenticate_user openid cardata:api:read cardata:streaming:read"
BMW = {
    "auth_url": AUTH,
    "api_url": API,
    "stream_host": "customer.streaming-cardata.bmwgroup.com",
    "stream_port": 9000,
    "stream_tls": "verify",
}
# BMW's device-code answer; interval 0 so the flow polls without waiting.
AUTHORIZATION = {
    "user_code": "ABCD-EFGH",
    "device_code": "device-code-fast-tier",
    "verification_uri": "https://customer.bmwgroup.com/oneid/link",
    "verification_uri_complete": "https://customer.bmwgroup.com/oneid/link?code=ABCD-EFGH",
    "interval": 0,
    "expires_in": 300,
}
TOKENS = {
    "access_token": ACCESS_TOKEN,
    "id_token": ID_TOKEN,
    "refresh_token": REFRESH_TOKEN,
    "expires_in": 3600,
    "refresh_expires_in": 1_209_600,
    "scope": SCOPES,
    "gcid": GCID,
    "token_type": "Bearer",
}


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Iterator[AsyncMock]:
    """The flow is under test, not the set-up of the entry it creates."""
    with patch(
        "custom_components.cardata.async_setup_entry", return_value=True
    ) as mock:
        yield mock


def _form(client_id: str = CLIENT_ID) -> dict[str, Any]:
    """The user step's input: the client id, all an owner is asked for."""
    return {"client_id": client_id}


async def _submit(hass: HomeAssistant, client_id: str = CLIENT_ID) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] is None
    return await hass.config_entries.flow.async_configure(
        result["flow_id"], _form(client_id)
    )


async def test_login_creates_the_entry(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker, mock_setup_entry
) -> None:
    """Client id pasted with spaces and capitals; approved on BMW's page."""
    aioclient_mock.post(DEVICE_CODE, json=AUTHORIZATION)
    aioclient_mock.post(TOKEN, json=TOKENS)

    result = await _submit(hass, f"  {CLIENT_ID.upper()} ")
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "login"
    assert result["description_placeholders"]["code"] == "ABCD-EFGH"
    assert (
        result["description_placeholders"]["url"]
        == (AUTHORIZATION["verification_uri_complete"])
    )
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "BMW CarData"
    assert result["result"].unique_id == GCID
    # The fast tier's stored entry is shaped exactly so, less the container
    # the first set-up adds.
    expected = entry_data()
    del expected["container_id"]
    expected["tokens"]["expires_at"] = (NOW + timedelta(hours=1)).isoformat()
    assert result["data"] == expected
    assert len(mock_setup_entry.mock_calls) == 1

    # What BMW was asked: the device code for the normalised client id with
    # PKCE, then the token for that device code.
    (_, _, code_form, _), (_, _, token_form, _) = aioclient_mock.mock_calls
    assert code_form["client_id"] == CLIENT_ID
    assert code_form["scope"] == SCOPES
    assert code_form["code_challenge_method"] == "S256"
    assert token_form["device_code"] == AUTHORIZATION["device_code"]
    assert token_form["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"


async def test_pending_until_approved(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """BMW answers "authorization_pending" until the owner approves."""
    answers = [
        AiohttpClientMockResponse(
            "post", URL(TOKEN), status=400, json={"error": "authorization_pending"}
        ),
        AiohttpClientMockResponse("post", URL(TOKEN), json=TOKENS),
    ]

    async def poll(_method: str, _url: URL, _data: Any) -> AiohttpClientMockResponse:
        return answers.pop(0)

    aioclient_mock.post(DEVICE_CODE, json=AUTHORIZATION)
    aioclient_mock.post(TOKEN, side_effect=poll)
    result = await _submit(hass)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert aioclient_mock.call_count == 3
    assert not answers


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"status": 400, "json": {"error": "invalid_client"}}, "unknown_client"),
        ({"status": 400, "json": {"error": "invalid_request"}}, "scope_not_granted"),
        ({"status": 500, "json": {"fault": {"code": 500}}}, "login_service_fault"),
        ({"status": 503, "text": "busy"}, "cannot_connect"),
        ({"exc": ClientConnectionError()}, "cannot_connect"),
    ],
    ids=["unknown_client", "no_stream_scope", "gateway_fault", "503", "unreachable"],
)
async def test_device_code_refused(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    answer: dict[str, Any],
    error: str,
) -> None:
    """BMW refuses the device code: the form says why; a second try works."""
    aioclient_mock.post(DEVICE_CODE, **answer)
    result = await _submit(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    aioclient_mock.clear_requests()
    aioclient_mock.post(DEVICE_CODE, json=AUTHORIZATION)
    aioclient_mock.post(TOKEN, json=TOKENS)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _form())
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"status": 400, "json": {"error": "access_denied"}}, "access_denied"),
        ({"status": 400, "json": {"error": "expired_token"}}, "code_expired"),
        ({"json": {**TOKENS, "scope": "openid cardata:api:read"}}, "scope_not_granted"),
    ],
    ids=["denied", "expired", "no_stream_scope"],
)
async def test_login_fails_while_waiting(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    answer: dict[str, Any],
    error: str,
) -> None:
    """A login that fails after the code was shown ends on the form."""
    aioclient_mock.post(DEVICE_CODE, json=AUTHORIZATION)
    aioclient_mock.post(TOKEN, **answer)
    result = await _submit(hass)
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": error}
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_invalid_client_id_asks_nobody(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    result = await _submit(hass, "not-a-client-id")
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"client_id": "invalid_client_id"}
    assert aioclient_mock.call_count == 0


async def test_same_account_twice_aborts(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    MockConfigEntry(domain=DOMAIN, unique_id=GCID, data=entry_data()).add_to_hass(hass)
    aioclient_mock.post(DEVICE_CODE, json=AUTHORIZATION)
    aioclient_mock.post(TOKEN, json=TOKENS)
    result = await _submit(hass)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
