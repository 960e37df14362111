import test from 'node:test';
import assert from 'node:assert/strict';
import { e2eeOf, checkTypedKey, chatKey, sealChat, openChat, isSealed, storageKey } from '../src/e2ee-crypto.js';
import { chatMessage } from '../src/messages.js';

test('e2eeOf reads the join answer', () => {
  assert.deepEqual(e2eeOf({}), { enabled: false, selfInsertKey: false, includeChat: false, key: '' });
  assert.deepEqual(e2eeOf({ e2ee: { enabled: false, self_insert_key: true, key: 'x' } }), {
    enabled: false, selfInsertKey: false, includeChat: false, key: '',
  });
  assert.deepEqual(e2eeOf({ e2ee: { enabled: true, include_chat: true, key: 'k'.repeat(43) } }), {
    enabled: true, selfInsertKey: false, includeChat: true, key: 'k'.repeat(43),
  });
  assert.equal(e2eeOf({ e2ee: { enabled: true, self_insert_key: true } }).selfInsertKey, true);
});

test('typed keys need a length', () => {
  assert.notEqual(checkTypedKey(''), '');
  assert.notEqual(checkTypedKey('  short '), '');
  assert.equal(checkTypedKey('long enough'), '');
  assert.equal(storageKey('RM_1'), 'meetd.e2ee.RM_1');
});

test('chat sealed with a key opens with the same secret only', async () => {
  const k1 = await chatKey('the meeting secret');
  const k1again = await chatKey('the meeting secret');
  const k2 = await chatKey('another secret');
  const msg = chatMessage('ann', 'Ann', 'the plan is secret', 5);
  const sealed = await sealChat(k1, msg);
  assert.equal(isSealed(sealed), true);
  assert.equal(sealed.message, '');
  assert.ok(!JSON.stringify(sealed).includes('plan'));
  assert.deepEqual(await openChat(k1again, sealed), msg);
  assert.equal(await openChat(k2, sealed), null);
  // a changed byte, an empty or a broken payload: not opened
  const bytes = Buffer.from(sealed.e2ee, 'base64');
  bytes[bytes.length - 1] ^= 1;
  assert.equal(await openChat(k1, { ...sealed, e2ee: bytes.toString('base64') }), null);
  assert.equal(await openChat(k1, { ...sealed, e2ee: '!!' }), null);
  assert.equal(isSealed(msg), false);
  // two seals of one message differ (a fresh IV each)
  assert.notEqual((await sealChat(k1, msg)).e2ee, sealed.e2ee);
});
