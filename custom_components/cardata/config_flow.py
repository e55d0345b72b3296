"""Config flow for BMW CarData: device-code login, reauth and reconfigure.

The user pastes the client id from BMW's portal; the flow asks BMW for a
device code, shows the verification link and user code, and polls in a
progress task until BMW approves. There is no button to press too early.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util

from .api import (
    AccessDeniedError,
    CarDataConnectionError,
    DeviceAuthorization,
    DeviceCodeExpiredError,
    DeviceLoginError,
    Endpoints,
    LoginServiceFailingError,
    LoginServiceFaultError,
    OAuthClient,
    ScopeNotGrantedError,
    TokenSet,
    UnknownClientError,
    is_valid_client_id,
    normalize_client_id,
)
from .common.schema import vol
from .const import (
    CONF_CLIENT_ID,
    CONF_GCID,
    CONF_REAUTH_REASON,
    CONF_TOKENS,
    DEFAULT_TITLE,
    DOMAIN,
    LOGGER,
    PORTAL_GUIDE_URL,
    REAUTH_ASKED,
    REAUTH_STREAM_SCOPE,
    REQUIRED_SCOPES,
)
from .flows.development import development_login
from .flows.options import CarDataOptionsFlow

# The one "Log in again" dialog: its step (text) per reason, one button.
_REAUTH_STEPS: dict[str, str] = {
    REAUTH_ASKED: "reauth_asked",
    REAUTH_STREAM_SCOPE: "reauth_stream_scope",
}
REAUTH_REFUSED_STEP = "reauth_confirm"
REAUTH_RETRY_STEP = "reauth_retry"
LOG_IN = "log_in"

# Extra time to wait beyond the device code's expiry before giving up.
LOGIN_GRACE = 30.0

# Login failures, most specific first, and the error key shown for each.
_LOGIN_ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (ScopeNotGrantedError, "scope_not_granted"),
    (AccessDeniedError, "access_denied"),
    (LoginServiceFaultError, "login_service_fault"),
    (LoginServiceFailingError, "login_service_failing"),
    (DeviceCodeExpiredError, "code_expired"),
    (UnknownClientError, "unknown_client"),
    (DeviceLoginError, "login_failed"),
    (CarDataConnectionError, "cannot_connect"),
)


def _error_key(err: Exception) -> str:
    return next(key for kind, key in _LOGIN_ERRORS if isinstance(err, kind))


class CarDataConfigFlow(ConfigFlow, domain=DOMAIN):
    """Handle the login of a BMW CarData account."""

    VERSION = 2
    # 2.2: the takeover's stored keys and repair notices renamed (upgrade/).
    MINOR_VERSION = 3

    def __init__(self) -> None:
        """Start with no login in progress."""
        self._client_id = ""
        self._endpoints = Endpoints()
        self._form_step = "user"
        self._authorization: DeviceAuthorization | None = None
        self._login_task: asyncio.Task[TokenSet | str] | None = None
        self._login_error: str | None = None
        self._tokens: TokenSet | None = None
        self._reauth_step = REAUTH_REFUSED_STEP

    @staticmethod
    @callback
    def async_get_options_flow(
        config_entry: ConfigEntry,  # noqa: ARG004
    ) -> CarDataOptionsFlow:
        """Return the Configure menu of an entry."""
        return CarDataOptionsFlow()

    # ------------------------------------------------------------- forms
    async def _async_show_input_form(
        self, errors: dict[str, str] | None = None
    ) -> ConfigFlowResult:
        """Show the form of the step the login started from."""
        if self._form_step == REAUTH_RETRY_STEP:
            return self.async_show_form(
                step_id=REAUTH_RETRY_STEP,
                description_placeholders={"title": self._get_reauth_entry().title},
                errors=errors,
            )
        # Only the client id: BMW's addresses are not the owner's to change
        # (a wrong one would receive the refresh token). Development points
        # the login elsewhere through flows/development.py.
        schema = {vol.Required(CONF_CLIENT_ID, default=self._client_id): str}
        return self.async_show_form(
            step_id=self._form_step,
            data_schema=vol.Schema(schema),
            errors=errors,
            description_placeholders={"guide_url": PORTAL_GUIDE_URL},
        )

    async def _async_handle_input(
        self, user_input: Mapping[str, Any]
    ) -> ConfigFlowResult:
        errors: dict[str, str] = {}
        self._client_id = normalize_client_id(str(user_input[CONF_CLIENT_ID]))
        if not is_valid_client_id(self._client_id):
            errors[CONF_CLIENT_ID] = "invalid_client_id"
        if errors:
            return await self._async_show_input_form(errors)
        return await self._async_begin_login()

    # ------------------------------------------------------------- steps
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the client id of the owner's CarData client."""
        self._form_step = "user"
        if (dev := development_login(self.hass)) is not None:
            self._endpoints = dev.endpoints
            self._client_id = self._client_id or dev.client_id
        if user_input is not None:
            return await self._async_handle_input(user_input)
        return await self._async_show_input_form()

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start a new login: BMW refused the saved one, or the owner asked.

        One dialog whatever the reason: it says why (its text per reason)
        and has one button, "Log in with BMW", that starts the login.
        """
        self._client_id = str(entry_data[CONF_CLIENT_ID])
        self._endpoints = Endpoints.from_dict(entry_data)
        reason = str(entry_data.get(CONF_REAUTH_REASON) or "")
        self._reauth_step = _REAUTH_STEPS.get(reason, REAUTH_REFUSED_STEP)
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Say why a new login is needed; one button starts it."""
        return self.async_show_menu(
            step_id=self._reauth_step,
            menu_options=[LOG_IN],
            description_placeholders={"title": self._get_reauth_entry().title},
        )

    # The dialog's texts per reason: the same menu under the reason's step id.
    async_step_reauth_asked = async_step_reauth_confirm
    async_step_reauth_stream_scope = async_step_reauth_confirm

    async def async_step_log_in(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Log in again with the stored client id (a failure offers a retry)."""
        self._form_step = REAUTH_RETRY_STEP
        return await self._async_begin_login()

    async def async_step_reauth_retry(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """After a failed login: say what went wrong; submit gets a new code."""
        self._form_step = REAUTH_RETRY_STEP
        if user_input is None:
            return await self._async_show_input_form()
        return await self._async_begin_login()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the client id and log in again (the addresses are kept)."""
        self._form_step = "reconfigure"
        if user_input is not None:
            return await self._async_handle_input(user_input)
        entry = self._get_reconfigure_entry()
        self._client_id = str(entry.data[CONF_CLIENT_ID])
        self._endpoints = Endpoints.from_dict(entry.data)
        return await self._async_show_input_form()

    async def _async_begin_login(self) -> ConfigFlowResult:
        oauth = OAuthClient(async_get_clientsession(self.hass), self._endpoints)
        try:
            self._authorization = await oauth.request_device_code(self._client_id)
        except (DeviceLoginError, CarDataConnectionError) as err:
            LOGGER.info("Device code request failed: %s", type(err).__name__)
            return await self._async_show_input_form({"base": _error_key(err)})
        self._login_task = self.hass.async_create_task(
            self._async_wait_for_approval(oauth, self._authorization),
            f"{DOMAIN} device login",
        )
        return await self.async_step_login()

    async def _async_wait_for_approval(
        self, oauth: OAuthClient, authorization: DeviceAuthorization
    ) -> TokenSet | str:
        """Poll BMW until the user approves; return the tokens or an error key."""
        left = (authorization.expires_at - datetime.now(UTC)).total_seconds()
        try:
            async with asyncio.timeout(max(left, 0.0) + LOGIN_GRACE):
                tokens = await oauth.poll_tokens(self._client_id, authorization)
        except TimeoutError:
            return "code_expired"
        except (DeviceLoginError, CarDataConnectionError) as err:
            LOGGER.info("Device login failed: %s", type(err).__name__)
            return _error_key(err)
        granted = set(tokens.scope.split())
        if not granted.issuperset(REQUIRED_SCOPES):
            return "scope_not_granted"
        return tokens

    async def async_step_login(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Show the code and wait; move on by itself when BMW answers."""
        task = self._login_task
        if task is None or self._authorization is None:  # pragma: no cover
            return self.async_abort(reason="unknown")
        if not task.done():
            auth = self._authorization
            return self.async_show_progress(
                step_id="login",
                progress_action="wait_for_approval",
                description_placeholders={
                    "url": auth.verification_uri_complete or auth.verification_uri,
                    "code": auth.user_code,
                    "expires": dt_util.as_local(auth.expires_at).strftime("%H:%M"),
                },
                progress_task=task,
            )
        self._login_task = None
        result = task.result()
        if isinstance(result, str):
            self._login_error = result
            return self.async_show_progress_done(next_step_id="login_failed")
        self._tokens = result
        return self.async_show_progress_done(next_step_id="finish")

    async def async_step_login_failed(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Back to the form, saying what went wrong and what to do."""
        return await self._async_show_input_form({"base": self._login_error or ""})

    async def async_step_finish(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Create or update the entry of the account that logged in."""
        tokens = self._tokens
        if tokens is None:  # pragma: no cover - only reached after a login
            return self.async_abort(reason="unknown")
        await self.async_set_unique_id(tokens.gcid)
        data: dict[str, Any] = {
            CONF_CLIENT_ID: self._client_id,
            CONF_GCID: tokens.gcid,
            CONF_TOKENS: tokens.to_dict(),
            **self._endpoints.to_dict(),
        }
        if self.source == SOURCE_REAUTH:
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            return self.async_update_reload_and_abort(
                self._get_reauth_entry(), data_updates=data
            )
        if self.source == SOURCE_RECONFIGURE:
            self._abort_if_unique_id_mismatch(reason="wrong_account")
            return self.async_update_reload_and_abort(
                self._get_reconfigure_entry(), data_updates=data
            )
        self._abort_if_unique_id_configured()
        count = len(self._async_current_entries(include_ignore=False))
        title = DEFAULT_TITLE if count == 0 else f"{DEFAULT_TITLE} {count + 1}"
        return self.async_create_entry(title=title, data=data)

    @callback
    def async_remove(self) -> None:
        """Stop polling BMW when the user closes the dialog."""
        if self._login_task is not None and not self._login_task.done():
            self._login_task.cancel()
