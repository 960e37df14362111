import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colour, httpURL, parseDesign, designOf } from '../src/design.js';

test('colours are taken only when written plainly', () => {
  for (const ok of ['#004D90', '#fff', '#ffffff80', 'rgb(0, 77, 144)', 'rgba(0,0,0,.5)', 'hsl(210 50% 40%)', 'teal']) assert.equal(colour(ok), ok);
  for (const bad of ['#12', 'red; } body { display:none', 'url(x)', 'expression(alert(1))', 'rgb(0,0,0);x', '', 12, null]) assert.equal(colour(bad), '');
});

test('URLs are absolute http(s) and cannot leave the CSS string', () => {
  assert.equal(httpURL('https://cms.example/logo.png'), 'https://cms.example/logo.png');
  assert.equal(httpURL('/logo.png', 'https://cms.example/mod/x'), 'https://cms.example/logo.png');
  assert.equal(httpURL('javascript:alert(1)'), '');
  assert.equal(httpURL('data:image/png;base64,AAAA'), '');
  const u = httpURL('https://cms.example/a"); } body { display: none } x("?q=\'y\'');
  assert.ok(u.startsWith('https://cms.example/'));
  assert.ok(!/["'()\\\s]/.test(u), u);
});

test('designCustomization as an object or JSON text', () => {
  assert.deepEqual(parseDesign('{"primary_color":"#004D90"}'), { primary_color: '#004D90' });
  assert.deepEqual(parseDesign({ primary_color: '#004D90' }), { primary_color: '#004D90' });
  assert.deepEqual(parseDesign('not json'), {});
  assert.deepEqual(parseDesign('[1]'), {});
  assert.deepEqual(parseDesign(undefined), {});
});

test('plugNmeet keys become rules; bad values are reported and left out', () => {
  const d = designOf(
    {
      primary_color: '#004D90',
      header_bg_color: '#2f6680',
      right_side_bg_color: '#a3ceea',
      footer_bg_color: 'red;}*{x:y',
      background_image: 'https://cms.example/bg.png',
      custom_css_url: 'ftp://cms.example/x.css',
      custom_logo: 'https://cms.example/logo.png',
    },
    undefined,
    'https://cms.example/',
  );
  assert.match(d.css, /:root \{ --accent: #004D90 !important; --accent-2: #004D90 !important; --accent-fill: #004D90 !important; \}/);
  assert.match(d.css, /\.topbar \{ background: #2f6680 !important; \}/);
  assert.match(d.css, /\.panel \{ background: #a3ceea !important; \}/);
  assert.match(d.css, /\.pill\.primary[^{]*\{ background: #004D90 !important; \}/); // the primary colour colours primary buttons too
  assert.match(d.css, /url\("https:\/\/cms\.example\/bg\.png"\)/);
  assert.ok(!d.css.includes('red;'));
  assert.equal(d.logo, 'https://cms.example/logo.png');
  assert.equal(d.stylesheet, '');
  assert.deepEqual(d.ignored.sort(), ['custom_css_url', 'footer_bg_color']);
});

test('customLogo (Moodle) gives the logo when the design has none', () => {
  assert.equal(designOf({}, { main_logo_light: 'https://m.example/l.png', main_logo_dark: 'https://m.example/d.png' }).logo, 'https://m.example/d.png');
  assert.equal(designOf({}, undefined).logo, '');
  assert.equal(designOf({}, undefined).css, '');
});
