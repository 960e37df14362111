// The waiting room on the meeting page (doc/web.md, "Waiting room"): the waiting screen of a
// guest who must wait, and an admin's list with Admit / Reject. meeting.js calls
// waitForAdmission (after /api/join), startWaitingAdmin (once in the meeting) and
// onWaitingData (for the meetd.waiting data topic).

import * as api from './api.js';
import { $, h, toast, beep } from './view.js';
import { t, serverMessage, language } from './i18n.js';
import { waitingView, arrivals, WAITING_TOPIC, POLL_MS, ADMIN_POLL_MS } from './waitinglogic.js';

export { WAITING_TOPIC };

// post is api.post (meetd's base URL, also when embedded), or null when the server cannot be
// reached or answers no envelope: the caller retries or says so.
async function post(path, token, body) {
  try {
    const data = await api.post(path, token, body || {});
    if (data && typeof data.status === 'boolean' && !(data.status === false && /^The server answered/.test(data.msg))) return data;
  } catch {
    // network error: the caller retries or says so
  }
  return null;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function showWaiting(resp, view) {
  document.body.dataset.state = view.state === 'rejected' ? 'rejected' : 'waiting';
  $('state-screen').hidden = true;
  $('prejoin').hidden = true;
  $('meeting').hidden = true;
  $('waiting').hidden = false;
  $('waiting-title').textContent = resp.room_title || t('room.default_title');
  $('waiting-name').textContent = resp.name ? t('waiting.joining_as', { name: resp.name }) : '';
  $('waiting-message').textContent = view.message;
  $('waiting-reason').textContent = view.reason ? t('waiting.reason', { reason: view.reason }) : '';
  $('waiting-reason').hidden = !view.reason;
  $('waiting-card').dataset.state = view.state;
}

// waitForAdmission shows the waiting screen for a "waiting" join answer and asks the server
// every few seconds (which is also the heartbeat that keeps the person on the moderators' list)
// until they are admitted: it resolves with the /api/join answer then. If they are rejected it
// shows why and resolves null.
export async function waitForAdmission(resp) {
  const token = resp.page_token;
  let failures = 0;
  for (;;) {
    const view = waitingView(resp);
    if (view.state === 'admitted') {
      $('waiting').hidden = true;
      return resp;
    }
    showWaiting(resp, view);
    if (view.state === 'rejected') return null;
    document.title = t('waiting.doc_title', { room: resp.room_title || 'meetd' });
    await sleep(POLL_MS);
    const next = await post('/api/waiting/status', token);
    if (!next) {
      failures++;
      $('waiting-status').textContent = failures > 2 ? t('waiting.unreachable') : '';
      continue;
    }
    failures = 0;
    $('waiting-status').textContent = '';
    if (!next.status) {
      // the meeting ended, or the person was removed: the page's usual failure screen
      return next;
    }
    resp = next;
  }
}

// ---------------------------------------------------------------- admin

let admin = null; // {token, known: Set, list, active, timer}

// startWaitingAdmin shows the waiting room control to an admin: a button with the count, a
// panel with the list, Admit / Reject per person and for all, and the on/off switch.
export function startWaitingAdmin(token, isAdmin, active) {
  if (!isAdmin || admin) return;
  admin = { token, known: new Set(), list: [], active: !!active, first: true };
  $('waiting-button').hidden = false;
  $('waiting-button').addEventListener('click', () => {
    $('waiting-panel').hidden = !$('waiting-panel').hidden;
  });
  $('waiting-close').addEventListener('click', () => ($('waiting-panel').hidden = true));
  $('waiting-admit-all').addEventListener('click', () => decide('admit', { all: true }));
  $('waiting-reject-all').addEventListener('click', () => {
    const reason = prompt(t('waiting.reject_all_prompt'), '');
    if (reason !== null) decide('reject', { all: true, reason });
  });
  $('waiting-active').addEventListener('change', async (e) => {
    const on = e.target.checked;
    const r = await post('/api/waiting/update', admin.token, { is_active: on });
    if (!r || !r.status) {
      e.target.checked = !on;
      toast(t('waiting.update_failed', { error: r ? serverMessage(r) : t('meeting.no_answer') }), 'error');
      return;
    }
    toast(t(on ? 'waiting.on' : 'waiting.off'));
    refresh();
  });
  $('waiting-list').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action]');
    if (!b) return;
    if (b.dataset.action === 'admit') decide('admit', { user_ids: [b.dataset.user] });
    else {
      const reason = prompt(t('waiting.reject_prompt', { name: b.dataset.name }), '');
      if (reason !== null) decide('reject', { user_ids: [b.dataset.user], reason });
    }
  });
  const loop = async () => {
    await refresh();
    admin.timer = setTimeout(loop, ADMIN_POLL_MS);
  };
  loop();
}

// onWaitingData handles the server's news on the meetd.waiting topic (to admins only).
export function onWaitingData() {
  if (admin) refresh();
}

async function decide(verb, body) {
  const r = await post('/api/waiting/' + verb, admin.token, body);
  if (!r || !r.status) {
    toast(t(verb === 'admit' ? 'waiting.admit_failed' : 'waiting.reject_failed', { error: r ? serverMessage(r) : t('meeting.no_answer') }), 'error');
  }
  refresh();
}

async function refresh() {
  const r = await post('/api/waiting/list', admin.token);
  if (!r || !r.status) return;
  const list = Array.isArray(r.waiting_participants) ? r.waiting_participants : [];
  const fresh = arrivals(admin.known, list);
  admin.known = new Set(list.map((w) => w.user_id));
  admin.list = list;
  admin.active = !!r.is_active;
  if (fresh.length && !admin.first) {
    beep();
    const names = list.filter((w) => fresh.includes(w.user_id)).map((w) => w.name);
    toast(t('waiting.arrived', { count: names.length, names: new Intl.ListFormat(language(), { type: 'conjunction' }).format(names) }));
  }
  if (fresh.length && admin.first) beep();
  admin.first = false;
  render();
}

function render() {
  const n = admin.list.length;
  const badge = $('waiting-count');
  badge.textContent = String(n);
  badge.hidden = n === 0;
  $('waiting-button').dataset.count = String(n);
  $('waiting-active').checked = admin.active;
  $('waiting-admit-all').disabled = n === 0;
  $('waiting-reject-all').disabled = n === 0;
  $('waiting-empty').hidden = n > 0;
  const ul = $('waiting-list');
  ul.replaceChildren(
    ...admin.list.map((w) =>
      h(
        'li',
        { class: 'waiting-person', 'data-user': w.user_id },
        h('span', { class: 'waiting-person-name' }, w.name || w.user_id),
        h('button', { class: 'pill primary small', type: 'button', 'data-action': 'admit', 'data-user': w.user_id, 'data-name': w.name }, t('waiting.admit')),
        h('button', { class: 'pill danger-outline small', type: 'button', 'data-action': 'reject', 'data-user': w.user_id, 'data-name': w.name }, t('waiting.reject')),
      ),
    ),
  );
}
