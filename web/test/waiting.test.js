import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitingView, arrivals } from '../src/waitinglogic.js';

test('waitingView: waiting with the room message, rejected with the reason, admitted', () => {
  assert.deepEqual(waitingView({ waiting: true, waiting_state: 'waiting', waiting_room_msg: ' Soon ' }), { state: 'waiting', message: 'Soon', reason: '' });
  assert.equal(waitingView({ waiting: true, waiting_state: 'waiting' }).message, 'Please wait: a moderator will let you in soon.');
  assert.deepEqual(waitingView({ waiting: true, waiting_state: 'rejected', reject_reason: 'Full' }).reason, 'Full');
  assert.equal(waitingView({ status: true, livekit_token: 'x' }).state, 'admitted');
});

test('arrivals: only the new ones', () => {
  assert.deepEqual(arrivals(new Set(['a']), [{ user_id: 'a' }, { user_id: 'b' }]), ['b']);
  assert.deepEqual(arrivals(new Set(), null), []);
});
