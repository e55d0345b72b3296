"""Option keys of the Configure menu and their typed reading.

The options of a config entry hold the owner's settings: polling thresholds,
the opt-in extras and an optional custom MQTT broker as the stream source.
Everything reads them through the helpers here so defaults live in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
import secrets
from typing import Any, Final

from ..api import StreamConfig, StreamTls
from .redact import vin_hash

DEFAULT_RESERVE = 10
DEFAULT_STREAM_SILENCE = timedelta(minutes=30)
DEFAULT_MAX_DATA_AGE = timedelta(hours=12)
DEFAULT_POLL_INTERVAL = timedelta(minutes=30)

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
OPT_BROKER_LAYOUT: Final = "broker_topic_layout"
OPT_SHARE_STREAM: Final = "share_stream"
OPT_SHARE_PREFIX: Final = "share_topic_prefix"
OPT_SHARE_DESCRIPTORS: Final = "share_descriptors"
OPT_TRIP_COORDINATES: Final = "trip_coordinates"
"""Keep the coordinates of where each trip started and ended (off by default)."""
OPT_LEDGER_ZONE: Final = "ledger_home_zone"
OPT_PRICE_HOME: Final = "ledger_price_home"
OPT_PRICE_ELSEWHERE: Final = "ledger_price_elsewhere"
OPT_PRICE_ENTITY: Final = "ledger_price_entity"
OPT_STATEMENT_ADDRESS: Final = "ledger_statement_address"
"""Print the address of home sessions in the monthly statement (off by default)."""
OPT_WALLBOX: Final = "wallbox_power"
"""Per vehicle (:func:`wallbox_key`), the power sensor of its wallbox."""
# Not offered in the Configure menu: see :class:`Timing`.
OPT_TIMING: Final = "timing"

DEFAULT_BROKER_PORT: Final = 8883
DEFAULT_END_POLLS: Final = 3
MAX_END_POLLS: Final = 10
DEFAULT_TOPIC_PREFIX: Final = "bmw/"

#: Daily REST calls of each extra per vehicle (the image is fetched once).
EXTRA_DAILY_COST: Final = {OPT_CHARGING_HISTORY: 1, OPT_TYRE_DIAGNOSIS: 1}
LEDGER_DAILY_COST: Final = 1
"""The energy ledger's own history read per vehicle a day (when the charging
history extra is off; with it on, the extra's read serves the ledger too)."""
CONTAINER_DAILY_COST: Final = 1
"""The daily container read of the fields BMW does not stream (every car)."""


def wallbox_key(vin: str) -> str:
    """A vehicle's key in :data:`OPT_WALLBOX` (a hash: no VIN in the options)."""
    return vin_hash(vin, 16)


def wallbox_entities(options: Mapping[str, Any]) -> dict[str, str]:
    """The wallbox power sensors the owner named, by :func:`wallbox_key`."""
    named = options.get(OPT_WALLBOX)
    if not isinstance(named, Mapping):
        return {}
    return {
        str(key): entity
        for key, entity in named.items()
        if isinstance(entity, str) and entity
    }


