// The languages (doc/web.md, "Languages"): every catalogue has exactly English's keys (plural keys
// with the forms of its own language), the same placeholders, and no text left empty; every text of
// the meeting markup is a catalogue's (a data-i18n key whose English is that text); and t, the
// language choice and the fallbacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { t, use, pickLanguage, fill, serverMessage, isRTL, SOURCE } from '../src/i18n.js';

const LOCALES = new URL('../../internal/web/static/locales/', import.meta.url);
const load = (name) => JSON.parse(readFileSync(new URL(name, LOCALES), 'utf8'));
const en = load('en.json');
const languages = readdirSync(LOCALES)
  .filter((f) => f.endsWith('.json') && f !== 'index.json')
  .map((f) => f.slice(0, -5));
const PLURAL_FORMS = ['zero', 'one', 'two', 'few', 'many', 'other'];

// base splits a key into its base and plural form ('' when it has none).
function base(key) {
  const dot = key.lastIndexOf('.');
  const form = key.slice(dot + 1);
  return PLURAL_FORMS.includes(form) && dot > 0 ? [key.slice(0, dot), form] : [key, ''];
}

const placeholders = (s) => [...new Set(s.match(/\{\w+\}/g) || [])].sort();

test('the languages the issue asks for are there', () => {
  for (const l of ['en', 'de', 'fr', 'es', 'pt', 'ar']) assert.ok(languages.includes(l), `${l}.json is missing`);
});

for (const lang of languages) {
  test(`catalogue ${lang}: English's keys, its own plural forms, the same placeholders`, () => {
    const cat = load(`${lang}.json`);
    const forms = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
    const want = new Set();
    const enPlural = new Set();
    for (const key of Object.keys(en)) {
      const [b, form] = base(key);
      if (form) enPlural.add(b);
      else want.add(key);
    }
    for (const b of enPlural) for (const f of forms) want.add(`${b}.${f}`);
    const have = new Set(Object.keys(cat));
    assert.deepEqual([...want].filter((k) => !have.has(k)), [], `${lang}.json lacks these keys`);
    assert.deepEqual([...have].filter((k) => !want.has(k)), [], `${lang}.json has keys English has not`);
    for (const [key, text] of Object.entries(cat)) {
      assert.equal(typeof text, 'string', `${lang}.json ${key}`);
      assert.ok(text.trim() !== '', `${lang}.json ${key} is empty`);
      const [b, form] = base(key);
      const source = form ? en[`${b}.other`] : en[key];
      // a plural form may say its number in words (Arabic's one and two: "شخص واحد", "شخصان")
      const drop = (list) => (form ? list.filter((p) => p !== '{count}') : list);
      assert.deepEqual(drop(placeholders(text)), drop(placeholders(source)), `${lang}.json ${key}: placeholders of "${text}"`);
    }
  });
}

test('the catalogues are translations, not copies of English', () => {
  for (const lang of languages.filter((l) => l !== SOURCE)) {
    const cat = load(`${lang}.json`);
    const words = (text) => text.replace(/\{\w+\}/g, '');
    // a few words are the same in some languages (Chat, Minutes, Message…): never many, in the
    // meeting's texts and in the dashboard's (dash.*)
    for (const dash of [false, true]) {
      const same = Object.keys(en).filter((k) => k.startsWith('dash.') === dash && cat[k] === en[k] && /\p{L}{4,}/u.test(words(en[k])));
      assert.ok(same.length <= 8, `${lang}.json keeps ${same.length} English texts: ${same.join(', ')}`);
    }
  }
});

// ---------------------------------------------------------------- the markup

// A small reader of meeting.html: its elements with their attributes, and its text nodes with the
// element they are in. The markup is ours and regular (no scripts or comments inside texts).
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

