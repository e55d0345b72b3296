// Side views of the vehicle's body (card-format.js bodyType picks one),
// drawn in the text colour so they follow the theme. No imports: modules are
// loaded with the card's version query (see cardata-vehicle-card.js).

// body -> [outline, windows, [rear wheel x, front wheel x], wheel radius]
const BODIES = {
  sedan: [
    "M18 62 C18 50 30 46 46 44 L74 26 C82 21 92 19 104 19 L150 19 C164 19 174 24 184 32 L200 44 C216 46 226 50 226 62 L226 68 L18 68 Z",
    "M82 44 L100 28 L126 28 L126 44 Z M134 44 L134 28 L152 28 C160 28 166 32 172 38 L178 44 Z",
    [62, 184],
    13,
  ],
  touring: [
    "M18 62 C18 50 30 46 46 44 L74 26 C82 21 92 19 104 19 L196 19 C204 19 210 22 214 30 L222 44 C226 48 226 54 226 62 L226 68 L18 68 Z",
    "M82 44 L100 28 L126 28 L126 44 Z M134 44 L134 28 L162 28 L162 44 Z M170 44 L170 28 L198 28 C203 28 206 31 208 35 L212 44 Z",
    [62, 184],
    13,
  ],
  suv: [
    "M14 55 C14 43 24 37 40 35 L64 13 C70 8 78 6 88 6 L180 6 C192 6 200 11 206 19 L218 33 C225 37 229 43 229 53 L229 61 L14 61 Z",
    "M74 35 L92 15 L134 15 L134 35 Z M142 35 L142 15 L180 15 C188 15 193 19 197 25 L205 35 Z",
    [58, 188],
    16,
  ],
  small: [
    "M42 62 C42 52 50 46 62 44 L80 24 C86 18 94 15 104 15 L170 15 C180 15 186 19 190 27 L195 44 C200 47 202 53 202 62 L202 68 L42 68 Z",
    "M88 44 L104 25 L136 25 L136 44 Z M144 44 L144 25 L174 25 C179 25 182 28 184 33 L187 44 Z",
    [74, 172],
    13,
  ],
};

/** The SVG of a body type ("sedan" when unknown), titled for screen readers. */
export function drawing(body, title = "") {
  const name = BODIES[body] ? body : "sedan";
  const [outline, windows, wheels, radius] = BODIES[name];
  const safe = String(title).replace(/[&<>"']/g, "");
  const circles = wheels
    .map(
      (x) => `<circle cx="${x}" cy="68" r="${radius}"
        fill="var(--card-background-color, #fff)" stroke="currentColor"
        stroke-width="3"/>`,
    )
    .join("");
  return `<svg class="drawing" data-body="${name}" viewBox="0 0 240 90"
    role="img" aria-label="${safe}"><title>${safe}</title>
    <path d="${outline}" fill="none" stroke="currentColor" stroke-width="3"
      stroke-linejoin="round"/>
    <path d="${windows}" fill="currentColor" opacity="0.25"/>${circles}</svg>`;
}
