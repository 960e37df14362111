// Chat through the server, private messages, shared files and reactions on the
// meeting page (doc/web.md, "Chat" and "Reactions"). The page sends its
// messages with POST /api/chat/send (files with /api/chat/upload); the server
// keeps them with the session and relays them on the topic "meetd.chat": to
// everyone, or a private message to its two parties only. At entry the page
// loads the history (/api/chat/history), so late joiners and reloads see it.
// In an end-to-end encrypted chat the text is sealed here (e2ee.outgoingChat)
// and opened on the other pages; the server keeps what it cannot read.
// Reactions go through /api/chat/react and arrive on "meetd.reactions".

import * as api from './api.js';
import { e2eeOf } from './e2ee-crypto.js';
import { $, h, toast } from './view.js';
import { t, serverMessage, formatNumber } from './i18n.js';

export const CHAT_TOPIC = 'meetd.chat';
export const REACTIONS_TOPIC = 'meetd.reactions';
export const REACTIONS = ['👍', '👏', '❤️', '😂', '😮', '🎉'];
const REACTION_MS = 2600;

// chatRules is what the room and the user's locks allow in the chat now.
export function chatRules(join, locks = {}) {
  const f = join?.room_metadata?.room_features || {};
  const c = f.chat_features || {};
  const chat = c.allow_chat !== false && c.is_allow !== false;
  const send = chat && !locks.lock_chat && !locks.lock_chat_send_message;
  return {
    private: send && !locks.lock_private_chat,
    privateToAdmins: send, // lock_private_chat leaves moderators reachable, as plugNmeet
    files: send && c.allow_file_upload !== false && c.is_allow_file_upload !== false && !locks.lock_chat_file_share && !e2eeOf(join).includeChat,
    reactions: f.allow_reactions !== false && !locks.lock_reactions,
    maxFileBytes: (typeof c.max_file_size === 'number' ? c.max_file_size : Number(c.max_file_size) || 50) * 1024 * 1024,
    fileTypes: Array.isArray(c.allowed_file_types) ? c.allowed_file_types.map((t) => String(t).replace(/^\./, '').toLowerCase()) : [],
  };
}

// parseServerMessage reads a data message of the server on CHAT_TOPIC or
// REACTIONS_TOPIC; null if it is not one (or came from a participant, who
// cannot pose as the server).
export function parseServerMessage(topic, payload, sender) {
  if ((topic !== CHAT_TOPIC && topic !== REACTIONS_TOPIC) || sender) return null;
  let m;
  try {
    m = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
  } catch {
    return null;
  }
  if (!m || typeof m !== 'object') return null;
  if (topic === REACTIONS_TOPIC) {
    if (m.type !== 'reaction' || !REACTIONS.includes(m.emoji) || typeof m.from_user_id !== 'string') return null;
    return { kind: 'reaction', emoji: m.emoji, from: m.from_user_id, name: typeof m.from_name === 'string' ? m.from_name : '' };
  }
  if (m.type !== 'chat' || typeof m.msg_id !== 'string' || typeof m.from_user_id !== 'string') return null;
  return { kind: 'chat', ...m };
}

// formatSize is a file's size for people.
export function formatSize(n) {
  const digits = (d) => ({ minimumFractionDigits: d, maximumFractionDigits: d });
  if (n < 1024) return t('chat.size_b', { n: formatNumber(n) });
  if (n < 1024 * 1024) return t('chat.size_kb', { n: formatNumber(n / 1024, digits(n < 10 * 1024 ? 1 : 0)) });
  return t('chat.size_mb', { n: formatNumber(n / 1024 / 1024, digits(1)) });
}

// fileAllowed checks a picked file against the room's rules before it goes
// up; the server checks again (and its content).
export function fileAllowed(rules, name, size) {
  const ext = (String(name).match(/\.([^.]+)$/)?.[1] || '').toLowerCase();
  if (rules.fileTypes.length && !rules.fileTypes.includes(ext)) return t('chat.file_type', { ext: ext || '?' });
  if (size > rules.maxFileBytes) return t('chat.file_too_big', { size: formatSize(rules.maxFileBytes) });
  if (size === 0) return t('chat.file_empty');
  return '';
}

// ---------------------------------------------------------------- the panel

let token = '';
let me = '';
let join = null;
let room = null;
let rules = { private: false, files: false, reactions: false, maxFileBytes: 0, fileTypes: [] };
let append = () => {};
// e2ee is the page's e2ee module (outgoingChat, incomingChat), given to initChat: this module stays
// loadable without the media library, for its tests.
let e2ee = { outgoingChat: async (m) => m, incomingChat: async (m) => m };
const seen = new Set();