function readMarkup(html) {
  const body = html.slice(html.indexOf('<body'), html.lastIndexOf('</body>'));
  const texts = [];
  const elements = [];
  const stack = [];
  const re = /<!--[\s\S]*?-->|<\/?([a-zA-Z][\w-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*\/?>|([^<]+)/g;
  for (let m; (m = re.exec(body)); ) {
    if (m[0].startsWith('<!--')) continue;
    if (m[3] !== undefined) {
      if (m[3].trim()) texts.push({ text: m[3].trim(), el: stack[stack.length - 1] });
      continue;
    }
    const tag = m[1].toLowerCase();
    if (m[0].startsWith('</')) {
      while (stack.length && stack.pop().tag !== tag);
      continue;
    }
    const attrs = {};
    for (const a of m[2].matchAll(/([\w:-]+)(?:="([^"]*)")?/g)) attrs[a[1]] = a[2] ?? '';
    const el = { tag, attrs, svg: tag === 'svg' || stack.some((e) => e.tag === 'svg') };
    elements.push(el);
    if (!VOID.has(tag) && !m[0].endsWith('/>')) stack.push(el);
  }
  return { texts, elements };
}

const unescape = (s) => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

// markupKeyed checks that every text of a page's markup is a catalogue key whose English is that text.
function markupKeyed(file, minTexts, minElements) {
  const html = readFileSync(new URL(`../../internal/web/static/${file}`, import.meta.url), 'utf8');
  const { texts, elements } = readMarkup(html);
  assert.ok(texts.length > minTexts && elements.length > minElements, 'the reader found the markup');
  for (const { text, el } of texts) {
    if (!/\p{L}/u.test(text)) continue; // ×, digits: no words
    if (text === 'meetd') continue; // the product's name
    assert.ok(el && 'data-i18n' in el.attrs, `text "${text}" in <${el?.tag}> has no data-i18n`);
    assert.equal(en[el.attrs['data-i18n']], unescape(text), `data-i18n="${el.attrs['data-i18n']}"`);
  }
  for (const el of elements) {
    if (el.svg) continue;
    for (const attr of ['aria-label', 'title', 'placeholder']) {
      if (!(attr in el.attrs)) continue;
      const key = el.attrs[`data-i18n-${attr}`];
      assert.ok(key, `<${el.tag} ${attr}="${el.attrs[attr]}"> has no data-i18n-${attr}`);
      assert.equal(en[key], unescape(el.attrs[attr]), `data-i18n-${attr}="${key}"`);
    }
    for (const [name, key] of Object.entries(el.attrs)) {
      if (name.startsWith('data-i18n')) assert.ok(key in en, `${name}="${key}" is no key of en.json`);
    }
  }
}

test('every text of meeting.html is a catalogue key whose English is that text', () => {
  markupKeyed('meeting.html', 40, 100);
});

test('every text of dashboard.html is a catalogue key whose English is that text', () => {
  markupKeyed('dashboard.html', 60, 150);
});

test("the dashboard's keys are dash.* and the families it builds are all there", () => {
  const src = new URL('../src/', import.meta.url);
  for (const f of ['dashboard.js', 'dashwaiting.js']) {
    const code = readFileSync(new URL(f, src), 'utf8');
    const keys = [...code.matchAll(/\bt\('([\w.]+)'/g)].map((m) => m[1]);
    assert.ok(keys.length > 20 || f === 'dashwaiting.js', `${f}: the reader found its keys`);
    for (const key of keys) assert.ok(key.startsWith('dash.'), `${f}: t('${key}') is not a dash.* key`);
  }
  // the keys made from a name: t(`dash.live.${state}`), t(`dash.media.${kind}_${state}`) and the like
  const families = {
    'dash.live.': ['live', 'connecting', 'offline'],
    'dash.state.': ['joining', 'joined', 'active', 'disconnected', 'unknown'],
    'dash.dl.': ['delivered', 'pending', 'failed'],
    'dash.att.': ['person', 'joins', 'present', 'microphone', 'camera', 'screen', 'talk', 'stays'],
    'dash.source.': ['microphone', 'camera', 'screen', 'screen_audio'],
    'dash.media.': ['mic', 'camera', 'screen'].flatMap((k) => ['on', 'muted', 'off'].map((s) => `${k}_${s}`)),
  };
  for (const [prefix, names] of Object.entries(families)) {
    for (const n of names) assert.ok(`${prefix}${n}` in en, `${prefix}${n} is no key of en.json`);
  }
  const code = readFileSync(new URL('dashboard.js', src), 'utf8');
  const events = code.match(/const EVENT_NAMES = \[([\s\S]*?)\];/)[1].match(/'(\w+)'/g).map((e) => e.slice(1, -1));
  assert.ok(events.length > 10, 'the reader found the event names');
  for (const e of events) assert.ok(`dash.event.${e}` in en, `dash.event.${e} is no key of en.json`);
});

test("the dashboard's English and German", () => {
  use('en', en);
  assert.equal(t('dash.page.range', { from: 21, to: 40, total: 1234 }), '21–40 of 1,234');
  assert.equal(t('dash.room.count', { now: 2, total: 3 }), '2 now · 3 joined in total');
  use('de', load('de.json'));
  assert.equal(t('dash.page.range', { from: 21, to: 40, total: 1234 }), '21–40 von 1.234');
  assert.equal(t('dash.login.submit'), 'Anmelden');
  use('en', en);
});

test('every key the page code uses is in the English catalogue', () => {
  const src = new URL('../src/', import.meta.url);
  for (const f of readdirSync(src).filter((f) => f.endsWith('.js'))) {
    const code = readFileSync(new URL(f, src), 'utf8');
    for (const m of code.matchAll(/\bt\('([\w.]+)'/g)) {
      const key = m[1];
      assert.ok(key in en || `${key}.other` in en, `${f}: t('${key}') is no key of en.json`);
    }
  }
});

// ---------------------------------------------------------------- t and the choice

test('t: placeholders, plural forms, fallback to English per string', () => {
  use('en', en);
  assert.equal(t('meeting.people', { count: 1 }), '1 person');
  assert.equal(t('meeting.people', { count: 2 }), '2 people');
  assert.equal(t('state.moving', { room: 'Optics' }), 'Moving to Optics…');
  assert.equal(t('no.such.key'), 'no.such.key');
  use('de', { 'state.left': 'Sie haben das Meeting verlassen.', 'meeting.people.one': '{count} Person', 'meeting.people.other': '{count} Personen' });
  assert.equal(t('state.left'), 'Sie haben das Meeting verlassen.');
  assert.equal(t('state.ended'), 'The meeting has ended.', 'a missing string is English');
  assert.equal(t('meeting.people', { count: 1200 }), '1.200 Personen', 'numbers in the language');
  const ar = load('ar.json');
  use('ar', ar);
  const forms = new Set([0, 1, 2, 3, 11, 100].map((n) => t('meeting.people', { count: n })));
  assert.equal(forms.size, 6, 'Arabic has six plural forms');
  use('en', en);
});

test('fill leaves unknown placeholders', () => {
  assert.equal(fill('{a} and {b}', { a: 'x' }), 'x and {b}');
});

test('pickLanguage: the join first, then the browser, regions fall back, else English', () => {
  const have = ['ar', 'de', 'en', 'es', 'fr', 'pt'];
  assert.equal(pickLanguage(['fr', 'de-DE', 'de'], have), 'fr');
  assert.equal(pickLanguage(['', 'pt-BR', 'en'], have), 'pt');
  assert.equal(pickLanguage(['de_AT'], have), 'de');
  assert.equal(pickLanguage(['ja', 'zh-CN'], have), 'en');
  assert.equal(pickLanguage([undefined, null, 'AR'], have), 'ar');
  assert.equal(pickLanguage(['pt-BR'], [...have, 'pt-BR']), 'pt-BR', 'an exact match wins');
  assert.equal(pickLanguage(['de'], ['en']), 'en');
});

test('isRTL', () => {
  assert.equal(isRTL('ar'), true);
  assert.equal(isRTL('ar-EG'), true);
  assert.equal(isRTL('de'), false);
});

test('serverMessage: its own text for known codes, the server msg in English', () => {
  use('en', en);
  assert.equal(serverMessage({ status_code: 'PERMISSION_DENIED', msg: 'lock_chat is on' }), 'lock_chat is on');
  assert.equal(serverMessage({ status_code: 'TOO_MANY_REQUESTS', msg: '' }), 'Slow down a little.');
  const fr = load('fr.json');
  use('fr', fr);
  assert.equal(serverMessage({ status_code: 'PERMISSION_DENIED', msg: 'lock_chat is on' }), fr['code.PERMISSION_DENIED']);
  assert.equal(serverMessage({ status_code: 'WEIRD', msg: 'odd' }, 'meeting.refused'), fr['meeting.refused']);
  use('en', en);
});
