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
        if session.latitude is None or session.longitude is None:
            return None
        if (state := self.hass.states.get(self.zone)) is None:
            return None
        attrs = state.attributes
        lat, lon = attrs.get(ATTR_LATITUDE), attrs.get(ATTR_LONGITUDE)
        if not isinstance(lat, int | float) or not isinstance(lon, int | float):
            return None
        radius = attrs.get(ATTR_RADIUS)
        radius = float(radius) if isinstance(radius, int | float) else 100.0
        return place_class(session, (lat, lon), radius)


def place_class(
    session: Session, zone: tuple[float, float], radius: float
) -> SessionClass | None:
    """Home when the session's place is inside the zone, else elsewhere."""
    if session.public:
        return SessionClass.ELSEWHERE
    if session.latitude is None or session.longitude is None:
        return None
    metres = distance(session.latitude, session.longitude, zone[0], zone[1])
    if metres is None:
        return None
    return SessionClass.HOME if metres <= radius + MARGIN_M else SessionClass.ELSEWHERE
