// The pure part of the meeting page's accessibility (doc/web.md, "Accessibility"): the
// sentences it announces, which key is which shortcut, and the rate limit of the speaker
// captions. No DOM here: web/test/a11y.test.js runs it in Node.

// strings holds every sentence and label the accessibility module shows or announces, in one
// place for the message catalogues. {name}-style fields are filled by format.
export const strings = {
  skipLink: 'Skip to the meeting',
  liveLog: 'Announcements',
  helpButton: 'Keyboard shortcuts and accessibility',
  helpTitle: 'Keyboard shortcuts and accessibility',
  helpClose: 'Close',
  helpIntro: 'Tab and Shift+Tab move between the controls; Enter or Space presses a button.',
  keyMic: 'Microphone on or off',
  keyCamera: 'Camera on or off',
  keyHelp: 'This help',
  keyEscape: 'Close a panel or a dialog',
  keyNotTyping: 'The shortcuts do nothing while you type in the chat or the notes.',
  captionsOption: 'Show and announce who is speaking',
  captionRegion: 'Who is speaking',
  speakingOne: '{name} is speaking',
  speakingTwo: '{a} and {b} are speaking',
  speakingMany: '{a}, {b} and {n} others are speaking',
  joinedOne: '{name} joined',
  joinedTwo: '{a} and {b} joined',
  joinedMany: '{a}, {b} and {n} others joined',
  leftOne: '{name} left',
  leftTwo: '{a} and {b} left',
  leftMany: '{a}, {b} and {n} others left',
  chatMessage: 'Message from {name}: {text}',
  chatPrivate: 'Private message from {name}: {text}',
  recordingOn: 'This meeting is being recorded or streamed live.',
  recordingOff: 'Recording and live streaming have stopped.',
  mutedByModerator: 'A moderator muted your microphone.',
  micOn: 'Microphone on',
  micOff: 'Microphone off',
  cameraOn: 'Camera on',
  cameraOff: 'Camera off',
  micNotAllowed: 'You cannot use a microphone in this meeting.',
  cameraNotAllowed: 'You cannot use a camera in this meeting.',
};

// format fills {field}s of a template from vars; unknown fields stay as they are.
export function format(template, vars = {}) {
  return String(template).replace(/\{(\w+)\}/g, (all, k) => (k in vars ? String(vars[k]) : all));
}

// listSentence says something about a list of names with the one, two and many forms of
// strings[prefix + 'One' | 'Two' | 'Many']; '' for nobody.
export function listSentence(prefix, names) {
  const n = names.length;
  if (n === 0) return '';
  if (n === 1) return format(strings[prefix + 'One'], { name: names[0] });
  if (n === 2) return format(strings[prefix + 'Two'], { a: names[0], b: names[1] });
  return format(strings[prefix + 'Many'], { a: names[0], b: names[1], n: n - 2 });
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
    return { caption, say: format(strings.speakingOne, { name: lead }), retryAt: 0 };
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
  return format(m.private ? strings.chatPrivate : strings.chatMessage, { name: m.fromName || m.fromUserId || '', text });
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
