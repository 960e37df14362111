// Accessibility of the meeting page (doc/web.md, "Accessibility"): live regions that announce
// what changes, captions of who is speaking, keyboard shortcuts with their help dialog, focus
// that moves into dialogs and panels and comes back, and Escape that closes them. meeting.js
// calls initA11y once at load and the hooks below at its marked points ("a11y"). Every sentence
// is a key of the message catalogues (STRING_KEYS in a11ylogic.js, data-i18n in the markup).

import { $, setAnnouncer, toast } from './view.js';
import {
  strings,
  STRING_KEYS,
  listSentence,
  shortcutOf,
  isTypingTarget,
  SpeakerCaptions,
  chatAnnouncement,
  recordingNews,
  Dedupe,
  SHORTCUTS,
} from './a11ylogic.js';

export { strings, STRING_KEYS };

const LOG_KEEP = 8; // announcements kept in the live log (people can read them back)
const BATCH_MS = 1500; // joins and leaves within this are announced in one sentence
const CAPTIONS_KEY = 'meetd.a11y.captions';

// panels that a toolbar button opens: Escape closes them and the focus goes back to the button
const PANELS = [
  { panel: 'chat-panel', button: 'chat-button', close: '#chat-panel .panel-close' },
  { panel: 'participants-panel', button: 'participants-button', close: '#participants-panel .panel-close' },
  { panel: 'polls-panel', button: 'polls-button', close: '#polls-close' },
  { panel: 'notes-panel', button: 'notes-button', close: '#notes-close' },
  { panel: 'waiting-panel', button: 'waiting-button', close: '#waiting-close' },
  { panel: 'reactions-bar', button: 'reaction-button', close: '#reaction-button' },
];

const dedupe = new Dedupe();
const captions = new SpeakerCaptions();
let captionsOn = false;
let speakerTimer = 0;
let lastSpeakers = [];
let recordingFlag = null;
let recordingRoom = null; // the room whose flag recordingFlag is
let micToggling = false;
const batches = { joined: [], left: [] };
let opener = null; // what had the focus before a dialog opened

// announce says text to screen readers: politely in the live log, or assertively (errors only).
export function announce(text, assertive = false) {
  if (!text || !dedupe.fresh(text, Date.now())) return;
  const region = $(assertive ? 'a11y-alert' : 'a11y-log');
  if (!region) return;
  const p = document.createElement('p');
  p.textContent = text;
  region.append(p);
  while (region.childElementCount > LOG_KEEP) region.firstElementChild.remove();
}

// initA11y wires what holds for every state of the page; call it once, before the page's
// first toast.
export function initA11y() {
  setAnnouncer((text, level) => announce(text, level === 'error'));
  // the texts of the markup are its data-i18n keys (the language is chosen after this); the
  // help's rows carry theirs too
  fillHelp();
  $('stage').tabIndex = -1; // the skip link's target, and where the focus goes on entry
  // the toasts are for the eyes: screen readers hear the same text in the live log (view.js toast)
  $('toasts').removeAttribute('aria-live');
  $('toasts').setAttribute('aria-hidden', 'true');

  $('skip-link').addEventListener('click', (e) => {
    e.preventDefault(); // no #stage in the URL: an embedding CMS may route on it
    $('stage').focus();
  });
  $('a11y-button').addEventListener('click', openHelp);
  $('a11y-close').addEventListener('click', () => $('a11y-dialog').close());
  $('a11y-captions').addEventListener('change', (e) => setCaptions(e.target.checked));
  try {
    captionsOn = localStorage.getItem(CAPTIONS_KEY) === '1';
  } catch {
    captionsOn = false;
  }
  $('a11y-captions').checked = captionsOn;

  // the chat list speaks for itself only while the focus is in the chat panel; otherwise the
  // live log announces new messages (chatMessage)
  const list = $('chat-messages');
  list.setAttribute('aria-live', 'off');
  $('chat-panel').addEventListener('focusin', () => list.setAttribute('aria-live', 'polite'));
  $('chat-panel').addEventListener('focusout', (e) => {
    if (!$('chat-panel').contains(e.relatedTarget)) list.setAttribute('aria-live', 'off');
  });

  document.addEventListener('keydown', onKey);
  // focus comes back from dialogs (native ones close on Escape) to what opened them
  document.addEventListener('focusin', (e) => {
    if (!e.target.closest?.('dialog')) opener = e.target;
  });
  document.addEventListener('close', onDialogClose, true);
  // a panel closed with its × leaves the focus nowhere: back to its toolbar button
  document.addEventListener('click', (e) => {
    const closer = e.target.closest?.('.panel-close');
    if (!closer) return;
    const entry = PANELS.find((x) => closer.closest('#' + x.panel));
    if (entry) setTimeout(() => refocus(entry), 0);
  });
}

function fillHelp() {
  const mac = /Mac|iPhone|iPad/.test(navigator.platform || '');
  const rows = SHORTCUTS.map((s) => {
    const tr = document.createElement('tr');
    const keys = document.createElement('td');
    keys.append(...s.keys.split('+').flatMap((k, i) => {
      const kbd = document.createElement('kbd');
      kbd.textContent = mac && k === 'Ctrl' ? '⌘' : k;
      return i ? ['+', kbd] : [kbd];
    }));
    const what = document.createElement('td');
    what.dataset.i18n = STRING_KEYS[s.label];
    what.textContent = strings[s.label];
    tr.append(keys, what);
    return tr;
  });
  $('a11y-keys').replaceChildren(...rows);
}

