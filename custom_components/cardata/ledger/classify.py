"""Home or elsewhere: where a session charged, for the owner's account.

A session BMW matched to a public charging point is elsewhere. Otherwise its
place (the car's position when charging started, or BMW's map-matched place)
decides: inside the zone the owner picked (Home Assistant's home zone unless
another is chosen), with the zone's radius and the place's own uncertainty
of :data:`MARGIN_M`, is home; outside is elsewhere. A session without a place
stays unclassed until BMW's history gives one. The owner's correction beats
this rule (:attr:`.model.Session.owner_class`).
"""

from __future__ import annotations

from typing import Final

from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE
from homeassistant.core import HomeAssistant
from homeassistant.util.location import distance

from .model import Session, SessionClass

HOME_ZONE: Final = "zone.home"
ATTR_RADIUS: Final = "radius"
"""The zone attribute of its radius in metres."""
MARGIN_M: Final = 50.0
"""A parked car's position (or BMW's map matching) may be off by this much."""


class Classifier:
    """Classes sessions by one zone (see the module docstring)."""

    def __init__(self, hass: HomeAssistant, zone: str | None = None) -> None:
        """Use ``zone`` (an entity id), else Home Assistant's home zone."""
        self.hass = hass
        self.zone = zone or HOME_ZONE

    def classify(self, session: Session) -> SessionClass | None:
        """The rule's class of a session; None when it has no place."""
        if session.public:
            return SessionClass.ELSEWHERE
        if (zone := self._zone()) is None:
            return None
        return place_class(session, *zone)

    def home(self, latitude: float | None, longitude: float | None) -> bool | None:
        """Whether a position is home by the same rule; None when unknown.

        The wallbox's power feeds a car's estimate only at home
        (:mod:`..wallbox`).
        """
        if latitude is None or longitude is None or (zone := self._zone()) is None:
            return None
        return _inside(latitude, longitude, *zone)

    def _zone(self) -> tuple[tuple[float, float], float] | None:
        """The zone's centre and radius; None while it has no position."""
        if (state := self.hass.states.get(self.zone)) is None:
            return None
        attrs = state.attributes
        lat, lon = attrs.get(ATTR_LATITUDE), attrs.get(ATTR_LONGITUDE)
        if not isinstance(lat, int | float) or not isinstance(lon, int | float):
            return None
        radius = attrs.get(ATTR_RADIUS)
        radius = float(radius) if isinstance(radius, int | float) else 100.0
        return (lat, lon), radius


def _inside(
    latitude: float, longitude: float, zone: tuple[float, float], radius: float
) -> bool | None:
    """Whether a position is inside the zone, with :data:`MARGIN_M`."""
    metres = distance(latitude, longitude, zone[0], zone[1])
    if metres is None:
        return None
    return metres <= radius + MARGIN_M


def place_class(
    session: Session, zone: tuple[float, float], radius: float
) -> SessionClass | None:
    """Home when the session's place is inside the zone, else elsewhere."""
    if session.public:
        return SessionClass.ELSEWHERE
    if session.latitude is None or session.longitude is None:
        return None
    inside = _inside(session.latitude, session.longitude, zone, radius)
    if inside is None:
        return None
    return SessionClass.HOME if inside else SessionClass.ELSEWHERE
