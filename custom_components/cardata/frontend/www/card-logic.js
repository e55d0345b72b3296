// Pure logic of the vehicle card: which entity plays which role, and which
// sections there are. No DOM and no Home Assistant object here, so node's
// test runner checks it (tests/frontend/).
//
// The card finds its vehicle's entities in what Home Assistant already gives
// every dashboard: hass.entities (entity_id, device_id, platform,
// translation_key) and hass.devices. The translation keys are the ones the
// integration gives its entities (catalogue/descriptors.py
// translation_key_for); tests/test_frontend.py checks that each one named
// here is one the integration has.

export const DOMAIN = "cardata";

// Section names, in the order the card shows them.
export const SECTIONS = [
  "image",
  "battery",
  "range",
  "charging",
  "fuel",
  "openings",
  "tyres",
  "position",
  "trips",
  "status",
];

// Role -> translation keys of the vehicle's entities, best first.
export const ROLES = {
  soc: [
    "drivetrain_battery_management_header",
    "charging_level",
    "battery_state_of_charge_displayed",
  ],
  soc_predicted: ["predicted_soc"],
  soc_target: ["battery_state_of_charge_target"],
  range_electric: [
    "drivetrain_electric_engine_kombi_remaining_electric_range",
    "drivetrain_electric_engine_remaining_electric_range",
  ],
  range_fuel: ["drivetrain_last_remaining_range"],
  range_total: ["drivetrain_total_remaining_range"],
  charging_state: ["charging_hv_status", "charging_status"],
  charging_power: ["battery_charging_power"],
  charging_time: ["charging_time_to_fully_charged"],
  plugged: ["charging_port_any_position_is_plugged"],
  fuel_level: ["drivetrain_fuel_system_level"],
  lock: ["cabin_door_lock_status"],
  hood: ["body_hood_is_open"],
  trunk: ["body_trunk_is_open", "body_trunk_door_is_open"],
  mileage: ["travelled_distance"],
  last_data: ["last_data_received"],
  check_control: ["status_check_control_messages"],
  image: ["vehicle_image"],
  // The trip event entity: its state moves with each trip's start and end,
  // which is when the card asks the trip journal again (card-trips.js).
  trip: ["trip"],
};

// Roles found by pattern: several entities each.
export const PATTERNS = {
  door: /^cabin_door_row(\d)_(driver|passenger)_is_open$/,
  window: /^cabin_window_row(\d)_(driver|passenger)_status$/,
  sunroof: /^cabin_sunroof_status$/,
  tyre: /^axle_row(\d)_wheel_(left|right)_tire_pressure$/,
};

// Entities of the account (its service device), by translation key.
export const ACCOUNT_ROLES = { stream: "stream_state" };

const EMPTY = () => ({ roles: {}, doors: [], windows: [], tyres: [] });

/**
 * Find the card's entities of one vehicle device.
 *
 * @param {Record<string, object>} entities hass.entities (entity_id ->
 *   {entity_id, device_id, platform, translation_key})
 * @param {{id: string, config_entries?: string[]}} device the vehicle
 * @param {Record<string, object>} devices hass.devices (for the account)
 * @returns {{roles: Record<string,string>, doors: object[], windows: object[],
 *   tyres: object[]}}
 */
export function discoverEntities(entities, device, devices = {}) {
  const found = EMPTY();
  if (!device || !entities) return found;
  const mine = Object.values(entities).filter(
    (e) => e && e.platform === DOMAIN && e.entity_id,
  );
  const keyed = new Map();
  for (const entity of mine) {
    if (entity.device_id !== device.id) continue;
    const id = entity.entity_id;
    if (id.startsWith("device_tracker.")) {
      found.roles.tracker = found.roles.tracker || id;
      continue;
    }
    const key = entity.translation_key;
    if (!key) continue;
    if (!keyed.has(key)) keyed.set(key, id);
    let m;
    if ((m = PATTERNS.door.exec(key))) {
      found.doors.push(place(id, m[1], m[2]));
    } else if ((m = PATTERNS.window.exec(key))) {
      found.windows.push(place(id, m[1], m[2]));
    } else if (PATTERNS.sunroof.test(key)) {
      found.windows.push({ entity_id: id, row: 9, side: "roof" });
    } else if ((m = PATTERNS.tyre.exec(key))) {
      found.tyres.push(place(id, m[1], m[2]));
    }
  }
  for (const [role, keys] of Object.entries(ROLES)) {
    const key = keys.find((k) => keyed.has(k));
    if (key) found.roles[role] = keyed.get(key);
  }
  // The account's entities sit on its own (service) device of the same entry.
  const entries = new Set(device.config_entries || []);
  for (const entity of mine) {
    const owner = devices[entity.device_id];
    if (!owner || owner.entry_type !== "service") continue;
    if (!(owner.config_entries || []).some((id) => entries.has(id))) continue;
    for (const [role, key] of Object.entries(ACCOUNT_ROLES)) {
      if (entity.translation_key === key && !found.roles[role]) {
        found.roles[role] = entity.entity_id;
      }
    }
  }
  const order = (a, b) => a.row - b.row || a.side.localeCompare(b.side);
  found.doors.sort(order);
  found.windows.sort(order);
  found.tyres.sort(order);
  return found;
}

