import test from 'node:test';
import assert from 'node:assert/strict';
import { accessTokenOf, capabilities, lockSettingsOf, roomInfo, joinFailure, welcomeText, initials } from '../src/policy.js';

const base = { status: true, is_admin: false, room_metadata: { room_title: 'T' } };

test('absent fields mean the spec defaults', () => {
  const c = capabilities(base);
  assert.deepEqual(c, {
    isAdmin: false,
    microphone: true,
    camera: true,
    screenShare: true,
    muteOnStart: false,
    chat: true,
    chatSend: true,
    raiseHand: true,
    viewOtherWebcams: true,
    viewUsersList: true,
    record: false,
    rtmp: false,
  });
});

test('features switch controls off', () => {
  const join = {
    ...base,
    room_metadata: {
      room_features: {
        allow_webcams: false,
        allow_screen_share: false,
        mute_on_start: true,
        allow_raise_hand: false,
        allow_view_other_webcams: false,
        allow_view_other_users_list: false,
        chat_features: { allow_chat: false },
      },
    },
  };
  const c = capabilities(join);
  assert.equal(c.camera, false);
  assert.equal(c.screenShare, false);
  assert.equal(c.muteOnStart, true);
  assert.equal(c.raiseHand, false);
  assert.equal(c.viewOtherWebcams, false);
  assert.equal(c.viewUsersList, false);
  assert.equal(c.chat, false);
  const admin = capabilities({ ...join, is_admin: true });
  assert.equal(admin.viewOtherWebcams, true);
  assert.equal(admin.viewUsersList, true);
  assert.equal(admin.camera, false);
});

test('admin_only_webcams', () => {
  const join = { ...base, room_metadata: { room_features: { admin_only_webcams: true } } };
  assert.equal(capabilities(join).camera, false);
  assert.equal(capabilities({ ...join, is_admin: true }).camera, true);
});

test('locks', () => {
  const join = {
    ...base,
    lock_settings: { lock_microphone: true, lock_webcam: true, lock_screen_sharing: true, lock_chat_send_message: true },
  };
  const c = capabilities(join);
  assert.equal(c.microphone, false);
  assert.equal(c.camera, false);
  assert.equal(c.screenShare, false);
  assert.equal(c.chat, true);
  assert.equal(c.chatSend, false);
  assert.equal(capabilities({ ...base, lock_settings: { lock_chat: true } }).chatSend, false);
});

test('room default locks apply when the user has none', () => {
  const join = { ...base, room_metadata: { default_lock_settings: { lock_webcam: true } } };
  assert.deepEqual(lockSettingsOf(join), { lock_webcam: true });
  assert.equal(capabilities(join).camera, false);
  assert.deepEqual(lockSettingsOf({ ...join, is_admin: true }), {});
  assert.deepEqual(lockSettingsOf({ ...join, lock_settings: {} }), {});
});

test('metadata given as a JSON string', () => {
  const join = { ...base, room_metadata: JSON.stringify({ room_features: { allow_webcams: false } }) };
  assert.equal(capabilities(join).camera, false);
});

test('LiveKit permissions can only take away', () => {
  assert.equal(capabilities(base, {}, { canPublish: false }).microphone, false);
  const c = capabilities(base, {}, { canPublish: true, canPublishSources: [2], canPublishData: false });
  assert.equal(c.microphone, true);
  assert.equal(c.camera, false);
  assert.equal(c.screenShare, false);
  assert.equal(c.chatSend, false);
  const off = { ...base, room_metadata: { room_features: { allow_webcams: false } } };
  assert.equal(capabilities(off, {}, { canPublish: true, canPublishSources: [] }).camera, false);
});

test('roomInfo', () => {
  const i = roomInfo({ room_title: 'Math', room_metadata: { welcome_message: 'Hi', logout_url: 'https://lms.example/x' } });
  assert.deepEqual(i, { title: 'Math', welcome: 'Hi', logoutUrl: 'https://lms.example/x' });
  assert.equal(roomInfo({ room_metadata: { logout_url: 'javascript:alert(1)' } }).logoutUrl, '');
});

test('join failures', () => {
  const cases = [
    [{ status_code: 'INVALID_TOKEN_OR_SIGNATURE' }, 'error', 'This meeting link is invalid or has expired.'],
    [{ status_code: 'ROOM_NOT_ACTIVE' }, 'error', 'This meeting is not running.'],
    [{ status_code: 'ROOM_NOT_FOUND' }, 'error', 'This meeting is not running.'],
    [{ status_code: 'USER_BLOCKED' }, 'removed', 'You have been removed from this meeting.'],
    [{ status_code: 'PERMISSION_DENIED', msg: 'room is full' }, 'error', 'room is full'],
    [{ status_code: 'INTERNAL_SERVER_ERROR', msg: 'The room is full (max 2)' }, 'error', 'The room is full (max 2)'],
    [{ status_code: 'INTERNAL_SERVER_ERROR', msg: '' }, 'error', 'Could not join the meeting.'],
  ];
  for (const [resp, state, message] of cases) {
    assert.deepEqual(joinFailure({ status: false, ...resp }), { state, message });
  }
});

test('welcomeText strips markup', () => {
  assert.equal(welcomeText('<p>Hello <b>all</b></p><p>Rules:<br>be kind &amp; <script>x</script></p>'), 'Hello all\n\nRules:\nbe kind & x');
});

test('initials', () => {
  assert.equal(initials('ada lovelace'), 'AL');
  assert.equal(initials('Émile'), 'É');
  assert.equal(initials('  '), '?');
});

test('recording and broadcast controls: admins only, when the room allows them', () => {
  const admin = { ...base, is_admin: true };
  assert.equal(capabilities(admin).record, true);
  assert.equal(capabilities(admin).rtmp, true);
  assert.equal(capabilities({ ...base, is_admin: false }).record, false);
  assert.equal(capabilities({ ...base, is_admin: false }).rtmp, false);
  const off = { ...admin, room_metadata: { room_features: { allow_rtmp: false, recording_features: { is_allow_cloud: false } } } };
  assert.equal(capabilities(off).record, false);
  assert.equal(capabilities(off).rtmp, false);
});

test('the access token comes from the URL, else from the pnm_access_token cookie', () => {
  assert.equal(accessTokenOf('?access_token=a.b.c', 'pnm_access_token=x.y.z'), 'a.b.c');
  assert.equal(accessTokenOf('', 'pnm_access_token=x.y.z'), 'x.y.z');
  assert.equal(accessTokenOf('?access_token=', 'other=1; pnm_access_token=x.y.z; more=2'), 'x.y.z');
  assert.equal(accessTokenOf('?foo=1', 'pnm_access_token="x.y.z"'), 'x.y.z');
  assert.equal(accessTokenOf('', 'pnm_access_token=x%2Ey.z'), 'x.y.z');
  assert.equal(accessTokenOf('', 'xpnm_access_token=x.y.z; pnm_access_token_old=1'), '');
  assert.equal(accessTokenOf('', 'pnm_access_token=; pnm_access_token=late'), 'late');
  assert.equal(accessTokenOf('', ''), '');
  assert.equal(accessTokenOf(undefined, undefined), '');
});
