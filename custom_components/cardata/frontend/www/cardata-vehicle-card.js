// BMW CarData vehicle card: custom:cardata-vehicle-card.
// Plain modern JavaScript, no build step. Home Assistant loads this module
// on every dashboard (the integration registers it); the modules below are
// loaded with this module's own version query, so an update of the
// integration never mixes with an old copy in the browser's cache.

const VERSION = new URL(import.meta.url).search;
const [logic, i18n] = await Promise.all([
  import(`./card-logic.js${VERSION}`),
  import(`./card-i18n.js${VERSION}`),
]);
const { SECTIONS } = logic;

const CARD = "cardata-vehicle-card";
const EDITOR = "cardata-vehicle-card-editor";

// Entity registry entries, shared by all cards; fetched again when the
// number of the integration's entities changes (entities appear at run time).
let registryCache = { count: -1, promise: null };

function cardataEntityCount(hass) {
  let count = 0;
  for (const entity of Object.values(hass.entities || {})) {
    if (entity.platform === logic.DOMAIN) count += 1;
  }
  return count;
}

function loadRegistry(hass) {
  const count = cardataEntityCount(hass);
  if (registryCache.promise && registryCache.count === count) {
    return registryCache.promise;
  }
  const promise = hass
    .callWS({ type: "config/entity_registry/list" })
    .catch(() => []);
  registryCache = { count, promise };
  return promise;
}

