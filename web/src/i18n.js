// Every string the pages show, in Bahasa Indonesia (default) and English, from one module per concern
// (i18n/common.js here; i18n/citizen.js and i18n/audit.js added by their page with `addStrings`, so that
// neither page downloads the other's words; i18n/all.js holds all three, for tests). Each module holds
// both languages key for key, so a key and its translation sit side by side. `t(key, params)`
// interpolates {name}; a key missing in English falls back to Indonesian.

import * as common from './i18n/common.js';

export const LANGS = ['id', 'en'];

const id = { ...common.id };
const en = { ...common.en };

export const DICTIONARY = { id, en };

/** Add a page's strings ({id, en}, as the modules of i18n/ export them). */
export function addStrings(strings) {
  Object.assign(id, strings.id);
  Object.assign(en, strings.en);
}

const STORAGE_KEY = 'saksi.lang';
let current = 'id';

export function initialLang() {
  try {
    const stored = globalThis.localStorage?.getItem(STORAGE_KEY);
    if (LANGS.includes(stored)) return stored;
  } catch {
    /* storage may be disabled */
  }
  return 'id';
}

export function setLang(lang) {
  current = LANGS.includes(lang) ? lang : 'id';
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, current);
  } catch {
    /* storage may be disabled */
  }
  if (globalThis.document) {
    document.documentElement.lang = current;
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
    for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  return current;
}

export const lang = () => current;
export const locale = () => (current === 'id' ? 'id-ID' : 'en-GB');

export function has(key) {
  return key in DICTIONARY[current] || key in id;
}

export function t(key, params = {}) {
  const template = DICTIONARY[current][key] ?? id[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** An event type in words: its label, or for a type this page does not know (an agency's own), its
 *  words spelled out ("permit.stamp_renewed" → "Other step: permit, stamp renewed"), never the raw code. */
export function eventLabel(eventType) {
  if (has(`event.${eventType}`)) return t(`event.${eventType}`);
  const what = String(eventType).split('.').map((part) => part.replaceAll('_', ' ')).join(', ');
  return t('event.other', { what });
}
export const serviceLabel = (service) => (has(`service.${service}`) ? t(`service.${service}`) : service);

/** "2 hari 3 jam" / "2 d 3 h": the two largest units. */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return t('duration.lessThanMinute');
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [];
  if (d) parts.push(t('duration.day', { n: d }));
  if (h) parts.push(t('duration.hour', { n: h }));
  if (!d && m) parts.push(t('duration.minute', { n: m }));
  return parts.slice(0, 2).join(' ');
}

export function formatDate(ms) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(Number(ms)));
}

export function formatNumber(n) {
  return new Intl.NumberFormat(locale()).format(Number(n));
}
