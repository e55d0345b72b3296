// What the card says about its values: charging power in kW, what the
// charging section shows, labels that never repeat their value, when the
// charge estimate stands out, the zone of the position, and which body the
// drawing has. Pure functions (no DOM, no Home Assistant object), tested by
// node (tests/frontend/).

// With this module's own version query (see cardata-vehicle-card.js): a
// plain URL would load a second, possibly cached, copy.
const { known, numeric } = await import(
  `./card-logic.js${new URL(import.meta.url).search}`
);

/**
 * The locale numbers are written in, from Home Assistant's locale settings
 * ({language, number_format}); undefined lets the browser decide.
 */
export function numberLocale(locale) {
  const language = (locale && locale.language) || "en";
  switch (locale && locale.number_format) {
    case "comma_decimal":
      return "en-US";
    case "decimal_comma":
      return "de";
    case "space_comma":
      return "fr";
    case "system":
      return undefined;
    default:
      return language;
  }
}

/** Kilowatts from a power state in W or kW; null when unknown. */
export function kilowatts(state) {
  const value = numeric(state);
  if (value === null) return null;
  const unit = String((state.attributes || {}).unit_of_measurement || "W");
  if (unit === "kW") return value;
  if (unit === "MW") return value * 1000;
  return value / 1000;
}

/**
 * Charging power in kW with the precision a charger is read with: one
 * decimal below 10 kW (7.4 kW, 2.3 kW), whole kilowatts above (11 kW,
 * 148 kW); "" when unknown.
 */
export function formatPower(state, locale) {
  const kw = kilowatts(state);
  if (kw === null) return "";
  const digits = Math.abs(kw) < 9.95 && kw !== 0 ? 1 : 0;
  let text;
  try {
    text = new Intl.NumberFormat(numberLocale(locale), {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(kw);
  } catch {
    text = kw.toFixed(digits);
  }
  return `${text} kW`;
}

// hvStatus states that mean energy flows (or is about to).
const CHARGING_STATES = new Set(["charging"]);

/**
 * What the charging section shows.
 *
 * Not plugged in: nothing about charging, only that it is not plugged in.
 * Plugged in: the charging state; the power and the time to full only while
 * it charges (and when they are above zero); the target.
 *
 * @param {Record<string, object>} states entity_id -> state object
 * @param {Record<string, string>} roles role -> entity_id
 * @returns {{unplugged: boolean, show: string[]}} roles to show, in order
 */
export function chargingView(states, roles) {
  const plug = states[roles.plugged];
  if (known(plug) && plug.state === "off") return { unplugged: true, show: [] };
  const status = states[roles.charging_state];
  const power = kilowatts(states[roles.charging_power]);
  const minutes = numeric(states[roles.charging_time]);
  const charging = known(status)
    ? CHARGING_STATES.has(String(status.state).toLowerCase())
    : power !== null && power > 0;
  const show = [];
  if (known(status)) show.push("charging_state");
  if (charging && power !== null && power > 0) show.push("charging_power");
  if (charging && minutes !== null && minutes > 0) show.push("charging_time");
  if (known(states[roles.soc_target])) show.push("soc_target");
  return { unplugged: false, show };
}

function words(text) {
  return String(text ?? "")
    .toLocaleLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/**
 * The label to put above a value: none when the value already says it
 * ("Charging" above "Charging", "Locked" above "Locked").
 */
export function labelFor(label, valueText) {
  if (!label) return "";
  const name = words(label);
  const value = words(valueText);
  if (!name || !value) return label;
  if (value === name || value.startsWith(name + " ") || name.startsWith(value + " ")) {
    return "";
  }
  return label;
}

/**
 * Whether the charge estimate says something the reading does not: both
 * known and different as shown (rounded to ``digits``).
 */
export function estimateDiffers(reading, estimate, digits = 0) {
  if (reading === null || reading === undefined) return false;
  if (estimate === null || estimate === undefined) return false;
  const factor = 10 ** digits;
  return Math.round(reading * factor) !== Math.round(estimate * factor);
}

// Metres between two points (haversine; the earth as a sphere).
function distance(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.min(1, Math.sqrt(a)));
}

function zoneLabel(zone) {
  return (zone.attributes && zone.attributes.friendly_name) || "";
}

/**
 * The name of the zone the vehicle is in, or null when it is in none (or
 * at home: Home Assistant's own word says that).
 *
 * The tracker's state is the zone's name already when Home Assistant found
 * an active zone. "Away" (not_home) may still be inside a zone Home Assistant
 * does not count (a passive one): the tracker's ``in_zones`` names it, and
 * without that list the position is looked up in the zones themselves
 * (smallest zone first).
 */
export function zoneName(tracker, states) {
  if (!known(tracker)) return null;
  const state = String(tracker.state);
  if (state === "home") return null;
  if (state !== "not_home") return state;
  const attrs = tracker.attributes || {};
  const listed = (attrs.in_zones || [])
    .map((id) => states[id])
    .filter((zone) => zone && zone.entity_id !== "zone.home");
  if (listed.length) return zoneLabel(listed[0]) || null;
  const lat = Number(attrs.latitude);
  const lon = Number(attrs.longitude);
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return null;
  const inside = Object.values(states)
    .filter((s) => s && typeof s.entity_id === "string")
    .filter((s) => s.entity_id.startsWith("zone.") && s.entity_id !== "zone.home")
    .filter((zone) => {
      const z = zone.attributes || {};
      const radius = Number(z.radius);
      return (
        Number.isFinite(radius) &&
        distance(lat, lon, Number(z.latitude), Number(z.longitude)) <= radius
      );
    })
    .sort((a, b) => Number(a.attributes.radius) - Number(b.attributes.radius));
  return inside.length ? zoneLabel(inside[0]) || null : null;
}

export const BODY_TYPES = ["sedan", "suv", "small", "touring"];

/**
 * The body drawn for a vehicle, from what its device says (brand as
 * manufacturer, model name or series as model): MINI (a Countryman is an
 * SUV) and BMW's 1 series and i3 are small cars; X models (X1..X7, XM, iX,
 * iX1, iX3) are SUVs; a Touring is an estate; everything else a saloon.
 */
export function bodyType(device) {
  if (!device) return "sedan";
  const brand = words(device.manufacturer);
  const model = words(device.model);
  const all = `${brand} ${model}`;
  if (/\b(countryman|aceman)\b/.test(all)) return "suv";
  if (/\bmini\b/.test(all)) return "small";
  const first = model.replace(/^(bmw|bmw i)\s+/, "").split(" ")[0] || "";
  if (/^i?x(\d|m)?$/.test(first) || /^x\d\w*$/.test(first)) return "suv";
  if (/\btouring\b/.test(model)) return "touring";
  if (/^i3s?$/.test(first) || /^1\d\d\w*$/.test(first) || /^m1\d\d/.test(first)) {
    return "small";
  }
  return "sedan";
}
