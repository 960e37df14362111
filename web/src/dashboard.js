// meetd dashboard. Plain JavaScript, no framework; web/build.sh bundles it into
// internal/web/static/dashboard.js (see doc/web.md).
//
// It is a client of meetd's own API like any other: every call is POST /dashboard/api/<path>, the
// signed API (/auth/<path>) served with the session cookie instead of a signature, plus the
// X-Meetd-Dashboard header. Live changes come from the event stream (/dashboard/api/events,
// Server-Sent Events): each event re-fetches only the room it names. There is no polling timer;
// the one interval below moves the "running for" clocks on the screen.

import {initWaiting, renderWaiting} from './dashwaiting.js'; // waiting room
import * as i18n from './i18n.js'; // languages (doc/web.md, "Languages")
import {t, formatNumber} from './i18n.js';

const API = '/dashboard/api/';
const EVENT_NAMES = [
  'room_created', 'room_started', 'room_finished', 'participant_joined', 'participant_left',
  'track_published', 'track_unpublished', 'start_recording', 'end_recording', 'recording_proceeded',
  'start_rtmp', 'end_rtmp', 'analytics_proceeded',
  'waiting_room_joined', 'waiting_room_admitted', 'waiting_room_rejected', 'waiting_room_updated', // waiting room
];
const PAGE = 20;
// Events after which the past rooms page may have changed (a session, or a file of one).
const PAST_EVENTS = new Set(['room_created', 'room_finished', 'recording_proceeded', 'analytics_proceeded']);
const ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

const $ = (sel, root = document) => root.querySelector(sel);

// h builds an element: h('td', {class: 'x', dataset: {id: 1}, onclick: f}, 'text', child…).
// Text is always set as text, never parsed as HTML.
function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// ------------------------------------------------------------------ state

const state = {
  signedIn: false,
  apiKey: '',
  rooms: new Map(),      // room_id → {room_info, participants_info}
  applied: new Map(),    // room_id → sequence number of the fetch whose answer is shown
  ended: new Set(),      // rooms seen ending while the dashboard was open
  view: '',
  roomId: '',
  es: null,
  lastEventId: '',
  retry: 1000,
  activity: [],          // recent events, newest first
  past: {from: 0, total: 0, highlight: '', open: new Map()}, // open: file id → attendance report shown
  deliveries: {from: 0, total: 0},
};
let fetchSeq = 0;

class SignedOut extends Error {}
class Unavailable extends Error {}

// api calls the dashboard API. It answers the JSON envelope (check .status); a 401 signs out,
// an unknown route throws Unavailable.
async function api(path, body = {}) {
  let res;
  try {
    res = await fetch(API + path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-Meetd-Dashboard': '1'},
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new Error(t('dash.err.unreachable'));
  }
  if (res.status === 401) {
    signOut(t('dash.login.session_ended'));
    throw new SignedOut();
  }
  if (res.status === 404 || res.status === 405) throw new Unavailable(path);
  let data;
  try {
    data = await res.json();
  } catch {
    throw new Error(t('dash.err.http', {status: res.status}));
  }
  return data;
}

function report(err, what) {
  if (err instanceof SignedOut) return;
  toast(t('dash.err.failed', {what, error: err.message || err}), 'error');
}

// ------------------------------------------------------------------ sign-in

async function boot() {
  // the browser's language, before any text shows (English until then, and when it has no catalogue)
  const browser = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  await i18n.choose('', i18n.loadIndex(''), browser);
  wire();
  let res;
  try {
    res = await fetch(API + 'session', {credentials: 'same-origin'});
  } catch {
    showLogin(t('dash.err.unreachable_reload'));
    return;
  }
  if (res.ok) {
    const j = await res.json().catch(() => ({}));
    signedIn(j.api_key || '');
  } else {
    showLogin();
  }
}

function showLogin(note) {
  document.body.dataset.auth = 'out';
  document.body.dataset.view = 'login';
  $('#app').hidden = true;
  $('#login-view').hidden = false;
  $('#login-note').hidden = !note;
  $('#login-note').textContent = note || '';
  document.title = t('dash.doc_title', {view: t('dash.login.submit')});
  ($('#login-key').value ? $('#login-secret') : $('#login-key')).focus();
}

async function login(e) {
  e.preventDefault();
  const key = $('#login-key').value.trim();
  const secret = $('#login-secret').value;
  const password = $('#login-password').value;
  const error = $('#login-error');
  error.hidden = true;
  if (!password && !(key && secret)) {
    error.textContent = t('dash.login.missing');
    error.hidden = false;
    return;
  }
  const body = {};
  if (key || secret) Object.assign(body, {api_key: key, api_secret: secret});
  if (password) body.password = password;
  const submit = $('#login-submit');
  submit.disabled = true;
  try {
    const res = await fetch('/dashboard/login', {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body),
    });
    const j = await res.json().catch(() => ({}));
    if (!res.ok || !j.status) {
      error.textContent = res.status === 401
        ? t('dash.login.wrong')
        : (i18n.language() === i18n.SOURCE && j.msg ? j.msg : t('dash.login.failed', {status: res.status}));
      error.hidden = false;
      $('#login-secret').value = '';
      $('#login-password').value = '';
      return;
    }
    $('#login-secret').value = '';
    $('#login-password').value = '';
    const s = await fetch(API + 'session', {credentials: 'same-origin'}).then(r => r.json()).catch(() => ({}));
    signedIn(s.api_key || key);
  } catch {
    error.textContent = t('dash.err.unreachable');
    error.hidden = false;
  } finally {
    submit.disabled = false;
  }
}

function signedIn(apiKey) {
  state.signedIn = true;
  state.apiKey = apiKey;
  document.body.dataset.auth = 'in';
  $('#login-view').hidden = true;
  $('#login-error').hidden = true;
  $('#app').hidden = false;
  $('#signed-in-as').textContent = apiKey ? t('dash.signed_in_as', {key: apiKey}) : '';
  refreshAllRooms(); // and again once the event stream is open, for what happened in between
  connectEvents();
  route();
}

// signOut forgets everything shown: nothing of the signed-in dashboard stays in the page.
function signOut(note) {
  if (!state.signedIn && document.body.dataset.auth === 'out') return;
  state.signedIn = false;
  closeEvents();
  state.rooms.clear();
  state.applied.clear();
  state.ended.clear();
  state.activity = [];
  state.lastEventId = '';
  for (const id of ['#rooms-list', '#participants-list', '#past-rooms-list', '#deliveries-list', '#activity-list', '#room-activity', '#room-features', '#room-meta']) {
    $(id).replaceChildren();
  }
  $('#room-title').textContent = '';
  $('#join-link-box').hidden = true;
  $('#join-link').value = '';
  delete $('#room-view').dataset.roomId;
  showLogin(note);
}