async function call(verb, body) {
  try {
    return await api.post(`/api/chat/${verb}`, token, body);
  } catch {
    return { status: false, msg: t('meeting.server_unreachable') };
  }
}

// initChat is called once the meeting is built: it wires the recipient list,
// the file button and the reactions, and loads the history. appendChat is the
// page's way to show a message in the chat list; e2eeModule seals and opens.
export function initChat(joinAnswer, pageToken, lkRoom, appendChat, e2eeModule) {
  join = joinAnswer;
  if (e2eeModule) e2ee = e2eeModule;
  token = pageToken;
  room = lkRoom;
  me = lkRoom.localParticipant.identity;
  append = appendChat;
  $('chat-attach').addEventListener('click', () => $('chat-file').click());
  $('chat-file').addEventListener('change', () => {
    const f = $('chat-file').files?.[0];
    $('chat-file').value = '';
    if (f) upload(f);
  });
  $('reaction-button').addEventListener('click', () => {
    const bar = $('reactions-bar');
    bar.hidden = !bar.hidden;
    $('reaction-button').dataset.on = bar.hidden ? 'false' : 'true';
  });
  for (const emoji of REACTIONS) {
    $('reactions-bar').append(h('button', { type: 'button', class: 'reaction-choice', 'data-emoji': emoji, 'aria-label': t('chat.react_with', { emoji }), onclick: () => react(emoji) }, emoji));
  }
  $('chat-messages').addEventListener('click', onFileClick);
  loadHistory();
}

// resetChat follows the page into another room (a breakout room, or back to
// the main room): its messages go to that room, whose history shows below
// what the page showed before.
export function resetChat(joinAnswer, pageToken, lkRoom) {
  join = joinAnswer;
  token = pageToken;
  room = lkRoom;
  me = lkRoom.localParticipant.identity;
  loadHistory();
}

// updateChat follows the locks and the participants (called with the page's
// other controls).
export function updateChat(locks, others) {
  if (!join) return;
  rules = chatRules(join, locks);
  const sel = $('chat-to');
  const want = others.filter((p) => !p.identity.startsWith('__meetd_') && (rules.private || (rules.privateToAdmins && p.admin))); // not the server's own participants
  const current = sel.value;
  const have = Array.from(sel.options).slice(1).map((o) => o.value + '\n' + o.textContent).join('|');
  if (have !== want.map((p) => p.identity + '\n' + p.name).join('|')) {
    sel.replaceChildren(h('option', { value: '' }, t('chat.everyone')), ...want.map((p) => h('option', { value: p.identity }, p.name)));
    sel.value = want.some((p) => p.identity === current) ? current : '';
  }
  sel.hidden = want.length === 0;
  $('chat-attach').hidden = !rules.files;
  $('reaction-button').hidden = !rules.reactions;
  if (!rules.reactions) $('reactions-bar').hidden = true;
}

// send sends the text typed (sealed when the chat is encrypted); true if the
// server took it.
export async function send(text, fromUserId, fromName) {
  const to = $('chat-to').hidden ? '' : $('chat-to').value;
  const sealed = await e2ee.outgoingChat({ type: 'chat', from_user_id: fromUserId, from_name: fromName, message: text, sent_at: Date.now() }); // e2ee: sealed
  const body = sealed.e2ee ? { e2ee: sealed.e2ee } : { message: text };
  if (to) body.to_user_id = to;
  const resp = await call('send', body);
  if (!resp.status) {
    toast(t('chat.not_sent', { error: serverMessage(resp, 'meeting.refused') }), 'error');
    return false;
  }
  await show(resp.chat_message);
  return true;
}

// onChatData handles a data message; true if it was the chat's or a reaction.
export function onChatData(topic, payload, sender) {
  if (topic !== CHAT_TOPIC && topic !== REACTIONS_TOPIC) return false;
  const m = parseServerMessage(topic, payload, sender);
  if (m?.kind === 'chat') show(m, true); // a11y: live, announced
  else if (m?.kind === 'reaction') floatReaction(m);
  return true;
}

// loadHistory shows the messages of the history this page has not shown yet
// (at entry, and after a reconnection).
export async function loadHistory() {
  if (!token) return;
  const resp = await call('history', {});
  if (!resp.status || !Array.isArray(resp.messages)) return;
  for (const m of resp.messages) await show(m);
}

