"""Option keys of the Configure menu and their typed reading.

The options of a config entry hold the owner's settings: polling thresholds,
the opt-in extras and an optional custom MQTT broker as the stream source.
Everything reads them through the helpers here so defaults live in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from .api import StreamConfig, StreamTls
from .quota_policy import (
    DEFAULT_MAX_DATA_AGE,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_RESERVE,
    DEFAULT_STREAM_SILENCE,
    PollSettings,
)

OPT_POLL_INTERVAL: Final = "poll_interval_minutes"
OPT_MAX_DATA_AGE: Final = "max_data_age_hours"
OPT_STREAM_SILENCE: Final = "stream_silence_minutes"
OPT_RESERVE: Final = "reserve_calls"
OPT_VEHICLE_IMAGE: Final = "extra_vehicle_image"
OPT_CHARGING_HISTORY: Final = "extra_charging_history"
OPT_TYRE_DIAGNOSIS: Final = "extra_tyre_diagnosis"
OPT_END_POLLS: Final = "end_polls_per_day"
OPT_BROKER_ENABLED: Final = "broker_enabled"
OPT_BROKER_HOST: Final = "broker_host"
OPT_BROKER_PORT: Final = "broker_port"
OPT_BROKER_TLS: Final = "broker_tls"
OPT_BROKER_CA_FILE: Final = "broker_ca_file"
OPT_BROKER_USERNAME: Final = "broker_username"
OPT_BROKER_PASSWORD: Final = "broker_password"  # noqa: S105 - an option key
OPT_BROKER_TOPIC_PREFIX: Final = "broker_topic_prefix"

DEFAULT_BROKER_PORT: Final = 8883
DEFAULT_END_POLLS: Final = 3
MAX_END_POLLS: Final = 10

#: Daily REST calls of each extra per vehicle (the image is fetched once).
EXTRA_DAILY_COST: Final = {OPT_CHARGING_HISTORY: 1, OPT_TYRE_DIAGNOSIS: 1}


def _number(options: Mapping[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return default
    return float(value)


def poll_settings(options: Mapping[str, Any]) -> PollSettings:
    """Return the polling thresholds chosen in the options."""
    return PollSettings(
        stream_silence=timedelta(
            minutes=_number(
                options,
                OPT_STREAM_SILENCE,
                DEFAULT_STREAM_SILENCE.total_seconds() / 60,
            )
        ),
        max_data_age=timedelta(
            hours=_number(
                options, OPT_MAX_DATA_AGE, DEFAULT_MAX_DATA_AGE.total_seconds() / 3600
            )
        ),
        poll_interval=timedelta(
            minutes=_number(
                options, OPT_POLL_INTERVAL, DEFAULT_POLL_INTERVAL.total_seconds() / 60
            )
        ),
        reserve=int(_number(options, OPT_RESERVE, DEFAULT_RESERVE)),
    )


def end_polls_per_day(options: Mapping[str, Any]) -> int:
    """Return the polls per vehicle a day after charges or trips that end silently."""
    return min(int(_number(options, OPT_END_POLLS, DEFAULT_END_POLLS)), MAX_END_POLLS)


def extra_enabled(options: Mapping[str, Any], key: str) -> bool:
    """Return whether an opt-in extra is switched on (all are off by default)."""
    return options.get(key) is True


def extras_per_day(options: Mapping[str, Any], vehicles: int) -> int:
    """Return the daily calls the enabled extras take for ``vehicles`` cars."""
    per_vehicle = sum(
        cost for key, cost in EXTRA_DAILY_COST.items() if extra_enabled(options, key)
    )
    return per_vehicle * vehicles


@dataclass(frozen=True, slots=True)
class CustomBroker:
    """A broker that republishes BMW's stream (a bridge), chosen by the owner."""

    host: str
    port: int
    tls: StreamTls
    ca_file: str | None
    username: str | None
    password: str | None
    topic_prefix: str

    def stream_config(self, gcid: str) -> StreamConfig:
        """Return the stream configuration that reads from this broker.

        The topic is ``<prefix><GCID>/+``; with no credentials the GCID and
        the id token are used, as with BMW's own broker.
        """
        return StreamConfig(
            host=self.host,
            port=self.port,
            tls=self.tls,
            ca_file=self.ca_file,
            username=self.username or gcid,
            topic=f"{self.topic_prefix}{gcid}/+",
            password=self.password,
        )


def custom_broker(options: Mapping[str, Any]) -> CustomBroker | None:
    """Return the custom broker chosen in the options, or ``None`` for BMW's."""
    host = options.get(OPT_BROKER_HOST)
    if options.get(OPT_BROKER_ENABLED) is not True or not isinstance(host, str):
        return None
    if not host.strip():
        return None
    try:
        tls = StreamTls(options.get(OPT_BROKER_TLS, StreamTls.VERIFY))
    except ValueError:
        tls = StreamTls.VERIFY
    prefix = options.get(OPT_BROKER_TOPIC_PREFIX) or ""
    if prefix and not str(prefix).endswith("/"):
        prefix = f"{prefix}/"
    return CustomBroker(
        host=host.strip(),
        port=int(_number(options, OPT_BROKER_PORT, DEFAULT_BROKER_PORT)),
        tls=tls,
        ca_file=options.get(OPT_BROKER_CA_FILE) or None,
        username=options.get(OPT_BROKER_USERNAME) or None,
        password=options.get(OPT_BROKER_PASSWORD) or None,
        topic_prefix=str(prefix),
    )