async function logout() {
  try {
    await fetch('/dashboard/logout', {method: 'POST', credentials: 'same-origin'});
  } catch { /* signed out locally anyway */ }
  signOut();
  history.replaceState(null, '', location.pathname);
}

// ------------------------------------------------------------------ event stream

function connectEvents() {
  closeEvents();
  let url = API + 'events';
  if (state.lastEventId) url += '?last_event_id=' + encodeURIComponent(state.lastEventId);
  const es = new EventSource(url);
  state.es = es;
  setLive('connecting');
  es.addEventListener('open', () => {
    if (state.es !== es) return;
    state.retry = 1000;
    setLive('live');
    // Whatever happened while not connected: one fresh look at every room.
    refreshAllRooms();
  });
  const onEvent = (ev) => {
    if (state.es === es) handleEvent(ev);
  };
  for (const name of EVENT_NAMES) es.addEventListener(name, onEvent);
  es.addEventListener('message', onEvent);
  es.addEventListener('error', () => {
    if (state.es !== es) return;
    if (es.readyState !== EventSource.CLOSED) {
      setLive('connecting'); // the browser reconnects by itself, with Last-Event-ID
      return;
    }
    // Refused (signed out, or the server said no): find out which.
    setLive('offline');
    es.close();
    state.es = null;
    recheckSession();
  });
}

function closeEvents() {
  if (state.es) state.es.close();
  state.es = null;
  setLive('offline');
}

async function recheckSession() {
  try {
    const res = await fetch(API + 'session', {credentials: 'same-origin'});
    if (res.status === 401) {
      signOut(t('dash.login.session_ended'));
      return;
    }
  } catch { /* not reachable: try again below */ }
  if (!state.signedIn) return;
  const wait = state.retry;
  state.retry = Math.min(state.retry * 2, 30000);
  setTimeout(() => { if (state.signedIn && !state.es) connectEvents(); }, wait);
}

function setLive(s) {
  const el = $('#live-status');
  el.dataset.state = s;
  el.lastElementChild.textContent = t(`dash.live.${s}`);
}

function handleEvent(ev) {
  if (ev.lastEventId) state.lastEventId = ev.lastEventId;
  let data;
  try {
    data = JSON.parse(ev.data);
  } catch {
    return;
  }
  const roomId = data.room && data.room.room_id;
  if (!roomId) return;
  addActivity(data);
  refreshRoom(roomId);
  if (state.view === 'past' && PAST_EVENTS.has(data.event)) loadPast();
}

// ------------------------------------------------------------------ rooms: fetching

// refreshRoom fetches one room; calls for a room already being fetched fold into one more fetch.
const inflight = new Map();
function refreshRoom(id) {
  const cur = inflight.get(id);
  if (cur) {
    cur.again = true;
    return cur.done;
  }
  const entry = {again: false};
  entry.done = (async () => {
    try {
      do {
        entry.again = false;
        await fetchRoom(id);
      } while (entry.again && state.signedIn);
    } catch (err) {
      report(err, t('dash.what.room', {room: id}));
    } finally {
      inflight.delete(id);
    }
  })();
  inflight.set(id, entry);
  return entry.done;
}

async function fetchRoom(id) {
  const seq = ++fetchSeq;
  const j = await api('room/getActiveRoomInfo', {room_id: id});
  if (!state.signedIn) return;
  if (j.status && j.room) {
    applyRoom(id, j.room, seq);
  } else if (j.status_code === 'ROOM_NOT_ACTIVE' || j.status_code === 'ROOM_NOT_FOUND') {
    applyRoom(id, null, seq);
  } else {
    throw new Error(j.msg || j.status_code);
  }
}

// applyRoom shows an answer unless a newer one is already shown.
function applyRoom(id, room, seq) {
  if (seq < (state.applied.get(id) || 0)) return;
  state.applied.set(id, seq);
  if (room) {
    state.rooms.set(id, room);
    state.ended.delete(id);
  } else {
    if (state.rooms.has(id)) state.ended.add(id);
    state.rooms.delete(id);
  }
  renderRooms();
  if (state.view === 'room' && state.roomId === id) renderRoom();
}

async function refreshAllRooms() {
  const seq = ++fetchSeq;
  try {
    const j = await api('room/getActiveRoomsInfo', {});
    if (!state.signedIn) return;
    if (!j.status && j.status_code !== 'NOT_FOUND') throw new Error(j.msg || j.status_code);
    const seen = new Set();
    for (const r of j.rooms || []) {
      const id = r.room_info.room_id;
      seen.add(id);
      if (seq >= (state.applied.get(id) || 0)) {
        state.applied.set(id, seq);
        state.rooms.set(id, r);
      }
    }
    for (const id of [...state.rooms.keys()]) {
      if (!seen.has(id) && seq >= (state.applied.get(id) || 0)) {
        state.applied.set(id, seq);
        state.rooms.delete(id);
      }
    }
    renderRooms();
    if (state.view === 'room') renderRoom();
  } catch (err) {
    report(err, t('dash.nav.rooms'));
  }
}

// ------------------------------------------------------------------ formatting

const pad = (n) => String(n).padStart(2, '0');

function duration(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  const d = Math.floor(seconds / 86400);
  const hh = Math.floor(seconds / 3600) % 24;
  const mm = Math.floor(seconds / 60) % 60;
  const ss = seconds % 60;
  const clock = (d || hh ? `${d ? pad(hh) : hh}:${pad(mm)}` : `${mm}`) + `:${pad(ss)}`;
  return d ? t('dash.days_clock', {days: d, clock}) : clock;
}

// toDate accepts Unix seconds, RFC 3339 strings, and nothing (→ null).
function toDate(v) {
  if (v === undefined || v === null || v === '' || v === 0) return null;
  if (typeof v === 'number') return new Date(v * 1000);
  const d = new Date(v);
  return Number.isNaN(d.getTime()) || d.getFullYear() < 2000 ? null : d;
}

