// The card's trips: what it asks the trip journal (the service action
// cardata.get_trips, with its response), when it asks again (when the car's
// trip event entity changes, not on every update of Home Assistant's
// state), and how one trip reads (start, from -> to, distance, duration,
// consumption). Pure functions (no DOM, no Home Assistant object), tested by
// node (tests/frontend/). No imports.

/** How many of the last trips the card lists. */
export const TRIPS_SHOWN = 5;

/** The websocket message that asks the journal for one vehicle's trips. */
export function tripsRequest(deviceId) {
  return {
    type: "call_service",
    domain: "cardata",
    service: "get_trips",
    service_data: { device_id: [deviceId] },
    return_response: true,
  };
}

/**
 * Ask the journal over Home Assistant's websocket ``connection`` (its
 * sendMessagePromise): {list} with the last trips, or {failed: true} when
 * the action is refused (the card then says what to do).
 */
export async function askTrips(connection, deviceId, count = TRIPS_SHOWN) {
  try {
    const result = await connection.sendMessagePromise(tripsRequest(deviceId));
    return { list: lastTrips(result && result.response, count) };
  } catch {
    return { failed: true };
  }
}

/**
 * When the trips are asked for again: the device and the moment of the trip
 * event entity's last event (its state). null when the car has no trip
 * event entity (nothing to ask).
 */
export function refreshKey(deviceId, tripState) {
  if (!deviceId || !tripState) return null;
  return `${deviceId}|${tripState.state}`;
}

/**
 * The last ``count`` trips, newest first, from the service's response
 * ({vehicles: {VIN: [trip, ...]}}); [] when it holds none.
 */
export function lastTrips(response, count = TRIPS_SHOWN) {
  const vehicles = (response && response.vehicles) || {};
  const all = Object.values(vehicles).flatMap((list) =>
    Array.isArray(list) ? list.filter((trip) => trip && trip.start) : [],
  );
  const at = (trip) => Date.parse(trip.start) || 0;
  return all.sort((a, b) => at(b) - at(a)).slice(0, count);
}

function number(value, locale, digits) {
  try {
    return new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value);
  } catch {
    return new Intl.NumberFormat("en", { maximumFractionDigits: digits }).format(value);
  }
}

function unit(value, name, language) {
  const options = { style: "unit", unit: name, unitDisplay: "short" };
  try {
    return new Intl.NumberFormat(language, options).format(value);
  } catch {
    return new Intl.NumberFormat("en", options).format(value);
  }
}

/** A duration in minutes: "25 min", "1 hr 5 min" (in the language's words). */
export function formatDuration(minutes, language = "en") {
  if (typeof minutes !== "number" || !Number.isFinite(minutes) || minutes < 0) return "";
  const whole = Math.round(minutes);
  const hours = Math.floor(whole / 60);
  const rest = whole % 60;
  if (!hours) return unit(rest, "minute", language);
  const parts = [unit(hours, "hour", language)];
  if (rest) parts.push(unit(rest, "minute", language));
  return parts.join(" ");
}

/** The trip's start: weekday, day, month and time, in the page's language. */
export function formatStart(iso, language = "en", timeZone = undefined) {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "";
  const options = {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    timeZone,
  };
  try {
    return new Intl.DateTimeFormat(language, options).format(at);
  } catch {
    return new Intl.DateTimeFormat("en", { ...options, timeZone: undefined }).format(at);
  }
}

/** Consumption units, as the journal counts them (per 100 km or per 100 mi). */
function consumptionUnits(distanceUnit) {
  return distanceUnit === "mi"
    ? { energy: "kWh/100 mi", fuel: "gal/100 mi" }
    : { energy: "kWh/100 km", fuel: "L/100 km" };
}

/**
 * One trip as the card shows it.
 *
 * @param {object} trip one trip of get_trips' response
 * @param {(key: string) => string} t the card's translator
 * @param {{language?: string, numbers?: string, timeZone?: string}} where
 *   the page's language, the locale numbers are written in, the time zone
 * @returns {{key: string, when: string, route: string, figures: string}}
 */
export function tripRow(trip, t, where = {}) {
  const language = where.language || "en";
  const numbers = where.numbers ?? language;
  const place = (zone) => (typeof zone === "string" && zone ? zone : t("trip_elsewhere"));
  const figures = [];
  const distanceUnit = trip.distance_unit || "km";
  if (typeof trip.distance === "number") {
    figures.push(`${number(trip.distance, numbers, 1)} ${distanceUnit}`);
  }
  const duration = formatDuration(trip.duration_min, language);
  if (duration) figures.push(duration);
  const units = consumptionUnits(distanceUnit);
  if (typeof trip.energy_consumption === "number") {
    figures.push(`${number(trip.energy_consumption, numbers, 1)} ${units.energy}`);
  }
  if (typeof trip.fuel_consumption === "number") {
    figures.push(`${number(trip.fuel_consumption, numbers, 1)} ${units.fuel}`);
  }
  return {
    key: String(trip.start),
    when: formatStart(trip.start, language, where.timeZone),
    route: `${place(trip.start_zone)} → ${place(trip.end_zone)}`,
    figures: figures.join(" · "),
  };
}
