// Small DOM helpers shared by the page. No framework: the page is small.

export const $ = (id) => document.getElementById(id);

// h builds an element: h('div', {class: 'x', 'data-identity': id}, child, 'text').
export function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

// Icon paths (Feather icons, MIT licence, unless noted).
const ICONS = {
  'mic-off':
    '<line x1="1" y1="1" x2="23" y2="23"/><path d="M9 9v3a3 3 0 0 0 5.12 2.12M15 9.34V4a3 3 0 0 0-5.94-.6"/><path d="M17 16.95A7 7 0 0 1 5 12v-2m14 0v2a7 7 0 0 1-.11 1.23"/><line x1="12" y1="19" x2="12" y2="23"/><line x1="8" y1="23" x2="16" y2="23"/>',
  // Lucide "hand" (ISC licence).
  hand: '<path d="M18 11V6a2 2 0 0 0-2-2a2 2 0 0 0-2 2"/><path d="M14 10V4a2 2 0 0 0-2-2a2 2 0 0 0-2 2v2"/><path d="M10 10.5V6a2 2 0 0 0-2-2a2 2 0 0 0-2 2v8"/><path d="M18 8a2 2 0 1 1 4 0v6a8 8 0 0 1-8 8h-2c-2.8 0-4.5-.86-5.99-2.34l-3.6-3.6a2 2 0 0 1 2.83-2.82L7 15"/>',
  monitor:
    '<rect x="2" y="3" width="20" height="14" rx="2" ry="2"/><line x1="8" y1="21" x2="16" y2="21"/><line x1="12" y1="17" x2="12" y2="21"/>',
};

export function icon(name) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  svg.innerHTML = ICONS[name] || ''; // constant markup only
  return svg;
}

const STATES_WITH_SCREEN = new Set(['loading', 'error', 'removed', 'ended', 'left', 'reconnecting']);

// setState switches the page between its screens. document.body.dataset.state
// is what tests read; #state-message holds the sentence people read.
export function setState(state, message = '', detail = '') {
  document.body.dataset.state = state;
  $('state-message').textContent = message;
  $('state-detail').textContent = detail;
  $('state-screen').hidden = !STATES_WITH_SCREEN.has(state);
  $('prejoin').hidden = state !== 'prejoin';
  $('meeting').hidden = !(state === 'joined' || state === 'reconnecting');
}

// a11y: announcer says a toast's text to screen readers (a11y.js's live regions); the toasts
// themselves are for the eyes (#toasts is aria-hidden).
let announcer = null;
export function setAnnouncer(fn) {
  announcer = fn;
}

export function toast(text, level = 'info', ms = 5000) {
  if (level === 'error') console.warn(text); // also in the console, which outlives the toast
  announcer?.(text, level); // a11y
  const t = h('div', { class: `toast toast-${level}` }, text);
  const close = () => t.remove();
  t.addEventListener('click', close);
  $('toasts').append(t);
  setTimeout(close, ms);
}

let audioCtx = null;

// beep plays a short tone for notifications that ask for a sound.
export function beep() {
  try {
    audioCtx = audioCtx || new (window.AudioContext || window.webkitAudioContext)();
    const o = audioCtx.createOscillator();
    const g = audioCtx.createGain();
    o.frequency.value = 880;
    g.gain.setValueAtTime(0.15, audioCtx.currentTime);
    g.gain.exponentialRampToValueAtTime(0.001, audioCtx.currentTime + 0.35);
    o.connect(g).connect(audioCtx.destination);
    o.start();
    o.stop(audioCtx.currentTime + 0.35);
  } catch {
    // no audio output: the toast is enough
  }
}

// formatTime is a clock time in the page's language (web/src/i18n.js).
export { formatTime } from './i18n.js';
