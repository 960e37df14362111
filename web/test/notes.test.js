import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notesAllowed, notesLocked, parseNotesMessage, toBase64, fromBase64, Seqs, NOTES_TOPIC } from '../src/notes.js';

const joinWith = (f) => ({ room_metadata: { room_features: f } });

test('notesAllowed mirrors the server', () => {
  assert.equal(notesAllowed(joinWith({})), false);
  assert.equal(notesAllowed(joinWith({ shared_note_pad_features: {} })), true);
  assert.equal(notesAllowed(joinWith({ shared_note_pad_features: { is_allow: true } })), true);
  assert.equal(notesAllowed(joinWith({ shared_note_pad_features: { is_allow: false } })), false);
  assert.equal(notesAllowed(joinWith({ shared_note_pad_features: { allowed_shared_note_pad: false } })), false);
  assert.equal(notesAllowed({}), false);
});

test('notesLocked never locks a moderator', () => {
  assert.equal(notesLocked(false, { lock_shared_notepad: true }), true);
  assert.equal(notesLocked(true, { lock_shared_notepad: true }), false);
  assert.equal(notesLocked(false, { lock_shared_notepad: false }), false);
  assert.equal(notesLocked(false, {}), false);
});

test('parseNotesMessage reads the server messages only', () => {
  const m = JSON.stringify({ type: 'update', doc: 'notes', seq: 3, from: 'ann', update: 'AQI=' });
  assert.deepEqual(parseNotesMessage(NOTES_TOPIC, new TextEncoder().encode(m), undefined), { doc: 'notes', seq: 3, from: 'ann', update: 'AQI=' });
  assert.equal(parseNotesMessage(NOTES_TOPIC, m, { identity: 'bob' }), null); // from a participant
  assert.equal(parseNotesMessage('chat', m, undefined), null);
  assert.equal(parseNotesMessage(NOTES_TOPIC, '{"type":"update","seq":0}', undefined), null);
  assert.equal(parseNotesMessage(NOTES_TOPIC, 'not json', undefined), null);
  assert.equal(parseNotesMessage(NOTES_TOPIC, '{"type":"update","seq":4}', undefined).update, null); // too large to carry
});

test('base64 round trip', () => {
  const b = new Uint8Array(70000).map((_, i) => i % 251);
  assert.deepEqual(fromBase64(toBase64(b)), b);
  assert.equal(toBase64(new Uint8Array([1, 2])), 'AQI=');
});

test('Seqs: seen moves over what the page has all of', () => {
  const s = new Seqs();
  assert.equal(s.add(2), true);
  assert.equal(s.seen, 0);
  assert.equal(s.gap, true);
  assert.equal(s.add(1), true);
  assert.equal(s.seen, 2);
  assert.equal(s.gap, false);
  assert.equal(s.add(2), false);
  s.add(3);
  s.add(5);
  assert.equal(s.seen, 3);
  assert.equal(s.gap, true);
  s.know(9); // a message without its update
  s.reach(7); // a fetch's answer: everything up to 7
  assert.equal(s.seen, 7);
  assert.equal(s.gap, true);
  s.add(8);
  s.add(9);
  assert.equal(s.seen, 9);
  assert.equal(s.gap, false);
  assert.equal(s.have.size, 0);
});
