// The waiting room in the dashboard's room view (doc/web.md, "Waiting room"): who is waiting,
// with Admit / Reject per person and for all, and the on/off switch. dashboard.js calls
// renderWaiting with each room answer (getActiveRoomInfo in the documented dialect lists
// waiting_participants while the waiting room is on).

import {t} from './i18n.js'; // languages (doc/web.md, "Languages")

let deps = null; // {api, toast, report, refreshRoom, h}
let roomId = '';

export function initWaiting(d) {
  deps = d;
  const box = document.getElementById('dash-waiting');
  if (!box) return;
  box.addEventListener('click', async (e) => {
    const b = e.target.closest('button[data-verb]');
    if (!b || b.disabled) return;
    const body = {room_id: roomId};
    if (b.dataset.user) body.user_ids = [b.dataset.user];
    else body.all = true;
    if (b.dataset.verb === 'reject') {
      const reason = prompt(t('dash.waiting.reason'), '');
      if (reason === null) return;
      body.reason = reason;
    }
    b.disabled = true;
    try {
      const j = await deps.api('waitingRoom/' + b.dataset.verb, body);
      if (!j.status) throw new Error(j.msg || j.status_code);
      deps.toast(b.dataset.verb === 'admit' ? t('dash.waiting.admitted') : t('dash.waiting.rejected'));
    } catch (err) {
      deps.report(err, t('dash.waiting.title'));
    } finally {
      b.disabled = false;
      deps.refreshRoom(roomId);
    }
  });
  box.addEventListener('change', async (e) => {
    if (e.target.id !== 'dash-waiting-active') return;
    try {
      const j = await deps.api('waitingRoom/update', {room_id: roomId, is_active: e.target.checked});
      if (!j.status) throw new Error(j.msg || j.status_code);
    } catch (err) {
      deps.report(err, t('dash.waiting.title'));
    }
    deps.refreshRoom(roomId);
  });
}

// renderWaiting shows the room's waiting room (r: the room answer, null when not running).
export function renderWaiting(id, r) {
  const box = document.getElementById('dash-waiting');
  if (!box || !deps) return;
  roomId = id;
  const {h} = deps;
  let active = false;
  try {
    active = !!JSON.parse(r.room_info.metadata).room_features.waiting_room_features.is_active;
  } catch {
    active = false;
  }
  box.hidden = !r;
  if (!r) return;
  const list = r.waiting_participants || [];
  const toggle = h('label', {class: 'waiting-switch'}, h('input', {type: 'checkbox', id: 'dash-waiting-active'}), ' ', t('dash.waiting.switch'));
  toggle.querySelector('input').checked = active;
  box.replaceChildren(
    h('div', {class: 'card-head'}, h('h2', {}, t('dash.waiting.title'), ' ', h('span', {class: 'muted'}, active ? t('dash.waiting.count', {n: list.length}) : t('dash.waiting.off')))),
    toggle,
    list.length
      ? h('ul', {class: 'waiting-list'}, ...list.map(w => h('li', {dataset: {user: w.user_id}},
        h('span', {}, w.name || w.user_id, ' ', h('span', {class: 'mono muted small'}, w.user_id)),
        h('button', {class: 'btn small', type: 'button', dataset: {verb: 'admit', user: w.user_id}}, t('dash.waiting.admit')),
        h('button', {class: 'btn small danger-outline', type: 'button', dataset: {verb: 'reject', user: w.user_id}}, t('dash.waiting.reject')))))
      : h('p', {class: 'empty'}, t('dash.waiting.nobody')),
    list.length
      ? h('div', {class: 'actions'},
        h('button', {class: 'btn small', type: 'button', dataset: {verb: 'admit'}}, t('dash.waiting.admit_all')),
        h('button', {class: 'btn small danger-outline', type: 'button', dataset: {verb: 'reject'}}, t('dash.waiting.reject_all')))
      : null,
  );
}
