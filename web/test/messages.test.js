import test from 'node:test';
import assert from 'node:assert/strict';
import { encode, chatMessage, handRaised, parse } from '../src/messages.js';

test('chat from a participant is attributed to that participant', () => {
  const m = parse('chat', encode(chatMessage('system', 'System', 'hi', 5)), { identity: 'u1', name: 'Ann' });
  assert.deepEqual(m, { kind: 'chat', fromUserId: 'u1', fromName: 'Ann', message: 'hi', sentAt: 5, system: false });
});

test('chat from the server is a system message', () => {
  const payload = encode({ type: 'chat', from_user_id: 'system', from_name: 'System', message: 'Welcome', sent_at: 7 });
  assert.deepEqual(parse('chat', payload, null), {
    kind: 'chat',
    fromUserId: 'system',
    fromName: 'System',
    message: 'Welcome',
    sentAt: 7,
    system: true,
  });
});

test('notifications only from the server', () => {
  const payload = encode({ type: 'notification', text: 'Recording started', notification_type: 'warning', with_sound: true });
  assert.deepEqual(parse('notification', payload, null), {
    kind: 'notification',
    text: 'Recording started',
    level: 'warning',
    withSound: true,
  });
  assert.equal(parse('notification', payload, { identity: 'u1', name: 'x' }), null);
  const odd = encode({ type: 'notification', text: 'x', notification_type: 'boom' });
  assert.equal(parse('notification', odd, null).level, 'info');
});

test('hand', () => {
  // hands are a participant attribute the server sets, never a data message
  assert.equal(handRaised({ hand: '1' }), true);
  assert.equal(handRaised({ hand: '' }), false);
  assert.equal(handRaised({}), false);
  assert.equal(handRaised(undefined), false);
  assert.equal(parse('hand', encode({ type: 'hand', raised: true }), { identity: 'u1', name: 'Ann' }), null);
});

test('junk is ignored', () => {
  assert.equal(parse('chat', new TextEncoder().encode('not json'), null), null);
  assert.equal(parse('chat', encode({ type: 'chat', message: '   ' }), null), null);
  assert.equal(parse('chat', encode({ type: 'hand', raised: true }), null), null);
  assert.equal(parse('other', encode({ type: 'chat', message: 'x' }), null), null);
  assert.equal(parse('chat', encode([1, 2]), null), null);
});
