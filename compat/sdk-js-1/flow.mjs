// The full flow of the published plugNmeet JS SDK 1.4.1 (npm) against a meetd, unchanged: every
// call the SDK has, with the request shapes of its types, and the answers read as the SDK's types
// say (doc/api.md, "Two dialects": the documented one). Run by cmd/meetd's TestSDKJS1Flow with
// MEETD_URL, MEETD_API_KEY and MEETD_API_SECRET; prints one line per step, exits 1 at the first
// step whose answer is not what an integration of this SDK expects.
import sdk from 'plugnmeet-sdk-js'; // a CommonJS module

const { PlugNmeet } = sdk;

const url = process.env.MEETD_URL;
const pnm = new PlugNmeet(url, process.env.MEETD_API_KEY, process.env.MEETD_API_SECRET);
const room = 'sdk-js-1';

function check(step, ok, res) {
  if (!ok) {
    console.log(`FAIL ${step}: ${JSON.stringify(res)}`);
    process.exit(1);
  }
  console.log(`ok ${step}`);
}

let res = await pnm.isRoomActive({ room_id: room });
check('isRoomActive before create', res.status === true && res.is_active === false, res);

res = await pnm.createRoom({
  room_id: room,
  max_participants: 10,
  empty_timeout: 600,
  metadata: {
    room_title: 'JS SDK 1',
    welcome_message: 'Welcome',
    room_features: {
      allow_webcams: true,
      mute_on_start: false,
      allow_screen_share: true,
      allow_rtmp: true,
      admin_only_webcams: false,
      allow_view_other_webcams: true,
      allow_view_other_users_list: true,
      room_duration: 0,
      enable_analytics: true,
      recording_features: { is_allow: true, is_allow_cloud: true, is_allow_local: false, enable_auto_cloud_recording: false },
      chat_features: { allow_chat: true, allow_file_upload: false },
      shared_note_pad_features: { allowed_shared_note_pad: false },
      whiteboard_features: { allowed_whiteboard: false },
      breakout_room_features: { is_allow: false, allowed_number_rooms: 2 },
      waiting_room_features: { is_active: false },
    },
    default_lock_settings: {
      lock_microphone: false,
      lock_webcam: false,
      lock_screen_sharing: true,
      lock_whiteboard: true,
      lock_shared_notepad: true,
      lock_chat: false,
      lock_chat_send_message: false,
      lock_chat_file_share: false,
    },
    extra_data: 'course 3',
  },
});
check('createRoom', res.status === true && res.room_info && res.room_info.is_running === true &&
  typeof res.room_info.sid === 'string' && res.room_info.room_id === room, res);
const sid = res.room_info.sid;
const metadata = JSON.parse(res.room_info.metadata);
check('room metadata', metadata.room_title === 'JS SDK 1' && metadata.extra_data === 'course 3', metadata);

res = await pnm.getJoinToken({
  room_id: room,
  user_info: { name: 'Ann', user_id: 'ann', is_admin: true, is_hidden: false, user_metadata: { preferred_lang: 'en' } },
});
check('getJoinToken', res.status === true && typeof res.token === 'string' && res.token.length > 20, res);

res = await pnm.isRoomActive({ room_id: room });
check('isRoomActive', res.status === true && res.is_active === true, res);

res = await pnm.getActiveRoomInfo({ room_id: room });
check('getActiveRoomInfo', res.status === true && res.room.room_info.sid === sid &&
  res.room.room_info.is_running === true && res.room.room_info.is_recording === false &&
  typeof res.room.room_info.creation_time === 'number' && Array.isArray(res.room.participants_info), res);

res = await pnm.getActiveRoomsInfo();
check('getActiveRoomsInfo', res.status === true && res.rooms.some((r) => r.room_info.sid === sid && r.room_info.is_running === true), res);

res = await pnm.fetchPastRoomsInfo({ room_ids: [room], from: 0, limit: 10, order_by: 'DESC' });
check('fetchPastRoomsInfo', res.status === true && res.result.total_rooms === 1 && res.result.rooms_list[0].room_sid === sid, res);

res = await pnm.fetchRecordings({ room_ids: [room], from: 0, limit: 10, order_by: 'DESC' });
check('fetchRecordings (none yet)', res.status === false && res.result && res.result.total_recordings === 0, res);

res = await pnm.getRecordingDownloadToken({ record_id: 'REC_none' });
check('getRecordingDownloadToken of an unknown recording', res.status === false, res);

res = await pnm.deleteRecordings({ record_id: 'REC_none' });
check('deleteRecordings of an unknown recording', res.status === false, res);

res = await pnm.endRoom({ room_id: room });
check('endRoom', res.status === true, res);

res = await pnm.isRoomActive({ room_id: room });
check('isRoomActive after endRoom', res.status === true && res.is_active === false, res);

let file;
for (let i = 0; i < 100 && !file; i++) {
  res = await pnm.fetchAnalytics({ room_ids: [room], from: 0, limit: 10, order_by: 'DESC' });
  file = res.status && res.result.analytics_list.find((a) => a.room_id === room);
  if (!file) await new Promise((r) => setTimeout(r, 100));
}
check('fetchAnalytics', file && typeof file.file_id === 'string' && file.file_size > 0, res);

res = await pnm.getAnalyticsDownloadToken({ file_id: file.file_id });
check('getAnalyticsDownloadToken', res.status === true && typeof res.token === 'string', res);
const download = await fetch(`${url}/download/analytics/${res.token}`);
check('download the analytics file', download.status === 200 && (await download.text()).length > 0, download.status);

res = await pnm.deleteAnalytics({ file_id: file.file_id });
check('deleteAnalytics', res.status === true, res);
res = await pnm.fetchAnalytics({ room_ids: [room], from: 0, limit: 10, order_by: 'DESC' });
check('fetchAnalytics after delete', !(res.result && res.result.analytics_list.some((a) => a.file_id === file.file_id)), res);

// What CMS pages that embed the meeting ask first (doc/web.md, "Embedding"): this SDK reads css and js.
res = await pnm.getClientFiles();
check('getClientFiles', res.status === true && res.css.length === 1 && /^main\.[0-9a-f]{16}\.css$/.test(res.css[0]) &&
  res.js.length === 1 && /^main-module\.[0-9a-f]{16}\.js$/.test(res.js[0]), res);
