"""Typed runtime data of a BMW CarData config entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from .api import CarDataApi, Endpoints, OAuthClient

if TYPE_CHECKING:
    from .coordinator import CarDataCoordinator
    from .prediction.hub import PredictionHub
    from .quota import QuotaPlanner
    from .sharing import StreamSharing
    from .stream_owner import StreamOwner
    from .token_manager import TokenManager
    from .value_store import ValueStore
    from .vin_gate import VinGate


@dataclass
class CarDataRuntimeData:
    """Everything a loaded entry owns; lives in ``entry.runtime_data``."""

    client_id: str
    endpoints: Endpoints
    oauth: OAuthClient
    tokens: TokenManager
    api: CarDataApi
    stream: StreamOwner
    coordinator: CarDataCoordinator
    quota: QuotaPlanner | None = None
    prediction: PredictionHub | None = None
    sharing: StreamSharing | None = None
    vin_gate: VinGate | None = None
    value_store: ValueStore | None = None


type CarDataConfigEntry = ConfigEntry[CarDataRuntimeData]
