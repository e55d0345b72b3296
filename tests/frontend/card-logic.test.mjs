// Pure logic of the vehicle card, run by `node --test` (scripts/test).
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  SECTIONS,
  ageSeconds,
  baseLanguage,
  discoverEntities,
  formatAge,
  isOpen,
  numeric,
  openingsSummary,
  percent,
  splitUniqueId,
  vehicleDevices,
  visibleSections,
} from "../../custom_components/cardata/frontend/www/card-logic.js";
import { TEXTS, translator } from "../../custom_components/cardata/frontend/www/card-i18n.js";

const VIN = "WBA00000000BEV001";
const OTHER = "WBA00000000PHV002";
const DEVICE = { id: "dev1", config_entries: ["entry1"] };

function reg(uniqueId, entityId, extra = {}) {
  return {
    unique_id: uniqueId,
    entity_id: entityId,
    platform: "cardata",
    device_id: "dev1",
    config_entry_id: "entry1",
    disabled_by: null,
    ...extra,
  };
}

const REGISTRY = [
  reg(`${VIN}_vehicle.drivetrain.batteryManagement.header`, "sensor.renamed_soc"),
  reg(`${VIN}_vehicle.drivetrain.electricEngine.charging.level`, "sensor.level"),
  reg(`${VIN}_predicted_soc`, "sensor.predicted"),
  reg(`${VIN}_vehicle.drivetrain.electricEngine.remainingElectricRange`, "sensor.ev_range"),
  reg(`${VIN}_vehicle.cabin.door.row2.driver.isOpen`, "binary_sensor.rear_door"),
  reg(`${VIN}_vehicle.cabin.door.row1.driver.isOpen`, "binary_sensor.front_door"),
  reg(`${VIN}_vehicle.cabin.window.row1.driver.status`, "sensor.window"),
  reg(`${VIN}_vehicle.body.hood.isOpen`, "binary_sensor.bonnet"),
  reg(`${VIN}_vehicle.cabin.door.lock.status`, "sensor.lock"),
  reg(`${VIN}_vehicle.chassis.axle.row2.wheel.right.tire.pressure`, "sensor.rr"),
  reg(`${VIN}_vehicle.chassis.axle.row1.wheel.left.tire.pressure`, "sensor.fl"),
  reg(`${VIN}_device_tracker`, "device_tracker.car"),
  reg(`${VIN}_last_data_received`, "sensor.last"),
  reg("entry1_stream_state", "sensor.stream", { device_id: "account" }),
  reg("entry2_stream_state", "sensor.other_stream", {
    device_id: "account2",
    config_entry_id: "entry2",
  }),
  reg(`${OTHER}_vehicle.drivetrain.fuelSystem.level`, "sensor.other_fuel", {
    device_id: "dev2",
  }),
  reg(`${VIN}_vehicle.drivetrain.fuelSystem.level`, "sensor.disabled_fuel", {
    disabled_by: "integration",
  }),
  reg(`${VIN}_vehicle.drivetrain.totalRemainingRange`, "sensor.not_ours", {
    platform: "template",
  }),
];

test("splitUniqueId splits at the first underscore only", () => {
  assert.deepEqual(splitUniqueId(`${VIN}_last_data_received`), {
    vin: VIN,
    key: "last_data_received",
  });
  assert.equal(splitUniqueId("nounderscore"), null);
  assert.equal(splitUniqueId("_x"), null);
  assert.equal(splitUniqueId(undefined), null);
});

test("entities are found by unique id, whatever their entity ids", () => {
  const found = discoverEntities(REGISTRY, DEVICE);
  assert.equal(found.vin, VIN);
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
  // Other vehicles, disabled entities and other platforms are left out.
  assert.equal(found.roles.fuel_level, undefined);
  assert.equal(found.roles.range_total, undefined);
  assert.equal(found.roles.charging_state, undefined);
});

test("no device or no registry finds nothing", () => {
  assert.deepEqual(discoverEntities(REGISTRY, null).roles, {});
  assert.deepEqual(discoverEntities(null, DEVICE).roles, {});
});

test("missing entities leave their section out", () => {
  const found = discoverEntities(REGISTRY, DEVICE);
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

test("a combustion car has no battery or charging section", () => {
  const found = discoverEntities(
    [reg(`${VIN}_vehicle.drivetrain.fuelSystem.level`, "sensor.fuel")],
    DEVICE,
  );
  const shown = visibleSections({}, found, { "sensor.fuel": { state: "55" } });
  assert.deepEqual(shown, ["image", "fuel"]);
});

test("openings sum up open doors, windows, bonnet and the lock", () => {
  const found = discoverEntities(REGISTRY, DEVICE);
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
