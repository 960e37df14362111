// The pages' languages (doc/web.md, "Languages"). Every string people read is a key of a message
// catalogue: internal/web/static/locales/<lang>.json, one flat JSON object of key → text per
// language. English is the source and is bundled with the page; another language is fetched from
// meetd (/static/locales/<lang>.json) once, before the page shows its text. The languages on offer
// are the files present (/static/locales/index.json, which meetd makes from them).
//
// t(key, params): the text of key in the page's language, else English's, with {name}
// placeholders filled (numbers formatted for the language). A key with plural forms has them as
// key.zero, key.one, key.two, key.few, key.many and key.other (Intl.PluralRules' categories, as
// the language needs them): t picks the form with params.count.

import en from '../../internal/web/static/locales/en.json' with { type: 'json' };

export const SOURCE = 'en';
const RTL = new Set(['ar', 'arc', 'ckb', 'dv', 'fa', 'he', 'ks', 'ps', 'sd', 'syr', 'ug', 'ur', 'yi']);

let lang = SOURCE;
let catalogue = en;
const rules = new Map(); // language → Intl.PluralRules

// language is the page's language (a name of a catalogue: "en", "de", "pt", …).
export function language() {
  return lang;
}

// isRTL says whether the language is written right to left.
export function isRTL(l = lang) {
  return RTL.has(String(l).toLowerCase().split('-')[0]);
}

function pluralRules(l) {
  let r = rules.get(l);
  if (!r) {
    try {
      r = new Intl.PluralRules(l);
    } catch {
      r = new Intl.PluralRules(SOURCE);
    }
    rules.set(l, r);
  }
  return r;
}

function lookup(cat, l, key, params) {
  if (typeof params.count === 'number') {
    const form = cat[`${key}.${pluralRules(l).select(params.count)}`];
    if (typeof form === 'string') return form;
    const other = cat[`${key}.other`];
    if (typeof other === 'string') return other;
  }
  const s = cat[key];
  return typeof s === 'string' ? s : undefined;
}

// t is the text of key in the page's language (else English's, else the key itself), with its
// {placeholders} replaced by params (numbers formatted for the language).
export function t(key, params = {}) {
  let s = lookup(catalogue, lang, key, params);
  if (s === undefined && catalogue !== en) s = lookup(en, SOURCE, key, params);
  if (s === undefined) return key;
  return fill(s, params);
}

// fill replaces {name} by params.name; unknown placeholders stay as they are.
export function fill(s, params = {}) {
  return s.replace(/\{(\w+)\}/g, (m, k) => {
    if (!(k in params)) return m;
    const v = params[k];
    return typeof v === 'number' ? formatNumber(v) : String(v);
  });
}

// formatNumber, formatTime: numbers and clock times in the page's language.
export function formatNumber(n, options) {
  try {
    return new Intl.NumberFormat(lang, options).format(n);
  } catch {
    return String(n);
  }
}

export function formatTime(ms) {
  try {
    return new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' }).format(new Date(ms));
  } catch {
    return '';
  }
}

// pickLanguage chooses among the available catalogues the first of the wanted languages (the
// join's, then the browser's): an exact match, else the language without its region (pt-BR → pt,
// de-AT → de); else English.
export function pickLanguage(wanted, available) {
  const have = new Map((available || []).map((a) => [String(a).toLowerCase(), String(a)]));
  for (const w of wanted || []) {
    if (typeof w !== 'string' || !w.trim()) continue;
    const l = w.trim().toLowerCase().replace(/_/g, '-');
    if (have.has(l)) return have.get(l);
    const base = l.split('-')[0];
    if (have.has(base)) return have.get(base);
  }
  return SOURCE;
}

// serverMessage is what the page says for a failed answer of meetd's: its own text for the error
// codes it knows (the server's msg stays English, for integrators), the server's msg otherwise.
// An English page shows the server's msg, which names the detail.
export function serverMessage(resp, fallbackKey) {
  const code = resp && typeof resp.status_code === 'string' ? resp.status_code : '';
  const msg = resp && typeof resp.msg === 'string' ? resp.msg : '';
  const known = code && typeof en[`code.${code}`] === 'string';
  if (lang === SOURCE) return msg || (fallbackKey ? t(fallbackKey) : known ? t(`code.${code}`) : '');
  if (known) return t(`code.${code}`);
  return fallbackKey ? t(fallbackKey) : msg;
}

// use makes l the page's language with its catalogue (an object of key → text).
export function use(l, cat) {
  lang = l;
  catalogue = cat && typeof cat === 'object' ? cat : en;
}

// fetchJSON gets a file of meetd's (across origins when the page is embedded); null on failure.
async function fetchJSON(url) {
  try {
    const res = await fetch(url, { mode: 'cors', credentials: 'omit' });
    if (!res.ok) return null;
    return await res.json();
  } catch {
    return null;
  }
}

// loadIndex fetches the list of the languages meetd has (its catalogues); [English] on failure.
export async function loadIndex(base) {
  const list = await fetchJSON(`${base}/static/locales/index.json`);
  return Array.isArray(list) && list.length ? list : [SOURCE];
}

// choose picks the language (wanted: the join's preferred language, then the browser's), loads its
// catalogue, and translates the markup under root. It never fails: English is always there.
export async function choose(base, index, wanted, root = document) {
  const l = pickLanguage(wanted, await index);
  let cat = en;
  if (l !== SOURCE) cat = (await fetchJSON(`${base}/static/locales/${encodeURIComponent(l)}.json`)) || en;
  use(cat === en && l !== SOURCE ? SOURCE : l, cat);
  translate(root);
  return lang;
}

// The markup's texts: data-i18n="key" is the element's text; data-i18n-aria-label,
// data-i18n-title and data-i18n-placeholder are those attributes'.
export const ATTRIBUTES = ['aria-label', 'title', 'placeholder'];

// translate sets the texts of the markup under root in the page's language, and its lang and dir
// (on <html> for meetd's own page; on the meeting's root when embedded in another site's page).
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const attr of ATTRIBUTES) {
    const data = `data-i18n-${attr}`;
    for (const el of root.querySelectorAll(`[${data}]`)) el.setAttribute(attr, t(el.getAttribute(data)));
  }
  const top = root.nodeType === 9 ? root.documentElement : root;
  top.setAttribute('lang', lang);
  top.setAttribute('dir', isRTL() ? 'rtl' : 'ltr');
  if (typeof document !== 'undefined' && document.body) document.body.dataset.lang = lang;
}
