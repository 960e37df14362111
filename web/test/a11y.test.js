import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { use } from '../src/i18n.js';
import {
  strings,
  STRING_KEYS,
  format,
  listSentence,
  shortcutOf,
  isTypingTarget,
  SpeakerCaptions,
  chatAnnouncement,
  recordingNews,
  Dedupe,
} from '../src/a11ylogic.js';

test('format and listSentence: one, two, many', () => {
  assert.equal(format('{name} joined', { name: 'Anna' }), 'Anna joined');
  assert.equal(format('{x} stays', {}), '{x} stays');
  assert.equal(listSentence('joined', []), '');
  assert.equal(listSentence('joined', ['Anna']), 'Anna joined');
  assert.equal(listSentence('left', ['Anna', 'Bob']), 'Anna and Bob left');
  assert.equal(listSentence('speaking', ['Anna', 'Bob', 'Cem', 'Dora']), 'Anna, Bob and 2 others are speaking');
  assert.equal(listSentence('joined', ['Anna', 'Bob', 'Cem']), 'Anna, Bob and 1 other joined');
});

const catalogue = (lang) => JSON.parse(readFileSync(new URL(`../../internal/web/static/locales/${lang}.json`, import.meta.url), 'utf8'));

test('every string is a catalogue sentence, in the page\'s language when read', () => {
  for (const [k, v] of Object.entries(strings)) {
    assert.ok(typeof v === 'string' && v.trim(), k);
    assert.notEqual(v, STRING_KEYS[k], `${k}: ${STRING_KEYS[k]} is no key of en.json`);
  }
  const de = catalogue('de');
  use('de', de);
  try {
    assert.equal(strings.micOff, de['a11y.mic_off']);
    assert.equal(listSentence('joined', ['Anna']), 'Anna ist beigetreten');
    assert.equal(listSentence('left', ['Anna', 'Bob', 'Cem']), 'Anna, Bob und 1 weitere Person haben das Meeting verlassen');
    assert.equal(chatAnnouncement({ live: true, message: 'Hallo', fromName: 'Bob' }, false), 'Nachricht von Bob: Hallo');
    use('ar', catalogue('ar'));
    assert.equal(listSentence('speaking', ['أ', 'ب', 'ج', 'د']), 'أ وب وشخصان آخران يتحدثون', 'Arabic: the dual form');
  } finally {
    use('en', catalogue('en'));
  }
});

test('shortcutOf: Ctrl or Cmd with D and E, ? for help, Escape always, nothing while typing', () => {
  assert.equal(shortcutOf({ key: 'd', code: 'KeyD', ctrlKey: true }, false), 'mic');
  assert.equal(shortcutOf({ key: 'D', code: 'KeyD', metaKey: true }, false), 'mic');
  assert.equal(shortcutOf({ key: 'e', code: 'KeyE', ctrlKey: true }, false), 'camera');
  assert.equal(shortcutOf({ key: 'в', code: 'KeyD', ctrlKey: true }, false), 'mic', 'a Cyrillic layout: the key of D');
  assert.equal(shortcutOf({ key: 'd', code: 'KeyH', ctrlKey: true }, false), 'mic', 'Dvorak: the letter typed');
  assert.equal(shortcutOf({ key: 'd', code: 'KeyD', ctrlKey: true, shiftKey: true }, false), '');
  assert.equal(shortcutOf({ key: 'd', code: 'KeyD', ctrlKey: true, altKey: true }, false), '');
  assert.equal(shortcutOf({ key: 'd', code: 'KeyD' }, false), '', 'a plain letter is no shortcut');
  assert.equal(shortcutOf({ key: '?', code: 'Slash', shiftKey: true }, false), 'help');
  assert.equal(shortcutOf({ key: 'd', code: 'KeyD', ctrlKey: true }, true), '', 'not while typing');
  assert.equal(shortcutOf({ key: '?', code: 'Slash', shiftKey: true }, true), '');
  assert.equal(shortcutOf({ key: 'Escape', code: 'Escape' }, true), 'escape');
  assert.equal(shortcutOf({ key: 'd', ctrlKey: true, isComposing: true }, false), '');
});

test('isTypingTarget: text fields and editors, not buttons or check boxes', () => {
  assert.equal(isTypingTarget({ tagName: 'INPUT', type: 'text' }), true);
  assert.equal(isTypingTarget({ tagName: 'input', type: '' }), true);
  assert.equal(isTypingTarget({ tagName: 'TEXTAREA' }), true);
  assert.equal(isTypingTarget({ tagName: 'DIV', isContentEditable: true }), true);
  assert.equal(isTypingTarget({ tagName: 'INPUT', type: 'checkbox' }), false);
  assert.equal(isTypingTarget({ tagName: 'BUTTON' }), false);
  assert.equal(isTypingTarget(null), false);
});

test('SpeakerCaptions: the caption follows at once, announcements at most once a gap', () => {
  const c = new SpeakerCaptions(5000);
  let r = c.update(['Anna'], 1000);
  assert.deepEqual(r, { caption: 'Anna is speaking', say: 'Anna is speaking', retryAt: 0 });
  r = c.update(['Anna', 'Bob'], 1500);
  assert.equal(r.caption, 'Anna and Bob are speaking');
  assert.equal(r.say, '', 'the same lead speaker is not said again');
  r = c.update(['Bob'], 2000);
  assert.equal(r.caption, 'Bob is speaking');
  assert.equal(r.say, '', 'within the gap');
  assert.equal(r.retryAt, 6000);
  r = c.update(['Bob'], 6000);
  assert.equal(r.say, 'Bob is speaking');
  r = c.update([], 7000);
  assert.deepEqual(r, { caption: '', say: '', retryAt: 0 });
  // a flood of changes gives one sentence per gap
  const said = [];
  for (let t = 20000; t < 40000; t += 100) {
    const x = c.update([t % 200 ? 'Cem' : 'Dora'], t);
    if (x.say) said.push(x.say);
  }
  assert.ok(said.length <= 4, `${said.length} announcements in 20 s`);
  c.reset();
  assert.equal(c.update(['Anna'], 40000).say, 'Anna is speaking');
});

test('chatAnnouncement: live messages of others, not when the chat has the focus', () => {
  const m = { live: true, fromName: 'Anna', message: 'Hello' };
  assert.equal(chatAnnouncement(m, false), 'Message from Anna: Hello');
  assert.equal(chatAnnouncement({ ...m, private: true }, false), 'Private message from Anna: Hello');
  assert.equal(chatAnnouncement(m, true), '');
  assert.equal(chatAnnouncement({ ...m, self: true }, false), '');
  assert.equal(chatAnnouncement({ ...m, live: false }, false), '', 'history is not announced');
  assert.equal(chatAnnouncement({ ...m, message: 'x'.repeat(1000) }, false).length, 'Message from Anna: '.length + 300);
});

test('recordingNews: the first "off" after connecting is no news', () => {
  assert.equal(recordingNews(null, false), '');
  assert.equal(recordingNews(null, true), strings.recordingOn);
  assert.equal(recordingNews(false, true), strings.recordingOn);
  assert.equal(recordingNews(true, false), strings.recordingOff);
  assert.equal(recordingNews(true, true), '');
});

test('Dedupe: the same sentence twice within the window is said once', () => {
  const d = new Dedupe(1500);
  assert.equal(d.fresh('a', 0), true);
  assert.equal(d.fresh('a', 1000), false);
  assert.equal(d.fresh('b', 1000), true);
  assert.equal(d.fresh('a', 2600), true);
});