function escapeHtml(text) {
  return String(text ?? "").replace(
    /[&<>"']/g,
    (c) =>
      ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[
        c
      ],
  );
}

function languageOf(hass) {
  return logic.baseLanguage(
    (hass && ((hass.locale && hass.locale.language) || hass.language)) || "en",
  );
}

const CAR_DRAWING = `<svg class="drawing" viewBox="0 0 240 90" aria-hidden="true">
  <path d="M18 62 C18 50 30 46 46 44 L74 26 C82 21 92 19 104 19 L150 19
    C164 19 174 24 184 32 L200 44 C216 46 226 50 226 62 L226 68 L18 68 Z"
    fill="none" stroke="currentColor" stroke-width="3" stroke-linejoin="round"/>
  <path d="M82 44 L100 28 L126 28 L126 44 Z M134 44 L134 28 L152 28 C160 28
    166 32 172 38 L178 44 Z" fill="currentColor" opacity="0.25"/>
  <circle cx="62" cy="68" r="13" fill="var(--card-background-color, #fff)"
    stroke="currentColor" stroke-width="3"/>
  <circle cx="184" cy="68" r="13" fill="var(--card-background-color, #fff)"
    stroke="currentColor" stroke-width="3"/>
</svg>`;

const STYLE = `
  :host { display: block; }
  ha-card { padding: 16px; color: var(--primary-text-color); }
  .head { display: flex; align-items: center; gap: 12px; }
  .head .titles { flex: 1; min-width: 0; }
  .name { font-size: 1.25em; font-weight: 500; overflow: hidden;
    text-overflow: ellipsis; white-space: nowrap; }
  .model { color: var(--secondary-text-color); }
  .picture { display: flex; justify-content: center; margin: 8px 0;
    color: var(--secondary-text-color); }
  .picture img { max-width: 100%; max-height: 160px; object-fit: contain; }
  .drawing { width: 70%; max-width: 260px; height: auto; }
  section { border-top: 1px solid var(--divider-color); padding: 10px 0 4px; }
  h3 { margin: 0 0 6px; font-size: 0.9em; font-weight: 500;
    color: var(--secondary-text-color); display: flex; align-items: center;
    gap: 6px; }
  h3 ha-icon { --mdc-icon-size: 18px; }
  .tiles { display: grid; gap: 6px 12px;
    grid-template-columns: repeat(auto-fill, minmax(110px, 1fr)); }
  .value { cursor: pointer; border-radius: 6px; padding: 2px 4px;
    margin: 0 -4px; }
  .value:hover, .value:focus-visible { background: var(--secondary-background-color); outline: none; }
  .label { font-size: 0.8em; color: var(--secondary-text-color); }
  .big { font-size: 1.6em; font-weight: 500; }
  .bar { position: relative; height: 10px; border-radius: 5px; margin: 6px 0;
    background: var(--divider-color); overflow: visible; }
  .bar .fill { position: absolute; inset: 0 auto 0 0; border-radius: 5px;
    background: var(--success-color, #43a047); }
  .bar.fuel .fill { background: var(--primary-color); }
  .bar .mark { position: absolute; top: -3px; bottom: -3px; width: 2px;
    background: var(--primary-text-color); }
  .bar .mark.predicted { background: transparent;
    border-left: 2px dashed var(--warning-color, #ffa600); }
  .predicted-text { font-style: italic; color: var(--warning-color, #ffa600); }
  .summary { display: flex; flex-wrap: wrap; gap: 4px 16px; }
  .open { color: var(--error-color, #db4437); }
  details summary { cursor: pointer; color: var(--secondary-text-color);
    font-size: 0.85em; margin-top: 4px; }
  details ul { list-style: none; margin: 4px 0 0; padding: 0; }
  details li { display: flex; justify-content: space-between; gap: 8px; }
  .wheels { display: grid; grid-template-columns: 1fr 1fr; gap: 6px 12px; }
  .empty { color: var(--secondary-text-color); }
`;

class CardataVehicleCard extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this._config = {};
    this._found = null;
    this._foundFor = null;
    this._signature = "";
    this.shadowRoot.addEventListener("click", (ev) => this._onTap(ev));
    this.shadowRoot.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") this._onTap(ev);
    });
  }

  static getConfigElement() {
    return document.createElement(EDITOR);
  }

  static getStubConfig(hass) {
    const first = logic.vehicleDevices(hass.devices, hass.entities)[0];
    return first ? { device_id: first.id } : {};
  }

  setConfig(config) {
    if (!config || typeof config !== "object") throw new Error("Invalid configuration");
    this._config = { ...config };
    this._signature = "";
    this._refresh();
  }

  set hass(hass) {
    this._hass = hass;
    this._refresh();
  }

  get hass() {
    return this._hass;
  }

  getCardSize() {
    return 8;
  }

  getGridOptions() {
    return { columns: 12, min_columns: 6, rows: "auto" };
  }

  connectedCallback() {
    // Keep "5 minutes ago" moving while nothing else changes.
    this._timer = setInterval(() => {
      this._signature = "";
      this._render();
    }, 30000);
  }

  disconnectedCallback() {
    clearInterval(this._timer);
  }

  _device() {
    const hass = this._hass;
    if (!hass || !hass.devices) return null;
    const id = this._config.device_id;
    if (id) return hass.devices[id] || null;
    return logic.vehicleDevices(hass.devices, hass.entities)[0] || null;
  }

  async _refresh() {
    const hass = this._hass;
    const device = this._device();
    if (!hass || !device) {
      this._found = null;
      this._render();
      return;
    }
    const count = cardataEntityCount(hass);
    const key = `${device.id}:${count}`;
    if (this._foundFor !== key) {
      this._foundFor = key;
      const registry = await loadRegistry(hass);
      if (this._foundFor !== key) return;
      this._found = logic.discoverEntities(registry, device);
      this._signature = "";
    }
    this._render();
  }

  _ids() {
    const found = this._found;
    if (!found) return [];
    return [
      ...Object.values(found.roles),
      ...found.doors.map((d) => d.entity_id),
      ...found.windows.map((d) => d.entity_id),
      ...found.tyres.map((d) => d.entity_id),
    ];
  }

  _render() {
    const hass = this._hass;
    if (!hass) return;
    const device = this._device();
    const lang = languageOf(hass);
    const states = hass.states || {};
    const signature = [
      device && device.id,
      device && logic.deviceName(device),
      lang,
      JSON.stringify(this._config),
      ...this._ids().map((id) => (states[id] ? states[id].last_updated + states[id].state : "-")),
    ].join("|");
    if (signature === this._signature) return;
    this._signature = signature;
    const t = i18n.translator(lang);
    let body;
    if (!device) {
      body = `<div class="empty">${escapeHtml(t("no_vehicle"))}</div>`;
    } else {
      body = this._body(device, t, lang);
    }
    this.shadowRoot.innerHTML = `<style>${STYLE}</style><ha-card>${body}</ha-card>`;
  }

  _body(device, t, lang) {
    const hass = this._hass;
    const states = hass.states || {};
    const found = this._found || { roles: {}, doors: [], windows: [], tyres: [] };
    const roles = found.roles;
    const shown = logic.visibleSections(this._config, found, states);
    const parts = [];
    parts.push(`<div class="head"><div class="titles">
      <div class="name">${escapeHtml(logic.deviceName(device))}</div>
      <div class="model">${escapeHtml(device.model || "")}</div></div></div>`);
    for (const name of shown) {
      const html = this[`_section_${name}`](found, roles, states, t, lang);
      if (html) parts.push(html);
    }
    return parts.join("");
  }

  _fmt(entityId) {
    const state = this._hass.states[entityId];
    if (!state) return "";
    try {
      if (typeof this._hass.formatEntityState === "function") {
        return this._hass.formatEntityState(state);
      }
    } catch {
      // fall through to the raw state
    }
    const unit = state.attributes.unit_of_measurement;
    return unit ? `${state.state} ${unit}` : state.state;
  }

  _name(entityId) {
    const state = this._hass.states[entityId];
    const device = this._device();
    let name = (state && state.attributes.friendly_name) || entityId;
    const prefix = device ? logic.deviceName(device) : "";
    if (prefix && name.startsWith(prefix + " ")) name = name.slice(prefix.length + 1);
    return name;
  }

  _value(entityId, label, cls = "") {
    if (!logic.known(this._hass.states[entityId])) return "";
    return `<div class="value ${cls}" role="button" tabindex="0"
      data-entity="${escapeHtml(entityId)}">
      ${label ? `<div class="label">${escapeHtml(label)}</div>` : ""}
      <div class="state">${escapeHtml(this._fmt(entityId))}</div></div>`;
  }

  _section(name, icon, title, inner) {
    return `<section class="${name}" data-section="${name}">
      <h3><ha-icon icon="${icon}"></ha-icon>${escapeHtml(title)}</h3>${inner}</section>`;
  }

  _section_image(found, roles, states) {
    const image = states[roles.image];
    const url = logic.known(image) && image.attributes.entity_picture;
    if (url) {
      return `<div class="picture value" role="button" tabindex="0"
        data-entity="${escapeHtml(roles.image)}"><img alt="" src="${escapeHtml(url)}"></div>`;
    }
    return `<div class="picture">${CAR_DRAWING}</div>`;
  }

  _section_battery(found, roles, states, t) {
    const soc = logic.percent(logic.numeric(states[roles.soc]));
    const predicted = logic.percent(logic.numeric(states[roles.soc_predicted]));
    const target = logic.percent(logic.numeric(states[roles.soc_target]));
    const level = soc ?? predicted;
    const marks = [];
    if (predicted !== null && soc !== null) {
      marks.push(`<div class="mark predicted" style="left:${predicted}%"></div>`);
    }
    if (target !== null) marks.push(`<div class="mark" style="left:${target}%"></div>`);
    let head = "";
    if (soc !== null) {
      head += `<div class="value big" role="button" tabindex="0"
        data-entity="${escapeHtml(roles.soc)}">${escapeHtml(this._fmt(roles.soc))}</div>`;
    }
    if (predicted !== null) {
      head += `<div class="value predicted-text" role="button" tabindex="0"
        data-entity="${escapeHtml(roles.soc_predicted)}">≈ ${escapeHtml(
          this._fmt(roles.soc_predicted),
        )} (${escapeHtml(t("predicted"))})</div>`;
    }
    const bar = `<div class="bar battery"><div class="fill" style="width:${level ?? 0}%"></div>${marks.join("")}</div>`;
    return this._section(
      "battery",
      "mdi:battery-high",
      t("battery"),
      `<div class="summary">${head}</div>${bar}`,
    );
  }

  _section_range(found, roles, states, t) {
    const tiles = [
      this._value(roles.range_electric, t("range_electric")),
      this._value(roles.range_fuel, t("range_fuel")),
      this._value(roles.range_total, t("range_total")),
    ].join("");
    return this._section("range", "mdi:map-marker-distance", t("range"), `<div class="tiles">${tiles}</div>`);
  }

  _section_charging(found, roles, states, t) {
    const tiles = [
      this._value(roles.charging_state, t("charging")),
      this._value(roles.charging_power, t("power")),
      this._value(roles.charging_time, t("time_to_full")),
      this._value(roles.soc_target, t("target")),
    ].join("");
    return this._section("charging", "mdi:ev-station", t("charging"), `<div class="tiles">${tiles}</div>`);
  }

  _section_fuel(found, roles, states, t) {
    const level = logic.percent(logic.numeric(states[roles.fuel_level]));
    const inner = `<div class="value" role="button" tabindex="0"
      data-entity="${escapeHtml(roles.fuel_level)}">${escapeHtml(this._fmt(roles.fuel_level))}</div>
      <div class="bar fuel"><div class="fill" style="width:${level ?? 0}%"></div></div>`;
    return this._section("fuel", "mdi:gas-station", t("fuel"), inner);
  }

  _section_openings(found, roles, states, t) {
    const summary = logic.openingsSummary(states, found);
    const bits = [];
    if (summary.locked !== null) {
      bits.push(`<div class="value" role="button" tabindex="0"
        data-entity="${escapeHtml(roles.lock)}">${escapeHtml(
          summary.locked ? t("locked") : t("unlocked"),
        )}</div>`);
    }
    if (summary.items.length) {
      bits.push(`<div class="${summary.open ? "open" : ""}">${escapeHtml(
        summary.open ? t("open_count", { n: summary.open }) : t("all_closed"),
      )}</div>`);
    }
    const list = summary.items
      .map(
        (item) => `<li class="value ${item.open ? "open" : ""}" role="button" tabindex="0"
          data-entity="${escapeHtml(item.entity_id)}"><span>${escapeHtml(
            this._name(item.entity_id),
          )}</span><span>${escapeHtml(this._fmt(item.entity_id))}</span></li>`,
      )
      .join("");
    const details = list ? `<details><summary>${escapeHtml(t("openings"))}</summary><ul>${list}</ul></details>` : "";
    const icon = summary.locked === false ? "mdi:car-door" : "mdi:car-door-lock";
    return this._section("openings", icon, t("openings"), `<div class="summary">${bits.join("")}</div>${details}`);
  }

  _section_tyres(found, roles, states, t) {
    const label = (tyre) => {
      const axle = tyre.row === 1 ? "front" : "rear";
      return t(`${axle}_${tyre.side}`);
    };
    const tiles = found.tyres.map((tyre) => this._value(tyre.entity_id, label(tyre))).join("");
    return this._section("tyres", "mdi:tire", t("tyres"), `<div class="wheels">${tiles}</div>`);
  }

  _section_position(found, roles, states, t) {
    return this._section(
      "position",
      "mdi:map-marker",
      t("position"),
      `<div class="tiles">${this._value(roles.tracker, "")}</div>`,
    );
  }

  _section_status(found, roles, states, t, lang) {
    const tiles = [];
    const last = states[roles.last_data];
    if (logic.known(last)) {
      const age = logic.formatAge(logic.ageSeconds(last.state), lang);
      tiles.push(`<div class="value" role="button" tabindex="0"
        data-entity="${escapeHtml(roles.last_data)}"><div class="label">${escapeHtml(
          t("last_data"),
        )}</div><div class="state age">${escapeHtml(age)}</div></div>`);
    }
    tiles.push(this._value(roles.stream, t("stream")));
    return this._section("status", "mdi:access-point", t("status"), `<div class="tiles">${tiles.join("")}</div>`);
  }

  _onTap(ev) {
    const target = ev.composedPath().find((el) => el.dataset && el.dataset.entity);
    if (!target) return;
    if (ev.type === "keydown") ev.preventDefault();
    this.dispatchEvent(
      new CustomEvent("hass-more-info", {
        detail: { entityId: target.dataset.entity },
        bubbles: true,
        composed: true,
      }),
    );
  }
}

