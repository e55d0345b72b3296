"""Typed runtime data of a BMW CarData config entry."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry

from ..activity.transitions import ActivityHub
from ..api import CarDataApi, Endpoints, OAuthClient
from ..auth.token_manager import TokenManager
from ..coverage.hub import CoverageHub
from ..data.coordinator import CarDataCoordinator
from ..data.value_store import ValueStore
from ..ledger.hub import EnergyLedger
from ..prediction.hub import PredictionHub
from ..rest.bootstrap import RestContext
from ..rest.extras import ExtrasHub
from ..rest.quota import QuotaPlanner
from ..stream.owner import StreamOwner
from ..stream.sharing import StreamSharing
from ..trips.hub import TripHub
from ..vehicles.gate import VinGate
from ..vehicles.polling import Poller


@dataclass(frozen=True, slots=True, kw_only=True)
class CarDataRuntimeData:
    """Everything a loaded entry owns; lives in ``entry.runtime_data``.

    Built in one place (:func:`.setup.async_build`); every part is there from
    the start. ``sharing`` is ``None`` when the owner has not turned sharing on.
    """

    client_id: str
    endpoints: Endpoints
    oauth: OAuthClient
    tokens: TokenManager
    api: CarDataApi
    quota: QuotaPlanner
    coordinator: CarDataCoordinator
    rest: RestContext
    vin_gate: VinGate
    value_store: ValueStore
    stream: StreamOwner
    poller: Poller
    prediction: PredictionHub
    activity: ActivityHub
    trips: TripHub
    ledger: EnergyLedger
    extras: ExtrasHub
    coverage: CoverageHub
    sharing: StreamSharing | None


type CarDataConfigEntry = ConfigEntry[CarDataRuntimeData]
