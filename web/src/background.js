// Background blur and virtual backgrounds on the meeting page (doc/web.md, "Backgrounds"). A
// "Background" control on the pre-join step and in the meeting: none, blur, a few pictures drawn
// here in a canvas (gradients), or a picture of the person's own (kept in this browser only). The
// choice applies live to the camera track (LocalVideoTrack.setProcessor) and is remembered in
// localStorage, so it survives reloads, and in this module, so it follows moves between breakout
// rooms. The processor and its segmentation model are loaded from meetd's /static/background/
// only when a background is picked: the page's first load does not carry them. Hidden when the
// room's allow_virtual_bg is false.

import * as api from './api.js';
import { $, h, toast } from './view.js';
import { t } from './i18n.js';

export const STORAGE_KEY = 'meetd.background';
export const IMAGE_KEY = 'meetd.background.image';
export const PROCESSOR_NAME = 'meetd-background'; // as web/src/background-processor.js names it
const IMAGE_W = 1280; // the person's own picture is scaled down to this (cover), as a JPEG
const IMAGE_H = 720;

// CHOICES are the options of the control, in order, each with the catalogue key of its name
// (doc/web.md, "Languages"); a gradient's colours run from the top left to the bottom right.
export const CHOICES = [
  { id: 'none', label: 'background.none' },
  { id: 'blur', label: 'background.blur' },
  { id: 'dusk', label: 'background.dusk', colors: ['#24243e', '#302b63', '#b06ab3'] },
  { id: 'sea', label: 'background.sea', colors: ['#0f2027', '#2c5364', '#4ca1af'] },
  { id: 'meadow', label: 'background.meadow', colors: ['#134e5e', '#3c8d5a', '#c4e0a5'] },
  { id: 'paper', label: 'background.paper', colors: ['#e9e4d8', '#f5f1e8', '#d8d2c4'] },
  { id: 'custom', label: 'background.custom' },
];

// UNSUPPORTED: the catalogue keys of the reasons the processor gives (background-processor.js
// unsupported) why this browser cannot.
export const UNSUPPORTED = {
  video: 'background.unsupported_video',
  wasm: 'background.unsupported_wasm',
  webgl: 'background.unsupported_webgl',
  blur: 'background.unsupported_blur',
};

// backgroundAllowed: the room's allow_virtual_bg (plugNmeet's default: on) and a camera.
export function backgroundAllowed(join, caps) {
  const f = join?.room_metadata?.room_features;
  return !!caps?.camera && !(f && typeof f === 'object' && f.allow_virtual_bg === false);
}

// parseChoice reads a stored choice: one of CHOICES, 'custom' only with a picture; else 'none'.
export function parseChoice(stored, hasImage) {
  if (stored === 'custom') return hasImage ? 'custom' : 'none';
  return CHOICES.some((c) => c.id === stored) ? stored : 'none';
}

// processorOptions is what the processor paints for a choice: null for none (no processor).
// picture(id) gives a gradient's or the person's picture as a URL.
export function processorOptions(id, picture) {
  if (id === 'blur') return { mode: 'background-blur' };
  const c = CHOICES.find((x) => x.id === id);
  if (!c || id === 'none') return null;
  const imagePath = picture(id);
  return imagePath ? { mode: 'virtual-background', imagePath } : null;
}

// coverRect places a w×h picture over a W×H frame, filling it and cutting what overflows.
export function coverRect(w, h, W, H) {
  const s = Math.max(W / w, H / h);
  return { x: (W - w * s) / 2, y: (H - h * s) / 2, w: w * s, h: h * s };
}

// ---------------------------------------------------------------- page

const state = {
  allowed: false,
  choice: 'none',
  track: null, // the camera's LocalVideoTrack: the preview's, then the published one
  module: null, // the processor bundle, once loaded
  unsupported: '', // why this browser cannot, once known
  pictures: new Map(), // choice id -> data: URL
  busy: Promise.resolve(),
};

// stats are read by the browser test (cmd/meetd/background_e2e_test.go) and shown nowhere:
// the mode applied to the camera and how many frames the processor painted, in how long.
const stats = { mode: 'none', frames: 0, ms: 0 };
if (typeof window !== 'undefined') window.meetdBackground = stats;

function storage() {
  try {
    return window.localStorage;
  } catch {
    return null; // storage blocked (a sandboxed frame): the choice lasts as long as the page
  }
}

// initBackground draws the controls (pre-join and meeting) and reads the stored choice. Called
// once on the pre-join step.
export function initBackground(join, caps) {
  const s = storage();
  state.choice = parseChoice(s?.getItem(STORAGE_KEY), !!s?.getItem(IMAGE_KEY));
  for (const id of ['prejoin-background', 'background-select']) {
    const select = $(id);
    select.replaceChildren(...CHOICES.map((c) => h('option', { value: c.id }, c.id === 'custom' ? pictureLabel() : t(c.label))));
    select.addEventListener('change', () => choose(select.value));
  }
  $('background-file').addEventListener('change', onFile);
  backgroundRoomChanged(join, caps);
}

