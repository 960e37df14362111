// The whiteboard on the meeting page (doc/web.md, "Whiteboard"). The board is the shared document
// "whiteboard" of the notes' routes (/api/notes/*, doc "whiteboard"): a Yjs document that every
// page merges by itself, whose updates meetd keeps in order and forwards on the data topic
// "meetd.notes". The editor (Excalidraw, React, Yjs) is a bundle of its own under
// /static/whiteboard/, loaded with import() the first time the board is opened. The images on
// the board go to meetd apart (/api/whiteboard/upload, /api/whiteboard/file).
//
// The sync is the notes' (web/src/docsync.js's DocSync); the rendering posted here is the board's
// SVG and scene, from which meetd answers the API's download.

import * as api from './api.js';
import { $, toast } from './view.js';
import { t, serverMessage } from './i18n.js';
import { NOTES_TOPIC, parseNotesMessage } from './notes.js';
import { DocSync, toBase64 } from './docsync.js';

export const DOC = 'whiteboard';

// boardAllowed mirrors the server's rule: room_features.whiteboard_features is present, its
// is_allow is not false, nor plugNmeet's older allowed_whiteboard.
export function boardAllowed(join) {
  const f = join?.room_metadata?.room_features?.whiteboard_features;
  return !!f && typeof f === 'object' && f.is_allow !== false && f.allowed_whiteboard !== false;
}

// boardLocked: the user's lock_whiteboard keeps them from drawing (never a moderator).
export function boardLocked(isAdmin, locks) {
  return !isAdmin && !!(locks && locks.lock_whiteboard);
}

