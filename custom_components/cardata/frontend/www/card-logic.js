// Pure logic of the vehicle card: which entity plays which role, and how
// values are summed up. No DOM and no Home Assistant object here, so node's
// test runner checks it (tests/frontend/).

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
  "status",
];

const CHG = "vehicle.drivetrain.electricEngine.charging.";

// Role -> unique-id descriptors (after "{VIN}_"), best first.
export const ROLES = {
  soc: [
    "vehicle.drivetrain.batteryManagement.header",
    CHG + "level",
    "vehicle.powertrain.electric.battery.stateOfCharge.displayed",
  ],
  soc_predicted: ["predicted_soc"],
  soc_target: ["vehicle.powertrain.electric.battery.stateOfCharge.target"],
  range_electric: [
    "vehicle.drivetrain.electricEngine.kombiRemainingElectricRange",
    "vehicle.drivetrain.electricEngine.remainingElectricRange",
  ],
  range_fuel: ["vehicle.drivetrain.lastRemainingRange"],
  range_total: ["vehicle.drivetrain.totalRemainingRange"],
  charging_state: [CHG + "hvStatus", CHG + "status"],
  charging_power: ["vehicle.powertrain.electric.battery.charging.power"],
  charging_time: [CHG + "timeToFullyCharged"],
  plugged: [
    "vehicle.powertrain.tractionBattery.charging.port.anyPosition.isPlugged",
  ],
  fuel_level: ["vehicle.drivetrain.fuelSystem.level"],
  lock: ["vehicle.cabin.door.lock.status"],
  hood: ["vehicle.body.hood.isOpen"],
  trunk: ["vehicle.body.trunk.isOpen", "vehicle.body.trunk.door.isOpen"],
  mileage: ["vehicle.vehicle.travelledDistance"],
  tracker: ["device_tracker"],
  last_data: ["last_data_received"],
  image: ["vehicle_image"],
};

// Roles found by pattern: several entities each.
const DOOR = /^vehicle\.cabin\.door\.row(\d)\.(driver|passenger)\.isOpen$/;
const WINDOW = /^vehicle\.cabin\.window\.row(\d)\.(driver|passenger)\.status$/;
const SUNROOF = /^vehicle\.cabin\.sunroof\.status$/;
const TYRE =
  /^vehicle\.chassis\.axle\.row(\d)\.wheel\.(left|right)\.tire\.pressure$/;

// Account-level entities, unique id "{entry_id}_{key}".
const ACCOUNT_ROLES = { stream: "stream_state" };

/**
 * Split a unique id "{VIN}_{descriptor}"; VINs hold no underscore.
 * @returns {{vin: string, key: string} | null}
 */
export function splitUniqueId(uniqueId) {
  if (typeof uniqueId !== "string") return null;
  const at = uniqueId.indexOf("_");
  if (at <= 0 || at === uniqueId.length - 1) return null;
  return { vin: uniqueId.slice(0, at), key: uniqueId.slice(at + 1) };
}

/**
 * Find the card's entities of one vehicle device.
 *
 * @param {Array<object>} registry entity registry entries (entity_id,
 *   unique_id, platform, device_id, config_entry_id, disabled_by)
 * @param {{id: string, config_entries?: string[]}} device
 * @returns {{roles: Record<string,string>, doors: object[], windows: object[],
 *   tyres: object[], vin: string|null}}
 */
export function discoverEntities(registry, device) {
  const found = { roles: {}, doors: [], windows: [], tyres: [], vin: null };
  if (!device || !Array.isArray(registry)) return found;
  const mine = registry.filter(
    (e) => e && e.platform === DOMAIN && !e.disabled_by,
  );
  const keyed = new Map();
  for (const entry of mine) {
    if (entry.device_id !== device.id) continue;
    const parts = splitUniqueId(entry.unique_id);
    if (!parts) continue;
    found.vin = found.vin || parts.vin;
    keyed.set(parts.key, entry.entity_id);
    let m;
    if ((m = DOOR.exec(parts.key))) {
      found.doors.push(place(entry.entity_id, m[1], m[2]));
    } else if ((m = WINDOW.exec(parts.key))) {
      found.windows.push(place(entry.entity_id, m[1], m[2]));
    } else if (SUNROOF.test(parts.key)) {
      found.windows.push({ entity_id: entry.entity_id, row: 9, side: "roof" });
    } else if ((m = TYRE.exec(parts.key))) {
      found.tyres.push(place(entry.entity_id, m[1], m[2]));
    }
  }
  for (const [role, keys] of Object.entries(ROLES)) {
    const key = keys.find((k) => keyed.has(k));
    if (key) found.roles[role] = keyed.get(key);
  }
  const entries = new Set(device.config_entries || []);
  for (const entry of mine) {
    if (!entries.has(entry.config_entry_id)) continue;
    for (const [role, key] of Object.entries(ACCOUNT_ROLES)) {
      if (entry.unique_id === `${entry.config_entry_id}_${key}`) {
        found.roles[role] = entry.entity_id;
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
      has("charging_state") || has("charging_power") || has("charging_time"),
    fuel: () => has("fuel_level"),
    openings: () =>
      any(found.doors) || any(found.windows) || has("hood") || has("trunk") ||
      has("lock"),
    tyres: () => any(found.tyres),
    position: () => has("tracker"),
    status: () => has("last_data") || has("stream"),
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

/** The base language of a Home Assistant locale ("pt-BR" -> "pt"). */
export function baseLanguage(language) {
  const lang = String(language || "en").toLowerCase();
  if (lang === "no" || lang.startsWith("nb") || lang.startsWith("nn")) {
    return "nb";
  }
  return lang.split(/[-_]/)[0];
}