function openHelp() {
  const d = $('a11y-dialog');
  if (d.open) return;
  opener = document.activeElement;
  d.showModal();
  $('a11y-close').focus();
}

function onDialogClose(e) {
  const d = e.target;
  if (!(d instanceof HTMLDialogElement)) return;
  setTimeout(() => {
    const a = document.activeElement;
    if (a && a !== document.body && !d.contains(a)) return; // the focus went somewhere on purpose
    if (opener && opener.isConnected && opener.offsetParent !== null) opener.focus();
  }, 0);
}

function refocus(entry) {
  const a = document.activeElement;
  if (a && a !== document.body && a.offsetParent !== null) return;
  const b = $(entry.button);
  if (b && !b.hidden) b.focus();
}

function onKey(e) {
  const action = shortcutOf(e, isTypingTarget(e.target));
  if (!action) return;
  if (action === 'escape') {
    if (document.querySelector('dialog[open]')) return; // the dialog closes itself
    const entry = PANELS.find((x) => !$(x.panel)?.hidden && $(x.panel).contains(document.activeElement));
    if (!entry) return;
    e.preventDefault();
    document.querySelector(entry.close)?.click();
    const b = $(entry.button);
    if (b && !b.hidden) b.focus();
    return;
  }
  if (document.body.dataset.state !== 'joined') return;
  if (action === 'help') {
    e.preventDefault();
    openHelp();
    return;
  }
  e.preventDefault(); // Ctrl+D would bookmark, Ctrl+E search
  const b = $(action === 'mic' ? 'mic-button' : 'camera-button');
  if (b.hidden || b.disabled) {
    announce(action === 'mic' ? strings.micNotAllowed : strings.cameraNotAllowed);
    return;
  }
  b.click(); // the button's own handler: one way to toggle
}

// ---------------------------------------------------------------- hooks for meeting.js

// entered: the page is in a meeting (after Join, or after moving rooms): the focus goes to the
// main area (first), and the captions start afresh.
export function entered(first) {
  captions.reset();
  lastSpeakers = [];
  setCaption('');
  if (first) $('stage').focus();
}

// participantJoined and participantLeft are announced in batches, one sentence for a crowd.
export function participantJoined(name) {
  batch('joined', name);
}

export function participantLeft(name) {
  batch('left', name);
}

function batch(kind, name) {
  const list = batches[kind];
  list.push(name);
  if (list.length > 1) return;
  setTimeout(() => {
    announce(listSentence(kind, list.splice(0)));
  }, BATCH_MS);
}

// chatToggled: the chat button opened the panel, the focus goes to its input.
export function chatToggled() {
  if (!$('chat-panel').hidden && !$('chat-input').disabled) $('chat-input').focus();
}

// chatMessage announces a message that appendChat shows (m.live: it arrived now).
export function chatMessage(m) {
  const panel = $('chat-panel');
  announce(chatAnnouncement(m, !panel.hidden && panel.contains(document.activeElement)));
}

// recording follows the room's flag (a recording or a broadcast runs), with a toast everyone sees.
// room is the LiveKit room that told: a new one (after a move) starts afresh.
export function recording(on, room) {
  if (room !== recordingRoom) {
    recordingRoom = room;
    recordingFlag = null;
  }
  const news = recordingNews(recordingFlag, on);
  recordingFlag = on;
  if (news) toast(news);
}

// togglingMic marks the page's own microphone switches, so that a mute outside them is a
// moderator's (localMicMuted).
export function togglingMic(on) {
  micToggling = on;
}

export function localMicMuted() {
  if (!micToggling) toast(strings.mutedByModerator, 'warning');
}

// mediaChanged announces the microphone or camera after the person switched it (a button or a
// shortcut).
export function mediaChanged(kind, on) {
  if (kind === 'mic') announce(on ? strings.micOn : strings.micOff);
  else announce(on ? strings.cameraOn : strings.cameraOff);
}

// speakers takes who speaks now (loudest first, not oneself): the caption line, and a rate-limited
// announcement, when the captions are on.
export function speakers(names) {
  lastSpeakers = names;
  if (!captionsOn) return;
  const r = captions.update(names, Date.now());
  setCaption(r.caption);
  if (r.say) announce(r.say);
  clearTimeout(speakerTimer);
  if (r.retryAt) speakerTimer = setTimeout(() => speakers(lastSpeakers), Math.max(0, r.retryAt - Date.now()) + 50);
}

function setCaption(text) {
  $('speaker-caption-text').textContent = text;
  $('speaker-caption').hidden = !captionsOn || document.body.dataset.state !== 'joined';
}

function setCaptions(on) {
  captionsOn = on;
  try {
    localStorage.setItem(CAPTIONS_KEY, on ? '1' : '0');
  } catch {
    // storage refused: the choice lasts for this page
  }
  captions.reset();
  if (on) speakers(lastSpeakers);
  else setCaption('');
}
