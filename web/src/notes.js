// Shared notes on the meeting page (doc/web.md, "Shared notes"). The text is a Yjs document that
// every page merges by itself; meetd keeps the updates in order (each with a seq) and forwards
// each new one on the data topic "meetd.notes". The editor (Quill, Yjs, y-quill) is a bundle of
// its own, loaded from meetd with import() the first time the notes are opened.
//
// A page: fetches every stored update (POST /api/notes/state) when it opens the notes; applies
// the updates the data messages carry, and fetches what it missed (a gap in the seqs, or an
// update too large for a message) with {after: seen}; sends what is typed here with POST
// /api/notes/update, one call at a time (what is typed meanwhile is merged into the next); and,
// once it has every update up to some seq and nothing unsent, posts the text as a Quill delta
// (POST /api/notes/render), from which meetd writes the API's Markdown and HTML download.

import * as api from './api.js';
import { $, toast } from './view.js';
import { t, serverMessage } from './i18n.js';

export const NOTES_TOPIC = 'meetd.notes';
export const DOC = 'notes';

// notesAllowed mirrors the server's rule: room_features.shared_note_pad_features is present,
// its is_allow is not false, nor plugNmeet's older allowed_shared_note_pad.
export function notesAllowed(join) {
  const f = join?.room_metadata?.room_features?.shared_note_pad_features;
  return !!f && typeof f === 'object' && f.is_allow !== false && f.allowed_shared_note_pad !== false;
}

// notesLocked: the user's lock_shared_notepad keeps them from writing (never a moderator).
export function notesLocked(isAdmin, locks) {
  return !isAdmin && !!(locks && locks.lock_shared_notepad);
}

// parseNotesMessage reads a data message of the server on NOTES_TOPIC; null if it is not one
// (or came from a participant).
export function parseNotesMessage(topic, payload, sender) {
  if (topic !== NOTES_TOPIC || sender) return null;
  let m;
  try {
    m = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
  } catch {
    return null;
  }
  if (!m || m.type !== 'update' || !Number.isInteger(m.seq) || m.seq < 1) return null;
  return { doc: typeof m.doc === 'string' ? m.doc : DOC, seq: m.seq, from: m.from || '', update: typeof m.update === 'string' ? m.update : null };
}

export function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// Seqs keeps which updates a page has: seen is the highest seq up to which it has them all;
// latest the highest it knows of.
export class Seqs {
  constructor() {
    this.seen = 0;
    this.latest = 0;
    this.have = new Set(); // had, past seen
  }
  // add records that the page has update seq; true if it was new.
  add(seq) {
    this.latest = Math.max(this.latest, seq);
    if (seq <= this.seen || this.have.has(seq)) return false;
    this.have.add(seq);
    this.advance();
    return true;
  }
  // know records that update seq exists (the page has it or not).
  know(seq) {
    this.latest = Math.max(this.latest, seq);
  }
  // reach records that the page has every update up to seq (a fetch's answer).
  reach(seq) {
    this.latest = Math.max(this.latest, seq);
    if (seq <= this.seen) return;
    this.seen = seq;
    this.advance();
  }
  advance() {
    for (const s of this.have) if (s <= this.seen) this.have.delete(s);
    while (this.have.has(this.seen + 1)) {
      this.seen++;
      this.have.delete(this.seen);
    }
  }
  // gap: the page knows of an update past the ones it has all of.
  get gap() {
    return this.latest > this.seen;
  }
}

// ---------------------------------------------------------------- the panel

const SEND_GAP = 150; // ms between two updates sent (the server allows 20 a second)
const RENDER_AFTER = 800; // ms of quiet before the rendering is posted
const GAP_WAIT = 400; // ms a gap may last before the page fetches what it lacks

let token = '';
let isAdmin = false;
let locks = {};
let allowed = false;
let editor = null; // the editor bundle's object once loaded
let loading = null;
let seqs = new Seqs();
let outbox = []; // updates typed here, not sent yet
let sending = false;
let renderTimer = 0;
let gapTimer = 0;
let fetching = null;
let compactAsked = false;
let generation = 0; // moves when the page moves to another room: late answers are dropped

