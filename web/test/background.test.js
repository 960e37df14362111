import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backgroundAllowed, parseChoice, processorOptions, coverRect, CHOICES, UNSUPPORTED } from '../src/background.js';
import { readFileSync } from 'node:fs';

const joinWith = (f) => ({ room_metadata: { room_features: f } });

test('backgroundAllowed follows allow_virtual_bg (on unless false) and needs a camera', () => {
  const cam = { camera: true };
  assert.equal(backgroundAllowed(joinWith({}), cam), true);
  assert.equal(backgroundAllowed(joinWith({ allow_virtual_bg: true }), cam), true);
  assert.equal(backgroundAllowed(joinWith({ allow_virtual_bg: false }), cam), false);
  assert.equal(backgroundAllowed({}, cam), true);
  assert.equal(backgroundAllowed(joinWith({ allow_virtual_bg: true }), { camera: false }), false);
  assert.equal(backgroundAllowed(joinWith({}), null), false);
});

test('parseChoice keeps known choices only, and "custom" only with a picture', () => {
  for (const c of CHOICES) {
    if (c.id !== 'custom') assert.equal(parseChoice(c.id, false), c.id);
  }
  assert.equal(parseChoice('custom', true), 'custom');
  assert.equal(parseChoice('custom', false), 'none');
  for (const bad of [null, undefined, '', 'Blur', 'sepia', '{"id":"blur"}', 42]) assert.equal(parseChoice(bad, true), 'none');
});

test('processorOptions: none is no processor, blur blurs, the rest are pictures', () => {
  const picture = (id) => (id === 'custom' ? '' : `data:image/png;base64,${id}`);
  assert.equal(processorOptions('none', picture), null);
  assert.deepEqual(processorOptions('blur', picture), { mode: 'background-blur' });
  assert.deepEqual(processorOptions('sea', picture), { mode: 'virtual-background', imagePath: 'data:image/png;base64,sea' });
  assert.equal(processorOptions('custom', picture), null, 'no picture, no processor');
  assert.equal(processorOptions('nope', picture), null);
  for (const c of CHOICES.filter((x) => x.colors)) {
    assert.ok(c.colors.length >= 2 && c.colors.every((x) => /^#[0-9a-f]{6}$/.test(x)), c.id);
    assert.equal(processorOptions(c.id, picture).mode, 'virtual-background');
  }
  assert.equal(new Set(CHOICES.map((c) => c.id)).size, CHOICES.length, 'ids are unique');
  const en = JSON.parse(readFileSync(new URL('../../internal/web/static/locales/en.json', import.meta.url), 'utf8'));
  for (const c of CHOICES) assert.equal(typeof en[c.label], 'string', `${c.id}: ${c.label} is a catalogue key`);
  for (const key of Object.values(UNSUPPORTED)) assert.equal(typeof en[key], 'string', key);
  assert.equal(en['background.blur'], 'Blur');
});

test('coverRect fills the frame and centres what it cuts', () => {
  assert.deepEqual(coverRect(1280, 720, 1280, 720), { x: 0, y: 0, w: 1280, h: 720 });
  // a square picture in a wide frame: as wide as the frame, cut at top and bottom
  assert.deepEqual(coverRect(100, 100, 1280, 720), { x: 0, y: -280, w: 1280, h: 1280 });
  // a tall frame: as high as the frame, cut at the sides
  assert.deepEqual(coverRect(1600, 900, 720, 1280), { x: -(2275.5555555555557 - 720) / 2, y: 0, w: 2275.5555555555557, h: 1280 });
});
