// Data messages exchanged over LiveKit data channels (see doc/web.md).

import { t } from './i18n.js';
export const TOPIC_CHAT = 'chat';
export const TOPIC_NOTIFICATION = 'notification';

export const MAX_CHAT_LENGTH = 2000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encode(obj) {
  return encoder.encode(JSON.stringify(obj));
}

export function chatMessage(fromUserId, fromName, message, sentAt = Date.now()) {
  return { type: 'chat', from_user_id: fromUserId, from_name: fromName, message, sent_at: sentAt };
}

// HAND_ATTRIBUTE is the participant attribute the server sets while a hand is raised ("1").
export const HAND_ATTRIBUTE = 'hand';

// handRaised says whether a participant's attributes show a raised hand.
export function handRaised(attributes) {
  return !!attributes && attributes[HAND_ATTRIBUTE] === '1';
}

function str(v) {
  return typeof v === 'string' ? v : '';
}

// parse decodes an incoming data message. sender is the LiveKit participant
// that sent it ({identity, name}), or null when the server sent it. A
// message from a participant is always attributed to that participant, so
// nobody can pose as "system" or as someone else. Returns null for anything
// the page does not understand.
export function parse(topic, payload, sender) {
  let m;
  try {
    m = JSON.parse(decoder.decode(payload));
  } catch {
    return null;
  }
  if (!m || typeof m !== 'object') return null;
  const fromServer = !sender;
  const fromUserId = fromServer ? str(m.from_user_id) : sender.identity;
  const fromName = fromServer ? str(m.from_name) : sender.name || sender.identity;

  if (topic === TOPIC_CHAT && m.type === 'chat') {
    const message = str(m.message);
    if (!message.trim()) return null;
    return {
      kind: 'chat',
      fromUserId,
      fromName: fromName || fromUserId || t('chat.unknown'),
      message: message.slice(0, 10 * MAX_CHAT_LENGTH),
      sentAt: typeof m.sent_at === 'number' && Number.isFinite(m.sent_at) ? m.sent_at : Date.now(),
      system: fromServer,
    };
  }
  if (topic === TOPIC_NOTIFICATION && m.type === 'notification' && fromServer) {
    const text = str(m.text);
    if (!text.trim()) return null;
    const t = str(m.notification_type);
    return {
      kind: 'notification',
      text,
      level: t === 'warning' || t === 'error' ? t : 'info',
      withSound: m.with_sound === true,
    };
  }
  return null;
}
