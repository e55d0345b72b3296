// The card's trips: what it asks, when it asks again, how a trip reads.
// Run by `node --test` (scripts/test).
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  TRIPS_SHOWN,
  askTrips,
  formatDuration,
  formatStart,
  lastTrips,
  refreshKey,
  tripRow,
  tripsRequest,
} from "../../custom_components/cardata/frontend/www/card-trips.js";
import {
  discoverEntities,
  visibleSections,
} from "../../custom_components/cardata/frontend/www/card-logic.js";
import { translator } from "../../custom_components/cardata/frontend/www/card-i18n.js";

// One trip as cardata.get_trips answers it (trips/figures.py + places).
const TRIP = {
  start: "2026-12-07T07:15:00+00:00",
  end: "2026-12-07T07:40:00+00:00",
  duration_min: 25.0,
  distance: 18.24,
  distance_unit: "km",
  distance_from: "mileage",
  average_speed: 43.8,
  energy_kwh: 3.4,
  energy_consumption: 18.64,
  fuel: null,
  fuel_consumption: null,
  remaining_range: 310,
  start_zone: "Home",
  end_zone: "Work",
  at_home: false,
};
const BERLIN = { language: "en", numbers: "en", timeZone: "Europe/Berlin" };

test("the request is get_trips for the card's vehicle, with its response", () => {
  assert.deepEqual(tripsRequest("dev1"), {
    type: "call_service",
    domain: "cardata",
    service: "get_trips",
    service_data: { device_id: ["dev1"] },
    return_response: true,
  });
});

test("the answer holds the last trips; a refused action is a failure", async () => {
  const asked = [];
  const connection = {
    sendMessagePromise: async (message) => {
      asked.push(message);
      return { context: {}, response: { vehicles: { WBA: [TRIP] } } };
    },
  };
  assert.deepEqual(await askTrips(connection, "dev1"), { list: [TRIP] });
  assert.deepEqual(asked, [tripsRequest("dev1")]);
  const refused = {
    sendMessagePromise: async () => {
      throw { code: "service_validation_error", message: "not loaded" };
    },
  };
  assert.deepEqual(await askTrips(refused, "dev1"), { failed: true });
  const empty = { sendMessagePromise: async () => ({ response: null }) };
  assert.deepEqual(await askTrips(empty, "dev1"), { list: [] });
});

test("asked again only when the trip event entity's state moves", () => {
  const first = { state: "2026-12-07T07:15:00.000+00:00", last_updated: "a" };
  const key = refreshKey("dev1", first);
  // Another update of Home Assistant's state with the same event: same key.
  assert.equal(refreshKey("dev1", { ...first, last_updated: "b" }), key);
  assert.notEqual(refreshKey("dev1", { ...first, state: "2026-12-07T07:40:00+00:00" }), key);
  assert.notEqual(refreshKey("dev2", first), key);
  assert.equal(refreshKey("dev1", undefined), null);
  assert.equal(refreshKey(undefined, first), null);
});

test("the last trips, newest first, at most five", () => {
  const trips = Array.from({ length: 8 }, (_, i) => ({
    ...TRIP,
    start: `2026-12-0${i + 1}T08:00:00+00:00`,
  }));
  const shown = lastTrips({ vehicles: { WBA: trips } });
  assert.equal(TRIPS_SHOWN, 5);
  assert.deepEqual(
    shown.map((trip) => trip.start.slice(0, 10)),
    ["2026-12-08", "2026-12-07", "2026-12-06", "2026-12-05", "2026-12-04"],
  );
  assert.equal(lastTrips({ vehicles: { WBA: trips } }, 3).length, 3);
  assert.deepEqual(lastTrips({ vehicles: { WBA: [] } }), []);
  assert.deepEqual(lastTrips(undefined), []);
  assert.deepEqual(lastTrips({ vehicles: { WBA: null } }), []);
  assert.deepEqual(lastTrips({ vehicles: { WBA: [{ distance: 3 }] } }), []);
});

test("a trip reads start, from -> to, distance, duration and consumption", () => {
  const row = tripRow(TRIP, translator("en"), BERLIN);
  assert.equal(row.key, TRIP.start);
  assert.match(row.when, /08:15/); // 07:15 UTC in Berlin
  assert.match(row.when, /Dec/);
  assert.equal(row.route, "Home → Work");
  assert.equal(row.figures, "18.2 km · 25 min · 18.6 kWh/100 km");
});

test("a place outside every zone is named in the page's language", () => {
  const trip = { ...TRIP, start_zone: null, end_zone: "" };
  assert.equal(tripRow(trip, translator("en"), BERLIN).route, "Away → Away");
  assert.equal(tripRow(trip, translator("de"), { language: "de" }).route, "Abwesend → Abwesend");
});

test("numbers follow the owner's number format, units the journal's", () => {
  const row = tripRow(TRIP, translator("de"), { language: "de", numbers: "de" });
  assert.equal(row.figures, "18,2 km · 25 Min. · 18,6 kWh/100 km");
  const miles = {
    ...TRIP,
    distance: 11.33,
    distance_unit: "mi",
    energy_consumption: 30.0,
    fuel_consumption: 2.35,
  };
  assert.equal(
    tripRow(miles, translator("en"), BERLIN).figures,
    "11.3 mi · 25 min · 30 kWh/100 mi · 2.4 gal/100 mi",
  );
  // A plug-in hybrid on fuel only; a trip too short for a consumption.
  const fuel = { ...TRIP, energy_consumption: null, fuel_consumption: 6.54 };
  assert.equal(tripRow(fuel, translator("en"), BERLIN).figures, "18.2 km · 25 min · 6.5 L/100 km");
  const short = { ...TRIP, distance: 0.05, energy_consumption: null, duration_min: 1 };
  assert.equal(tripRow(short, translator("en"), BERLIN).figures, "0.1 km · 1 min");
});

test("durations read in minutes, hours and minutes", () => {
  assert.equal(formatDuration(25, "en"), "25 min");
  assert.equal(formatDuration(60, "en"), "1 hr");
  assert.equal(formatDuration(65.4, "en"), "1 hr 5 min");
  assert.equal(formatDuration(0.2, "en"), "0 min");
  assert.equal(formatDuration(null, "en"), "");
  assert.equal(formatDuration(-3, "en"), "");
  assert.equal(formatDuration(25, "not a language!"), "25 min");
});

test("an unreadable start is left out, a bad language falls back", () => {
  assert.equal(formatStart("yesterday", "en"), "");
  assert.match(formatStart(TRIP.start, "not a language!", "Europe/Berlin"), /\d\d:\d\d/);
});

test("the trips section shows while the car has a trip event entity", () => {
  const device = { id: "dev1", config_entries: ["entry1"] };
  const entities = {
    "event.ix_trip": {
      entity_id: "event.ix_trip",
      device_id: "dev1",
      platform: "cardata",
      translation_key: "trip",
    },
  };
  const found = discoverEntities(entities, device, { dev1: device });
  assert.equal(found.roles.trip, "event.ix_trip");
  // Before its first event (unknown) the journal may hold trips already.
  const states = { "event.ix_trip": { state: "unknown", attributes: {} } };
  assert.deepEqual(visibleSections({}, found, states), ["image", "trips"]);
  assert.deepEqual(visibleSections({ sections: ["battery"] }, found, states), []);
  assert.deepEqual(visibleSections({}, found, {}), ["image"]);
});
