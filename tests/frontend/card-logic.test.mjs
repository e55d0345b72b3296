// Pure logic of the vehicle card, run by `node --test` (scripts/test).
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  SECTIONS,
  ageSeconds,
  discoverEntities,
  formatAge,
  isOpen,
  numeric,
  openingsSummary,
  percent,
  vehicleDevices,
  visibleSections,
  watchedIds,
} from "../../custom_components/cardata/frontend/www/card-logic.js";
import {
  TEXTS,
  baseLanguage,
  translator,
} from "../../custom_components/cardata/frontend/www/card-i18n.js";

const DEVICE = { id: "dev1", config_entries: ["entry1"] };
const DEVICES = {
  dev1: DEVICE,
  dev2: { id: "dev2", config_entries: ["entry1"] },
  account: { id: "account", config_entries: ["entry1"], entry_type: "service" },
  account2: { id: "account2", config_entries: ["entry2"], entry_type: "service" },
};

// hass.entities as Home Assistant's frontend has it.
function ent(translationKey, entityId, extra = {}) {
  return {
    entity_id: entityId,
    translation_key: translationKey,
    platform: "cardata",
    device_id: "dev1",
    ...extra,
  };
}

const ENTITIES = Object.fromEntries(
  [
    ent("drivetrain_battery_management_header", "sensor.renamed_soc"),
    ent("charging_level", "sensor.level"),
    ent("predicted_soc", "sensor.predicted"),
    ent("drivetrain_electric_engine_remaining_electric_range", "sensor.ev_range"),
    ent("cabin_door_row2_driver_is_open", "binary_sensor.rear_door"),
    ent("cabin_door_row1_driver_is_open", "binary_sensor.front_door"),
    ent("cabin_window_row1_driver_status", "sensor.window"),
    ent("body_hood_is_open", "binary_sensor.bonnet"),
    ent("cabin_door_lock_status", "sensor.lock"),
    ent("axle_row2_wheel_right_tire_pressure", "sensor.rr"),
    ent("axle_row1_wheel_left_tire_pressure", "sensor.fl"),
    ent(undefined, "device_tracker.car"),
    ent("last_data_received", "sensor.last"),
    ent("stream_state", "sensor.stream", { device_id: "account" }),
    ent("stream_state", "sensor.other_stream", { device_id: "account2" }),
    ent("drivetrain_fuel_system_level", "sensor.other_fuel", { device_id: "dev2" }),
    ent("drivetrain_total_remaining_range", "sensor.not_ours", { platform: "template" }),
  ].map((e) => [e.entity_id, e]),
);

test("entities are found by translation key, whatever their entity ids", () => {
  const found = discoverEntities(ENTITIES, DEVICE, DEVICES);
  assert.equal(found.roles.soc, "sensor.renamed_soc"); // header beats level
  assert.equal(found.roles.soc_predicted, "sensor.predicted");
  assert.equal(found.roles.range_electric, "sensor.ev_range");
  assert.equal(found.roles.tracker, "device_tracker.car");
  assert.equal(found.roles.last_data, "sensor.last");
  assert.equal(found.roles.stream, "sensor.stream"); // this entry's, not entry2's
  assert.equal(found.roles.hood, "binary_sensor.bonnet");
  assert.deepEqual(
    found.doors.map((d) => d.entity_id),
    ["binary_sensor.front_door", "binary_sensor.rear_door"],
  );
  assert.deepEqual(found.tyres.map((d) => [d.row, d.side]), [
    [1, "left"],
    [2, "right"],
  ]);
  // Other vehicles and other platforms are left out.
  assert.equal(found.roles.fuel_level, undefined);
  assert.equal(found.roles.range_total, undefined);
  assert.equal(found.roles.charging_state, undefined);
  assert.deepEqual(watchedIds(found).sort(), [
    "binary_sensor.bonnet",
    "binary_sensor.front_door",
    "binary_sensor.rear_door",
    "device_tracker.car",
    "sensor.ev_range",
    "sensor.fl",
    "sensor.last",
    "sensor.lock",
    "sensor.predicted",
    "sensor.renamed_soc",
    "sensor.rr",
    "sensor.stream",
    "sensor.window",
  ]);
});

test("no device or no entities finds nothing", () => {
  assert.deepEqual(discoverEntities(ENTITIES, null).roles, {});
  assert.deepEqual(discoverEntities(undefined, DEVICE).roles, {});
  assert.deepEqual(watchedIds(null), []);
  // Without the devices the account's stream is not found, the rest is.
  const found = discoverEntities(ENTITIES, DEVICE);
  assert.equal(found.roles.stream, undefined);
  assert.equal(found.roles.soc, "sensor.renamed_soc");
});

test("missing entities leave their section out", () => {
  const found = discoverEntities(ENTITIES, DEVICE, DEVICES);
  const states = {
    "sensor.renamed_soc": { state: "64" },
    "sensor.ev_range": { state: "unavailable" },
    "binary_sensor.front_door": { state: "off" },
    "device_tracker.car": { state: "home" },
    "sensor.stream": { state: "connected" },
  };
  assert.deepEqual(visibleSections({}, found, states), [
    "image",
    "battery",
    "openings",
    "position",
    "status",
  ]);
  assert.deepEqual(
    visibleSections({ sections: ["battery", "charging", "tyres"] }, found, states),
    ["battery"],
  );
  assert.deepEqual(visibleSections({ sections: [] }, found, states), []);
});

