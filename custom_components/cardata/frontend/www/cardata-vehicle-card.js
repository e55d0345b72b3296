// BMW CarData vehicle card: custom:cardata-vehicle-card.
// Plain modern JavaScript, no build step. Home Assistant loads this module
// on every dashboard (the integration registers it); the modules below are
// loaded with this module's own version query, so an update of the
// integration never mixes with an old copy in the browser's cache.
//
// The card stays put: it draws its frame once and then, on each update of
// Home Assistant's state, changes only the texts and elements that differ
// (card-dom.js), so a fold the owner opened stays open and the focus stays.
// Its trips come from the trip journal (the action cardata.get_trips), asked
// again only when the car's trip event entity changes (card-trips.js).

const VERSION = new URL(import.meta.url).search;
const [logic, format, i18n, dom, drawings, trips, { STYLE }, editor] = await Promise.all([
  import(`./card-logic.js${VERSION}`),
  import(`./card-format.js${VERSION}`),
  import(`./card-i18n.js${VERSION}`),
  import(`./card-dom.js${VERSION}`),
  import(`./card-drawings.js${VERSION}`),
  import(`./card-trips.js${VERSION}`),
  import(`./card-style.js${VERSION}`),
  import(`./card-editor.js${VERSION}`),
]);

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
    this._tripsKey = null;
    this._trips = null;
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
    const lang = i18n.hassLanguage(hass);
    const states = hass.states || {};
    this._followTrips(device, found, states);
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

  /** Ask the trip journal again when the car's trip event entity moved. */
  _followTrips(device, found, states) {
    const role = found && found.roles.trip;
    const key = trips.refreshKey(device && device.id, role && states[role]);
    if (key === this._tripsKey) return;
    this._tripsKey = key;
    this._trips = null;
    const connection = this._hass.connection;
    if (key === null || !connection) return;
    trips.askTrips(connection, device.id).then((answer) => {
      if (this._tripsKey !== key) return; // asked again since
      this._trips = answer;
      this._signature = "";
      this._render();
    });
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

  _section_trips(found, roles, states, t, lang) {
    const answer = this._trips;
    let inner = "";
    if (answer && answer.failed) {
      inner = `<div class="quiet" data-key="trips-failed">${escapeHtml(t("trips_failed"))}</div>`;
    } else if (answer && !answer.list.length) {
      inner = `<div class="quiet" data-key="trips-none">${escapeHtml(t("trips_none"))}</div>`;
    } else if (answer) {
      const hass = this._hass;
      const where = {
        language: lang,
        numbers: format.numberLocale(hass.locale),
        timeZone:
          hass.locale && hass.locale.time_zone === "server" && hass.config
            ? hass.config.time_zone
            : undefined,
      };
      const items = answer.list
        .map((trip) => trips.tripRow(trip, t, where))
        .map(
          (row) => `<li class="trip" data-key="trip-${escapeHtml(row.key)}">
            <div class="route">${escapeHtml(row.when)} · ${escapeHtml(row.route)}</div>
            <div class="figures">${escapeHtml(row.figures)}</div></li>`,
        )
        .join("");
      inner = `<details data-key="trips-fold"><summary>${escapeHtml(
        t("trips_latest"),
      )}</summary><ul>${items}</ul></details>`;
    }
    return this._section("trips", "mdi:map-marker-path", t("trips"), inner);
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
    // Only a car whose daily read brought the messages has the entity.
    const check = roles.check_control;
    if (check) tiles.push(this._value(check, this._name(check), this._messages(states[check])));
    return this._section("status", "mdi:access-point", t("status"), `<div class="tiles">${tiles.join("")}</div>`);
  }

  /** The check-control messages as Home Assistant translates them, else their number. */
  _messages(state) {
    if (!logic.known(state)) return null;
    const hass = this._hass;
    if (Number(state.state) > 0 && typeof hass.formatEntityAttributeValue === "function") {
      try {
        return hass.formatEntityAttributeValue(state, "messages");
      } catch {
        // fall back to the number
      }
    }
    return this._fmt(state.entity_id);
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

if (!customElements.get(CARD)) customElements.define(CARD, CardataVehicleCard);
if (!customElements.get(EDITOR)) customElements.define(EDITOR, editor.CardataVehicleCardEditor);

window.customCards = window.customCards || [];
if (!window.customCards.some((card) => card.type === CARD)) {
  window.customCards.push(i18n.pickerEntry(CARD, DOCS));
}