async function call(verb, body) {
  try {
    return await api.post(`/api/notes/${verb}`, token, { doc: DOC, ...body }); // meetd's base URL, also when embedded
  } catch {
    return { status: false, msg: t('meeting.server_unreachable') };
  }
}

// initNotes is called once the meeting is built; it shows the notes button when the room allows
// shared notes. Nothing is loaded until the button is clicked.
export function initNotes(join, pageToken, userLocks) {
  token = pageToken;
  isAdmin = !!join.is_admin;
  locks = userLocks || {};
  allowed = notesAllowed(join);
  $('notes-button').hidden = !allowed;
  if ($('notes-button').dataset.wired) return;
  $('notes-button').dataset.wired = 'true';
  $('notes-button').addEventListener('click', () => showNotes($('notes-panel').hidden));
  $('notes-close').addEventListener('click', () => showNotes(false));
  $('notes-download').addEventListener('click', download);
}

// download saves the notes as Markdown, as meetd writes them from the latest rendering.
async function download() {
  const resp = await call('download', { format: 'markdown' });
  if (!resp.status) {
    toast(t('notes.download_failed', { error: serverMessage(resp) }), 'error');
    return;
  }
  const url = URL.createObjectURL(new Blob([resp.content], { type: resp.content_type || 'text/markdown' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: resp.file_name || 'notes.md' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// resetNotes follows the page to another room (breakout rooms): another session, other notes.
export function resetNotes(join, pageToken, userLocks) {
  generation++;
  editor?.destroy();
  editor = null;
  loading = null;
  seqs = new Seqs();
  outbox = [];
  compactAsked = false;
  $('notes-editor').replaceChildren();
  const open = !$('notes-panel').hidden;
  initNotes(join, pageToken, userLocks);
  if (!allowed) showNotes(false);
  else if (open) openEditor();
}

// notesLocksChanged follows the user's locks (the participant's metadata): a lock makes the
// editor read-only at once; the server refuses the writes anyway.
export function notesLocksChanged(userLocks) {
  locks = userLocks || {};
  showLock();
}

function writable() {
  return allowed && !notesLocked(isAdmin, locks);
}

function showLock() {
  const w = writable();
  $('notes-panel').dataset.writable = w ? 'true' : 'false';
  $('notes-locked').hidden = w;
  editor?.setReadOnly(!w);
}

function showNotes(open) {
  $('notes-panel').hidden = !open;
  const b = $('notes-button');
  b.dataset.on = open ? 'true' : 'false';
  b.setAttribute('aria-pressed', open ? 'true' : 'false');
  if (open) openEditor();
}

// loadEditor imports the editor bundle and its stylesheet from meetd (once).
function loadEditor() {
  if (!loading) {
    const href = api.base + '/static/notes-editor.css';
    if (!document.querySelector(`link[href="${href}"]`)) {
      document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href }));
    }
    loading = import(/* a bundle of its own, not inlined */ api.base + '/static/notes-editor.js');
  }
  return loading;
}

async function openEditor() {
  if (editor) return;
  const gen = generation;
  const panel = $('notes-panel');
  panel.dataset.state = 'loading';
  let mod;
  try {
    mod = await loadEditor();
  } catch (err) {
    loading = null;
    panel.dataset.state = 'error';
    toast(t('notes.editor_failed', { error: err?.message || String(err) }), 'error');
    return;
  }
  if (gen !== generation || editor) return;
  const ed = mod.createEditor({
    container: $('notes-editor'),
    readOnly: true, // until the stored text is in
    placeholder: t('notes.placeholder'),
    onLocalUpdate: (u) => {
      outbox.push(u);
      sendSoon();
    },
    onChange: () => renderSoon(),
  });
  editor = ed;
  await fetchMissing(true);
  if (gen !== generation) return;
  panel.dataset.state = 'ready';
  showLock();
}

// refreshNotes fetches what the page may have missed (after a reconnection).
export function refreshNotes() {
  if (editor) fetchMissing(false);
}

// fetchMissing asks for the updates after the ones the page has all of, one fetch at a time.
async function fetchMissing(first) {
  if (fetching) return fetching;
  const gen = generation;
  fetching = (async () => {
    const resp = await call('state', { after: seqs.seen });
    if (gen !== generation || !editor) return;
    if (!resp.status) {
      if (first) toast(t('notes.load_failed', { error: serverMessage(resp) }), 'error');
      return;
    }
    // every update after seen (a compacted document's start with its snapshot, which holds
    // the ones before it): once applied, the page has them all
    const updates = resp.updates || [];
    for (const u of updates) editor.apply(fromBase64(u.data));
    if (updates.length) seqs.reach(updates[updates.length - 1].seq);
    if (typeof resp.locked === 'boolean' && resp.locked !== notesLocked(isAdmin, locks)) {
      locks = { ...locks, lock_shared_notepad: resp.locked };
    }
    showLock();
    if (resp.compact) await compact();
    renderSoon();
  })();
  try {
    await fetching;
  } finally {
    fetching = null;
  }
}

// compact replaces the stored updates up to seen by one snapshot of the document, which holds them
// (the server asks for it past a number of updates).
async function compact() {
  if (!writable() || compactAsked || seqs.seen < 1 || !editor) return;
  compactAsked = true;
  const c = await call('compact', { up_to: seqs.seen, snapshot: toBase64(editor.snapshot()) });
  compactAsked = false;
  if (!c.status) console.warn('notes: compaction refused:', c.msg);
}

// onNotesData handles a data message; true if it was one of the notes'.
export function onNotesData(topic, payload, sender) {
  if (topic !== NOTES_TOPIC) return false;
  const m = parseNotesMessage(topic, payload, sender);
  if (!m || m.doc !== DOC || !editor) return true; // not opened yet: it fetches everything when opened
  if (m.update && m.seq > seqs.seen) {
    try {
      editor.apply(fromBase64(m.update));
      seqs.add(m.seq);
    } catch {
      // a broken message: fetch it instead
    }
  }
  seqs.know(m.seq);
  if (seqs.gap) {
    // messages of two updates sent at once may come in either order: wait a little first
    clearTimeout(gapTimer);
    gapTimer = setTimeout(() => {
      if (seqs.gap) fetchMissing(false);
    }, GAP_WAIT);
  }
  return true;
}

function sendSoon() {
  if (sending) return;
  sending = true;
  setTimeout(sendNext, 0);
}

// sendNext sends what was typed, merged into one update, then waits SEND_GAP before the next.
async function sendNext() {
  const gen = generation;
  while (outbox.length && gen === generation) {
    const batch = outbox;
    outbox = [];
    if (!writable()) break; // locked meanwhile: the server would refuse it
    const update = editor.merge(batch);
    const resp = await call('update', { update: toBase64(update) });
    if (gen !== generation) return;
    if (resp.status) {
      seqs.add(resp.seq);
      if (resp.compact) setTimeout(() => !seqs.gap && compact(), RENDER_AFTER);
    } else if (resp.status_code === 'TOO_MANY_REQUESTS' || resp.status_code === 'INTERNAL_SERVER_ERROR') {
      outbox = [update, ...outbox]; // again, a little later
      await new Promise((r) => setTimeout(r, 1000));
    } else {
      toast(t('notes.save_failed', { error: serverMessage(resp) }), 'error');
    }
    await new Promise((r) => setTimeout(r, SEND_GAP));
  }
  sending = false;
  if (seqs.gap) fetchMissing(false);
  renderSoon();
}

// renderSoon posts the text as a delta once the page is quiet: nothing unsent, no gap.
function renderSoon() {
  clearTimeout(renderTimer);
  renderTimer = setTimeout(() => {
    if (!editor || !writable() || sending || outbox.length || seqs.gap || seqs.seen < 1) return;
    call('render', { seq: seqs.seen, rendering: editor.delta() });
  }, RENDER_AFTER);
}
