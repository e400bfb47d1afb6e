// Small DOM and HTTP helpers shared by the pages. Text from the server only ever becomes text nodes.

import { parseJson } from './json.js';
import { initialLang, setLang, t } from './i18n.js';

/** h('p', {class: 'x', onclick: fn}, 'text', child, [more]) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** SVG element with attributes. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== null && value !== undefined) el.setAttribute(name, String(value));
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/**
 * GET/POST JSON; integers beyond 2^53 are kept exact (BigInt). Returns {status, ok, data, text}.
 * Network failures return {status: 0}.
 */
export async function request(url, options = {}) {
  let response;
  try {
    response = await fetch(url, {
      credentials: 'same-origin',
      headers: { accept: 'application/json', ...(options.body ? { 'content-type': 'application/json' } : {}) },
      ...options,
    });
  } catch (err) {
    return { status: 0, ok: false, data: null, text: '', error: err };
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? parseJson(text) : null;
  } catch {
    data = null;
  }
  return { status: response.status, ok: response.ok, data, text };
}

/** Wire the language button and apply the saved language. `rerender` runs after each switch. */
export function setupLanguage(rerender) {
  const button = document.getElementById('lang-switch');
  const title = () => {
    document.title = `${t(document.body.dataset.titleKey ?? 'brand.tagline')} · Saksi`;
    if (button) button.lang = document.documentElement.lang === 'id' ? 'en' : 'id';
  };
  setLang(initialLang());
  title();
  button?.addEventListener('click', () => {
    setLang(document.documentElement.lang === 'id' ? 'en' : 'id');
    title();
    rerender?.();
  });
}

export const shortHex = (hex, keep = 6) => (typeof hex === 'string' && hex.length > 2 * keep + 4 ? `${hex.slice(0, keep + 2)}…${hex.slice(-keep)}` : hex);
