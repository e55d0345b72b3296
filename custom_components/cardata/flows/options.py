"""The Configure menu of a BMW CarData entry.

Items: log in again; refresh tokens now (no API call); settings (polling
thresholds, stream silence, opt-in extras, a custom MQTT broker as the stream
source); stream security (TLS mode and CA file of BMW's stream, no new
login); energy (the home zone and prices of the charging ledger, addresses in
its monthly statement); wallbox (per car, the power sensor that feeds its
charge estimate at home, :mod:`.wallbox`); reset the
telematic container (2 to 3 calls); fetch now (mappings,
basic data, telematic data) showing what came back. Items that cost API calls
say so and are refused when the calls do not fit the day's budget.
"""

from __future__ import annotations

from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import Any

from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT
from homeassistant.data_entry_flow import section
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.util import dt as dt_util

from ..api import (
    ApiError,
    CarDataConnectionError,
    CarDataError,
    ContainerDeletedError,
    InvalidGrantError,
)
from ..common.display import local_time
from ..common.schema import number_box, vol
from ..common.settings import (
    MAX_END_POLLS,
    OPT_BROKER_CA_FILE,
    OPT_BROKER_ENABLED,
    OPT_BROKER_HOST,
    OPT_BROKER_TLS,
    OPT_CHARGING_HISTORY,
    OPT_END_POLLS,
    OPT_LEDGER_ZONE,
    OPT_MAX_DATA_AGE,
    OPT_POLL_INTERVAL,
    OPT_PRICE_ELSEWHERE,
    OPT_PRICE_ENTITY,
    OPT_PRICE_HOME,
    OPT_RESERVE,
    OPT_SHARE_STREAM,
    OPT_STATEMENT_ADDRESS,
    OPT_STREAM_SILENCE,
    OPT_TRIP_COORDINATES,
    OPT_TYRE_DIAGNOSIS,
    OPT_VEHICLE_IMAGE,
    BrokerTls,
    end_polls_per_day,
    poll_settings,
)
from ..const import CONF_CONTAINER_ID, CONF_REAUTH_REASON, REAUTH_ASKED
from ..ledger.tariff import money_factor
from ..rest.bootstrap import (
    async_ensure_container,
    async_fetch_telematic,
    device_fields,
    forget_container,
    no_basic_data,
)
from ..rest.quota import QuotaSpentError
from ..rest.quota_policy import CallKind
from ..runtime.data import CarDataConfigEntry
from .answers import (
    SHOWN_VALUES,
    async_shown_values,
    basic_lines,
    car_name,
    describe_error,
    mapping_lines,
    telematic_lines,
)
from .broker_form import (
    BROKER,
    SHARING,
    broker_schema,
    in_force,
    merge_settings,
    sharing_schema,
)
from .stream_security import (
    async_check as async_check_security,
    async_save as async_save_security,
    placeholders as security_placeholders,
    security_schema,
)
from .wallbox import WallboxSteps

ITEMS = "items"
FETCH_ITEMS = ["mappings", "basic_data", "telematic_data"]


def _settings_schema(options: dict[str, Any]) -> vol.Schema:
    current = poll_settings(options)
    return vol.Schema(
        {
            vol.Required(
                OPT_POLL_INTERVAL,
                default=round(current.poll_interval.total_seconds() / 60),
            ): number_box(15, 1440, 5, "min"),
            vol.Required(
                OPT_MAX_DATA_AGE,
                default=round(current.max_data_age.total_seconds() / 3600),
            ): number_box(1, 72, 1, "h"),
            vol.Required(
                OPT_STREAM_SILENCE,
                default=round(current.stream_silence.total_seconds() / 60),
            ): number_box(5, 720, 5, "min"),
            vol.Required(OPT_RESERVE, default=current.reserve): number_box(
                0, 40, 1, ""
            ),
            vol.Required(OPT_END_POLLS, default=end_polls_per_day(options)): number_box(
                0, MAX_END_POLLS, 1, ""
            ),
            vol.Required(
                OPT_VEHICLE_IMAGE, default=options.get(OPT_VEHICLE_IMAGE, False)
            ): BooleanSelector(),
            vol.Required(
                OPT_CHARGING_HISTORY, default=options.get(OPT_CHARGING_HISTORY, False)
            ): BooleanSelector(),
            vol.Required(
                OPT_TYRE_DIAGNOSIS, default=options.get(OPT_TYRE_DIAGNOSIS, False)
            ): BooleanSelector(),
            vol.Required(
                OPT_TRIP_COORDINATES, default=options.get(OPT_TRIP_COORDINATES, False)
            ): BooleanSelector(),
            vol.Required(BROKER): section(
                broker_schema(options),
                {"collapsed": not options.get(OPT_BROKER_ENABLED)},
            ),
            vol.Optional(SHARING, default={}): section(
                sharing_schema(options),
                {"collapsed": not options.get(OPT_SHARE_STREAM)},
            ),
        }
    )


