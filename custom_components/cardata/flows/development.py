"""Development mode: where a new login goes when it is not BMW.

Owners never see or set this. The login form asks only for the client id and
logs in at BMW's addresses (:class:`..api.endpoints.Endpoints` defaults). A
developer running the local simulator loads a separate companion integration
(``cardata_dev``, kept with the tests, never shipped with this one) which puts
a :class:`DevelopmentLogin` into ``hass.data`` at start; the config flow then
logs in there instead. Nothing here knows where the simulator lives.
"""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.core import HomeAssistant
from homeassistant.util.hass_dict import HassKey

from ..api.endpoints import Endpoints
from ..const import DOMAIN


@dataclass(frozen=True, slots=True)
class DevelopmentLogin:
    """Addresses (and a client id to offer) for logins during development."""

    endpoints: Endpoints
    client_id: str = ""


DEVELOPMENT_LOGIN: HassKey[DevelopmentLogin] = HassKey(f"{DOMAIN}_development_login")


def development_login(hass: HomeAssistant) -> DevelopmentLogin | None:
    """The development login a companion set up, or None (always for owners)."""
    return hass.data.get(DEVELOPMENT_LOGIN)
