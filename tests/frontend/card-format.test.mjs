// What the card says about its values, run by `node --test` (scripts/test).
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  bodyType,
  chargingView,
  estimateDiffers,
  formatPower,
  kilowatts,
  labelFor,
  numberLocale,
  zoneName,
} from "../../custom_components/cardata/frontend/www/card-format.js";
import { drawing } from "../../custom_components/cardata/frontend/www/card-drawings.js";
import {
  pageLanguage,
  pickerEntry,
  translator,
} from "../../custom_components/cardata/frontend/www/card-i18n.js";

const power = (state, unit = "W") => ({
  state: String(state),
  attributes: { unit_of_measurement: unit },
});

test("charging power is shown in kW, one decimal below 10 kW", () => {
  const en = { language: "en", number_format: "language" };
  assert.equal(formatPower(power(7360), en), "7.4 kW");
  assert.equal(formatPower(power(2300), en), "2.3 kW");
  assert.equal(formatPower(power(11040), en), "11 kW");
  assert.equal(formatPower(power(148400), en), "148 kW");
  assert.equal(formatPower(power(9960), en), "10 kW"); // not "10.0"
  assert.equal(formatPower(power(0), en), "0 kW");
  assert.equal(formatPower(power(50, "kW"), en), "50 kW");
  assert.equal(formatPower(power("unknown"), en), "");
  assert.equal(formatPower(undefined, en), "");
  // The owner's number format.
  assert.equal(formatPower(power(7360), { language: "de" }), "7,4 kW");
  assert.equal(
    formatPower(power(7360), { language: "de", number_format: "comma_decimal" }),
    "7.4 kW",
  );
  assert.equal(numberLocale({ language: "en", number_format: "decimal_comma" }), "de");
  assert.equal(numberLocale({ language: "en", number_format: "space_comma" }), "fr");
  assert.equal(numberLocale({ language: "en", number_format: "system" }), undefined);
  assert.equal(numberLocale(undefined), "en");
  assert.equal(kilowatts(power(1.5, "MW")), 1500);
  assert.equal(formatPower(power(7360), { language: "not a language!" }), "7.4 kW");
});

const ROLES = {
  plugged: "binary_sensor.plug",
  charging_state: "sensor.hv",
  charging_power: "sensor.power",
  charging_time: "sensor.time",
  soc_target: "sensor.target",
};

test("not plugged in says nothing about charging", () => {
  const states = {
    "binary_sensor.plug": { state: "off" },
    "sensor.hv": { state: "not_charging" },
    "sensor.power": power(0),
    "sensor.time": { state: "0" },
    "sensor.target": { state: "80" },
  };
  assert.deepEqual(chargingView(states, ROLES), { unplugged: true, show: [] });
});

test("plugged in shows power and time only while charging", () => {
  const plugged = { "binary_sensor.plug": { state: "on" }, "sensor.target": { state: "80" } };
  const idle = {
    ...plugged,
    "sensor.hv": { state: "finished_fully_charged" },
    "sensor.power": power(0),
    "sensor.time": { state: "0" },
  };
  assert.deepEqual(chargingView(idle, ROLES).show, ["charging_state", "soc_target"]);
  const charging = {
    ...plugged,
    "sensor.hv": { state: "charging" },
    "sensor.power": power(7400),
    "sensor.time": { state: "95" },
  };
  assert.deepEqual(chargingView(charging, ROLES), {
    unplugged: false,
    show: ["charging_state", "charging_power", "charging_time", "soc_target"],
  });
  // Charging, but BMW has not sent the power or the time yet.
  const starting = { ...plugged, "sensor.hv": { state: "charging" }, "sensor.power": power(0) };
  assert.deepEqual(chargingView(starting, ROLES).show, ["charging_state", "soc_target"]);
  // No plug or state sensor: the power tells.
  const bare = { "sensor.power": power(3700), "sensor.time": { state: "40" } };
  assert.deepEqual(chargingView(bare, ROLES).show, ["charging_power", "charging_time"]);
  // An unknown plug is not "not plugged in".
  const unknownPlug = { ...idle, "binary_sensor.plug": { state: "unavailable" } };
  assert.equal(chargingView(unknownPlug, ROLES).unplugged, false);
});

test("a label never repeats its value", () => {
  assert.equal(labelFor("Charging", "Charging"), "");
  assert.equal(labelFor("Charging", "charging…"), "");
  assert.equal(labelFor("Locked", "Locked"), "");
  assert.equal(labelFor("Stream", "Stream connected"), "");
  assert.equal(labelFor("Power", "7.4 kW"), "Power");
  assert.equal(labelFor("Charging", "Not charging"), "Charging");
  assert.equal(labelFor("Total", "360 km"), "Total");
  assert.equal(labelFor("", "360 km"), "");
  assert.equal(labelFor("Target", ""), "Target");
});

test("the estimate stands out only when it differs from the reading", () => {
  assert.equal(estimateDiffers(64, 64), false);
  assert.equal(estimateDiffers(64, 64.3), false); // both shown as 64 %
  assert.equal(estimateDiffers(64, 66), true);
  assert.equal(estimateDiffers(64, 64.3, 1), true);
  assert.equal(estimateDiffers(null, 64), false);
  assert.equal(estimateDiffers(64, null), false);
});

