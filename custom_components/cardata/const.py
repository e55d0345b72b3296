"""Constants of the BMW CarData integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "cardata"
LOGGER: Final = logging.getLogger(__package__)

# Config entry data keys.
CONF_CLIENT_ID: Final = "client_id"
CONF_AUTH_URL: Final = "auth_url"
CONF_API_URL: Final = "api_url"
CONF_STREAM_HOST: Final = "stream_host"
CONF_STREAM_PORT: Final = "stream_port"
CONF_STREAM_TLS: Final = "stream_tls"
CONF_STREAM_CA_FILE: Final = "stream_ca_file"
CONF_TOKENS: Final = "tokens"
CONF_GCID: Final = "gcid"
CONF_CONTAINER_ID: Final = "container_id"
# Set by the takeover of kvanbiesen/bmw-cardata-ha (upgrade/) until its
# one-time follow-up ran: the first start after the switch.
CONF_TAKEOVER_FOLLOWUP: Final = "takeover_followup"
# Also set by the takeover: its day (UTC date). That day the charging history
# is read one page per car (rest/extras.py).
CONF_TAKEOVER_SHORT_HISTORY: Final = "takeover_short_history"
# What the predicted charge level learned, per entry (prediction/; the
# takeover writes the other integration's learned values there once).
PREDICTION_STORAGE_KEY: Final = f"{DOMAIN}.prediction"
PREDICTION_STORAGE_VERSION: Final = 1
LEARNING_EFFICIENCY_BOUNDS: Final = (0.6, 1.1)
"""Bounds of a learned charging efficiency (the prediction's, and what the
takeover carries over from the other integration)."""
LEARNING_MAX_WEIGHT: Final = 6.0
"""Sessions' weight a learned value stops gaining at."""
# Reauth flow data only (never stored): why a new login is asked for, one of
# REAUTH_ASKED, REAUTH_STREAM_SCOPE; without it BMW refused the saved login.
CONF_REAUTH_REASON: Final = "reauth_reason"
REAUTH_ASKED: Final = "asked"
REAUTH_STREAM_SCOPE: Final = "stream_scope"

DEFAULT_TITLE: Final = "BMW CarData"

# Scopes the integration needs in the token answer.
REQUIRED_SCOPES: Final = ("cardata:api:read", "cardata:streaming:read")
# BMW's guide to creating a CarData client, linked from the first form.
PORTAL_GUIDE_URL: Final = (
    "https://bmw-cardata.bmwgroup.com/customer/public/api-documentation/"
    "Id-Technical-registration"
)