// backgroundRoomChanged re-reads the room's rule (a move to another room, new capabilities).
export function backgroundRoomChanged(join, caps) {
  const allowed = backgroundAllowed(join, caps);
  const changed = allowed !== state.allowed;
  state.allowed = allowed;
  render();
  if (changed && state.track) run(() => apply(state.track));
}

// backgroundCamera hands over the camera track, whenever one is created or published: the
// preview's on the pre-join step, a camera turned on in the meeting or after a move.
export function backgroundCamera(track) {
  if (!track || track === state.track) return;
  state.track = track;
  run(() => apply(track));
}

function pictureLabel() {
  return storage()?.getItem(IMAGE_KEY) || state.pictures.has('custom') ? t('background.custom') : t('background.custom_pick');
}

// unsupportedText is the reason this browser cannot, in the page's language ('' when it can).
function unsupportedText() {
  return state.unsupported ? t(UNSUPPORTED[state.unsupported] || UNSUPPORTED.video) : '';
}

function render() {
  for (const id of ['prejoin-background-row', 'background-control']) $(id).hidden = !state.allowed;
  for (const id of ['prejoin-background', 'background-select']) {
    const select = $(id);
    select.value = state.choice;
    select.disabled = !!state.unsupported;
    select.title = state.unsupported ? unsupportedText() : t('background.label');
    // the options' names in the page's language (this may run before the language is chosen)
    for (const option of select.options) {
      const c = CHOICES.find((x) => x.id === option.value);
      if (c) option.textContent = c.id === 'custom' ? pictureLabel() : t(c.label);
    }
  }
  $('prejoin-background-note').textContent = unsupportedText();
  $('prejoin-background-note').hidden = !state.unsupported;
}

// choose is a pick in either control. "My picture" without a picture asks for one first.
function choose(id) {
  if (id === 'custom' && !picture('custom')) {
    render(); // back to the current choice until a picture is read
    $('background-file').click();
    return;
  }
  state.choice = parseChoice(id, true);
  storage()?.setItem(STORAGE_KEY, state.choice);
  render();
  if (state.track) run(() => apply(state.track));
}

// run queues changes to the processor one after the other.
function run(fn) {
  state.busy = state.busy.then(fn).catch((err) => {
    console.warn('background', err);
    toast(t('background.failed', { error: err?.message || String(err) }), 'error');
  });
}

async function apply(track) {
  if (track !== state.track) return; // replaced meanwhile
  const opts = state.allowed ? processorOptions(state.choice, picture) : null;
  const current = track.getProcessor?.();
  if (!opts) {
    if (current?.name === PROCESSOR_NAME) await track.stopProcessor();
    stats.mode = 'none';
    return;
  }
  const mod = await load();
  if (!mod) return;
  if (current?.name === PROCESSOR_NAME) {
    await mod.switchTo(current, opts);
  } else {
    await track.setProcessor(
      mod.create(`${api.base}/static/background`, opts, (ms) => {
        stats.frames++;
        stats.ms += ms;
      }),
    );
  }
  stats.mode = opts.mode;
}

// load imports the processor bundle once; null (and the reason shown) when the browser cannot.
async function load() {
  if (state.unsupported) return null;
  state.module ??= await import(/* a bundle of its own, not inlined */ `${api.base}/static/background/processor.js`);
  state.unsupported = state.module.unsupported();
  if (state.unsupported) {
    toast(unsupportedText(), 'error');
    render();
    return null;
  }
  return state.module;
}

// picture is a choice's picture as a data: URL: a gradient drawn once, or the person's own.
function picture(id) {
  if (state.pictures.has(id)) return state.pictures.get(id);
  let url = '';
  if (id === 'custom') {
    url = storage()?.getItem(IMAGE_KEY) || '';
  } else {
    const c = CHOICES.find((x) => x.id === id);
    if (!c?.colors) return '';
    const canvas = h('canvas', { width: IMAGE_W, height: IMAGE_H });
    const ctx = canvas.getContext('2d');
    const g = ctx.createLinearGradient(0, 0, IMAGE_W, IMAGE_H);
    c.colors.forEach((color, i) => g.addColorStop(i / (c.colors.length - 1), color));
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, IMAGE_W, IMAGE_H);
    url = canvas.toDataURL('image/png');
  }
  if (url) state.pictures.set(id, url);
  return url;
}

// onFile reads the person's picture, scales it down and keeps it in this browser.
async function onFile(e) {
  const file = e.target.files?.[0];
  e.target.value = '';
  if (!file) return;
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    toast(t('background.not_picture'), 'error');
    return;
  }
  const canvas = h('canvas', { width: IMAGE_W, height: IMAGE_H });
  const r = coverRect(bitmap.width, bitmap.height, IMAGE_W, IMAGE_H);
  canvas.getContext('2d').drawImage(bitmap, r.x, r.y, r.w, r.h);
  bitmap.close();
  const url = canvas.toDataURL('image/jpeg', 0.85);
  state.pictures.set('custom', url);
  try {
    storage()?.setItem(IMAGE_KEY, url);
  } catch {
    toast(t('background.not_kept'), 'warning');
  }
  choose('custom');
}
