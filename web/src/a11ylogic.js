// The pure part of the meeting page's accessibility (doc/web.md, "Accessibility"): the
// sentences it announces, which key is which shortcut, and the rate limit of the speaker
// captions. No DOM here: web/test/a11y.test.js runs it in Node.

import { t } from './i18n.js';

// STRING_KEYS names the message-catalogue key (doc/web.md, "Languages") of every sentence and
// label the accessibility module shows or announces.
export const STRING_KEYS = {
  skipLink: 'a11y.skip_link',
  liveLog: 'a11y.live_log',
  helpButton: 'a11y.help',
  helpTitle: 'a11y.help',
  helpClose: 'common.close',
  helpIntro: 'a11y.help_intro',
  keyMic: 'a11y.key_mic',
  keyCamera: 'a11y.key_camera',
  keyHelp: 'a11y.key_help',
  keyEscape: 'a11y.key_escape',
  keyNotTyping: 'a11y.key_not_typing',
  captionsOption: 'a11y.captions_option',
  captionRegion: 'a11y.caption_region',
  speakingOne: 'a11y.speaking_one',
  chatMessage: 'a11y.chat_message',
  chatPrivate: 'a11y.chat_private',
  recordingOn: 'a11y.recording_on',
  recordingOff: 'a11y.recording_off',
  mutedByModerator: 'a11y.muted_by_moderator',
  micOn: 'a11y.mic_on',
  micOff: 'a11y.mic_off',
  cameraOn: 'a11y.camera_on',
  cameraOff: 'a11y.camera_off',
  micNotAllowed: 'a11y.mic_not_allowed',
  cameraNotAllowed: 'a11y.camera_not_allowed',
};

// strings.<name> is that sentence in the page's language, looked up when read (the language is
// chosen after this module loads); {name}-style fields are filled by format.
export const strings = Object.defineProperties(
  {},
  Object.fromEntries(Object.entries(STRING_KEYS).map(([name, key]) => [name, { get: () => t(key), enumerable: true }])),
);

// format fills {field}s of a template from vars; unknown fields stay as they are.
export function format(template, vars = {}) {
  return String(template).replace(/\{(\w+)\}/g, (all, k) => (k in vars ? String(vars[k]) : all));
}

// listSentence says something about a list of names ('joined', 'left', 'speaking') with the
// catalogue's one, two and more forms (a11y.<prefix>_one, _two, _more with the plural forms of
// the others' count); '' for nobody.
export function listSentence(prefix, names) {
  const n = names.length;
  if (n === 0) return '';
  if (n === 1) return t(`a11y.${prefix}_one`, { name: names[0] });
  if (n === 2) return t(`a11y.${prefix}_two`, { a: names[0], b: names[1] });
  return t(`a11y.${prefix}_more`, { a: names[0], b: names[1], count: n - 2 });
}

// SHORTCUTS are the page's keys: Ctrl+D and Ctrl+E (⌘D, ⌘E on a Mac) like common meeting tools, and
// "?" for the help. keys is what the help shows.
export const SHORTCUTS = [
  { action: 'mic', keys: 'Ctrl+D', label: 'keyMic' },
  { action: 'camera', keys: 'Ctrl+E', label: 'keyCamera' },
  { action: 'help', keys: '?', label: 'keyHelp' },
  { action: 'escape', keys: 'Escape', label: 'keyEscape' },
];

// letterOf is the letter a key event typed: its key when that is a Latin letter, else the key's
// place on a US keyboard (code "KeyD"), so the shortcuts work with Cyrillic or Arabic layouts too.
function letterOf(e) {
  const k = typeof e.key === 'string' ? e.key.toLowerCase() : '';
  if (/^[a-z]$/.test(k)) return k;
  const m = /^Key([A-Z])$/.exec(e.code || '');
  return m ? m[1].toLowerCase() : '';
}

// shortcutOf is the action of a keydown event ({key, code, ctrlKey, metaKey, altKey, shiftKey}),
// or ''. typing says the focus is in a field that takes text (isTypingTarget): there only
// Escape counts, so shortcuts never fire while someone writes.
export function shortcutOf(e, typing) {
  if (!e || e.isComposing) return '';
  if (e.key === 'Escape') return 'escape';
  if (typing) return '';
  const mod = !!(e.ctrlKey || e.metaKey);
  if (mod && !e.altKey && !e.shiftKey) {
    const l = letterOf(e);
    if (l === 'd') return 'mic';
    if (l === 'e') return 'camera';
    return '';
  }
  if (!mod && !e.altKey && e.key === '?') return 'help';
  return '';
}

const TEXT_INPUTS = new Set(['', 'text', 'search', 'email', 'password', 'number', 'url', 'tel']);

// isTypingTarget says whether an element ({tagName, type, isContentEditable}) takes typed text:
// text fields, text areas and editors (the shared notes).
export function isTypingTarget(el) {
  if (!el) return false;
  if (el.isContentEditable) return true;
  const tag = String(el.tagName || '').toUpperCase();
  if (tag === 'TEXTAREA') return true;
  if (tag === 'INPUT') return TEXT_INPUTS.has(String(el.type || '').toLowerCase());
  return false;
}

// SpeakerCaptions turns LiveKit's active speakers into the caption line and, at most once every
// gapMs and only when the loudest speaker changes, a sentence to announce: captions, not a flood.
export class SpeakerCaptions {
  constructor(gapMs = 5000) {
    this.gapMs = gapMs;
    this.said = ''; // the last speaker announced
    this.saidAt = -Infinity;
  }

  // update takes who speaks now (loudest first, oneself left out) at time now (ms) and answers
  // {caption, say, retryAt}: the caption line ('' for silence), the sentence to announce now or
  // '', and when to call again (ms) because a change waits for the gap, or 0.
  update(names, now) {
    const caption = listSentence('speaking', names);
    const lead = names[0] || '';
    if (!lead || lead === this.said) return { caption, say: '', retryAt: 0 };
    if (now - this.saidAt < this.gapMs) return { caption, say: '', retryAt: this.saidAt + this.gapMs };
    this.said = lead;
    this.saidAt = now;
    return { caption, say: t('a11y.speaking_one', { name: lead }), retryAt: 0 };
  }

  reset() {
    this.said = '';
    this.saidAt = -Infinity;
  }
}

// chatAnnouncement is the sentence for a chat message (the page's appendChat shape), or '' when it
// is not to be announced: one's own, one from the history (not live), or one that the chat panel
// shows while it has the focus (its list speaks then).
export function chatAnnouncement(m, panelFocused) {
  if (!m || !m.live || m.self || panelFocused) return '';
  const text = String(m.message || '').slice(0, 300);
  if (!text) return '';
  const params = { name: m.fromName || m.fromUserId || '', text };
  return m.private ? t('a11y.chat_private', params) : t('a11y.chat_message', params);
}

// recordingNews is what to say when the room's recording flag (recording or live streaming) is
// on after prev (null: the first news after connecting, when only "on" is news).
export function recordingNews(prev, on) {
  if (prev === on) return '';
  if (prev === null) return on ? strings.recordingOn : '';
  return on ? strings.recordingOn : strings.recordingOff;
}

// Dedupe drops a sentence said again within windowMs (two hooks telling the same news).
export class Dedupe {
  constructor(windowMs = 1500) {
    this.windowMs = windowMs;
    this.last = new Map();
  }

  fresh(text, now) {
    const at = this.last.get(text);
    if (at !== undefined && now - at < this.windowMs) return false;
    this.last.set(text, now);
    if (this.last.size > 50) this.last.delete(this.last.keys().next().value);
    return true;
  }
}
