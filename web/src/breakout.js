// Breakout rooms on the meeting page (doc/web.md, "Breakout rooms"). The page keeps the main
// room's page token for every /api/breakout/* call; moving to a breakout room and back is a new
// /api/join-shaped answer that meeting.js connects to (switchRoom), without a new link. The server
// tells the pages of changes with data messages on TOPIC_BREAKOUT; the page then asks for the
// state again, so a page that reloads or joins late shows the same.

import * as api from './api.js';
import { $, h, toast, beep } from './view.js';
import { t, serverMessage } from './i18n.js';

export const TOPIC_BREAKOUT = 'meetd.breakout';

// ---------------------------------------------------------------- pure helpers (web/test/breakout.test.js)

// remainingMs is the time left until endsAt (Unix seconds) at nowMs on this clock, which runs
// skewMs behind the server's.
export function remainingMs(endsAt, nowMs, skewMs = 0) {
  return Math.max(0, endsAt * 1000 - (nowMs + skewMs));
}

// formatRemaining shows a time left as m:ss, or h:mm:ss from an hour on.
export function formatRemaining(ms) {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const hh = Math.floor(total / 3600);
  const mm = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

// planOf turns the moderator's choices (user id → room number 1..n, 0 for none) into the rooms
// of /api/breakout/create.
export function planOf(assign, n, titles = []) {
  const rooms = [];
  for (let i = 1; i <= n; i++) {
    const title = String(titles[i - 1] || '').trim();
    rooms.push({ title, users: [] });
  }
  for (const [id, room] of assign) {
    if (room >= 1 && room <= n) rooms[room - 1].users.push({ id });
  }
  return rooms;
}

// banner says what the banner shows for a state answer: where the user is or may go, and until
// when. inRoom is the breakout room the page is in ({room_id, title, ends_at}) or null.
export function banner(state, inRoom) {
  if (inRoom) return { kind: 'inside', title: inRoom.title, endsAt: inRoom.ends_at };
  const rooms = state && Array.isArray(state.rooms) ? state.rooms.filter((r) => r.is_running) : [];
  if (rooms.length === 0) return null;
  const mine = rooms.find((r) => r.room_id === state.mine);
  if (mine) return { kind: 'invited', title: mine.title, endsAt: mine.ends_at, roomId: mine.room_id };
  return { kind: 'running', title: '', endsAt: Math.min(...rooms.map((r) => r.ends_at)), admin: state.is_admin === true };
}

// ---------------------------------------------------------------- the page's part

let ctx = null; // what meeting.js gives: see start
let state = null; // the last /api/breakout/state answer
let skew = 0; // ms this clock runs behind the server's
let inRoom = null; // the breakout room the page is in, or null
let moving = false;

// start runs once the page is in the main room. c: {mainToken, isAdmin, switchRoom(resp) → Promise<bool>,
// fail(state, message, canRejoin), participants() → [{identity, name}], leaving() → bool}.
export function start(c) {
  ctx = c;
  const b = h('button', { id: 'breakout-button', class: 'pill', type: 'button', title: t('breakout.title'), hidden: true }, t('breakout.title'));
  b.addEventListener('click', openDialog);
  $('controls').insertBefore(b, $('leave-button'));
  $('breakout-join').addEventListener('click', () => joinRoom(''));
  $('breakout-back').addEventListener('click', () => goBack(t('breakout.back_toast')));
  $('breakout-manage').addEventListener('click', openDialog);
  $('breakout-close').addEventListener('click', () => $('breakout-dialog').close());
  $('breakout-count').addEventListener('change', renderAssign);
  for (const r of document.querySelectorAll('input[name="breakout-mode"]')) r.addEventListener('change', renderAssign);
  $('breakout-start').addEventListener('click', createRooms);
  $('breakout-extend').addEventListener('click', () => act('extend', { duration: 5 }, t('breakout.extended_all')));
  $('breakout-end-all').addEventListener('click', () => act('end', {}, t('breakout.calling_back')));
  $('breakout-rooms').addEventListener('click', onRoomsClick);
  setInterval(tick, 1000);
  refresh();
}

// onMessage handles a data message of TOPIC_BREAKOUT from the server.
export function onMessage(payload) {
  let m = null;
  try {
    m = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return;
  }
  if (!m || typeof m.type !== 'string') return;
  if (m.type === 'ended' && inRoom) {
    goBack(t(m.reason === 'breakout_time_up' ? 'breakout.time_up' : 'breakout.ended_back'));
    return;
  }
  refresh(m.type === 'created');
}

// onDisconnected is asked first when the page's room disconnected: true when the breakout rooms
// deal with it (a breakout room that closed: back to the main room).
export function onDisconnected() {
  if (moving) return true;
  if (inRoom && !ctx.leaving()) {
    goBack(t('breakout.closed_back'));
    return true;
  }
  return false;
}

// inBreakout reports whether the page is in a breakout room.
export function inBreakout() {
  return inRoom !== null;
}

async function call(verb, body) {
  try {
    return await api.breakout(ctx.mainToken, verb, body);
  } catch (err) {
    return { status: false, msg: t('meeting.unreachable', { error: (err && err.message) || String(err) }) };
  }
}

async function refresh(announce = false) {
  const resp = await call('state', {});
  if (!resp.status) return;
  const before = state;
  state = resp;
  if (typeof resp.server_time === 'number') skew = resp.server_time - Date.now();
  render();
  if (announce && !inRoom && state.mine && (!before || before.mine !== state.mine)) {
    const r = state.rooms.find((x) => x.room_id === state.mine);
    toast(t('breakout.invited_toast', { room: r ? r.title : '' }), 'info', 10000);
    beep();
  }
}

async function joinRoom(roomId) {
  if (moving) return;
  moving = true;
  try {
    const resp = await call('join', roomId ? { breakout_room_id: roomId } : {});
    if (!resp.status) {
      toast(serverMessage(resp, 'breakout.join_failed'), 'error');
      return;
    }
    $('breakout-dialog').close();
    const was = inRoom;
    inRoom = resp.breakout || null;
    if (!(await ctx.switchRoom(resp))) inRoom = was;
  } finally {
    moving = false;
    render();
  }
}

async function goBack(message) {
  if (moving) return;
  moving = true;
  try {
    const resp = await call('back', {});
    if (!resp.status) {
      inRoom = null;
      if (resp.status_code === 'ROOM_NOT_ACTIVE' || resp.status_code === 'ROOM_NOT_FOUND') ctx.fail('ended', t('state.ended'));
      else ctx.fail('error', serverMessage(resp, 'breakout.back_failed'), true);
      return;
    }
    inRoom = null;
    if (await ctx.switchRoom(resp)) toast(message);
  } finally {
    moving = false;
    render();
    refresh();
  }
}

async function act(verb, body, pending) {
  toast(pending);
  const resp = await call(verb, body);
  if (!resp.status) toast(serverMessage(resp, 'meeting.refused'), 'error');
  else refresh();
}

async function createRooms() {
  const n = Number($('breakout-count').value) || 1;
  const minutes = Number($('breakout-minutes').value);
  if (!Number.isInteger(minutes) || minutes <= 0) {
    toast(t('breakout.duration_invalid'), 'error');
    return;
  }
  const body = { duration: minutes, welcome_msg: $('breakout-welcome').value.trim() };
  if (mode() === 'random') {
    body.number_of_rooms = n;
  } else {
    const assign = new Map();
    for (const s of document.querySelectorAll('#breakout-assign select[data-user]')) assign.set(s.dataset.user, Number(s.value));
    body.rooms = planOf(assign, n);
  }
  $('breakout-start').disabled = true;
  const resp = await call('create', body);
  $('breakout-start').disabled = false;
  if (!resp.status) {
    toast(serverMessage(resp, 'breakout.create_failed'), 'error');
    return;
  }
  toast(t('breakout.opened', { count: n, minutes }));
  refresh();
}

function mode() {
  const r = document.querySelector('input[name="breakout-mode"]:checked');
  return r ? r.value : 'random';
}

function onRoomsClick(e) {
  const b = e.target.closest('button[data-room]');
  if (!b) return;
  if (b.classList.contains('breakout-room-join')) joinRoom(b.dataset.room);
  if (b.classList.contains('breakout-room-end')) act('end', { breakout_room_id: b.dataset.room }, t('breakout.ending_room'));
  if (b.classList.contains('breakout-room-extend')) act('extend', { breakout_room_id: b.dataset.room, duration: 5 }, t('breakout.extended'));
}

function openDialog() {
  render();
  renderAssign();
  const d = $('breakout-dialog');
  if (!d.open) d.showModal();
}

function running() {
  return state && Array.isArray(state.rooms) ? state.rooms.filter((r) => r.is_running) : [];
}

function render() {
  if (!ctx) return;
  const allowed = !!state && state.is_allow === true && ctx.isAdmin;
  $('breakout-button').hidden = !allowed || !!inRoom;
  const b = banner(state, inRoom);
  $('breakout-banner').hidden = !b;
  document.body.dataset.breakout = inRoom ? 'inside' : b ? b.kind : '';
  if (b) {
    $('breakout-text').textContent =
      b.kind === 'inside' ? t('breakout.inside', { room: b.title }) : b.kind === 'invited' ? t('breakout.invited', { room: b.title }) : t('breakout.running');
    $('breakout-join').hidden = b.kind !== 'invited';
    $('breakout-back').hidden = b.kind !== 'inside';
    $('breakout-manage').hidden = !(ctx.isAdmin && !inRoom);
  }
  // the moderator's dialog: set up a round, or the round that runs
  const open = running();
  $('breakout-setup').hidden = open.length > 0;
  $('breakout-running').hidden = open.length === 0;
  if (state) {
    const sel = $('breakout-count');
    const max = Math.max(1, Number(state.allowed_number_rooms) || 1);
    if (sel.options.length !== max) {
      const keep = Number(sel.value) || Math.min(2, max);
      sel.replaceChildren(...Array.from({ length: max }, (_, i) => h('option', { value: i + 1, selected: i + 1 === keep }, String(i + 1))));
    }
  }
  $('breakout-rooms').replaceChildren(
    ...open.map((r) =>
      h(
        'li',
        { 'data-room': r.room_id },
        h('div', { class: 'breakout-room-head' }, h('strong', {}, r.title), h('span', { class: 'breakout-time muted', 'data-ends': r.ends_at }, '')),
        h(
          'ul',
          { class: 'breakout-users' },
          ...r.users.map((u) => h('li', { class: u.joined ? 'joined' : '', 'data-user': u.id }, u.name || u.id)),
          r.users.length === 0 ? h('li', { class: 'muted' }, t('breakout.nobody')) : null,
        ),
        h(
          'div',
          { class: 'breakout-room-actions' },
          h('button', { class: 'pill breakout-room-join', type: 'button', 'data-room': r.room_id }, t('breakout.join')),
          h('button', { class: 'pill breakout-room-extend', type: 'button', 'data-room': r.room_id }, t('breakout.extend')),
          h('button', { class: 'pill danger-outline breakout-room-end', type: 'button', 'data-room': r.room_id }, t('breakout.end')),
        ),
      ),
    ),
  );
  tick();
}

// participantsChanged redraws the by-hand list while the dialog is open: someone who joins after
// the moderator opened it can be given a room too (choices made are kept).
export function participantsChanged() {
  if (ctx && $('breakout-dialog').open) renderAssign();
}

// renderAssign lists the participants with a room to choose for each (by hand).
function renderAssign() {
  const byHand = mode() === 'hand';
  const list = $('breakout-assign');
  list.hidden = !byHand;
  if (!byHand) return;
  const n = Number($('breakout-count').value) || 1;
  const chosen = new Map();
  for (const s of list.querySelectorAll('select[data-user]')) chosen.set(s.dataset.user, Number(s.value));
  const people = ctx.participants();
  list.replaceChildren(
    ...people.map((p, i) => {
      const pick = chosen.has(p.identity) ? chosen.get(p.identity) : (i % n) + 1;
      return h(
        'li',
        {},
        h('span', {}, p.name || p.identity),
        h(
          'select',
          { 'data-user': p.identity, 'aria-label': t('breakout.room_of', { name: p.name || p.identity }) },
          h('option', { value: 0, selected: pick === 0 }, t('breakout.main_room')),
          ...Array.from({ length: n }, (_, k) => h('option', { value: k + 1, selected: pick === k + 1 }, t('breakout.room_n', { n: k + 1 }))),
        ),
      );
    }),
  );
}

function tick() {
  const b = banner(state, inRoom);
  if (b) $('breakout-time').textContent = t('breakout.left', { time: formatRemaining(remainingMs(b.endsAt, Date.now(), skew)) });
  for (const el of document.querySelectorAll('#breakout-rooms .breakout-time')) {
    el.textContent = t('breakout.left', { time: formatRemaining(remainingMs(Number(el.dataset.ends), Date.now(), skew)) });
  }
}
