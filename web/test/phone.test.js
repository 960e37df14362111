import test from 'node:test';
import assert from 'node:assert/strict';
import { gridShape, featured, MAIN_CONTROLS, PHONE_STRINGS, PHONE_KEYS } from '../src/phone.js';
import { use } from '../src/i18n.js';
import { readFileSync } from 'node:fs';

test('large screens: the largest 16:9 tiles that fit, as before', () => {
  assert.deepEqual(gridShape(1, 1000, 600), { w: 1000, h: 562, cols: 1, featureH: 0 });
  assert.equal(gridShape(2, 1000, 600).cols, 1); // one above the other: 526 px wide
  const two = gridShape(2, 1000, 300);
  assert.equal(two.cols, 2);
  assert.equal(two.w, 496);
  // a phone on its side is laid out like a large screen
  assert.deepEqual(gridShape(2, 800, 280, true), gridShape(2, 800, 280, false));
  // too small: 160 px tiles and the grid scrolls
  assert.equal(gridShape(40, 400, 300).w, 160);
});

test('a phone held upright: one or two columns, taller tiles, nothing wider than the grid', () => {
  for (const [W, H] of [[360, 600], [390, 700], [430, 780]]) {
    for (let n = 1; n <= 9; n++) {
      const s = gridShape(n, W, H, true);
      assert.ok(s.cols === 1 || s.cols === 2, `${n} tiles in ${W}×${H}: ${s.cols} columns`);
      assert.ok(s.w <= W, `${n} tiles in ${W}×${H}: ${s.w} wide`);
      assert.ok(s.h >= Math.floor((s.w * 9) / 16) && s.h <= Math.ceil((s.w * 4) / 3), `${n} tiles: ${s.w}×${s.h} between 16:9 and 3:4`);
      assert.equal(s.featureH > 0, n >= 3, `${n} tiles: featured ${s.featureH}`);
      if (n <= 4) {
        // everything fits without scrolling
        const rest = s.featureH ? n - 1 : n;
        const rows = Math.ceil(rest / s.cols);
        const used = rows * s.h + (rows - 1) * 8 + (s.featureH ? s.featureH + 8 : 0);
        assert.ok(used <= H, `${n} tiles in ${W}×${H}: ${used} px high`);
      }
    }
  }
  // two people on a phone: one above the other, the full width
  assert.deepEqual(gridShape(2, 390, 700, true), { w: 390, h: 346, cols: 1, featureH: 0 });
});

test('no size yet: no tiles', () => {
  assert.equal(gridShape(2, 0, 500, true).w, 0);
});

test('the featured tile: the latest remote speaker, else the first other one', () => {
  assert.equal(featured(['a', 'b'], 'b'), 'b');
  assert.equal(featured(['a', 'b'], 'gone'), 'a');
  assert.equal(featured([], 'x'), '');
});

test('the toolbar row of a phone keeps the main buttons; the strings are the catalogue’s', () => {
  assert.ok(MAIN_CONTROLS.includes('leave-button') && MAIN_CONTROLS.includes('more-button'));
  assert.equal(PHONE_STRINGS.more, 'More');
  const load = (l) => JSON.parse(readFileSync(new URL(`../../internal/web/static/locales/${l}.json`, import.meta.url), 'utf8'));
  const fr = load('fr');
  use('fr', fr);
  try {
    for (const [name, key] of Object.entries(PHONE_KEYS)) assert.equal(PHONE_STRINGS[name], fr[key], `${name}: in the page's language when read`);
  } finally {
    use('en', load('en'));
  }
});
