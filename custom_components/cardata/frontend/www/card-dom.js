// Bring a piece of the page up to date with new markup by changing only what
// differs: texts and attributes of the elements that are there, elements
// added or removed only where the markup has them or no longer has them.
// An element the owner opened (a <details> fold), the focus and the hover
// stay, because the element stays. No imports: modules are loaded with the
// card's version query (see cardata-vehicle-card.js).

// Attributes the owner's actions set, which the markup never carries.
const OWNED_BY_PAGE = new Set(["open"]);

// Elements with a data-key (or data-section) are matched by it, so a section
// that comes or goes never turns its neighbour into itself.
function keyOf(node) {
  if (node.nodeType !== 1) return null;
  return node.getAttribute("data-key") || node.getAttribute("data-section");
}

function same(a, b) {
  if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName) return false;
  return keyOf(a) === keyOf(b);
}

function patchAttributes(from, to) {
  for (const { name, value } of Array.from(to.attributes)) {
    if (from.getAttribute(name) !== value) from.setAttribute(name, value);
  }
  for (const { name } of Array.from(from.attributes)) {
    if (!to.hasAttribute(name) && !OWNED_BY_PAGE.has(name)) {
      from.removeAttribute(name);
    }
  }
}

function patchNode(from, to) {
  if (from.nodeType === 3 || from.nodeType === 8) {
    if (from.data !== to.data) from.data = to.data;
    return;
  }
  patchAttributes(from, to);
  patchChildren(from, to);
}

/** Make the children of ``parent`` those of ``model`` (a detached element). */
export function patchChildren(parent, model) {
  const wanted = Array.from(model.childNodes);
  const keyed = new Map();
  for (const child of Array.from(parent.childNodes)) {
    const key = keyOf(child);
    if (key !== null) keyed.set(key, child);
  }
  let at = parent.firstChild;
  for (const next of wanted) {
    const key = keyOf(next);
    let match = null;
    if (key !== null) {
      match = keyed.get(key) || null;
      if (match && match.nodeName !== next.nodeName) match = null;
    } else if (at && same(at, next)) {
      match = at;
    }
    if (match) {
      if (match !== at) parent.insertBefore(match, at);
      patchNode(match, next);
      at = match.nextSibling;
    } else {
      parent.insertBefore(next, at);
    }
  }
  while (at) {
    const gone = at;
    at = at.nextSibling;
    parent.removeChild(gone);
  }
}

/** Update ``parent`` to show ``html``, changing only what differs. */
export function patchHtml(parent, html) {
  const template = parent.ownerDocument.createElement("template");
  template.innerHTML = html;
  patchChildren(parent, template.content);
}
