import test from 'node:test';
import assert from 'node:assert/strict';
import { remainingMs, formatRemaining, planOf, banner } from '../src/breakout.js';

test('time left follows the server clock and never goes negative', () => {
  assert.equal(remainingMs(100, 40_000, 0), 60_000);
  assert.equal(remainingMs(100, 40_000, 10_000), 50_000); // this clock is 10 s behind
  assert.equal(remainingMs(100, 200_000, 0), 0);
});

test('time left is shown as m:ss or h:mm:ss', () => {
  assert.equal(formatRemaining(0), '0:00');
  assert.equal(formatRemaining(59_001), '1:00');
  assert.equal(formatRemaining(9 * 60_000 + 5_000), '9:05');
  assert.equal(formatRemaining(3_600_000 + 61_000), '1:01:01');
});

test('a plan by hand puts each user in the chosen room, none for the main room', () => {
  const rooms = planOf(new Map([['ann', 1], ['bob', 2], ['cid', 0], ['dan', 1], ['eve', 7]]), 2, ['Red']);
  assert.deepEqual(rooms, [
    { title: 'Red', users: [{ id: 'ann' }, { id: 'dan' }] },
    { title: '', users: [{ id: 'bob' }] },
  ]);
});

test('the banner says where the user is or may go', () => {
  const state = {
    is_admin: false,
    mine: 'r-br2',
    rooms: [
      { room_id: 'r-br1', title: 'One', ends_at: 50, is_running: true },
      { room_id: 'r-br2', title: 'Two', ends_at: 60, is_running: true },
    ],
  };
  assert.deepEqual(banner(state, null), { kind: 'invited', title: 'Two', endsAt: 60, roomId: 'r-br2' });
  assert.deepEqual(banner({ ...state, mine: '' }, null), { kind: 'running', title: '', endsAt: 50, admin: false });
  assert.deepEqual(banner(state, { room_id: 'r-br2', title: 'Two', ends_at: 70 }), { kind: 'inside', title: 'Two', endsAt: 70 });
  assert.equal(banner({ rooms: [{ room_id: 'x', ends_at: 1, is_running: false }] }, null), null);
  assert.equal(banner(null, null), null);
});
