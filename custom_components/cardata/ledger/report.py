"""Sessions as the owner reads them: the service's answer (pure)."""

from __future__ import annotations

from typing import Any

from .model import Session
from .price import Pricing


def session_row(session: Session, pricing: Pricing, currency: str) -> dict[str, Any]:
    """One session for a service response (no place: the owner knows it)."""
    duration = session.duration_s
    cls = session.session_class
    return {
        "start": session.start.isoformat(),
        "end": session.end.isoformat() if session.end else None,
        "duration_minutes": round(duration / 60) if duration is not None else None,
        "class": cls.value if cls is not None else None,
        "corrected": session.owner_class is not None,
        "energy_kwh": session.energy_kwh,
        "confirmed": session.confirmed,
        "cost": pricing.cost(session),
        "currency": currency,
        "start_level": session.start_level,
        "end_level": session.end_level,
    }


def summary(sessions: list[Session], pricing: Pricing) -> dict[str, Any]:
    """Totals of a period: kWh (total, home, elsewhere) and cost."""
    kwh = {"total": 0.0, "home": 0.0, "elsewhere": 0.0}
    cost: float | None = None
    for session in sessions:
        energy = session.energy_kwh or 0.0
        kwh["total"] += energy
        if (cls := session.session_class) is not None:
            kwh[cls.value] += energy
        if (one := pricing.cost(session)) is not None:
            cost = (cost or 0.0) + one
    return {
        "energy_kwh": {k: round(v, 3) for k, v in kwh.items()},
        "cost": round(cost, 2) if cost is not None else None,
    }
