// The vehicle card's editor (custom:cardata-vehicle-card-editor): Home
// Assistant's form with a vehicle picker and the sections to show. Loaded
// by cardata-vehicle-card.js, which defines the element; the modules below
// come with this module's own version query.

const VERSION = new URL(import.meta.url).search;
const [logic, i18n] = await Promise.all([
  import(`./card-logic.js${VERSION}`),
  import(`./card-i18n.js${VERSION}`),
]);
const { SECTIONS } = logic;

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

export class CardataVehicleCardEditor extends HTMLElement {
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
    const lang = i18n.hassLanguage(hass);
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
