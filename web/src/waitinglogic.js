// The waiting room's pure logic (doc/web.md, "Waiting room"): what the waiting page says for an
// answer of /api/join or /api/waiting/status, and who is new in an admin's list.

import { t } from './i18n.js';

export const WAITING_TOPIC = 'meetd.waiting';
export const POLL_MS = 3000; // the waiting page's heartbeat (the server forgets it after 15 s)
export const ADMIN_POLL_MS = 4000;

// waitingView: {state: 'waiting'|'rejected'|'admitted', message, reason}.
export function waitingView(resp) {
  if (!resp || !resp.waiting) return { state: 'admitted', message: '', reason: '' };
  if (resp.waiting_state === 'rejected') {
    const reason = typeof resp.reject_reason === 'string' ? resp.reject_reason.trim() : '';
    return { state: 'rejected', message: t('waiting.rejected'), reason };
  }
  const msg = typeof resp.waiting_room_msg === 'string' ? resp.waiting_room_msg.trim() : '';
  return { state: 'waiting', message: msg || t('waiting.please_wait'), reason: '' };
}

// arrivals lists the user_ids of list that were not in before (a Set), for the sound.
export function arrivals(before, list) {
  return (list || []).map((w) => w.user_id).filter((id) => !before.has(id));
}