class CardataVehicleCardEditor extends HTMLElement {
  setConfig(config) {
    this._config = { ...config };
    this._render();
  }

  set hass(hass) {
    this._hass = hass;
    this._render();
  }

  _render() {
    const hass = this._hass;
    if (!hass || !this._config) return;
    const t = i18n.translator(languageOf(hass));
    if (!this._form) {
      this._form = document.createElement("ha-form");
      this._form.addEventListener("value-changed", (ev) => {
        const value = ev.detail.value || {};
        const config = { ...this._config, ...value };
        if (!config.device_id) delete config.device_id;
        if (Array.isArray(config.sections) && config.sections.length === SECTIONS.length) {
          delete config.sections;
        }
        this._config = config;
        this.dispatchEvent(
          new CustomEvent("config-changed", { detail: { config }, bubbles: true, composed: true }),
        );
      });
      this.appendChild(this._form);
    }
    const vehicles = logic.vehicleDevices(hass.devices, hass.entities);
    this._form.hass = hass;
    this._form.schema = [
      {
        name: "device_id",
        selector: {
          select: {
            mode: "dropdown",
            options: vehicles.map((d) => ({ value: d.id, label: logic.deviceName(d) })),
          },
        },
      },
      {
        name: "sections",
        selector: {
          select: {
            multiple: true,
            mode: "list",
            options: SECTIONS.map((s) => ({ value: s, label: t(s) })),
          },
        },
      },
    ];
    this._form.data = {
      device_id: this._config.device_id || (vehicles[0] && vehicles[0].id) || "",
      sections: Array.isArray(this._config.sections) ? this._config.sections : SECTIONS,
    };
    this._form.computeLabel = (schema) => t(schema.name === "device_id" ? "vehicle" : "sections");
  }
}

if (!customElements.get(CARD)) customElements.define(CARD, CardataVehicleCard);
if (!customElements.get(EDITOR)) customElements.define(EDITOR, CardataVehicleCardEditor);

window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === CARD)) {
  const t = i18n.translator(languageOf(document.querySelector("home-assistant")?.hass));
  window.customCards.push({
    type: CARD,
    name: t("name"),
    description: t("description"),
    preview: true,
    documentationURL: "https://github.com/cardata-ha/cardata#the-vehicle-card",
  });
}
