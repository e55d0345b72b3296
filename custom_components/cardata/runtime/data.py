"""Typed runtime data of a BMW CarData config entry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

from ..api import CarDataApi, Endpoints, OAuthClient

if TYPE_CHECKING:
    from ..auth.token_manager import TokenManager
    from ..data.coordinator import CarDataCoordinator
    from ..data.value_store import ValueStore
    from ..prediction.hub import PredictionHub
    from ..rest.quota import QuotaPlanner
    from ..stream.owner import StreamOwner
    from ..stream.sharing import StreamSharing
    from ..vehicles.gate import VinGate


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
