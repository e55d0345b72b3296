// Texts of the vehicle card in the integration's languages: which language
// the page speaks, and a translator over the table in card-texts.js. Values
// and entity names come from Home Assistant (already in the user's
// language). The tables (card-texts.js, and card-texts-trips.js for the
// trips fold) are loaded with this module's own version query, so nothing
// here is ever fetched by a plain (cacheable) URL.

const VERSION = new URL(import.meta.url).search;
const [{ TEXTS: CARD_TEXTS }, { TRIP_TEXTS }] = await Promise.all([
  import(`./card-texts.js${VERSION}`),
  import(`./card-texts-trips.js${VERSION}`),
]);

/** The card's words per language: its own and those of the trips fold. */
export const TEXTS = Object.fromEntries(
  Object.entries(CARD_TEXTS).map(([lang, texts]) => [
    lang,
    { ...texts, ...TRIP_TEXTS[lang] },
  ]),
);

/** The base language of a Home Assistant locale ("pt-BR" -> "pt"). */
export function baseLanguage(language) {
  const lang = String(language || "en").toLowerCase();
  if (lang === "no" || lang.startsWith("nb") || lang.startsWith("nn")) {
    return "nb";
  }
  return lang.split(/[-_]/)[0];
}

/** The language of Home Assistant's page, from its hass object. */
export function hassLanguage(hass) {
  return (hass && ((hass.locale && hass.locale.language) || hass.language)) || "en";
}

/** A translator for a language ("de", "pt-BR"); English where one is missing. */
export function translator(language) {
  const texts = TEXTS[baseLanguage(language)] || TEXTS.en;
  return (key, vars = {}) => {
    const text = texts[key] ?? TEXTS.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
  };
}

/**
 * The language the page shows, as far as it is known when asked: Home
 * Assistant's (once its frontend has connected), else the one the owner
 * picked in this browser (stored before the page loads), else the
 * browser's.
 */
export function pageLanguage(
  doc = globalThis.document,
  storage = globalThis.localStorage,
  nav = globalThis.navigator,
) {
  const root = doc && doc.querySelector ? doc.querySelector("home-assistant") : null;
  const hass = root && root.hass;
  const known = hass && ((hass.locale && hass.locale.language) || hass.language);
  if (known) return known;
  try {
    const stored = storage && JSON.parse(storage.getItem("selectedLanguage") || "null");
    if (typeof stored === "string" && stored) return stored;
  } catch {
    // not JSON: ignore it
  }
  return (nav && nav.language) || "en";
}

/**
 * The card picker's entry (window.customCards). Its name and description
 * are read when the picker opens, in the language the page shows then:
 * the module loads before Home Assistant's frontend knows its language.
 */
export function pickerEntry(type, documentationURL, language = pageLanguage) {
  return {
    type,
    preview: true,
    documentationURL,
    get name() {
      return translator(language())("name");
    },
    get description() {
      return translator(language())("description");
    },
  };
}