function timeOf(v) {
  const d = toDate(v);
  if (!d) return '—';
  try {
    return new Intl.DateTimeFormat(i18n.language(), {hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'}).format(d);
  } catch {
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
}

function dateTime(v) {
  const d = toDate(v);
  if (!d) return '—';
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  let day;
  let time;
  try {
    day = sameDay ? t('dash.today') : d.toLocaleDateString(i18n.language(), {year: 'numeric', month: 'short', day: 'numeric'});
    time = new Intl.DateTimeFormat(i18n.language(), {hour: '2-digit', minute: '2-digit', hourCycle: 'h23'}).format(d);
  } catch {
    day = sameDay ? t('dash.today') : d.toDateString();
    time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  return t('dash.day_time', {day, time});
}

function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  return ((parts[0] || '?')[0] + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
}

// hue gives each identity a stable avatar colour.
function hue(s) {
  let x = 0;
  for (const c of String(s)) x = (x * 31 + c.charCodeAt(0)) % 360;
  return x;
}

function avatar(p, cls = '') {
  const el = h('span', {class: 'avatar ' + cls, title: p.name || p.identity, 'aria-hidden': 'true'}, initials(p.name || p.identity));
  el.style.setProperty('--hue', String(hue(p.identity))); // CSSOM, which the CSP allows
  return el;
}

function badge(text, kind) {
  return h('span', {class: `badge badge-${kind}`}, text);
}

function parseJSON(s) {
  if (!s) return {};
  try {
    return typeof s === 'string' ? JSON.parse(s) : s;
  } catch {
    return {};
  }
}

// The "running for" clocks: elements with data-since (Unix seconds). Display only.
function tick() {
  const now = Date.now() / 1000;
  for (const el of document.querySelectorAll('[data-since]')) {
    el.textContent = duration(now - Number(el.dataset.since));
  }
}

// ------------------------------------------------------------------ live rooms view

function sortedRooms() {
  return [...state.rooms.values()].sort((a, b) =>
    (b.room_info.creation_time - a.room_info.creation_time) || a.room_info.room_id.localeCompare(b.room_info.room_id));
}

// byJoin orders participants by when they joined (the media server lists them in no set order).
function byJoin(list) {
  return [...(list || [])].sort((a, b) => (a.joined_at - b.joined_at) || a.identity.localeCompare(b.identity));
}

function renderRooms() {
  const list = $('#rooms-list');
  const rooms = sortedRooms();
  const rows = new Map([...list.children].map(tr => [tr.dataset.roomId, tr]));
  for (const r of rooms) {
    const info = r.room_info;
    const people = byJoin(r.participants_info);
    let tr = rows.get(info.room_id);
    rows.delete(info.room_id);
    if (!tr) {
      tr = h('tr', {class: 'room-row', dataset: {roomId: info.room_id}});
      tr.addEventListener('click', (e) => {
        if (!e.target.closest('a, button')) location.hash = '#/room/' + encodeURIComponent(tr.dataset.roomId);
      });
    }
    const status = [];
    if (info.is_recording) status.push(badge('REC', 'rec'));
    if (info.is_active_rtmp) status.push(badge('RTMP', 'rtmp'));
    if (!people.length) status.push(badge(info.joined_participants ? t('dash.rooms.empty_badge') : t('dash.rooms.waiting_badge'), 'idle'));
    const faces = people.slice(0, 5).map(p => avatar(p, 'small'));
    if (people.length > 5) faces.push(h('span', {class: 'avatar small more'}, `+${formatNumber(people.length - 5)}`));
    tr.replaceChildren(
      h('td', {class: 'room-title-cell'},
        h('a', {class: 'room-link', href: '#/room/' + encodeURIComponent(info.room_id)}, info.room_title || info.room_id),
        h('div', {class: 'mono muted small'}, info.room_id)),
      h('td', {class: 'mono room-uptime', dataset: {since: String(info.creation_time)}}, duration(Date.now() / 1000 - info.creation_time)),
      h('td', {class: 'room-participants', title: t('dash.col.participants_title')}, `${formatNumber(people.length)} / ${formatNumber(info.joined_participants)}`),
      h('td', {}, h('div', {class: 'faces'}, faces)),
      h('td', {class: 'room-status'}, status),
      h('td', {class: 'right'}, h('a', {class: 'btn small', href: '#/room/' + encodeURIComponent(info.room_id)}, t('dash.rooms.open'))),
    );
    list.append(tr); // in order: moves rows already there
  }
  for (const tr of rows.values()) tr.remove();
  $('#rooms-empty').hidden = rooms.length > 0;
  $('#nav-live-count').textContent = rooms.length ? String(rooms.length) : '';
}

// the events' texts: keys of the catalogues (dash.event.<name>)
const EVENT_TEXT = Object.fromEntries(['room_created', 'room_started', 'room_finished', 'participant_joined', 'participant_left',
  'track_published', 'track_unpublished', 'start_recording', 'end_recording', 'recording_proceeded', 'start_rtmp', 'end_rtmp',
  'analytics_proceeded', 'waiting_room_joined', 'waiting_room_admitted', 'waiting_room_rejected', 'waiting_room_updated'].map(e => [e, `dash.event.${e}`]));

const SOURCE_TEXT = {MICROPHONE: 'dash.source.microphone', CAMERA: 'dash.source.camera', SCREEN_SHARE: 'dash.source.screen', SCREEN_SHARE_AUDIO: 'dash.source.screen_audio'};

// stateText: a participant's state (the media server's ACTIVE, JOINING…) in the page's language.
function stateText(s) {
  const k = String(s || 'unknown').toLowerCase();
  return ['joining', 'joined', 'active', 'disconnected', 'unknown'].includes(k) ? t(`dash.state.${k}`) : k;
}

function addActivity(e) {
  state.activity.unshift(e);
  state.activity.length = Math.min(state.activity.length, 100);
  const global = $('#activity-list');
  global.prepend(activityItem(e, true));
  while (global.children.length > 30) global.lastElementChild.remove();
  $('#activity-empty').hidden = true;
  if (state.view === 'room' && e.room.room_id === state.roomId) {
    const list = $('#room-activity');
    list.prepend(activityItem(e, false));
    while (list.children.length > 30) list.lastElementChild.remove();
  }
}

function activityItem(e, withRoom) {
  let who = '';
  let what = e.event in EVENT_TEXT ? t(EVENT_TEXT[e.event]) : e.event.replace(/_/g, ' ');
  if (e.participant) who = e.participant.name || e.participant.identity;
  if (e.track) what += ' ' + (e.track.source in SOURCE_TEXT ? t(SOURCE_TEXT[e.track.source]) : String(e.track.source || e.track.type || '').toLowerCase());
  return h('li', {class: 'ev-' + e.event, dataset: {event: e.event}},
    h('span', {class: 'ev-time mono muted'}, timeOf(e.created_at)),
    h('span', {class: 'ev-text'},
      who ? h('strong', {}, who) : null, who ? ' ' : null, what,
      withRoom ? h('a', {class: 'ev-room muted', href: '#/room/' + encodeURIComponent(e.room.room_id)}, ' · ' + (e.room.name || e.room.room_id)) : null));
}

// ------------------------------------------------------------------ one room

function showRoom(id) {
  const view = $('#room-view');
  if (view.dataset.roomId !== id) {
    // Another room: start clean.
    $('#participants-list').replaceChildren();
    $('#room-activity').replaceChildren(...state.activity.filter(e => e.room.room_id === id).slice(0, 30).map(e => activityItem(e, false)));
    $('#join-link-box').hidden = true;
    $('#join-link').value = '';
    $('#dash-end-room').disabled = false;
    $('#dash-end-room').textContent = t('dash.room.end');
  }
  view.dataset.roomId = id;
  state.roomId = id;
  renderRoom();
  refreshRoom(id);
}

function mediaOf(p) {
  const by = (source) => {
    const tracks = (p.tracks || []).filter(t => t.source === source);
    if (!tracks.length) return 'off';
    return tracks.some(t => !t.muted) ? 'on' : 'muted';
  };
  return {mic: by('MICROPHONE'), camera: by('CAMERA'), screen: by('SCREEN_SHARE')};
}

const ICONS = {
  mic: '<path d="M12 1a3 3 0 0 0-3 3v8a3 3 0 0 0 6 0V4a3 3 0 0 0-3-3z"/><path d="M19 10v2a7 7 0 0 1-14 0v-2"/><line x1="12" y1="19" x2="12" y2="23"/>',
  camera: '<polygon points="23 7 16 12 23 17 23 7"/><rect x="1" y="5" width="15" height="14" rx="2" ry="2"/>',
  screen: '<rect x="2" y="3" width="20" height="14" rx="2" ry="2"/><line x1="8" y1="21" x2="16" y2="21"/><line x1="12" y1="17" x2="12" y2="21"/>',
};

// icon makes an SVG from the constant shapes above (never from data).
function icon(name) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', 'icon');
  svg.setAttribute('aria-hidden', 'true');
  svg.innerHTML = ICONS[name];
  return svg;
}

function mediaChip(kind, st) {
  const title = t(`dash.media.${kind}_${st}`);
  return h('span', {class: `media media-${kind}`, dataset: {state: st}, title, 'aria-label': title, role: 'img'}, icon(kind));
}

function renderRoom() {
  const id = state.roomId;
  const r = state.rooms.get(id);
  const loading = !r && !state.applied.has(id);
  document.title = t('dash.doc_title', {view: r ? r.room_info.room_title || id : id});
  $('#room-ended').hidden = !!r || loading;
  $('#room-view').classList.toggle('not-running', !r);
  renderWaiting(id, r); // waiting room
  $('#dash-end-room').hidden = !r;
  for (const b of $('#join-link-form').querySelectorAll('button, input')) b.disabled = !r;
  if (!r) {
    $('#room-title').textContent = id;
    $('#room-meta').replaceChildren(h('span', {class: 'mono'}, id), loading ? h('span', {class: 'muted'}, t('dash.room.loading')) : badge(t('dash.room.not_running_badge'), 'idle'));
    $('#participants-list').replaceChildren();
    $('#participants-empty').hidden = loading;
    $('#room-count').textContent = '';
    $('#room-features').replaceChildren();
    return;
  }
  const info = r.room_info;
  const people = byJoin(r.participants_info);
  $('#room-title').textContent = info.room_title || info.room_id;
  const meta = [
    h('span', {class: 'mono', title: t('dash.room.id_title')}, info.room_id),
    h('span', {class: 'mono muted', title: t('dash.room.sid_title')}, info.sid),
    h('span', {}, t('dash.room.running'), ' ', h('strong', {class: 'mono', dataset: {since: String(info.creation_time)}}, duration(Date.now() / 1000 - info.creation_time))),
    h('span', {}, t('dash.room.created', {when: dateTime(info.creation_time)})),
  ];
  if (info.is_recording) meta.push(badge('REC', 'rec'));
  if (info.is_active_rtmp) meta.push(badge('RTMP', 'rtmp'));
  $('#room-meta').replaceChildren(...meta);
  $('#room-count').textContent = t('dash.room.count', {now: people.length, total: info.joined_participants});
  renderFeatures(parseJSON(info.metadata));

  const list = $('#participants-list');
  const rows = new Map([...list.children].map(tr => [tr.dataset.identity, tr]));
  for (const tr of rows.values()) if (!people.some(p => p.identity === tr.dataset.identity)) tr.remove();
  // Rows already in place stay where they are: moving a row would drop focus and any pending click on it.
  people.forEach((p, i) => {
    let tr = rows.get(p.identity);
    if (!tr) tr = participantRow(p.identity);
    updateParticipantRow(tr, p);
    if (list.children[i] !== tr) list.insertBefore(tr, list.children[i] || null);
  });
  $('#participants-empty').hidden = people.length > 0;
}

// participantRow makes a row whose actions cell stays put across updates (the block box keeps its tick).
function participantRow(identity) {
  const tr = h('tr', {class: 'participant-row', dataset: {identity}});
  const actions = h('td', {class: 'p-actions right'},
    h('div', {class: 'actions'},
      h('button', {class: 'btn small dash-mute', type: 'button', dataset: {identity}, title: t('dash.p.mute_title')}, t('dash.p.mute')),
      h('label', {class: 'block-box', title: t('dash.p.block_title')},
        h('input', {type: 'checkbox', class: 'dash-block', dataset: {identity}}), t('dash.p.block')),
      h('button', {class: 'btn small danger-outline dash-remove', type: 'button', dataset: {identity}}, t('dash.p.remove'))));
  tr.append(h('td', {class: 'p-who'}), h('td', {class: 'p-state'}), h('td', {class: 'p-joined'}), h('td', {class: 'p-media'}), actions);
  return tr;
}

function updateParticipantRow(tr, p) {
  const [who, st, joined, media] = tr.children;
  const badges = [];
  if (p.is_admin) badges.push(badge(t('dash.badge.admin'), 'admin'));
  if (p.is_hidden) badges.push(badge(t('dash.badge.hidden'), 'hidden'));
  who.replaceChildren(h('div', {class: 'who'}, avatar(p),
    h('div', {class: 'who-text'},
      h('div', {class: 'p-name'}, p.name || p.identity, badges),
      h('div', {class: 'p-identity mono muted small'}, p.identity))));
  st.replaceChildren(badge(stateText(p.state), 'state-' + (p.state || 'unknown').toLowerCase()));
  joined.replaceChildren(h('div', {}, timeOf(p.joined_at)),
    h('div', {class: 'muted small'}, t('dash.p.for'), ' ', h('span', {class: 'mono', dataset: {since: String(p.joined_at)}}, duration(Date.now() / 1000 - p.joined_at))));
  const m = mediaOf(p);
  media.replaceChildren(h('div', {class: 'media-row'}, mediaChip('mic', m.mic), mediaChip('camera', m.camera), mediaChip('screen', m.screen)));
  const mute = tr.querySelector('.dash-mute');
  mute.disabled = m.mic !== 'on';
  mute.title = m.mic === 'on' ? t('dash.p.mute_title') : (m.mic === 'muted' ? t('dash.p.muted_title') : t('dash.p.no_mic_title'));
}

function renderFeatures(meta) {
  const f = meta.room_features || {};
  const chat = f.chat_features || {};
  const on = (v, dflt = true) => (v === undefined ? dflt : !!v);
  const items = [
    [t('dash.feat.cameras'), on(f.allow_webcams) && !on(f.admin_only_webcams, false), on(f.admin_only_webcams, false) ? t('dash.chip.admins_only') : ''],
    [t('dash.feat.screen_share'), on(f.allow_screen_share)],
    [t('dash.feat.chat'), on(chat.allow_chat)],
    [t('dash.feat.raise_hand'), on(f.allow_raise_hand)],
    [t('dash.chip.muted_on_entry'), on(f.mute_on_start, false)],
    [t('dash.chip.others_cameras'), on(f.allow_view_other_webcams)],
    [t('dash.chip.participant_list'), on(f.allow_view_other_users_list)],
  ];
  const chips = items.map(([name, yes, note]) => h('li', {class: yes ? 'on' : 'off'}, name, note ? ` (${note})` : ''));
  if (f.room_duration) chips.push(h('li', {class: 'on'}, t('dash.chip.ends_after', {minutes: f.room_duration})));
  if (meta.webhook_url) chips.push(h('li', {class: 'on', title: meta.webhook_url}, t('dash.chip.webhook')));
  $('#room-features').replaceChildren(...chips);
}

async function onParticipantAction(e) {
  const btn = e.target.closest('button[data-identity]');
  if (!btn || btn.disabled) return;
  const identity = btn.dataset.identity;
  const roomId = state.roomId;
  const r = state.rooms.get(roomId);
  const p = r && (r.participants_info || []).find(x => x.identity === identity);
  const name = p ? p.name || identity : identity;
  btn.disabled = true;
  try {
    if (btn.classList.contains('dash-mute')) {
      const mics = p ? (p.tracks || []).filter(t => t.source === 'MICROPHONE' && !t.muted) : [];
      if (!mics.length) throw new Error(t('dash.p.no_live_mic'));
      for (const t of mics) {
        const j = await api('room/muteTrack', {room_id: roomId, user_id: identity, track_sid: t.sid, muted: true});
        if (!j.status) throw new Error(j.msg || j.status_code);
      }
      toast(t('dash.p.muted', {name}));
      // Muting sends no event: look again now, and once more when the media server has told everyone.
      await refreshRoom(roomId);
      setTimeout(() => refreshRoom(roomId), 1000);
    } else if (btn.classList.contains('dash-remove')) {
      const block = btn.closest('tr').querySelector('.dash-block').checked;
      const j = await api('room/removeParticipant', {room_id: roomId, user_id: identity, block_user: block});
      if (!j.status) throw new Error(j.msg || j.status_code);
      toast(block ? t('dash.p.removed_blocked', {name}) : t('dash.p.removed', {name}));
      refreshRoom(roomId);
    }
  } catch (err) {
    report(err, `${btn.textContent} ${name}`);
  } finally {
    btn.disabled = false;
    if (p && btn.classList.contains('dash-mute')) {
      const cur = state.rooms.get(roomId);
      const now = cur && (cur.participants_info || []).find(x => x.identity === identity);
      btn.disabled = !now || mediaOf(now).mic !== 'on';
    }
  }
}

async function endRoom() {
  const id = state.roomId;
  const btn = $('#dash-end-room');
  btn.disabled = true;
  btn.textContent = t('dash.room.ending');
  try {
    const j = await api('room/endRoom', {room_id: id});
    if (!j.status) throw new Error(j.msg || j.status_code);
    toast(t('dash.room.ended', {room: id}));
    applyRoom(id, null, ++fetchSeq);
    state.past.from = 0;
    state.past.highlight = id;
    location.hash = '#/past';
  } catch (err) {
    report(err, t('dash.what.end', {room: id}));
  } finally {
    btn.disabled = false;
    btn.textContent = t('dash.room.end');
  }
}

// ------------------------------------------------------------------ join links

function newUserID(name) {
  const slug = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'user';
  const rnd = new Uint8Array(4);
  crypto.getRandomValues(rnd);
  return `${slug}-${[...rnd].map(b => b.toString(36).padStart(2, '0')).join('').slice(0, 6)}`;
}

// tokenClaims reads a join token's claims (exp, sub: the user id, which a room with
// auto_gen_user_id makes up); {} when it cannot.
function tokenClaims(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const c = JSON.parse(atob(payload));
    return c && typeof c === 'object' ? c : {};
  } catch {
    return {};
  }
}

async function makeJoinLink(e) {
  e.preventDefault();
  const admin = e.submitter ? e.submitter.value === 'admin' : false;
  const nameInput = $('#join-name');
  const name = nameInput.value.trim();
  if (!name) {
    nameInput.focus();
    toast(t('dash.invite.need_name'), 'warning');
    return;
  }
  const roomId = state.roomId;
  const userID = newUserID(name);
  try {
    const j = await api('room/getJoinToken', {room_id: roomId, user_info: {user_id: userID, name, is_admin: admin}});
    if (!j.status) throw new Error(j.msg || j.status_code);
    const link = `${location.origin}/?access_token=${encodeURIComponent(j.token)}`;
    const out = $('#join-link');
    out.value = link;
    out.dataset.admin = String(admin);
    const claims = tokenClaims(j.token);
    const userOf = typeof claims.sub === 'string' && claims.sub ? claims.sub : userID;
    out.dataset.userId = userOf;
    const exp = Number(claims.exp) || 0;
    $('#join-link-label').replaceChildren(admin ? badge(t('dash.badge.admin'), 'admin') : badge(t('dash.badge.guest'), 'guest'), ' ',
      h('strong', {}, name), h('div', {class: 'muted mono small'}, t('dash.invite.user_id', {user: userOf})));
    $('#join-link-box').hidden = false;
    const copied = await copy(link);
    $('#join-link-status').textContent = (copied ? t('dash.invite.copied') : t('dash.invite.select')) +
      (exp ? ' ' + t('dash.invite.open_before', {time: timeOf(exp)}) : '');
  } catch (err) {
    report(err, t('dash.invite.link'));
  }
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const out = $('#join-link');
    out.focus();
    out.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

// ------------------------------------------------------------------ create

function slugify(s) {
  return s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48);
}

async function createRoom(e) {
  e.preventDefault();
  const error = $('#create-error');
  error.hidden = true;
  const fail = (msg) => {
    error.textContent = msg;
    error.hidden = false;
  };
  const title = $('#create-title').value.trim();
  let id = $('#create-id').value.trim();
  if (!title) return fail(t('dash.create.need_title'));
  if (!id) {
    const rnd = new Uint8Array(3);
    crypto.getRandomValues(rnd);
    id = `${slugify(title) || 'room'}-${[...rnd].map(b => b.toString(16).padStart(2, '0')).join('')}`;
  }
  if (!ID_RE.test(id)) return fail(t('dash.create.bad_id'));
  const num = (sel) => Math.max(0, Math.floor(Number($(sel).value) || 0));
  const feat = (name) => $('#feat-' + name).checked;
  const metadata = {
    room_title: title,
    room_features: {
      allow_webcams: feat('allow_webcams'),
      allow_screen_share: feat('allow_screen_share'),
      allow_raise_hand: feat('allow_raise_hand'),
      mute_on_start: feat('mute_on_start'),
      admin_only_webcams: feat('admin_only_webcams'),
      allow_view_other_webcams: feat('allow_view_other_webcams'),
      allow_view_other_users_list: feat('allow_view_other_users_list'),
      room_duration: num('#create-duration'),
      chat_features: {allow_chat: feat('allow_chat')},
      polls_features: {is_allow: feat('polls')}, // polls
    },
  };
  // e2ee: the key is made per session by the server and handed to the participants at join
  if (feat('e2ee')) metadata.room_features.end_to_end_encryption_features = {is_enabled: true, included_chat_messages: true};
  const welcome = $('#create-welcome').value.trim();
  if (welcome) metadata.welcome_message = welcome;
  const submit = $('#create-submit');
  submit.disabled = true;
  try {
    const j = await api('room/create', {room_id: id, max_participants: num('#create-max'), metadata});
    if (!j.status) return fail(j.msg || j.status_code);
    if (j.room_info) applyRoom(id, {room_info: j.room_info, participants_info: []}, ++fetchSeq);
    toast(t('dash.create.opened', {room: id}));
    $('#create-room-form').reset();
    location.hash = '#/room/' + encodeURIComponent(id);
  } catch (err) {
    if (!(err instanceof SignedOut)) fail(err.message);
  } finally {
    submit.disabled = false;
  }
}

// ------------------------------------------------------------------ past rooms

let pastSeq = 0;
async function loadPast() {
  const p = state.past;
  const seq = ++pastSeq;
  try {
    const j = await api('room/fetchPastRooms', {from: p.from, limit: PAGE, order_by: 'DESC'});
    if (!state.signedIn || state.view !== 'past' || seq !== pastSeq) return;
    const list = j.status && j.result ? j.result.rooms_list || [] : [];
    if (!j.status && j.status_code !== 'NOT_FOUND') throw new Error(j.msg || j.status_code);
    p.total = j.status && j.result ? j.result.total_rooms : 0;
    if (!list.length && p.from > 0) {
      p.from = Math.max(0, p.from - PAGE);
      return loadPast();
    }
    $('#past-rooms-list').replaceChildren(...list.map(pastRow));
    for (const btn of document.querySelectorAll('#past-rooms-list .dash-attendance')) {
      const r = state.past.open.get(btn.dataset.id);
      if (r) showAttendance(btn, r); // still open after the list was drawn again
    }
    $('#past-empty').hidden = list.length > 0;
    addRecordings(list, seq);
    $('#past-range').textContent = list.length ? t('dash.page.range', {from: p.from + 1, to: p.from + list.length, total: p.total}) : '';
    $('#past-prev').disabled = p.from === 0;
    $('#past-next').disabled = p.from + list.length >= p.total;
  } catch (err) {
    report(err, t('dash.nav.past'));
  }
}

function pastRow(r) {
  const running = !r.ended;
  const created = toDate(r.created);
  const ended = toDate(r.ended);
  const length = created ? duration(((ended || new Date()) - created) / 1000) : '—';
  const title = running
    ? h('a', {href: '#/room/' + encodeURIComponent(r.room_id)}, r.room_title || r.room_id)
    : h('span', {}, r.room_title || r.room_id);
  const tr = h('tr', {class: 'past-room-row', dataset: {roomId: r.room_id, sid: r.room_sid, state: running ? 'running' : 'ended'}},
    h('td', {}, h('div', {class: 'p-name'}, title), h('div', {class: 'mono muted small'}, r.room_id)),
    h('td', {class: 'mono muted small'}, r.room_sid),
    h('td', {}, formatNumber(r.joined_participants || 0)),
    h('td', {}, dateTime(r.created)),
    h('td', {class: 'past-ended'}, running ? badge(t('dash.past.running'), 'live') : dateTime(r.ended)),
    h('td', {class: 'mono'}, running && created ? h('span', {dataset: {since: String(Math.floor(created / 1000))}}, length) : length),
    h('td', {class: 'past-files'}, h('div', {class: 'files'},
      r.analytics_file_id
        ? h('button', {class: 'btn small dash-attendance', type: 'button', dataset: {id: r.analytics_file_id},
          'aria-expanded': 'false', title: t('dash.past.attendance_title', {id: r.analytics_file_id})}, t('dash.past.attendance'))
        : null)));
  if (state.past.highlight && r.room_id === state.past.highlight && !running) tr.classList.add('highlight');
  return tr;
}

// addRecordings adds a download button for each recording of the listed sessions (one call for
// the page); a server without recordings leaves the column as it is.
async function addRecordings(list, seq) {
  const ids = [...new Set(list.map(r => r.room_id))];
  if (!ids.length) return;
  let j;
  try {
    j = await api('recording/fetch', {room_ids: ids, from: 0, limit: 100, order_by: 'DESC'});
  } catch (err) {
    if (!(err instanceof Unavailable)) report(err, t('dash.what.recordings'));
    return;
  }
  if (!j.status || !j.result || seq !== pastSeq) return;
  const rows = new Map([...$('#past-rooms-list').children].map(tr => [tr.dataset.sid, tr]));
  for (const rec of [...j.result.recordings_list || []].reverse()) {
    const tr = rows.get(rec.room_sid);
    if (!tr) continue;
    tr.querySelector('.files').prepend(h('button', {class: 'btn small dash-download', type: 'button',
      dataset: {kind: 'recording', id: rec.record_id}, title: t('dash.past.recording_title', {id: rec.record_id, when: dateTime(rec.creation_time)})},
    t('dash.past.recording', {size: formatNumber(Number(rec.file_size || 0), {minimumFractionDigits: 1, maximumFractionDigits: 1})})));
  }
}

// onPastClick serves the buttons of the past rooms: downloads and attendance tables.
function onPastClick(e) {
  if (e.target.closest('.dash-attendance')) toggleAttendance(e.target.closest('.dash-attendance'));
  else download(e);
}

// toggleAttendance shows (or hides) a past room's attendance report in a row under it.
async function toggleAttendance(btn) {
  const tr = btn.closest('tr');
  const open = tr.nextElementSibling && tr.nextElementSibling.classList.contains('attendance-row') ? tr.nextElementSibling : null;
  const id = btn.dataset.id;
  if (open) {
    open.remove();
    state.past.open.delete(id);
    btn.setAttribute('aria-expanded', 'false');
    return;
  }
  btn.disabled = true;
  try {
    const j = await api('analytics/getDownloadToken', {file_id: id});
    if (!j.status) throw new Error(j.msg || j.status_code);
    const res = await fetch(`/download/analytics/${encodeURIComponent(j.token)}`, {credentials: 'same-origin'});
    if (!res.ok) throw new Error(t('dash.err.http', {status: res.status}));
    const r = await res.json();
    state.past.open.set(id, r);
    // the list may have been drawn again meanwhile: show it under the button that is there now
    const now = [...document.querySelectorAll('#past-rooms-list .dash-attendance')].find(b => b.dataset.id === id);
    if (now) showAttendance(now, r);
  } catch (err) {
    if (err instanceof Unavailable) toast(t('dash.past.attendance_unavailable'), 'error');
    else report(err, t('dash.past.attendance'));
  } finally {
    btn.disabled = false;
  }
}

function showAttendance(btn, r) {
  const tr = btn.closest('tr');
  const next = tr.nextElementSibling;
  if (next && next.classList.contains('attendance-row')) next.remove();
  tr.after(h('tr', {class: 'attendance-row', dataset: {fileId: btn.dataset.id}},
    h('td', {colspan: '7'}, attendanceTable(r, btn.dataset.id))));
  btn.setAttribute('aria-expanded', 'true');
}

// attendanceTable is one report: a line per user, with the downloads of the whole report.
function attendanceTable(r, id) {
  const secs = (n) => duration(n || 0);
  const stays = (u) => (u.segments || []).map(s => `${timeOf(s.joined)}–${timeOf(s.left)}`).join(', ');
  return h('div', {class: 'attendance'},
    h('div', {class: 'attendance-head'},
      h('span', {class: 'muted small'}, t('dash.att.summary', {people: r.distinct_users || 0, peak: r.peak_concurrent_participants || 0,
        start: timeOf(r.start), end: timeOf(r.end), duration: secs(r.duration_seconds)})),
      h('span', {class: 'files'},
        h('button', {class: 'btn small dash-download', type: 'button', dataset: {kind: 'analytics', id}}, 'JSON'),
        h('button', {class: 'btn small dash-download', type: 'button', dataset: {kind: 'analytics', id, format: 'csv'}}, 'CSV'))),
    h('table', {class: 'table attendance-table'},
      h('thead', {}, h('tr', {},
        ['person', 'joins', 'present', 'microphone', 'camera', 'screen', 'talk', 'stays'].map(k => h('th', {}, t(`dash.att.${k}`))))),
      h('tbody', {}, (r.users || []).map(u => h('tr', {class: 'attendance-user', dataset: {userId: u.user_id}},
        h('td', {}, h('div', {class: 'p-name'}, u.name || u.user_id, u.is_admin ? badge(t('dash.badge.admin'), 'admin') : null),
          h('div', {class: 'mono muted small'}, u.user_id)),
        h('td', {}, formatNumber(u.joins || 0)),
        h('td', {class: 'mono present'}, secs(u.present_seconds)),
        h('td', {class: 'mono'}, secs(u.microphone_seconds)),
        h('td', {class: 'mono'}, secs(u.camera_seconds)),
        h('td', {class: 'mono'}, secs(u.screen_share_seconds)),
        h('td', {class: 'mono'}, secs(u.talk_seconds)),
        h('td', {class: 'mono muted small'}, stays(u)))))),
    r.talk_time ? h('p', {class: 'muted small'}, t('dash.att.talk_time', {talk: r.talk_time})) : null);
}

// download asks for a short-lived download token and lets the browser fetch the file.
async function download(e) {
  const btn = e.target.closest('.dash-download');
  if (!btn) return;
  const {kind, id, format} = btn.dataset;
  btn.disabled = true;
  try {
    const j = kind === 'recording'
      ? await api('recording/getDownloadToken', {record_id: id})
      : await api('analytics/getDownloadToken', {file_id: id});
    if (!j.status) throw new Error(j.msg || j.status_code);
    const a = h('a', {href: `/download/${kind}/${encodeURIComponent(j.token)}` + (format ? `?format=${format}` : ''), download: '', hidden: true});
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    if (err instanceof Unavailable) toast(t('dash.past.downloads_unavailable'), 'error');
    else report(err, t('dash.what.download'));
  } finally {
    btn.disabled = false;
  }
}

// ------------------------------------------------------------------ webhook deliveries

let deliveriesSeq = 0;
async function loadDeliveries() {
  const d = state.deliveries;
  const seq = ++deliveriesSeq;
  const body = {from: d.from, limit: PAGE};
  const status = $('#deliveries-status').value;
  const room = $('#deliveries-room').value.trim();
  if (status) body.status = status;
  if (room) body.room_id = room;
  const unavailable = (yes) => {
    $('#deliveries-unavailable').hidden = !yes;
    $('#deliveries-card').hidden = yes;
  };
  try {
    const j = await api('webhook/deliveries', body);
    if (!state.signedIn || state.view !== 'webhooks' || seq !== deliveriesSeq) return;
    if (!j.status && j.status_code !== 'NOT_FOUND') throw new Error(j.msg || j.status_code);
    unavailable(false);
    const result = j.result || {};
    const list = result.deliveries_list || [];
    d.total = result.total || 0;
    if (!list.length && d.from > 0) {
      d.from = Math.max(0, d.from - PAGE);
      return loadDeliveries();
    }
    $('#deliveries-list').replaceChildren(...list.map(deliveryRow));
    $('#deliveries-empty').hidden = list.length > 0;
    $('#deliveries-range').textContent = list.length ? t('dash.page.range', {from: d.from + 1, to: d.from + list.length, total: d.total}) : '';
    $('#deliveries-prev').disabled = d.from === 0;
    $('#deliveries-next').disabled = d.from + list.length >= d.total;
  } catch (err) {
    if (err instanceof Unavailable) {
      unavailable(true);
      return;
    }
    report(err, t('dash.webhooks.title'));
  }
}

function deliveryRow(d) {
  const st = String(d.status || '').toLowerCase();
  let when = '—';
  if (st === 'delivered') when = t('dash.dl.delivered_at', {when: dateTime(d.delivered_at)});
  else if (st === 'pending' && toDate(d.next_attempt_at)) when = t('dash.dl.next_try', {when: dateTime(d.next_attempt_at)});
  else if (st === 'failed' && toDate(d.last_attempt_at)) when = t('dash.dl.failed_at', {when: dateTime(d.last_attempt_at)});
  else if (toDate(d.created_at)) when = t('dash.dl.queued', {when: dateTime(d.created_at)});
  const answer = [];
  const code = d.last_status_code ? `HTTP ${d.last_status_code}` : '';
  if (code && !String(d.last_error || '').startsWith(code)) answer.push(h('div', {class: 'mono'}, code));
  if (d.last_error) answer.push(h('div', {class: 'small err-text', title: d.last_error}, d.last_error));
  return h('tr', {class: `delivery-row status-${st}` + (st === 'failed' ? ' failed' : ''), dataset: {id: d.id, status: st}},
    h('td', {}, badge(['delivered', 'pending', 'failed'].includes(st) ? t(`dash.dl.${st}`) : st || t('dash.state.unknown'), 'dl-' + (st || 'unknown'))),
    h('td', {class: 'mono small'}, d.event),
    h('td', {class: 'mono small'}, d.room_id || '—'),
    h('td', {class: 'url small', title: d.url}, d.url),
    h('td', {}, formatNumber(d.attempts || 0)),
    h('td', {}, answer.length ? answer : h('span', {class: 'muted'}, '—')),
    h('td', {class: 'small'}, when),
    h('td', {class: 'right'}, st === 'failed'
      ? h('button', {class: 'btn small dash-redeliver', type: 'button', dataset: {id: d.id, url: d.url}}, t('dash.dl.redeliver'))
      : null));
}

async function redeliver(e) {
  const btn = e.target.closest('.dash-redeliver');
  if (!btn) return;
  btn.disabled = true;
  try {
    const j = await api('webhook/redeliver', {id: btn.dataset.id, url: btn.dataset.url});
    if (!j.status) throw new Error(j.msg || j.status_code);
    toast(t('dash.dl.queued_again'));
    loadDeliveries();
  } catch (err) {
    btn.disabled = false;
    if (err instanceof Unavailable) toast(t('dash.dl.redeliver_unavailable'), 'error');
    else report(err, t('dash.dl.redeliver'));
  }
}

// ------------------------------------------------------------------ routing and wiring

const TITLES = {rooms: 'dash.nav.rooms', create: 'dash.nav.create', past: 'dash.nav.past', webhooks: 'dash.webhooks.title'};

function route() {
  if (!state.signedIn) return;
  const [view, ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const name = {'': 'rooms', rooms: 'rooms', room: 'room', create: 'create', past: 'past', webhooks: 'webhooks'}[view] || 'rooms';
  state.view = name;
  document.body.dataset.view = name;
  if (name !== 'past') state.past.highlight = '';
  for (const sec of document.querySelectorAll('.view')) sec.hidden = sec.id !== name + '-view';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.nav === (name === 'room' ? 'rooms' : name));
  if (name !== 'room') document.title = t('dash.doc_title', {view: t(TITLES[name])});
  switch (name) {
    case 'room': {
      let id = '';
      try {
        id = decodeURIComponent(rest.join('/'));
      } catch { /* a broken link shows an unknown room */ }
      if (!id) {
        location.replace('#/rooms');
        return;
      }
      showRoom(id);
      break;
    }
    case 'create':
      $('#create-error').hidden = true;
      $('#create-title').focus();
      break;
    case 'past':
      loadPast();
      break;
    case 'webhooks':
      loadDeliveries();
      break;
    default:
      renderRooms();
  }
}

function toast(text, kind = 'info') {
  const el = h('div', {class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : 'status'}, text);
  const box = $('#toasts');
  box.append(el);
  while (box.children.length > 3) box.firstElementChild.remove();
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 3500);
}

function wire() {
  $('#login-form').addEventListener('submit', login);
  $('#logout-button').addEventListener('click', logout);
  $('#participants-list').addEventListener('click', onParticipantAction);
  initWaiting({api, toast, report, refreshRoom, h}); // waiting room
  $('#dash-end-room').addEventListener('click', endRoom);
  $('#join-link-form').addEventListener('submit', makeJoinLink);
  $('#join-link-copy').addEventListener('click', async () => {
    const ok = await copy($('#join-link').value);
    $('#join-link-status').textContent = ok ? t('dash.invite.copied') : t('dash.invite.select');
  });
  $('#join-link').addEventListener('focus', (e) => e.target.select());
  $('#create-room-form').addEventListener('submit', createRoom);
  $('#create-title').addEventListener('input', () => {
    $('#create-id').placeholder = slugify($('#create-title').value) ? `${slugify($('#create-title').value)}-…` : t('dash.create.id_placeholder');
  });
  $('#past-prev').addEventListener('click', () => { state.past.from = Math.max(0, state.past.from - PAGE); loadPast(); });
  $('#past-next').addEventListener('click', () => { state.past.from += PAGE; loadPast(); });
  $('#deliveries-filter').addEventListener('submit', (e) => { e.preventDefault(); state.deliveries.from = 0; loadDeliveries(); });
  $('#deliveries-status').addEventListener('change', () => { state.deliveries.from = 0; loadDeliveries(); });
  $('#deliveries-prev').addEventListener('click', () => { state.deliveries.from = Math.max(0, state.deliveries.from - PAGE); loadDeliveries(); });
  $('#deliveries-next').addEventListener('click', () => { state.deliveries.from += PAGE; loadDeliveries(); });
  $('#deliveries-list').addEventListener('click', redeliver);
  $('#past-rooms-list').addEventListener('click', onPastClick);
  window.addEventListener('hashchange', route);
  setInterval(tick, 1000);
}

boot();
