// The page and its elements: lookups, building elements from text, the toast, the
// rendered-HTML preview.

const body = document.body;
const $ = (selector, root) => (root || document).querySelector(selector);
const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
const field = (form, name) => form.elements.namedItem(name);

const setAttr = (el, name, value) => {
  if (value === null || value === undefined || value === false) {
    return;
  }
  if (name === 'text') {
    el.textContent = value;
    return;
  }
  if (name.startsWith('on')) {
    el.addEventListener(name.slice(2), value);
    return;
  }
  el.setAttribute(name, value === true ? '' : String(value));
};

// Builds an element: `text` and string children go in as text, never as HTML.
const h = (tag, attrs, children) => {
  const el = document.createElement(tag);
  const given = attrs || {};
  Object.keys(given).forEach((name) => setAttr(el, name, given[name]));
  (children || []).forEach((child) => {
    if (child === null || child === undefined || child === false) {
      return;
    }
    el.append(child);
  });
  return el;
};

// A URL from another server as a link may use it: http(s) only, never `javascript:`.
const httpUrl = (url) => (typeof url === 'string' && /^https?:\/\//i.test(url) ? url : null);

// A link to another site, opened in a new tab that cannot reach back to the admin.
const externalLink = (href, text, attrs) =>
  h('a', Object.assign({ href, target: '_blank', rel: 'nofollow noopener noreferrer' }, attrs), [
    text,
    h('span', { class: 'visually-hidden', text: ' (opens in a new tab)' }),
  ]);

let uid = 0;
const nextId = (prefix) => {
  uid += 1;
  return prefix + '-' + uid;
};

let toastTimer = null;
const toast = (message) => {
  const el = $('#toast');
  el.textContent = message;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.textContent = '';
  }, 6000);
};

const markReady = () => body.setAttribute('data-ready', 'true');

// Puts rendered post HTML (sanitised by the server's Markdown renderer, as on the site) into
// the preview. The renderer marks aligned table columns with classes; HTML stored before it
// did carries inline `style` attributes, which the page's Content-Security-Policy refuses: it
// is parsed in an inert template first, and such a cell gets the class instead.
const showHtml = (container, html) => {
  const template = document.createElement('template');
  template.innerHTML = html;
  $$('th[style], td[style]', template.content).forEach((cell) => {
    const align = /text-align:\s*(left|center|right)/.exec(cell.getAttribute('style') || '');
    cell.removeAttribute('style');
    if (align) {
      cell.classList.add('align-' + align[1]);
    }
  });
  container.replaceChildren(template.content);
};
