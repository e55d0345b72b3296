// BMW CarData vehicle card: custom:cardata-vehicle-card.
// Plain modern JavaScript, no build step. Home Assistant loads this module
// on every dashboard (the integration registers it); the modules below are
// loaded with this module's own version query, so an update of the
// integration never mixes with an old copy in the browser's cache.
//
// The card stays put: it draws its frame once and then, on each update of
// Home Assistant's state, changes only the texts and elements that differ
// (card-dom.js), so a fold the owner opened stays open and the focus stays.

const VERSION = new URL(import.meta.url).search;
const [logic, format, i18n, dom, drawings] = await Promise.all([
  import(`./card-logic.js${VERSION}`),
  import(`./card-format.js${VERSION}`),
  import(`./card-i18n.js${VERSION}`),
  import(`./card-dom.js${VERSION}`),
  import(`./card-drawings.js${VERSION}`),
]);
const { SECTIONS } = logic;

const CARD = "cardata-vehicle-card";
const EDITOR = "cardata-vehicle-card-editor";
const DOCS = "https://github.com/cardata-ha/cardata#the-vehicle-card";

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
  return (hass && ((hass.locale && hass.locale.language) || hass.language)) || "en";
}

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
  .estimate { font-style: italic; color: var(--secondary-text-color); }
  .estimate.differs { color: var(--warning-color, #ffa600); }
  .quiet { color: var(--secondary-text-color); }
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
    this.shadowRoot.innerHTML = `<style>${STYLE}</style><ha-card></ha-card>`;
    this._card = this.shadowRoot.querySelector("ha-card");
    this._config = {};
    this._found = null;
    this._foundFrom = null;
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
    this._render();
  }

  set hass(hass) {
    this._hass = hass;
    this._render();
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

  /** The vehicle's entities; looked up again only when the registries change. */
  _discover(device) {
    const hass = this._hass;
    const from = this._foundFrom;
    if (
      !from ||
      from.device !== device ||
      from.entities !== hass.entities ||
      from.devices !== hass.devices
    ) {
      this._found = logic.discoverEntities(hass.entities, device, hass.devices);
      this._foundFrom = { device, entities: hass.entities, devices: hass.devices };
    }
    return this._found;
  }

  _render() {
    const hass = this._hass;
    if (!hass) return;
    const device = this._device();
    const found = device ? this._discover(device) : null;
    const lang = languageOf(hass);
    const states = hass.states || {};
    const signature = [
      device && device.id,
      device && [logic.deviceName(device), device.model, device.manufacturer].join("/"),
      lang,
      JSON.stringify(hass.locale || {}),
      JSON.stringify(this._config),
      ...logic
        .watchedIds(found)
        .map((id) => (states[id] ? states[id].last_updated + states[id].state : "-")),
    ].join("|");
    // Home Assistant makes these anew when its translations, locale or
    // registries change: the same states may then read differently.
    const inputs = [hass.formatEntityState, hass.localize, hass.entities, hass.devices];
    const same = this._inputs && inputs.every((input, i) => input === this._inputs[i]);
    if (signature === this._signature && same) return;
    this._signature = signature;
    this._inputs = inputs;
    const t = i18n.translator(lang);
    const body = device
      ? this._body(device, found, t, lang)
      : `<div class="empty">${escapeHtml(t("no_vehicle"))}</div>`;
    dom.patchHtml(this._card, body);
  }

  _body(device, found, t, lang) {
    const states = this._hass.states || {};
    const roles = found.roles;
    const shown = logic.visibleSections(this._config, found, states);
    const parts = [];
    parts.push(`<div class="head" data-key="head"><div class="titles">
      <div class="name">${escapeHtml(logic.deviceName(device))}</div>
      <div class="model">${escapeHtml(device.model || "")}</div></div></div>`);
    for (const name of shown) {
      const html = this[`_section_${name}`](found, roles, states, t, lang, device);
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

  /** A value the owner can tap; its label only when the value does not say it. */
  _value(entityId, label, text = null, cls = "") {
    if (!logic.known(this._hass.states[entityId])) return "";
    const shown = text ?? this._fmt(entityId);
    const title = format.labelFor(label, shown);
    return `<div class="value ${cls}" role="button" tabindex="0"
      data-key="${escapeHtml(entityId)}" data-entity="${escapeHtml(entityId)}">
      ${title ? `<div class="label">${escapeHtml(title)}</div>` : ""}
      <div class="state">${escapeHtml(shown)}</div></div>`;
  }

  _section(name, icon, title, inner) {
    return `<section class="${name}" data-section="${name}">
      <h3><ha-icon icon="${icon}"></ha-icon>${escapeHtml(title)}</h3>${inner}</section>`;
  }

  _section_image(found, roles, states, t, lang, device) {
    const image = states[roles.image];
    const url = logic.known(image) && image.attributes.entity_picture;
    if (url) {
      return `<div class="picture value" data-section="image" role="button" tabindex="0"
        data-entity="${escapeHtml(roles.image)}"><img alt="" src="${escapeHtml(url)}"></div>`;
    }
    const body = format.bodyType(device);
    return `<div class="picture" data-section="image">${drawings.drawing(body, t(`body_${body}`))}</div>`;
  }

  _section_battery(found, roles, states, t) {
    const soc = logic.numeric(states[roles.soc]);
    const predicted = logic.numeric(states[roles.soc_predicted]);
    const target = logic.percent(logic.numeric(states[roles.soc_target]));
    const entity = this._hass.entities && this._hass.entities[roles.soc_predicted];
    const digits = (entity && entity.display_precision) ?? 0;
    const differs = format.estimateDiffers(soc, predicted, digits);
    const level = logic.percent(soc ?? predicted);
    const marks = [];
    if (differs) {
      marks.push(`<div class="mark predicted" data-key="predicted"
        style="left:${logic.percent(predicted)}%"></div>`);
    }
    if (target !== null) {
      marks.push(`<div class="mark" data-key="target" style="left:${target}%"></div>`);
    }
    let head = "";
    if (soc !== null) {
      head += `<div class="value big" role="button" tabindex="0" data-key="soc"
        data-entity="${escapeHtml(roles.soc)}">${escapeHtml(this._fmt(roles.soc))}</div>`;
    }
    if (predicted !== null) {
      head += `<div class="value estimate${differs ? " differs" : ""}" role="button"
        tabindex="0" data-key="estimate" data-entity="${escapeHtml(roles.soc_predicted)}">≈ ${escapeHtml(
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
    const view = format.chargingView(states, roles);
    if (view.unplugged) {
      return this._section(
        "charging",
        "mdi:power-plug-off-outline",
        t("charging"),
        `<div class="tiles">${this._value(roles.plugged, "", t("unplugged"), "quiet")}</div>`,
      );
    }
    const tile = {
      charging_state: () => this._value(roles.charging_state, ""),
      charging_power: () =>
        this._value(
          roles.charging_power,
          t("power"),
          format.formatPower(states[roles.charging_power], this._hass.locale),
          "power",
        ),
      charging_time: () => this._value(roles.charging_time, t("time_to_full")),
      soc_target: () => this._value(roles.soc_target, t("target")),
    };
    const tiles = view.show.map((role) => tile[role]()).join("");
    return this._section("charging", "mdi:ev-station", t("charging"), `<div class="tiles">${tiles}</div>`);
  }

  _section_fuel(found, roles, states, t) {
    const level = logic.percent(logic.numeric(states[roles.fuel_level]));
    const inner = `<div class="value" role="button" tabindex="0" data-key="fuel"
      data-entity="${escapeHtml(roles.fuel_level)}">${escapeHtml(this._fmt(roles.fuel_level))}</div>
      <div class="bar fuel"><div class="fill" style="width:${level ?? 0}%"></div></div>`;
    return this._section("fuel", "mdi:gas-station", t("fuel"), inner);
  }

  _section_openings(found, roles, states, t) {
    const summary = logic.openingsSummary(states, found);
    const bits = [];
    if (summary.locked !== null) {
      bits.push(`<div class="value" role="button" tabindex="0" data-key="lock"
        data-entity="${escapeHtml(roles.lock)}">${escapeHtml(
          summary.locked ? t("locked") : t("unlocked"),
        )}</div>`);
    }
    if (summary.items.length) {
      bits.push(`<div class="${summary.open ? "open" : ""}" data-key="count">${escapeHtml(
        summary.open ? t("open_count", { n: summary.open }) : t("all_closed"),
      )}</div>`);
    }
    const list = summary.items
      .map(
        (item) => `<li class="value ${item.open ? "open" : ""}" role="button" tabindex="0"
          data-key="${escapeHtml(item.entity_id)}" data-entity="${escapeHtml(item.entity_id)}"><span>${escapeHtml(
            this._name(item.entity_id),
          )}</span><span>${escapeHtml(this._fmt(item.entity_id))}</span></li>`,
      )
      .join("");
    const details = list
      ? `<details data-key="fold"><summary>${escapeHtml(t("openings"))}</summary><ul>${list}</ul></details>`
      : "";
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
    const zone = format.zoneName(states[roles.tracker], states);
    return this._section(
      "position",
      "mdi:map-marker",
      t("position"),
      `<div class="tiles">${this._value(roles.tracker, "", zone)}</div>`,
    );
  }

  _section_status(found, roles, states, t, lang) {
    const tiles = [];
    const last = states[roles.last_data];
    if (logic.known(last)) {
      const age = logic.formatAge(logic.ageSeconds(last.state), i18n.baseLanguage(lang));
      tiles.push(`<div class="value" role="button" tabindex="0" data-key="last_data"
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

// Vehicles only: the account's (service) device has sensors only.
const VEHICLE_SELECTOR = {
  device: {
    filter: [{ integration: logic.DOMAIN }],
    entity: [
      {
        integration: logic.DOMAIN,
        domain: ["binary_sensor", "device_tracker", "image", "button", "number"],
      },
      { integration: logic.DOMAIN, domain: "sensor", device_class: ["battery", "distance"] },
    ],
  },
};

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
    const lang = languageOf(hass);
    const t = i18n.translator(lang);
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
    this._form.hass = hass;
    if (this._lang !== lang) {
      this._lang = lang;
      this._form.schema = [
        { name: "device_id", selector: VEHICLE_SELECTOR },
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
      this._form.computeLabel = (schema) =>
        t(schema.name === "device_id" ? "vehicle" : "sections");
    }
    const first = logic.vehicleDevices(hass.devices, hass.entities)[0];
    const data = {
      device_id: this._config.device_id || (first && first.id) || "",
      sections: Array.isArray(this._config.sections) ? this._config.sections : SECTIONS,
    };
    if (JSON.stringify(data) !== JSON.stringify(this._form.data)) this._form.data = data;
  }
}

if (!customElements.get(CARD)) customElements.define(CARD, CardataVehicleCard);
if (!customElements.get(EDITOR)) customElements.define(EDITOR, CardataVehicleCardEditor);

window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === CARD)) {
  window.customCards.push(i18n.pickerEntry(CARD, DOCS));
}
