import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boardAllowed, boardLocked, preloadURL, batchUpdates } from '../src/whiteboard.js';

const joinWith = (f) => ({ room_metadata: { room_features: f } });

test('boardAllowed mirrors the server', () => {
  assert.equal(boardAllowed(joinWith({})), false);
  assert.equal(boardAllowed(joinWith({ whiteboard_features: {} })), true);
  assert.equal(boardAllowed(joinWith({ whiteboard_features: { is_allow: true } })), true);
  assert.equal(boardAllowed(joinWith({ whiteboard_features: { is_allow: false } })), false);
  assert.equal(boardAllowed(joinWith({ whiteboard_features: { allowed_whiteboard: false } })), false);
  assert.equal(boardAllowed({}), false);
});

test('boardLocked never locks a moderator', () => {
  assert.equal(boardLocked(false, { lock_whiteboard: true }), true);
  assert.equal(boardLocked(true, { lock_whiteboard: true }), false);
  assert.equal(boardLocked(false, { lock_whiteboard: false }), false);
  assert.equal(boardLocked(false, { lock_shared_notepad: true }), false);
  assert.equal(boardLocked(false, null), false);
});

test('preloadURL takes http(s) URLs only', () => {
  assert.equal(preloadURL(joinWith({ whiteboard_features: { preload_file: 'https://lms.example/slide.png' } })), 'https://lms.example/slide.png');
  assert.equal(preloadURL(joinWith({ whiteboard_features: { preload_file: 'javascript:alert(1)' } })), '');
  assert.equal(preloadURL(joinWith({ whiteboard_features: { preload_file: '' } })), '');
  assert.equal(preloadURL(joinWith({ whiteboard_features: {} })), '');
  assert.equal(preloadURL({}), '');
});

test('batchUpdates keeps calls under the limit, at least one update each', () => {
  const u = (n) => new Uint8Array(n);
  let [batch, rest] = batchUpdates([u(10), u(20), u(30)], 35);
  assert.deepEqual([batch.length, rest.length], [2, 1]);
  [batch, rest] = batchUpdates([u(50), u(1)], 35); // one too large goes alone
  assert.deepEqual([batch.length, rest.length], [1, 1]);
  [batch, rest] = batchUpdates([], 35);
  assert.deepEqual([batch.length, rest.length], [0, 0]);
});
