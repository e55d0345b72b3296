"""Building, starting and stopping what a config entry owns.

Order: tokens and their refresher (the newer of the entry's and the token
file's; a due refresh runs in the
background, so a slow login service never holds up Home Assistant's start,
and a restart costs no REST call) -> REST client and quota planner ->
coordinator, VIN gate and restored values -> stream, poller, prediction,
activity (charging and plug transitions), extras, the ledger, a named
wallbox's feed of the prediction and sharing (built, not yet started); the
ledger's and the container's daily reads start their timers (the first
check half an hour later). After the platforms are set up from the restored
state, :func:`async_start` starts the stream as an entry-owned background
task waiting for the token, the REST side and the prediction. :func:`async_stop`
stops the stream and the refresher before the unload returns.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ..activity.transitions import ActivityHub
from ..api import CarDataApi, Endpoints, OAuthClient
from ..auth.token_manager import TokenManager
from ..common.settings import (
    OPT_LEDGER_ZONE,
    OPT_STATEMENT_ADDRESS,
    poll_settings,
    sharing_settings,
    timing_settings,
    wallbox_entities,
)
from ..const import CONF_CLIENT_ID
from ..coverage.hub import CoverageHub
from ..data.coordinator import CarDataCoordinator
from ..data.value_store import ValueStore
from ..ledger.classify import Classifier
from ..ledger.hub import EnergyLedger
from ..ledger.price import Pricing
from ..ledger.view import async_serve_statement
from ..prediction.hub import PredictionHub
from ..rest.bootstrap import RestContext
from ..rest.container_read import DailyContainerRead
from ..rest.extras import ExtrasHub
from ..rest.quota import QuotaPlanner
from ..stream.owner import StreamOwner
from ..stream.sharing import StreamSharing
from ..trips.hub import TripHub
from ..vehicles.gate import VinGate
from ..vehicles.polling import Poller, async_start_rest
from ..wallbox.hub import WallboxHub
from .data import CarDataConfigEntry, CarDataRuntimeData


async def async_build(
    hass: HomeAssistant, entry: CarDataConfigEntry
) -> CarDataRuntimeData:
    """Build every part of a loaded entry (see the module docstring)."""
    endpoints = Endpoints.from_dict(entry.data)
    session = async_get_clientsession(hass)
    timing = timing_settings(entry.options)
    oauth = OAuthClient(
        session,
        endpoints,
        request_timeout=timing.request_timeout,
        refresh_timeout=timing.refresh_timeout,
    )
    tokens = TokenManager(
        hass,
        entry,
        oauth,
        session,
        endpoints.api_url,
        refresh_margin=timing.refresh_margin,
        retry_min=timing.retry_min,
        retry_max=timing.retry_max,
    )
    # The newer of the entry's and the token file's tokens, saved.
    await tokens.async_load()
    tokens.async_setup()
    # The refresher first: a due refresh starts now; the platforms set up
    # from the restored state while it runs; the stream and the REST calls
    # wait for its token. A refused refresh starts one reauth from there.
    tokens.async_start()

    quota = QuotaPlanner(hass, tokens.gcid, poll_settings(entry.options))
    await quota.async_load()
    api = CarDataApi(tokens, on_call=quota.record_call)
    coordinator = CarDataCoordinator(hass, entry, tokens)
    rest = RestContext(hass, entry, api, quota, coordinator)
    # Before the platforms: phantom vehicles go, the last values come back.
    gate = VinGate(hass, entry, coordinator, api, quota)
    await gate.async_load()
    entry.async_on_unload(gate.async_flush)
    values = ValueStore(hass, entry.entry_id, coordinator)
    await values.async_restore()
    values.async_follow()
    entry.async_on_unload(values.async_flush)
    stream = StreamOwner(
        hass,
        entry,
        endpoints,
        tokens,
        coordinator,
        swap_margin=timing.swap_margin,
        backoff_min=timing.backoff_min,
        backoff_max=timing.backoff_max,
    )
    stream.on_message = gate.async_route
    prediction = PredictionHub(rest)
    await prediction.async_load()
    # It follows the coordinator before the platforms are set up, so its
    # entities find the electrified vehicles.
    prediction.async_start()
    # After the restore: the restored values set each car's charging and plug
    # state without an event.
    activity = ActivityHub(coordinator)
    activity.async_start()
    # The trip journal reads the held (restored) values as its starting point
    # and the prediction's usable capacity for a trip's energy.
    trips = TripHub(prediction)
    await trips.async_load()
    trips.async_start()
    extras = ExtrasHub()
    ledger = EnergyLedger(
        rest,
        extras,
        vehicles=prediction.electric_vins,
        capacity=prediction.battery_kwh,
        classifier=Classifier(hass, entry.options.get(OPT_LEDGER_ZONE)),
        pricing=Pricing.from_options(entry.options),
    )
    await ledger.async_load()
    # After the values came back: they are the ledger's baseline, not news.
    entry.async_on_unload(ledger.async_start())
    entry.async_on_unload(ledger.async_flush)
    # A wallbox the owner named feeds its car's estimate at home, by the
    # ledger's rule of home; it listens only while the entry is loaded.
    WallboxHub(
        prediction, ledger.classifier, wallbox_entities(entry.options)
    ).async_start()
    # The monthly statement, behind Home Assistant's login (one view for all).
    entry.async_on_unload(
        async_serve_statement(
            hass, ledger, addresses=entry.options.get(OPT_STATEMENT_ADDRESS) is True
        )
    )
    # The coverage report hears the stream and every container read.
    coverage = CoverageHub(rest)
    await coverage.async_load()
    coverage.async_start()
    # What BMW does not stream: one container read per car a day.
    entry.async_on_unload(DailyContainerRead(rest).async_start())
    sharing = None
    if (share := sharing_settings(entry.options)) is not None:
        # It follows what the coordinator accepted from the VIN gate, not the
        # raw stream: what the entities refuse is not republished either.
        sharing = StreamSharing(hass, entry, share, coordinator)
    return CarDataRuntimeData(
        client_id=entry.data[CONF_CLIENT_ID],
        endpoints=endpoints,
        oauth=oauth,
        tokens=tokens,
        api=api,
        quota=quota,
        coordinator=coordinator,
        rest=rest,
        vin_gate=gate,
        value_store=values,
        stream=stream,
        poller=Poller(rest, stream),
        prediction=prediction,
        activity=activity,
        trips=trips,
        ledger=ledger,
        extras=extras,
        coverage=coverage,
        sharing=sharing,
    )


async def async_start(runtime: CarDataRuntimeData) -> None:
    """Start what runs in the background, once the platforms are set up."""
    if runtime.sharing is not None:
        runtime.sharing.async_start()
    runtime.stream.async_start()
    runtime.vin_gate.async_start()
    # REST side: first set-up calls (once per entry), polls while the stream
    # is silent, repair issues; its tasks and timers end with the entry.
    await async_start_rest(
        runtime.poller,
        runtime.tokens,
        runtime.vin_gate,
        runtime.prediction.on_basic_data,
    )


async def async_stop(runtime: CarDataRuntimeData) -> None:
    """Stop what runs in the background; nothing of the entry keeps running."""
    await runtime.stream.async_stop()
    if runtime.sharing is not None:
        await runtime.sharing.async_stop()
    await runtime.tokens.async_stop()
    await runtime.quota.async_shutdown()
    await runtime.prediction.async_shutdown()
    await runtime.trips.async_shutdown()
    await runtime.coverage.async_shutdown()
