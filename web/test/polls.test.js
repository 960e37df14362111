import test from 'node:test';
import assert from 'node:assert/strict';
import { pollsAllowed, parseOptions, parsePollMessage, share, POLLS_TOPIC } from '../src/polls.js';

test('polls are allowed when polls_features is present and not switched off', () => {
  assert.equal(pollsAllowed({ room_metadata: { room_features: {} } }), false);
  assert.equal(pollsAllowed({ room_metadata: { room_features: { polls_features: {} } } }), true);
  assert.equal(pollsAllowed({ room_metadata: { room_features: { polls_features: { is_allow: true } } } }), true);
  assert.equal(pollsAllowed({ room_metadata: { room_features: { polls_features: { is_allow: false } } } }), false);
  assert.equal(pollsAllowed(null), false);
});

test('options: one a line, 2 to 10, no repeats', () => {
  assert.deepEqual(parseOptions(' Tea \n\nCoffee\n'), { options: ['Tea', 'Coffee'] });
  assert.ok(parseOptions('only').error);
  assert.ok(parseOptions('').error);
  assert.ok(parseOptions(Array.from({ length: 11 }, (_, i) => `o${i}`).join('\n')).error);
  assert.equal(parseOptions(Array.from({ length: 10 }, (_, i) => `o${i}`).join('\n')).options.length, 10);
  assert.match(parseOptions('Yes\nyes').error, /twice/);
});

test('poll messages come from the server only', () => {
  const payload = new TextEncoder().encode(JSON.stringify({ type: 'poll_created', poll_id: 'PL_1' }));
  assert.deepEqual(parsePollMessage(POLLS_TOPIC, payload, null), { type: 'poll_created', pollId: 'PL_1' });
  assert.equal(parsePollMessage(POLLS_TOPIC, payload, { identity: 'bob' }), null);
  assert.equal(parsePollMessage('chat', payload, null), null);
  assert.equal(parsePollMessage(POLLS_TOPIC, new TextEncoder().encode('{'), null), null);
  assert.equal(parsePollMessage(POLLS_TOPIC, JSON.stringify({ type: 'other', poll_id: 'x' }), null), null);
});

test('shares are whole percents', () => {
  assert.equal(share(0, 0), 0);
  assert.equal(share(1, 3), 33);
  assert.equal(share(2, 3), 67);
  assert.equal(share(3, 3), 100);
});