function place(entityId, row, side) {
  return { entity_id: entityId, row: Number(row), side };
}

/** Every entity id the card shows, for telling whether one of them moved. */
export function watchedIds(found) {
  if (!found) return [];
  return [
    ...Object.values(found.roles),
    ...found.doors.map((d) => d.entity_id),
    ...found.windows.map((d) => d.entity_id),
    ...found.tyres.map((d) => d.entity_id),
  ];
}

/** Devices of the integration that are vehicles (not the account device). */
export function vehicleDevices(devices, entities) {
  const withCardata = new Set(
    Object.values(entities || {})
      .filter((e) => e && e.platform === DOMAIN && e.device_id)
      .map((e) => e.device_id),
  );
  return Object.values(devices || {})
    .filter((d) => d && withCardata.has(d.id) && d.entry_type !== "service")
    .sort((a, b) => deviceName(a).localeCompare(deviceName(b)));
}

export function deviceName(device) {
  return (device && (device.name_by_user || device.name)) || "";
}

/** A state's number, or null when unknown/unavailable/not a number. */
export function numeric(state) {
  if (!state) return null;
  const raw = typeof state === "object" ? state.state : state;
  if (raw === null || raw === undefined || raw === "") return null;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}

export function known(state) {
  return Boolean(
    state && state.state !== "unknown" && state.state !== "unavailable",
  );
}

const OPEN_WORDS = new Set(["on", "open", "intermediate"]);

/** True when a door/window/bonnet/tailgate state means open. */
export function isOpen(state) {
  return known(state) && OPEN_WORDS.has(String(state.state).toLowerCase());
}

/**
 * Sum up the openings and the lock.
 * @param {Record<string, object>} states entity_id -> state object
 * @param {{roles: object, doors: object[], windows: object[]}} found
 * @returns {{items: Array<{kind: string, entity_id: string, open: boolean,
 *   known: boolean}>, open: number, locked: boolean|null}}
 */
export function openingsSummary(states, found) {
  const items = [];
  const add = (kind, entityId) => {
    const state = states[entityId];
    items.push({
      kind,
      entity_id: entityId,
      open: isOpen(state),
      known: known(state),
    });
  };
  for (const door of found.doors) add("door", door.entity_id);
  for (const window of found.windows) add("window", window.entity_id);
  if (found.roles.hood) add("hood", found.roles.hood);
  if (found.roles.trunk) add("trunk", found.roles.trunk);
  let locked = null;
  const lock = found.roles.lock ? states[found.roles.lock] : undefined;
  if (known(lock)) {
    locked = ["locked", "secured", "selective_locked"].includes(
      String(lock.state).toLowerCase(),
    );
  }
  return {
    items: items.filter((i) => i.known),
    open: items.filter((i) => i.open).length,
    locked,
  };
}

/**
 * Which sections to show: those switched on and with an entity that has a
 * state.
 */
export function visibleSections(config, found, states) {
  const wanted = new Set(
    Array.isArray(config && config.sections) ? config.sections : SECTIONS,
  );
  const has = (role) => known(states[found.roles[role]]);
  const any = (list) => list.some((item) => known(states[item.entity_id]));
  const tests = {
    image: () => true,
    battery: () => has("soc") || has("soc_predicted"),
    range: () =>
      has("range_electric") || has("range_fuel") || has("range_total"),
    charging: () =>
      has("charging_state") || has("charging_power") || has("charging_time") ||
      has("plugged"),
    fuel: () => has("fuel_level"),
    openings: () =>
      any(found.doors) || any(found.windows) || has("hood") || has("trunk") ||
      has("lock"),
    tyres: () => any(found.tyres),
    position: () => has("tracker"),
    // Before its first event the trip entity has no state worth showing,
    // but the journal may already hold trips: shown while it exists.
    trips: () => Boolean(found.roles.trip && states[found.roles.trip]),
    status: () => has("last_data") || has("stream") || has("check_control"),
  };
  return SECTIONS.filter((name) => wanted.has(name) && tests[name]());
}

/** Whole seconds between an ISO time stamp and now; null when unknown. */
export function ageSeconds(isoTime, now = Date.now()) {
  if (!isoTime) return null;
  const at = Date.parse(isoTime);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.round((now - at) / 1000));
}

/** "5 minutes ago" in the given language (Intl.RelativeTimeFormat). */
export function formatAge(seconds, language = "en") {
  if (seconds === null || seconds === undefined) return "";
  const steps = [
    [60, "second", 1],
    [3600, "minute", 60],
    [86400, "hour", 3600],
    [Infinity, "day", 86400],
  ];
  const [, unit, size] = steps.find(([limit]) => seconds < limit);
  let format;
  try {
    format = new Intl.RelativeTimeFormat(language, { numeric: "auto" });
  } catch {
    format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  }
  return format.format(-Math.floor(seconds / size), unit);
}

/** Clamp a charge level to 0..100 for a bar; null when unknown. */
export function percent(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return null;
  }
  return Math.min(100, Math.max(0, value));
}