def _number(options: Mapping[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return default
    return float(value)


@dataclass(frozen=True, slots=True)
class PollSettings:
    """Thresholds of the scheduled polling (all configurable in the options).

    Attributes:
        stream_silence: a vehicle counts as silent when the stream has not
            brought anything from it for this long.
        max_data_age: with a connected stream, a silent vehicle is polled only
            once its data is older than this (a parked car is simply quiet).
        poll_interval: at most one scheduled poll per vehicle per interval;
            also the data age that triggers a poll while the stream is down.
        reserve: calls kept back for actions an owner starts by hand.
    """

    stream_silence: timedelta = DEFAULT_STREAM_SILENCE
    max_data_age: timedelta = DEFAULT_MAX_DATA_AGE
    poll_interval: timedelta = DEFAULT_POLL_INTERVAL
    reserve: int = DEFAULT_RESERVE


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


@dataclass(frozen=True, slots=True)
class Timing:
    """Token and stream delays in seconds; ``None`` keeps the part's default.

    Read from the option ``timing`` (a mapping of these names), which no form
    offers: the tests and the simulator compress BMW's hour-long token
    lifetimes into seconds with it, so the margins must shrink as well.
    """

    refresh_margin: float | None = None
    retry_min: float | None = None
    retry_max: float | None = None
    swap_margin: float | None = None
    backoff_min: float | None = None
    backoff_max: float | None = None
    request_timeout: float | None = None
    refresh_timeout: float | None = None


def timing_settings(options: Mapping[str, Any]) -> Timing:
    """Return the delays set in the ``timing`` option (none: the defaults)."""
    raw = options.get(OPT_TIMING)
    if not isinstance(raw, Mapping):
        return Timing()
    return Timing(
        **{
            name: float(value)
            for name in Timing.__dataclass_fields__
            if isinstance(value := raw.get(name), int | float)
            and not isinstance(value, bool)
            and value >= 0
        }
    )


def end_polls_per_day(options: Mapping[str, Any]) -> int:
    """Return the polls per vehicle a day after charges or trips that end silently."""
    return min(int(_number(options, OPT_END_POLLS, DEFAULT_END_POLLS)), MAX_END_POLLS)


def extra_enabled(options: Mapping[str, Any], key: str) -> bool:
    """Return whether an opt-in extra is switched on (all are off by default)."""
    return options.get(key) is True


def extras_per_day(options: Mapping[str, Any], vehicles: int) -> int:
    """Return the daily calls the enabled extras (and the daily reads) take."""
    per_vehicle = CONTAINER_DAILY_COST + sum(
        cost for key, cost in EXTRA_DAILY_COST.items() if extra_enabled(options, key)
    )
    if not extra_enabled(options, OPT_CHARGING_HISTORY):
        per_vehicle += LEDGER_DAILY_COST
    return per_vehicle * vehicles


class BrokerTls(StrEnum):
    """How the connection to a custom broker is secured."""

    VERIFY = "verify"
    """TLS, verified against the system's certificate authorities."""
    NO_VERIFY = "no_verify"
    """TLS without checking the certificate (a self-signed bridge)."""
    CUSTOM_CA = "custom_ca"
    """TLS, verified against the certificate authority in a PEM file."""
    NONE = "none"
    """Plain TCP, for a trusted local broker only."""


class TopicLayout(StrEnum):
    """How a custom broker names its topics."""

    BRIDGE = "bridge"
    """``<prefix><VIN>``, payload BMW's message: the bridges' layout, and the one
    kvanbiesen/bmw-cardata-ha used."""
    BMW = "bmw"
    """``<prefix><GCID>/<VIN>``: BMW's own layout, under an optional prefix."""


@dataclass(frozen=True, slots=True)
class CustomBroker:
    """A broker that republishes BMW's stream (a bridge), chosen by the owner.

    It is never BMW's own broker, so it never gets BMW's id token: it gets
    the credentials configured for it, or none at all.
    """

    host: str
    port: int
    tls: BrokerTls
    ca_file: str | None
    username: str | None = field(repr=False)
    password: str | None = field(repr=False)
    topic_prefix: str
    layout: TopicLayout = TopicLayout.BRIDGE

    def topic(self, gcid: str) -> str:
        """Return the subscription topic of this broker's layout."""
        if self.layout is TopicLayout.BMW:
            return f"{self.topic_prefix}{gcid}/+"
        return f"{self.topic_prefix}+"

    def stream_config(self, gcid: str) -> StreamConfig:
        """Return the stream configuration that reads from this broker.

        The MQTT client id is random: the account id is BMW's business only.
        Without a configured user name the connection is anonymous.
        """
        stream_tls = {
            BrokerTls.NONE: StreamTls.NONE,
            BrokerTls.CUSTOM_CA: StreamTls.CUSTOM_CA,
        }.get(self.tls, StreamTls.VERIFY)
        return StreamConfig(
            host=self.host,
            port=self.port,
            tls=stream_tls,
            ca_file=self.ca_file,
            username=self.username or "",
            topic=self.topic(gcid),
            password=self.password or "",
            client_id=f"cardata-{secrets.token_hex(6)}",
        )


def custom_broker(options: Mapping[str, Any]) -> CustomBroker | None:
    """Return the custom broker chosen in the options, or ``None`` for BMW's."""
    host = options.get(OPT_BROKER_HOST)
    if options.get(OPT_BROKER_ENABLED) is not True or not isinstance(host, str):
        return None
    if not host.strip():
        return None
    try:
        tls = BrokerTls(options.get(OPT_BROKER_TLS, BrokerTls.VERIFY))
    except ValueError:
        tls = BrokerTls.VERIFY
    try:
        layout = TopicLayout(options.get(OPT_BROKER_LAYOUT, TopicLayout.BRIDGE))
    except ValueError:
        layout = TopicLayout.BRIDGE
    return CustomBroker(
        host=host.strip(),
        port=int(_number(options, OPT_BROKER_PORT, DEFAULT_BROKER_PORT)),
        tls=tls,
        ca_file=options.get(OPT_BROKER_CA_FILE) or None,
        username=options.get(OPT_BROKER_USERNAME) or None,
        password=options.get(OPT_BROKER_PASSWORD) or None,
        topic_prefix=topic_prefix(options.get(OPT_BROKER_TOPIC_PREFIX)),
        layout=layout,
    )


def topic_prefix(raw: Any, default: str = "") -> str:
    """Return a topic prefix that ends in ``/`` (or is empty); no wildcards."""
    prefix = str(raw).strip() if isinstance(raw, str) else default
    prefix = prefix.replace("+", "").replace("#", "").lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix = f"{prefix}/"
    return prefix


@dataclass(frozen=True, slots=True)
class Sharing:
    """Republishing the stream on Home Assistant's MQTT broker."""

    prefix: str
    per_descriptor: bool


def sharing_settings(options: Mapping[str, Any]) -> Sharing | None:
    """Return the sharing chosen in the options; None when off.

    An entry that reads from a custom broker never republishes: that broker
    already carries the stream, and echoing it would loop.
    """
    if options.get(OPT_SHARE_STREAM) is not True or custom_broker(options):
        return None
    return Sharing(
        prefix=topic_prefix(options.get(OPT_SHARE_PREFIX), DEFAULT_TOPIC_PREFIX)
        or DEFAULT_TOPIC_PREFIX,
        per_descriptor=options.get(OPT_SHARE_DESCRIPTORS) is True,
    )