function nameOf(identity) {
  if (!room) return identity;
  if (identity === me) return t('chat.you_lower');
  const p = room.remoteParticipants.get(identity);
  return (p && (p.name || p.identity)) || identity;
}

// show appends a message of the server once (by msg_id), opened if sealed.
async function show(m, live = false) {
  if (!m || seen.has(m.msg_id)) return;
  seen.add(m.msg_id);
  let text = typeof m.message === 'string' ? m.message : '';
  let undecryptable = false;
  if (m.e2ee) {
    const opened = await e2ee.incomingChat(m); // e2ee: opened here
    if (!opened || opened.undecryptable) undecryptable = true;
    else text = opened.message;
  }
  const priv = typeof m.to_user_id === 'string' && m.to_user_id !== '';
  const self = m.from_user_id === me;
  let extra = null;
  if (priv) extra = h('div', { class: 'chat-private-note' }, self ? t('chat.private_to', { name: nameOf(m.to_user_id) }) : t('chat.private_to_you'));
  let file = null;
  if (m.file && typeof m.file.file_id === 'string') {
    file = h(
      'button',
      { type: 'button', class: 'chat-file', 'data-file-id': m.file.file_id, 'data-file-name': m.file.name, title: t('chat.download', { name: m.file.name }) },
      h('span', { class: 'chat-file-name' }, m.file.name),
      h('span', { class: 'chat-file-size' }, formatSize(m.file.size || 0)),
    );
  }
  append({
    fromUserId: m.from_user_id,
    fromName: m.from_name || m.from_user_id,
    message: undecryptable ? t('chat.undecryptable') : text,
    sentAt: typeof m.sent_at === 'number' ? m.sent_at : Date.now(),
    self,
    undecryptable,
    private: priv,
    extra: [extra, file].filter(Boolean),
    msgId: m.msg_id,
    live, // a11y: arrived now (not from the history): announced
  });
}

async function upload(f) {
  const why = fileAllowed(rules, f.name, f.size);
  if (why) {
    toast(why, 'error');
    return;
  }
  const to = $('chat-to').hidden ? '' : $('chat-to').value;
  const q = new URLSearchParams({ name: f.name });
  if (to) q.set('to_user_id', to);
  $('chat-attach').disabled = true;
  let resp;
  try {
    const res = await fetch(`${api.base}/api/chat/upload?${q}`, {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/octet-stream', Accept: 'application/json' },
      body: f,
      mode: 'cors',
      credentials: 'omit',
      cache: 'no-store',
    });
    resp = await res.json().catch(() => ({ status: false, msg: `The server answered ${res.status}` }));
  } catch {
    resp = { status: false, msg: t('meeting.server_unreachable') };
  } finally {
    $('chat-attach').disabled = false;
  }
  if (!resp.status) {
    toast(t('chat.file_not_shared', { error: serverMessage(resp, 'meeting.refused') }), 'error');
    return;
  }
  await show(resp.chat_message);
}

// onFileClick asks for a short-lived download link and follows it.
async function onFileClick(e) {
  const b = e.target.closest('button.chat-file');
  if (!b) return;
  const resp = await call('file', { file_id: b.dataset.fileId });
  if (!resp.status || !resp.url) {
    toast(serverMessage(resp, 'chat.file_cannot_download'), 'error');
    return;
  }
  const a = h('a', { href: api.base + resp.url, download: b.dataset.fileName, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
}

async function react(emoji) {
  $('reactions-bar').hidden = true;
  $('reaction-button').dataset.on = 'false';
  const resp = await call('react', { emoji });
  if (!resp.status) toast(resp.status_code === 'TOO_MANY_REQUESTS' ? t('chat.slow_down') : serverMessage(resp, 'chat.reaction_not_sent'), 'warning');
}

// floatReaction shows a reaction rising over its sender's tile (or the stage);
// with reduced motion it fades in place.
function floatReaction(r) {
  const tile = document.querySelector(`#grid .tile[data-identity="${CSS.escape(r.from)}"]`) || $('stage');
  const reduced = window.matchMedia?.('(prefers-reduced-motion: reduce)').matches;
  const el = h('span', { class: reduced ? 'reaction-float still' : 'reaction-float', 'data-emoji': r.emoji, 'data-from': r.from, role: 'img', 'aria-label': t('chat.reacted', { name: r.name || r.from, emoji: r.emoji }) }, r.emoji);
  el.style.left = `${20 + Math.random() * 50}%`;
  tile.append(el);
  if (tile.classList.contains('tile')) tile.dataset.lastReaction = r.emoji; // stays after the float is gone
  setTimeout(() => el.remove(), REACTION_MS);
}