// preloadURL is whiteboard_features.preload_file when it is an http(s) URL of an image; '' else.
export function preloadURL(join) {
  const u = join?.room_metadata?.room_features?.whiteboard_features?.preload_file;
  if (typeof u !== 'string' || !/^https?:\/\//i.test(u)) return '';
  return u;
}

// batchUpdates splits queued updates into the first run that fits in max bytes (at least one)
// and the rest: a call carries at most one update of 64 KiB.
export function batchUpdates(queue, max) {
  let size = 0;
  let n = 0;
  while (n < queue.length && (n === 0 || size + queue[n].length <= max)) size += queue[n++].length;
  return [queue.slice(0, n), queue.slice(n)];
}

// ---------------------------------------------------------------- the panel

const RENDER_AFTER = 1500; // ms of quiet before the rendering is posted
const MAX_UPDATE = 60 << 10; // bytes of updates merged into one call
const MAX_RENDERING = 4 << 20; // meetd's limit of a board's rendering

let token = '';
let join = null;
let isAdmin = false;
let locks = {};
let allowed = false;
let board = null; // the editor bundle's object once loaded
let loading = null;
let sync = null; // the board's DocSync
let generation = 0;

async function call(path, body) {
  try {
    return await api.post(path, token, body);
  } catch {
    return { status: false, msg: t('whiteboard.unreachable') };
  }
}
const docCall = (verb, body) => call(`/api/notes/${verb}`, { doc: DOC, ...body });

// initWhiteboard is called once the meeting is built; it shows the button when the room allows
// the whiteboard. Nothing is loaded until the button is clicked.
export function initWhiteboard(joinAnswer, pageToken, userLocks) {
  join = joinAnswer;
  token = pageToken;
  isAdmin = !!join.is_admin;
  locks = userLocks || {};
  allowed = boardAllowed(join);
  $('whiteboard-button').hidden = !allowed;
  if ($('whiteboard-button').dataset.wired) return;
  $('whiteboard-button').dataset.wired = 'true';
  $('whiteboard-button').addEventListener('click', () => showBoard($('whiteboard-panel').hidden));
  $('whiteboard-close').addEventListener('click', () => showBoard(false));
  $('whiteboard-png').addEventListener('click', () => save('png'));
  $('whiteboard-svg').addEventListener('click', () => save('svg'));
  // for tests and tools: the board's PNG as base64 (doc/web.md, "What tests can rely on")
  $('whiteboard-panel').pngBase64 = async () => (board ? toBase64(new Uint8Array(await (await board.png()).arrayBuffer())) : '');
}

// resetWhiteboard follows the page to another room (breakout rooms): another session, another board.
export function resetWhiteboard(joinAnswer, pageToken, userLocks) {
  generation++;
  board?.destroy();
  board = null;
  sync?.close();
  sync = null;
  $('whiteboard-editor').replaceChildren();
  const open = !$('whiteboard-panel').hidden;
  initWhiteboard(joinAnswer, pageToken, userLocks);
  if (!allowed) showBoard(false);
  else if (open) openBoard();
}

// whiteboardLocksChanged follows the user's locks: a lock turns the board to view mode at once;
// the server refuses the writes anyway.
export function whiteboardLocksChanged(userLocks) {
  locks = userLocks || {};
  showLock();
}

function writable() {
  return allowed && !boardLocked(isAdmin, locks);
}

function showLock() {
  const w = writable();
  $('whiteboard-panel').dataset.writable = w ? 'true' : 'false';
  $('whiteboard-locked').hidden = w;
  board?.setReadOnly(!w);
}

function showBoard(open) {
  $('whiteboard-panel').hidden = !open;
  const b = $('whiteboard-button');
  b.dataset.on = open ? 'true' : 'false';
  b.setAttribute('aria-pressed', open ? 'true' : 'false');
  if (open) openBoard();
}

// save downloads the board as a PNG or SVG picture, made here.
async function save(kind) {
  if (!board) return;
  try {
    const blob = kind === 'png' ? await board.png() : new Blob([await board.svg()], { type: 'image/svg+xml' });
    const url = URL.createObjectURL(blob);
    const a = Object.assign(document.createElement('a'), { href: url, download: `whiteboard.${kind}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (err) {
    toast(t('whiteboard.export_failed', { error: err?.message || String(err) }), 'error');
  }
}

function loadEditor() {
  if (!loading) {
    const href = api.base + '/static/whiteboard/whiteboard-editor.css';
    if (!document.querySelector(`link[href="${href}"]`)) {
      document.head.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href }));
    }
    loading = import(/* a bundle of its own, not inlined */ api.base + '/static/whiteboard/whiteboard-editor.js');
  }
  return loading;
}

function showCount() {
  if (board) $('whiteboard-panel').dataset.elements = String(board.count());
}

async function openBoard() {
  if (board) return;
  const gen = generation;
  const panel = $('whiteboard-panel');
  panel.dataset.state = 'loading';
  let mod;
  try {
    mod = await loadEditor();
  } catch (err) {
    loading = null;
    panel.dataset.state = 'error';
    toast(t('whiteboard.load_failed', { error: err?.message || String(err) }), 'error');
    return;
  }
  if (gen !== generation || board) return;
  let b = null; // the sync's target, made next: the sync exists before the board's first event
  const s = new DocSync({
    name: 'whiteboard',
    target: { apply: (u) => b.apply(u), merge: (us) => b.merge(us), snapshot: () => b.snapshot() },
    call: docCall,
    writable,
    onState: (resp) => {
      if (typeof resp.locked === 'boolean' && resp.locked !== boardLocked(isAdmin, locks)) {
        locks = { ...locks, lock_whiteboard: resp.locked };
      }
      showLock();
    },
    render: async (seq) => docCall('render', { seq, rendering: await b.rendering(MAX_RENDERING - 4096) }),
    renderAfter: RENDER_AFTER,
    batch: (queue) => batchUpdates(queue, MAX_UPDATE),
    loadFailed: 'whiteboard.load_failed',
    saveFailed: 'whiteboard.change_not_saved',
  });
  b = mod.createBoard({
    container: $('whiteboard-editor'),
    assetPath: new URL(api.base + '/static/whiteboard/', location.href).href,
    readOnly: true, // until the stored board is in
    onLocalUpdate: (u) => s.local(u),
    onChange: () => {
      showCount();
      s.renderSoon();
    },
    uploadFile: uploadFile,
    fetchFile: fetchFile,
  });
  board = b;
  sync = s;
  const first = await s.fetchMissing(true);
  if (gen !== generation) return;
  board.loaded(); // Excalidraw starts from the stored board
  panel.dataset.state = 'ready';
  showLock();
  showCount();
  if (first && first.seq === 0 && isAdmin) preload();
}

// preload puts whiteboard_features.preload_file on an empty board as its background (a
// moderator's page does, once: the board is then no longer empty).
async function preload() {
  const url = preloadURL(join);
  if (!url || !board) return;
  try {
    const resp = await fetch(url, { credentials: 'omit' });
    const blob = await resp.blob();
    if (!resp.ok || !/^image\/(png|jpeg|gif|webp)$/.test(blob.type)) throw new Error(t('whiteboard.not_image', { url }));
    await board.addImage(blob, true);
  } catch (err) {
    toast(t('whiteboard.preload_failed', { error: err?.message || String(err) }), 'error');
  }
}

async function uploadFile(f) {
  const data = String(f.dataURL).replace(/^data:[^,]*;base64,/, '');
  const resp = await call('/api/whiteboard/upload', { id: f.id, data });
  if (!resp.status) {
    toast(t('whiteboard.image_not_saved', { error: serverMessage(resp) }), 'error');
    throw new Error(resp.msg);
  }
}

async function fetchFile(id) {
  const resp = await call('/api/whiteboard/file', { id });
  if (!resp.status) throw new Error(resp.msg);
  return { id, mimeType: resp.mime_type, dataURL: `data:${resp.mime_type};base64,${resp.data}`, created: resp.created };
}

export function refreshWhiteboard() {
  sync?.fetchMissing(false);
}

// onWhiteboardData handles a data message; true if it was the board's (the notes' go on to
// web/src/notes.js).
export function onWhiteboardData(topic, payload, sender) {
  if (topic !== NOTES_TOPIC) return false;
  const m = parseNotesMessage(topic, payload, sender);
  if (!m || m.doc !== DOC) return false;
  sync?.onMessage(m); // not opened: it fetches everything when opened
  return true;
}
