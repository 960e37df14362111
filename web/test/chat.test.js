import test from 'node:test';
import assert from 'node:assert/strict';
import { chatRules, parseServerMessage, fileAllowed, formatSize, CHAT_TOPIC, REACTIONS_TOPIC } from '../src/chat.js';

const joinOf = (features) => ({ room_metadata: { room_features: features } });

test('chat rules follow the room and the locks', () => {
  const all = chatRules(joinOf({ chat_features: { allow_chat: true, allow_file_upload: true, max_file_size: 2, allowed_file_types: ['.PNG', 'pdf'] } }), {});
  assert.deepEqual(all, { private: true, privateToAdmins: true, files: true, reactions: true, maxFileBytes: 2 * 1024 * 1024, fileTypes: ['png', 'pdf'] });
  const locked = chatRules(joinOf({ chat_features: {} }), { lock_private_chat: true, lock_chat_file_share: true, lock_reactions: true });
  assert.equal(locked.private, false);
  assert.equal(locked.privateToAdmins, true);
  assert.equal(locked.files, false);
  assert.equal(locked.reactions, false);
  const mute = chatRules(joinOf({ chat_features: {} }), { lock_chat_send_message: true });
  assert.equal(mute.private || mute.files, false);
  assert.equal(chatRules(joinOf({ allow_reactions: false, chat_features: { allow_file_upload: false } }), {}).reactions, false);
  assert.equal(chatRules(joinOf({ chat_features: { allow_file_upload: false } }), {}).files, false);
  assert.equal(chatRules(joinOf({ chat_features: { max_file_size: '50' } }), {}).maxFileBytes, 50 * 1024 * 1024);
  // an encrypted chat shares no files: the server would see them
  assert.equal(chatRules({ ...joinOf({ chat_features: {} }), e2ee: { enabled: true, include_chat: true } }, {}).files, false);
});

test('chat and reactions come from the server only', () => {
  const chat = JSON.stringify({ type: 'chat', msg_id: 'CM_1', from_user_id: 'bob', from_name: 'Bob', message: 'hi', sent_at: 1 });
  assert.equal(parseServerMessage(CHAT_TOPIC, chat, null).message, 'hi');
  assert.equal(parseServerMessage(CHAT_TOPIC, chat, { identity: 'mallory' }), null);
  assert.equal(parseServerMessage('chat', chat, null), null);
  assert.equal(parseServerMessage(CHAT_TOPIC, '{', null), null);
  assert.equal(parseServerMessage(CHAT_TOPIC, JSON.stringify({ type: 'chat', from_user_id: 'bob' }), null), null);
  const r = JSON.stringify({ type: 'reaction', emoji: '👍', from_user_id: 'bob', from_name: 'Bob' });
  assert.deepEqual(parseServerMessage(REACTIONS_TOPIC, new TextEncoder().encode(r), null), { kind: 'reaction', emoji: '👍', from: 'bob', name: 'Bob' });
  assert.equal(parseServerMessage(REACTIONS_TOPIC, JSON.stringify({ type: 'reaction', emoji: '💩', from_user_id: 'bob' }), null), null);
});

test('files are checked before they go up', () => {
  const rules = { fileTypes: ['png'], maxFileBytes: 1024 };
  assert.equal(fileAllowed(rules, 'a.PNG', 10), '');
  assert.match(fileAllowed(rules, 'a.exe', 10), /type \.exe/);
  assert.match(fileAllowed(rules, 'a.png', 2048), /larger/);
  assert.match(fileAllowed(rules, 'a.png', 0), /empty/);
  assert.equal(fileAllowed({ fileTypes: [], maxFileBytes: 1024 }, 'noext', 1), '');
  assert.equal(formatSize(512), '512 B');
  assert.equal(formatSize(2048), '2.0 KB');
  assert.equal(formatSize(3 * 1024 * 1024), '3.0 MB');
});
