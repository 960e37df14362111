// Shared notes on the meeting page (doc/web.md, "Shared notes"). The text is a Yjs document that
// every page merges by itself; meetd keeps the updates in order (each with a seq) and forwards
// each new one on the data topic "meetd.notes". The editor (Quill, Yjs, y-quill) is a bundle of
// its own, loaded from meetd with import() the first time the notes are opened.
//
// The page's side of the sync (fetch, apply, send, compact, render) is web/src/docsync.js's
// DocSync; the rendering posted here is the text as a Quill delta (POST /api/notes/render), from
// which meetd writes the API's Markdown and HTML download.

import * as api from './api.js';
import { $, toast } from './view.js';
import { t, serverMessage } from './i18n.js';
import { DocSync, Seqs, fromBase64, toBase64 } from './docsync.js';

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

export { Seqs, fromBase64, toBase64 }; // the sync's, kept here for the whiteboard and the tests

// ---------------------------------------------------------------- the panel

const RENDER_AFTER = 800; // ms of quiet before the rendering is posted

let token = '';
let isAdmin = false;
let locks = {};
let allowed = false;
let editor = null; // the editor bundle's object once loaded
let loading = null;
let sync = null; // the editor's DocSync
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
  sync?.close();
  sync = null;
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
  let ed = null; // the sync's target, made next: the sync exists before the editor's first event
  const s = new DocSync({
    name: 'notes',
    target: { apply: (u) => ed.apply(u), merge: (us) => ed.merge(us), snapshot: () => ed.snapshot() },
    call,
    writable,
    onState: (resp) => {
      if (typeof resp.locked === 'boolean' && resp.locked !== notesLocked(isAdmin, locks)) {
        locks = { ...locks, lock_shared_notepad: resp.locked };
      }
      showLock();
    },
    render: (seq) => call('render', { seq, rendering: ed.delta() }),
    renderAfter: RENDER_AFTER,
    loadFailed: 'notes.load_failed',
    saveFailed: 'notes.save_failed',
  });
  ed = mod.createEditor({
    container: $('notes-editor'),
    readOnly: true, // until the stored text is in
    placeholder: t('notes.placeholder'),
    onLocalUpdate: (u) => s.local(u),
    onChange: () => s.renderSoon(),
  });
  editor = ed;
  sync = s;
  await s.fetchMissing(true);
  if (gen !== generation) return;
  panel.dataset.state = 'ready';
  showLock();
}

// refreshNotes fetches what the page may have missed (after a reconnection).
export function refreshNotes() {
  sync?.fetchMissing(false);
}

// onNotesData handles a data message; true if it was one of the notes'.
export function onNotesData(topic, payload, sender) {
  if (topic !== NOTES_TOPIC) return false;
  const m = parseNotesMessage(topic, payload, sender);
  if (m && m.doc === DOC) sync?.onMessage(m); // not opened yet: it fetches everything when opened
  return true;
}