const ZONES = {
  "zone.home": {
    entity_id: "zone.home",
    state: "0",
    attributes: { friendly_name: "Home", latitude: 48.1, longitude: 11.5, radius: 100 },
  },
  "zone.work": {
    entity_id: "zone.work",
    state: "1",
    attributes: { friendly_name: "Work", latitude: 48.2, longitude: 11.6, radius: 200 },
  },
  "zone.campus": {
    entity_id: "zone.campus",
    state: "0",
    attributes: {
      friendly_name: "Campus",
      latitude: 48.2,
      longitude: 11.6,
      radius: 2000,
      passive: true,
    },
  },
};

test("the position names the zone the vehicle is in", () => {
  const tracker = (state, attributes = {}) => ({ state, attributes });
  // Home Assistant put the zone's name in the state.
  assert.equal(zoneName(tracker("Work"), ZONES), "Work");
  // Home is Home Assistant's own word.
  assert.equal(zoneName(tracker("home"), ZONES), null);
  // Away but inside a passive zone: in_zones names it.
  assert.equal(zoneName(tracker("not_home", { in_zones: ["zone.campus"] }), ZONES), "Campus");
  // Away without in_zones: the zones themselves, smallest first.
  assert.equal(
    zoneName(tracker("not_home", { latitude: 48.2001, longitude: 11.6001 }), ZONES),
    "Work",
  );
  assert.equal(
    zoneName(tracker("not_home", { latitude: 48.21, longitude: 11.6 }), ZONES),
    "Campus",
  );
  assert.equal(zoneName(tracker("not_home", { latitude: 40, longitude: 2 }), ZONES), null);
  assert.equal(zoneName(tracker("not_home"), ZONES), null);
  assert.equal(zoneName(tracker("unavailable"), ZONES), null);
  assert.equal(zoneName(undefined, ZONES), null);
});

test("the body drawn follows the brand and model the device has", () => {
  const car = (manufacturer, model) => ({ manufacturer, model });
  assert.equal(bodyType(car("MINI", "Cooper S")), "small");
  assert.equal(bodyType(car("MINI", "Cooper SE")), "small");
  assert.equal(bodyType(car("BMW", "MINI")), "small"); // series as model
  assert.equal(bodyType(car("MINI", "Countryman SE ALL4")), "suv");
  assert.equal(bodyType(car("BMW", "iX xDrive50")), "suv");
  assert.equal(bodyType(car("BMW", "iX3 50 xDrive")), "suv");
  assert.equal(bodyType(car("BMW", "X5 xDrive45e")), "suv");
  assert.equal(bodyType(car("BMW", "X1 sDrive18i")), "suv");
  assert.equal(bodyType(car("BMW", "XM")), "suv");
  assert.equal(bodyType(car("BMW", "iX1 eDrive20")), "suv");
  assert.equal(bodyType(car("BMW", "330e")), "sedan");
  assert.equal(bodyType(car("BMW i", "i4 eDrive40")), "sedan");
  assert.equal(bodyType(car("BMW", "330e xDrive Touring")), "touring");
  assert.equal(bodyType(car("BMW", "i3s")), "small");
  assert.equal(bodyType(car("BMW", "118i")), "small");
  assert.equal(bodyType(car("BMW", undefined)), "sedan");
  assert.equal(bodyType(null), "sedan");
  for (const body of ["sedan", "suv", "small", "touring"]) {
    assert.match(drawing(body, "x"), new RegExp(`data-body="${body}"`));
    assert.ok(translator("de")(`body_${body}`) !== `body_${body}`, body);
  }
  assert.match(drawing("boat"), /data-body="sedan"/);
  assert.match(drawing("suv", 'S"U<V'), /aria-label="SUV"/);
});

test("the card picker's entry speaks the page's language when it is read", () => {
  let language = "en";
  const entry = pickerEntry("cardata-vehicle-card", "https://example.invalid", () => language);
  assert.equal(entry.name, "BMW CarData vehicle");
  language = "de";
  assert.equal(entry.name, "BMW CarData Fahrzeug");
  assert.match(entry.description, /Ladestand/);
  assert.equal({ ...entry }.name, "BMW CarData Fahrzeug"); // copied when read
  assert.equal(entry.type, "cardata-vehicle-card");
  assert.equal(entry.preview, true);
});

test("the page's language: Home Assistant's, else the stored pick, else the browser's", () => {
  const doc = (hass) => ({ querySelector: () => (hass === undefined ? null : { hass }) });
  const storage = (value) => ({ getItem: () => value });
  const nav = { language: "fi-FI" };
  assert.equal(pageLanguage(doc({ language: "de" }), storage('"fr"'), nav), "de");
  assert.equal(
    pageLanguage(doc({ locale: { language: "pl" }, language: "de" }), storage(null), nav),
    "pl",
  );
  // Loaded before Home Assistant's frontend has connected.
  assert.equal(pageLanguage(doc(null), storage('"de"'), nav), "de");
  assert.equal(pageLanguage(doc(undefined), storage("not json"), nav), "fi-FI");
  assert.equal(pageLanguage(doc(undefined), storage(null), {}), "en");
  assert.equal(pageLanguage(undefined, undefined, undefined), "en");
  assert.equal(translator("pt-BR")("battery"), "Nível de carga");
  assert.equal(translator("nn")("power"), translator("nb")("power"));
});
