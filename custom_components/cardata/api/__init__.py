"""Client for BMW CarData: device login, tokens, REST API and MQTT stream.

Imports nothing from Home Assistant; aiohttp and paho-mqtt only.

Example::

    import asyncio
    from datetime import datetime

    import aiohttp

    from custom_components.cardata.api import (
        PRODUCTION,
        AbstractAuth,
        CarDataApi,
        CarDataStream,
        OAuthClient,
        StreamConfig,
        StreamMessage,
        TokenSet,
    )


    class Auth(AbstractAuth):
        def __init__(self, session: aiohttp.ClientSession, tokens: TokenSet) -> None:
            super().__init__(session, PRODUCTION.api_url)
            self.tokens = tokens

        async def async_get_access_token(self) -> str:
            return self.tokens.access_token  # refresh with OAuthClient.refresh

        async def async_get_id_token(self) -> tuple[str, datetime]:
            return self.tokens.id_token, self.tokens.expires_at


    async def main(client_id: str) -> None:
        async with aiohttp.ClientSession() as session:
            oauth = OAuthClient(session, PRODUCTION)
            login = await oauth.request_device_code(client_id)
            print("Approve", login.user_code, "at", login.verification_uri)
            tokens = await oauth.poll_tokens(client_id, login)

            auth = Auth(session, tokens)
            api = CarDataApi(auth)
            for mapping in await api.get_mappings():  # one call of the quota
                print(mapping.mapping_type)

            def on_message(message: StreamMessage) -> None:
                print(sorted(message.data))

            # Pass ssl_context= (e.g. Home Assistant's client context) to avoid
            # building one in an executor; the stream itself uses no thread.
            stream = CarDataStream(
                StreamConfig.for_endpoints(PRODUCTION, tokens.gcid), auth, on_message
            )
            task = asyncio.create_task(stream.run())
            await asyncio.sleep(600)
            task.cancel()  # closes the connection
"""

from .auth import (
    DEFAULT_SCOPES,
    AbstractAuth,
    DeviceAuthorization,
    IdTokenProvider,
    OAuthClient,
)
from .endpoints import PRODUCTION, Endpoints, StreamTls
from .exceptions import (
    AccessDeniedError,
    ApiAuthError,
    ApiError,
    BadRequestError,
    CarDataConnectionError,
    CarDataError,
    ContainerDeletedError,
    ContainerInvalidError,
    ContainerLimitError,
    DeviceCodeExpiredError,
    DeviceLoginError,
    InvalidGrantError,
    LoginServiceFailingError,
    LoginServiceFaultError,
    NotFoundError,
    QuotaExceededError,
    ScopeNotGrantedError,
    ServerError,
    ServiceUnavailableError,
    UnknownClientError,
    VehicleNotPermittedError,
)
from .models import (
    BasicData,
    Container,
    TelematicValue,
    VehicleMapping,
    format_timestamp,
    parse_timestamp,
)
from .parser import DescriptorValue, MessageParser, StreamMessage, Value
from .rest import ApiCall, CarDataApi
from .stream import CarDataStream, StreamConfig, StreamState, check_ca_file
from .tokens import TokenSet, is_valid_client_id, normalize_client_id

__all__ = [
    "DEFAULT_SCOPES",
    "PRODUCTION",
    "AbstractAuth",
    "AccessDeniedError",
    "ApiAuthError",
    "ApiCall",
    "ApiError",
    "BadRequestError",
    "BasicData",
    "CarDataApi",
    "CarDataConnectionError",
    "CarDataError",
    "CarDataStream",
    "Container",
    "ContainerDeletedError",
    "ContainerInvalidError",
    "ContainerLimitError",
    "DescriptorValue",
    "DeviceAuthorization",
    "DeviceCodeExpiredError",
    "DeviceLoginError",
    "Endpoints",
    "IdTokenProvider",
    "InvalidGrantError",
    "LoginServiceFailingError",
    "LoginServiceFaultError",
    "MessageParser",
    "NotFoundError",
    "OAuthClient",
    "QuotaExceededError",
    "ScopeNotGrantedError",
    "ServerError",
    "ServiceUnavailableError",
    "StreamConfig",
    "StreamMessage",
    "StreamState",
    "StreamTls",
    "TelematicValue",
    "TokenSet",
    "UnknownClientError",
    "Value",
    "VehicleMapping",
    "VehicleNotPermittedError",
    "check_ca_file",
    "format_timestamp",
    "is_valid_client_id",
    "normalize_client_id",
    "parse_timestamp",
]