class CarDataOptionsFlow(WallboxSteps, OptionsFlowWithReload):
    """Menu of actions and settings for one account."""

    def _loaded(self) -> CarDataConfigEntry | None:
        entry = self.config_entry
        return entry if entry.state is ConfigEntryState.LOADED else None

    def _calls_left(self) -> str:
        entry = self._loaded()
        return str(entry.runtime_data.quota.remaining(CallKind.USER)) if entry else "-"

    async def async_step_init(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Show the menu."""
        return self.async_show_menu(
            step_id="init",
            menu_options=[
                "reauth",
                "refresh_tokens",
                "settings",
                "stream_security",
                "energy",
                "wallbox",
                "reset_container",
                "fetch_now",
            ],
            description_placeholders={"calls_left": self._calls_left()},
        )

    async def async_step_reauth(
        self,
        user_input: dict[str, Any] | None = None,  # noqa: ARG002
    ) -> ConfigFlowResult:
        """Open the one "Log in again" dialog (nothing happens until its button)."""
        self.config_entry.async_start_reauth(
            self.hass, data={CONF_REAUTH_REASON: REAUTH_ASKED}
        )
        return self.async_abort(reason="reauth_started")

    async def async_step_refresh_tokens(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Get new tokens now and reconnect the stream with them (no API call)."""
        if (entry := self._loaded()) is None:
            return self.async_abort(reason="not_loaded")
        runtime = entry.runtime_data
        if user_input is None:
            return self.async_show_form(
                step_id="refresh_tokens",
                description_placeholders={
                    "expires_at": local_time(runtime.tokens.expires_at)
                },
            )
        try:
            tokens = await runtime.tokens.async_force_refresh()
        except ConfigEntryAuthFailed, InvalidGrantError:
            return self.async_abort(reason="token_refresh_login_expired")
        except CarDataConnectionError:
            return self.async_abort(reason="token_refresh_unreachable")
        except CarDataError as err:
            return self.async_abort(
                reason="token_refresh_failed",
                description_placeholders={"error": describe_error(err)},
            )
        runtime.stream.async_request_reconnect()
        return self.async_abort(
            reason="tokens_refreshed",
            description_placeholders={"expires_at": local_time(tokens.expires_at)},
        )

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Edit polling thresholds, extras and the custom broker (reloads)."""
        options = dict(self.config_entry.options)
        errors: dict[str, str] = {}
        if user_input is not None:
            merged = merge_settings(options, user_input)
            errors = await self._check_broker(merged)
            if not errors:
                return self.async_create_entry(data=merged)
            options = {**merged, **(user_input.get(BROKER) or {})}
        return self.async_show_form(
            step_id="settings",
            data_schema=_settings_schema(options),
            errors=errors,
            description_placeholders={
                "in_force": in_force(self.config_entry.data, self.config_entry.options)
            },
        )

    async def async_step_energy(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Home zone, prices, statement addresses (reloads); cleared goes.

        A price entity whose unit is not the currency per energy unit is
        refused (one without a state yet is taken: it may come later).
        """
        options = dict(self.config_entry.options)
        currency = self.hass.config.currency
        errors: dict[str, str] = {}
        unit = ""
        if user_input is not None:
            entity = user_input.get(OPT_PRICE_ENTITY)
            state = self.hass.states.get(entity) if entity else None
            unit = state.attributes.get(ATTR_UNIT_OF_MEASUREMENT, "") if state else ""
            for key in ENERGY_OPTIONS:
                options.pop(key, None)
            options.update(
                {k: v for k, v in user_input.items() if v is not None and v != ""}
            )
            if state is None or money_factor(unit, currency) is not None:
                return self.async_create_entry(data=options)
            errors[OPT_PRICE_ENTITY] = "price_unit"
        return self.async_show_form(
            step_id="energy",
            data_schema=_energy_schema(options),
            errors=errors,
            description_placeholders={"currency": currency, "unit": str(unit or "-")},
        )

    async def async_step_stream_security(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """TLS mode and CA file of BMW's stream; saving reconnects (no new login)."""
        entry = self.config_entry
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await async_check_security(self.hass, user_input)
            if not errors:
                async_save_security(self.hass, entry, user_input)
                return self.async_abort(reason="stream_security_saved")
        return self.async_show_form(
            step_id="stream_security",
            data_schema=security_schema(user_input or entry.data),
            errors=errors,
            description_placeholders=security_placeholders(entry),
        )

    async def _check_broker(self, options: dict[str, Any]) -> dict[str, str]:
        if not options.get(OPT_BROKER_ENABLED):
            return {}
        if not str(options.get(OPT_BROKER_HOST) or "").strip():
            return {BROKER: "broker_host_missing"}
        if options.get(OPT_BROKER_TLS) == BrokerTls.CUSTOM_CA.value:
            path = str(options.get(OPT_BROKER_CA_FILE) or "")
            exists = await self.hass.async_add_executor_job(_is_file, path)
            if not exists:
                return {BROKER: "ca_file_missing"}
        return {}

    async def async_step_reset_container(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Delete the integration's container and create a new one."""
        if (entry := self._loaded()) is None:
            return self.async_abort(reason="not_loaded")
        if user_input is None:
            return self.async_show_form(
                step_id="reset_container",
                description_placeholders={"calls_left": self._calls_left()},
            )
        planner, api = entry.runtime_data.quota, entry.runtime_data.api
        before = planner.used()
        try:
            if old := entry.data.get(CONF_CONTAINER_ID):
                with suppress(ContainerDeletedError):  # already marked: fine
                    await planner.async_call(
                        CallKind.USER, partial(api.delete_container, str(old))
                    )
                forget_container(entry.runtime_data.rest)
            created = await async_ensure_container(
                entry.runtime_data.rest, CallKind.USER
            )
        except (QuotaSpentError, CarDataConnectionError, ApiError) as err:
            return self._failed(err)
        if created is None:
            return self.async_abort(
                reason="api_error", description_placeholders={"error": "CU-124"}
            )
        return self.async_abort(
            reason="container_reset",
            description_placeholders={"calls": str(planner.used() - before)},
        )

    def _failed(
        self, err: QuotaSpentError | CarDataConnectionError | ApiError
    ) -> ConfigFlowResult:
        """Say why BMW was not asked, could not be reached or refused."""
        if isinstance(err, QuotaSpentError):
            return self._spent(err)
        if isinstance(err, CarDataConnectionError):
            return self.async_abort(reason="api_unreachable")
        return self.async_abort(
            reason="api_error", description_placeholders={"error": describe_error(err)}
        )

    def _spent(self, err: QuotaSpentError) -> ConfigFlowResult:
        if err.until is None:
            return self.async_abort(reason="quota_spent_unknown")
        return self.async_abort(
            reason="quota_spent",
            description_placeholders={"until": local_time(err.until, round_up=True)},
        )

    async def async_step_fetch_now(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask BMW now and show what came back."""
        if (entry := self._loaded()) is None:
            return self.async_abort(reason="not_loaded")
        schema = vol.Schema(
            {
                vol.Required(ITEMS, default=["telematic_data"]): SelectSelector(
                    SelectSelectorConfig(
                        options=FETCH_ITEMS,
                        multiple=True,
                        translation_key="fetch_items",
                        mode=SelectSelectorMode.LIST,
                    )
                )
            }
        )
        placeholders = {"calls_left": self._calls_left()}
        if user_input is None or not user_input.get(ITEMS):
            errors = {ITEMS: "nothing_selected"} if user_input is not None else None
            return self.async_show_form(
                step_id="fetch_now",
                data_schema=schema,
                errors=errors,
                description_placeholders=placeholders,
            )
        try:
            lines = await self._fetch(entry, list(user_input[ITEMS]))
        except (QuotaSpentError, CarDataConnectionError, ApiError) as err:
            return self._failed(err)
        return self.async_abort(
            reason="fetch_done",
            description_placeholders={
                "result": "\n".join(lines),
                "shown": str(SHOWN_VALUES),
            },
        )

    async def _fetch(self, entry: CarDataConfigEntry, items: list[str]) -> list[str]:
        """Fetch the chosen items; return one line per answer."""
        runtime = entry.runtime_data
        planner, api, coordinator = runtime.quota, runtime.api, runtime.coordinator
        vins = [v for v in coordinator.vehicles if len(v) == 17]  # noqa: PLR2004
        needed = ("mappings" in items) + len(vins) * (
            ("basic_data" in items) + ("telematic_data" in items)
        )
        if planner.remaining(CallKind.USER) < needed:
            raise QuotaSpentError(
                planner.policy.next_slot_at(dt_util.utcnow()), blocked=False
            )
        lines: list[str] = []
        if "mappings" in items:
            mappings = await planner.async_call(CallKind.USER, api.get_mappings)
            await runtime.poller.sync.async_mappings_read(mappings, CallKind.USER)
            lines.extend(mapping_lines(self.hass, entry.entry_id, mappings))
        for vin in vins:
            car = car_name(self.hass, entry.entry_id, vin)
            if "basic_data" in items:
                try:
                    basic = await planner.async_call(
                        CallKind.USER, partial(api.get_basic_data, vin)
                    )
                except ApiError as err:
                    if not no_basic_data(err):
                        raise
                    # BMW has none of this car: its answer, and on to the next.
                    lines.append(f"**{car}** · basicData: {describe_error(err)}")
                else:
                    coordinator.set_device_info(vin, **device_fields(basic))
                    lines.extend(
                        basic_lines(car_name(self.hass, entry.entry_id, vin), basic)
                    )
            if "telematic_data" in items:
                values = await async_fetch_telematic(runtime.rest, vin, CallKind.USER)
                values = values or {}
                shown = await async_shown_values(self.hass, vin, values)
                lines.extend(telematic_lines(car, values, shown))
        return lines or ["-"]


ENERGY_OPTIONS = (
    OPT_LEDGER_ZONE,
    OPT_PRICE_HOME,
    OPT_PRICE_ENTITY,
    OPT_PRICE_ELSEWHERE,
    OPT_STATEMENT_ADDRESS,
)


def _energy_schema(options: dict[str, Any]) -> vol.Schema:
    def field(key: str) -> vol.Optional:
        return vol.Optional(key, description={"suggested_value": options.get(key)})

    return vol.Schema(
        {
            field(OPT_LEDGER_ZONE): EntitySelector(EntitySelectorConfig(domain="zone")),
            field(OPT_PRICE_HOME): number_box(0, 100, 0.001),
            field(OPT_PRICE_ENTITY): EntitySelector(
                EntitySelectorConfig(domain="sensor")
            ),
            field(OPT_PRICE_ELSEWHERE): number_box(0, 100, 0.001),
            vol.Optional(
                OPT_STATEMENT_ADDRESS,
                default=options.get(OPT_STATEMENT_ADDRESS) is True,
            ): BooleanSelector(),
        }
    )


def _is_file(path: str) -> bool:
    return bool(path) and Path(path).is_file()
