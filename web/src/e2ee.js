// End-to-end encryption on the meeting page (doc/web.md, "End-to-end encryption"). The media
// is encrypted by livekit-client (insertable streams or RTCRtpScriptTransform in its worker,
// /static/e2ee-worker.js, bundled by build.sh), with the key from /api/join or typed on the
// pre-join step; the chat, when the room asks for it, with e2ee-crypto.js. meeting.js calls
// this module at the points marked "e2ee".

import { ExternalE2EEKeyProvider, isE2EESupported, RoomEvent } from 'livekit-client';
import { e2eeOf, checkTypedKey, storageKey, chatKey, sealChat, openChat, isSealed } from './e2ee-crypto.js';
import * as api from './api.js';
import { $, toast } from './view.js';
import { t } from './i18n.js';

export const WORKER_URL = '/static/e2ee-worker.js';

let state = e2eeOf(null);
let secret = ''; // the meeting's secret, once known
let chat = null; // Promise<CryptoKey> of the chat's key
const failed = new Set(); // identities whose media this page cannot decrypt

// enabled says whether the meeting is end-to-end encrypted.
export function enabled() {
  return state.enabled;
}

// init reads the /api/join answer; false when the meeting is encrypted and this browser cannot
// join it (the page then says so and joins nothing).
export function init(join) {
  state = e2eeOf(join);
  if (!state.enabled) return true;
  if (!isE2EESupported()) return false;
  if (!state.selfInsertKey) secret = state.key;
  return true;
}

// UNSUPPORTED is the sentence for a browser without insertable streams.
export const UNSUPPORTED = 'e2ee.unsupported'; // a key of the catalogues (web/src/i18n.js)

// restrictCaps takes away what cannot work under end-to-end encryption: the server cannot
// decode the media, so it can neither record nor broadcast it (it refuses too).
export function restrictCaps(caps) {
  if (state.enabled && caps) {
    caps.record = false;
    caps.rtmp = false;
  }
  return caps;
}

// prejoin shows that the meeting is encrypted and, for self-inserted keys, the key field
// (filled from this tab's earlier visit).
export function prejoin(join) {
  if (!state.enabled) return;
  $('e2ee-prejoin').hidden = false;
  if (!state.selfInsertKey) return;
  $('e2ee-key-row').hidden = false;
  const input = $('e2ee-key-input');
  try {
    input.value = sessionStorage.getItem(storageKey(join.room_sid)) || '';
  } catch {
    // storage blocked: the person types it again
  }
  input.addEventListener('input', () => ($('e2ee-key-error').textContent = ''));
}

// takeKey is called by the Join button: the typed key, checked and kept for this tab; false
// (with the reason shown) when it will not do.
export function takeKey(join) {
  if (!state.enabled || !state.selfInsertKey) return true;
  const typed = $('e2ee-key-input').value.trim();
  const problem = checkTypedKey(typed);
  if (problem) {
    $('e2ee-key-error').textContent = problem;
    $('e2ee-key-input').focus();
    return false;
  }
  secret = typed;
  try {
    sessionStorage.setItem(storageKey(join.room_sid), typed);
  } catch {
    // not kept: asked again after a reload
  }
  return true;
}

// roomOptions are the Room options that encrypt the media with the meeting's secret.
export async function roomOptions() {
  if (!state.enabled) return {};
  const keyProvider = new ExternalE2EEKeyProvider();
  await keyProvider.setKey(secret);
  // `e2ee` encrypts media only; the chat is encrypted here (included_chat_messages) so that
  // server messages stay readable and the room's switch decides.
  return { e2ee: { keyProvider, worker: await startWorker() } };
}

// startWorker starts the encryption worker from meetd. A page embedded in a CMS is on another
// origin, where a Worker cannot load a script of meetd's directly: it is fetched (CORS) and
// started from a blob URL (doc/web.md, "Embedding").
async function startWorker() {
  const url = api.base + WORKER_URL;
  if (new URL(url, location.href).origin === location.origin) return new Worker(url);
  const res = await fetch(url, { mode: 'cors', credentials: 'omit' });
  const blob = new Blob([await res.text()], { type: 'text/javascript' });
  return new Worker(URL.createObjectURL(blob));
}

// connecting switches encryption on for the room before it connects, and watches for media
// this page cannot decrypt (a participant with another key).
export async function connecting(room, onChange) {
  if (!state.enabled) return;
  room.on(RoomEvent.EncryptionError, (_err, p) => {
    if (!p || p === room.localParticipant) {
      toast(t('e2ee.encrypt_failed'), 'error');
      return;
    }
    if (failed.has(p.identity)) return;
    failed.add(p.identity);
    toast(t('e2ee.cannot_decrypt', { name: p.name || p.identity }), 'warning', 8000);
    onChange();
  });
  // a participant who leaves and comes back (with the right key, perhaps) starts afresh
  room.on(RoomEvent.ParticipantDisconnected, (p) => failed.delete(p.identity));
  await room.setE2EEEnabled(true);
}

// joined shows the meeting's badge.
export function joined() {
  if (!state.enabled) return;
  const badge = $('e2ee-badge');
  badge.hidden = false;
  badge.title = t(state.includeChat ? 'e2ee.badge_title_chat' : 'e2ee.badge_title_media');
}

// cannotDecrypt says whether this page failed to decrypt a participant's media.
export function cannotDecrypt(identity) {
  return failed.has(identity);
}

function chatKeyOnce() {
  if (!chat) chat = chatKey(secret);
  return chat;
}

// outgoingChat is a chat message as it goes out: sealed when the chat is encrypted.
export async function outgoingChat(msg) {
  if (!state.includeChat) return msg;
  return sealChat(await chatKeyOnce(), msg);
}

// incomingChat turns a received chat payload (decoded JSON) into what messages.js parses: opened
// when sealed; {undecryptable: true} when this page's key does not open it. Plain messages (the
// server's own) pass as they are.
export async function incomingChat(m) {
  if (!isSealed(m)) return m;
  if (!state.includeChat && !state.enabled) return { undecryptable: true };
  const opened = await openChat(await chatKeyOnce(), m);
  return opened || { undecryptable: true };
}