test("the check-control messages alone show the status section", () => {
  const found = discoverEntities(
    { "sensor.ccm": ent("status_check_control_messages", "sensor.ccm") },
    DEVICE,
  );
  assert.equal(found.roles.check_control, "sensor.ccm");
  assert.deepEqual(visibleSections({}, found, { "sensor.ccm": { state: "1" } }), [
    "image",
    "status",
  ]);
  assert.deepEqual(visibleSections({}, found, { "sensor.ccm": { state: "unknown" } }), [
    "image",
  ]);
});

test("a combustion car has no battery or charging section", () => {
  const found = discoverEntities(
    { "sensor.fuel": ent("drivetrain_fuel_system_level", "sensor.fuel") },
    DEVICE,
  );
  const shown = visibleSections({}, found, { "sensor.fuel": { state: "55" } });
  assert.deepEqual(shown, ["image", "fuel"]);
});

test("openings sum up open doors, windows, bonnet and the lock", () => {
  const found = discoverEntities(ENTITIES, DEVICE, DEVICES);
  const closed = openingsSummary(
    {
      "binary_sensor.front_door": { state: "off" },
      "binary_sensor.rear_door": { state: "off" },
      "sensor.window": { state: "closed" },
      "binary_sensor.bonnet": { state: "off" },
      "sensor.lock": { state: "secured" },
    },
    found,
  );
  assert.equal(closed.open, 0);
  assert.equal(closed.locked, true);
  assert.equal(closed.items.length, 4);
  const open = openingsSummary(
    {
      "binary_sensor.front_door": { state: "on" },
      "sensor.window": { state: "intermediate" },
      "binary_sensor.bonnet": { state: "unknown" },
      "sensor.lock": { state: "unlocked" },
    },
    found,
  );
  assert.equal(open.open, 2);
  assert.equal(open.locked, false);
  assert.deepEqual(
    open.items.map((i) => i.kind),
    ["door", "window"],
  );
  assert.equal(openingsSummary({}, found).locked, null);
});

test("state helpers", () => {
  assert.equal(numeric({ state: "64.5" }), 64.5);
  assert.equal(numeric({ state: "unknown" }), null);
  assert.equal(numeric(undefined), null);
  assert.equal(isOpen({ state: "on" }), true);
  assert.equal(isOpen({ state: "closed" }), false);
  assert.equal(isOpen({ state: "unavailable" }), false);
  assert.equal(percent(120), 100);
  assert.equal(percent(-3), 0);
  assert.equal(percent(null), null);
});

test("data age is told in the user's language", () => {
  const now = Date.parse("2026-06-01T12:00:00Z");
  assert.equal(ageSeconds("2026-06-01T11:55:00Z", now), 300);
  assert.equal(ageSeconds("2026-06-01T12:05:00Z", now), 0);
  assert.equal(ageSeconds("garbage", now), null);
  assert.equal(ageSeconds(null, now), null);
  assert.equal(formatAge(300, "en"), "5 minutes ago");
  assert.equal(formatAge(2 * 3600, "de"), "vor 2 Stunden");
  assert.equal(formatAge(3 * 86400, "en"), "3 days ago");
  assert.equal(formatAge(null, "en"), "");
  assert.equal(formatAge(5, "not a language!"), "5 seconds ago");
});

test("Home Assistant's languages map to the card's", () => {
  assert.equal(baseLanguage("pt-BR"), "pt");
  assert.equal(baseLanguage("de"), "de");
  assert.equal(baseLanguage("no"), "nb");
  assert.equal(baseLanguage("nn"), "nb");
  assert.equal(baseLanguage(undefined), "en");
});

test("every language has every text, and placeholders survive", () => {
  const languages = ["en", "de", "nl", "fr", "it", "es", "pt", "da", "sv", "nb", "fi", "pl", "cs"];
  assert.deepEqual(Object.keys(TEXTS).sort(), [...languages].sort());
  const keys = Object.keys(TEXTS.en).sort();
  for (const lang of languages) {
    assert.deepEqual(Object.keys(TEXTS[lang]).sort(), keys, lang);
    assert.match(TEXTS[lang].open_count, /\{n\}/, lang);
  }
  for (const section of SECTIONS) assert.ok(TEXTS.en[section], section);
  assert.equal(translator("de")("open_count", { n: 2 }), "2 offen");
  assert.equal(translator("xx")("battery"), "Charge level");
});

test("vehicle devices are the integration's devices that are not services", () => {
  const devices = {
    dev1: { id: "dev1", name: "BMW 0001" },
    dev2: { id: "dev2", name: "Another", name_by_user: "A car" },
    account: { id: "account", name: "Account", entry_type: "service" },
    foreign: { id: "foreign", name: "Lamp" },
  };
  const entities = {
    a: { platform: "cardata", device_id: "dev1" },
    b: { platform: "cardata", device_id: "dev2" },
    c: { platform: "cardata", device_id: "account" },
    d: { platform: "hue", device_id: "foreign" },
  };
  assert.deepEqual(
    vehicleDevices(devices, entities).map((d) => d.id),
    ["dev2", "dev1"],
  );
  assert.deepEqual(vehicleDevices(undefined, undefined), []);
});
