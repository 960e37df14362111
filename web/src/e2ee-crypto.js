// End-to-end encryption, the pure part (doc/web.md, "End-to-end encryption"): what /api/join
// says, and the chat's encryption with WebCrypto. The media's encryption is livekit-client's
// (e2ee.js); the chat's key is derived from the same secret with another salt, so the two keys
// are unrelated to each other.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// CHAT_SALT and CHAT_ITERATIONS derive the chat's AES-GCM key from the meeting's secret (PBKDF2,
// SHA-256). CHAT_AAD binds each ciphertext to its purpose.
import { t } from './i18n.js';
export const CHAT_SALT = 'meetd-e2ee-chat-v1';
export const CHAT_ITERATIONS = 100000;
const CHAT_AAD = encoder.encode('meetd chat v1');
const IV_BYTES = 12;

// MIN_KEY_LENGTH is the shortest key a participant may type on the pre-join step.
export const MIN_KEY_LENGTH = 8;

// e2eeOf reads the e2ee part of the /api/join answer; a server without it means no encryption.
export function e2eeOf(join) {
  const e = (join && typeof join.e2ee === 'object' && join.e2ee) || {};
  const enabled = e.enabled === true;
  return {
    enabled,
    selfInsertKey: enabled && e.self_insert_key === true,
    includeChat: enabled && e.include_chat === true,
    key: enabled && typeof e.key === 'string' ? e.key : '',
  };
}

// checkTypedKey says what is wrong with a typed key, or '' when it will do.
export function checkTypedKey(key) {
  if (typeof key !== 'string' || key.trim().length < MIN_KEY_LENGTH) {
    return t('e2ee.key_too_short', { n: MIN_KEY_LENGTH });
  }
  return '';
}

// storageKey is where a typed key is kept for this session (sessionStorage: one tab, until it
// closes), so a reload does not ask again.
export function storageKey(roomSID) {
  return `meetd.e2ee.${roomSID}`;
}

function b64(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function unb64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// chatKey derives the chat's AES-GCM key from the meeting's secret.
export async function chatKey(secret, subtle = globalThis.crypto.subtle) {
  const material = await subtle.importKey('raw', encoder.encode(secret), 'PBKDF2', false, ['deriveKey']);
  return subtle.deriveKey(
    { name: 'PBKDF2', salt: encoder.encode(CHAT_SALT), iterations: CHAT_ITERATIONS, hash: 'SHA-256' },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

// sealChat encrypts a chat message (messages.js chatMessage): the text goes into "e2ee" as
// base64(iv ‖ ciphertext) and "message" is left empty, so a page without the key shows nothing
// readable. Sender and time stay in clear (the media server sees who sends anyway).
export async function sealChat(key, msg, crypto = globalThis.crypto) {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const plain = encoder.encode(JSON.stringify({ message: msg.message }));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: CHAT_AAD }, key, plain));
  const packed = new Uint8Array(iv.length + ct.length);
  packed.set(iv);
  packed.set(ct, iv.length);
  return { ...msg, message: '', e2ee: b64(packed) };
}

// isSealed says whether a decoded chat payload is encrypted.
export function isSealed(m) {
  return !!m && typeof m === 'object' && m.type === 'chat' && typeof m.e2ee === 'string' && m.e2ee !== '';
}

// openChat decrypts a sealed chat payload: the payload with its message back, or null when the
// key does not open it (another key, or a forged or damaged message).
export async function openChat(key, m, subtle = globalThis.crypto.subtle) {
  try {
    const packed = unb64(m.e2ee);
    if (packed.length <= IV_BYTES + 16) return null;
    const plain = await subtle.decrypt(
      { name: 'AES-GCM', iv: packed.subarray(0, IV_BYTES), additionalData: CHAT_AAD },
      key,
      packed.subarray(IV_BYTES),
    );
    const inner = JSON.parse(decoder.decode(plain));
    if (!inner || typeof inner.message !== 'string') return null;
    const out = { ...m, message: inner.message };
    delete out.e2ee;
    return out;
  } catch {
    return null;
  }
}
