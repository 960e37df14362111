// meetd meeting page: exchange the access token at /api/join, show a
// pre-join preview, then join the LiveKit room. See doc/web.md.

import './embed.js'; // first: mounts the page's markup in a CMS page before anything reads it
import {
  Room,
  RoomEvent,
  LogLevel,
  setLogLevel,
  Track,
  DisconnectReason,
  VideoPresets,
  createLocalVideoTrack,
  createLocalAudioTrack,
} from 'livekit-client';

import * as api from './api.js';
import { accessTokenOf, capabilities, lockSettingsOf, roomInfo, joinFailure, welcomeText, initials } from './policy.js';
import {
  TOPIC_CHAT,
  HAND_ATTRIBUTE,
  MAX_CHAT_LENGTH,
  encode,
  handRaised,
  parse,
} from './messages.js';
import { $, h, icon, setState, toast, beep, formatTime } from './view.js';
import { waitForAdmission, startWaitingAdmin, onWaitingData, WAITING_TOPIC } from './waiting.js';
import * as breakout from './breakout.js'; // breakout rooms
import { initPolls, onPollsData, refreshPolls } from './polls.js'; // polls
import * as chat from './chat.js'; // chat: sent through the server (history, private messages, files), reactions
import * as notes from './notes.js'; // shared notes
import * as phone from './phone.js'; // phones and tablets: the toolbar's "More" menu, one panel at a time, the tiles' shape
import * as background from './background.js'; // backgrounds: blur and virtual backgrounds of the camera
import * as whiteboard from './whiteboard.js'; // whiteboard
import * as e2ee from './e2ee.js'; // e2ee: end-to-end encryption, called at the points marked "e2ee"
import { applyDesign } from './design.js'; // the CMS's design customisation
import * as i18n from './i18n.js'; // languages
import { t } from './i18n.js';
import { embedded } from './embed.js';
import * as a11y from './a11y.js'; // a11y: live regions, speaker captions, shortcuts, focus (the points marked "a11y")

const CAMERA_RESOLUTION = VideoPresets.h720.resolution;
const LOGOUT_DELAY_MS = 3000;
// The first connection may take a while on a slow network or a loaded server: the peer connection
// gets twice livekit-client's 15 s, and the signal connection one more try (doc/web.md).
const CONNECT_OPTIONS = { peerConnectionTimeout: 30000, maxRetries: 2 };
const WIDE_SCREEN = 720; // px: from here on the chat panel starts open

setLogLevel(LogLevel.warn);

// The join token: ?access_token= in the URL, else the pnm_access_token cookie, as plugNmeet's client.
const accessToken = accessTokenOf(location.search, document.cookie);
// pageToken is for the calls made while in the meeting (moderation, hands): the join token expires
// within minutes, the meeting goes on for hours. /api/join hands it out.
let pageToken = accessToken;

let join = null; // the /api/join answer
let info = null; // roomInfo(join)
let locks = {}; // the user's effective lock settings
let caps = null; // capabilities(join, locks, permission)
let room = null;

// Pre-join choices.
let previewVideo = null; // LocalVideoTrack
let previewAudio = null; // LocalAudioTrack
let cameraId = '';
let micId = '';
let cameraOn = false;
let micOn = false;

// Meeting state.
const tiles = new Map(); // identity -> camera tile
const screens = new Map(); // identity -> screen share tile
const admins = new Set(); // remote identities whose metadata says is_admin
let leaving = false;
let finished = false;
let connecting = false; // room.connect runs: a disconnection is its failure, which it reports
let unread = 0;

a11y.initA11y(); // a11y: before the first toast
$('rejoin-button').addEventListener('click', () => location.reload());
applyDesign();
main();

async function main() {
  setState('loading', t('state.connecting'));
  // languages: the list of meetd's, fetched while the join goes on; the page shows its text once
  // the language is chosen (the join's, else the browser's)
  const languages = i18n.loadIndex(api.base);
  const browser = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  const chooseLanguage = (join) =>
    i18n.choose(api.base, languages, [join && join.preferred_lang, ...browser], embedded ? $('plugNmeet-app') : document);
  if (!accessToken) {
    await chooseLanguage(null);
    setState('error', t('join.invalid_link'));
    return;
  }
  let resp;
  try {
    resp = await api.join(accessToken);
  } catch {
    await chooseLanguage(null);
    fail('error', t('join.unreachable', { url: api.base }), true);
    return;
  }
  await chooseLanguage(resp);
  setState('loading', t('state.connecting'));
  if (!resp.status) {
    const f = joinFailure(resp);
    setState(f.state, f.message);
    return;
  }
  if (typeof resp.page_token === 'string' && resp.page_token) pageToken = resp.page_token;
  // waiting room: wait here until admitted (then on to the pre-join as usual), or rejected
  if (resp.waiting) {
    resp = await waitForAdmission(resp);
    if (!resp) return;
    if (!resp.status) {
      const f = joinFailure(resp);
      setState(f.state, f.message);
      return;
    }
    if (typeof resp.page_token === 'string' && resp.page_token) pageToken = resp.page_token;
  }
  // /waiting room
  if (!resp.livekit_url || !resp.livekit_token) {
    fail('error', t('join.incomplete'), true);
    return;
  }
  join = resp;
  info = roomInfo(join);
  locks = lockSettingsOf(join);
  if (!e2ee.init(join)) {
    setState('error', t('e2ee.unsupported')); // e2ee
    return;
  }
  caps = e2ee.restrictCaps(capabilities(join, locks)); // e2ee: no recording or broadcast
  document.title = `${info.title} · meetd`;
  await prejoin();
}

// ---------------------------------------------------------------- pre-join

async function prejoin() {
  $('prejoin-title').textContent = info.title;
  $('prejoin-name').textContent = t('prejoin.joining_as', { name: join.name || join.user_id });
  $('camera-controls').hidden = !caps.camera;
  $('mic-controls').hidden = !caps.microphone;
  $('preview-box').hidden = !caps.camera;
  if (caps.muteOnStart && caps.microphone) note(t('prejoin.muted_on_start'));
  e2ee.prejoin(join); // e2ee: the notice, and the key field for self-inserted keys
  background.initBackground(join, caps); // backgrounds
  setState('prejoin');

  cameraOn = caps.camera;
  micOn = caps.microphone && !caps.muteOnStart;

  $('join-button').addEventListener('click', enterMeeting);
  $('prejoin-camera-toggle').addEventListener('click', () => setPreviewCamera(!cameraOn));
  $('prejoin-mic-toggle').addEventListener('click', () => {
    micOn = !micOn;
    updatePrejoinButtons();
  });
  $('camera-select').addEventListener('change', async (e) => {
    cameraId = e.target.value;
    if (previewVideo) {
      try {
        await previewVideo.restartTrack({ deviceId: cameraId, resolution: CAMERA_RESOLUTION });
      } catch (err) {
        toast(t('prejoin.switch_camera_failed', { error: errText(err) }), 'error');
      }
    }
  });
  $('mic-select').addEventListener('change', async (e) => {
    micId = e.target.value;
    if (previewAudio) {
      try {
        await previewAudio.restartTrack({ deviceId: micId });
      } catch (err) {
        toast(t('prejoin.switch_mic_failed', { error: errText(err) }), 'error');
      }
    }
  });
  navigator.mediaDevices?.addEventListener?.('devicechange', fillDevices);

  // Warm up the connection to LiveKit while the person looks at the preview.
  new Room().prepareConnection(join.livekit_url, join.livekit_token).catch(() => {});

  updatePrejoinButtons();
  if (caps.camera) await setPreviewCamera(true);
  if (caps.microphone) {
    try {
      previewAudio = await createLocalAudioTrack();
      micId = previewAudio.mediaStreamTrack.getSettings().deviceId || '';
    } catch (err) {
      note(t('prejoin.mic_unavailable', { error: errText(err) }));
      micOn = false;
    }
  }
  await fillDevices();
  updatePrejoinButtons();
  $('join-button').disabled = false;
  $('join-button').focus();
}

async function setPreviewCamera(on) {
  cameraOn = on;
  if (!on && previewVideo) {
    previewVideo.detach();
    previewVideo.stop();
    previewVideo = null;
  }
  if (on && !previewVideo) {
    try {
      previewVideo = await createLocalVideoTrack({
        deviceId: cameraId || undefined,
        resolution: CAMERA_RESOLUTION,
      });
      cameraId = previewVideo.mediaStreamTrack.getSettings().deviceId || cameraId;
      previewVideo.attach($('preview-video'));
      background.backgroundCamera(previewVideo); // backgrounds
    } catch (err) {
      note(t('prejoin.camera_unavailable', { error: errText(err) }));
      cameraOn = false;
    }
  }
  updatePrejoinButtons();
}

function updatePrejoinButtons() {
  setOn($('prejoin-camera-toggle'), cameraOn);
  setOn($('prejoin-mic-toggle'), micOn);
  $('preview-box').classList.toggle('off', !cameraOn || !previewVideo);
  $('preview-initials').textContent = initials(join.name || join.user_id);
}

async function fillDevices() {
  const fill = async (kind, select, current) => {
    let devices = [];
    try {
      devices = await Room.getLocalDevices(kind, false);
    } catch {
      return;
    }
    select.replaceChildren(
      ...devices
        .filter((d) => d.deviceId)
        .map((d, i) =>
          h('option', { value: d.deviceId, selected: d.deviceId === current }, d.label || t(kind === 'videoinput' ? 'prejoin.camera_n' : 'prejoin.microphone_n', { n: i + 1 })),
        ),
    );
    select.disabled = select.options.length < 2;
  };
  if (caps.camera) await fill('videoinput', $('camera-select'), cameraId);
  if (caps.microphone) await fill('audioinput', $('mic-select'), micId);
}

function note(text) {
  $('prejoin-note').append(h('p', {}, text));
}

// ---------------------------------------------------------------- joining

async function enterMeeting() {
  if (!e2ee.takeKey(join)) return; // e2ee: a typed key that will not do stays on the pre-join step
  $('join-button').disabled = true;
  setState('loading', t('state.joining'));
  if (previewVideo) previewVideo.detach();

  room = await newRoom();
  wireRoom(room);
  await e2ee.connecting(room, renderAll); // e2ee: encrypt before connecting

  connecting = true;
  try {
    await room.connect(join.livekit_url, join.livekit_token, CONNECT_OPTIONS);
  } catch (err) {
    connecting = false;
    stopPreview();
    if (!finished) fail('error', t('state.connect_failed', { error: errText(err) }), true);
    return;
  }
  connecting = false;
  if (finished) return;

  buildMeeting();
  e2ee.joined(); // e2ee: the badge
  setState('joined');
  a11y.entered(true); // a11y: the focus to the meeting
  startWaitingAdmin(pageToken, join.is_admin, join.room_metadata?.room_features?.waiting_room_features?.is_active); // waiting room
  if (join.is_hidden) toast(t('meeting.hidden'));
  startBreakout(); // breakout rooms
  await publishPreview();
  renderAll();
}

async function newRoom() {
  return new Room({
    // adaptiveStream stays off (the library default): it pauses video whose
    // element it believes invisible, and in a background tab that belief can
    // be wrong, so people (and tests) with two meeting tabs saw a frozen
    // tile. The grid shows every participant anyway. dynacast lets the
    // publisher stop sending simulcast layers nobody receives.
    adaptiveStream: false,
    dynacast: true,
    videoCaptureDefaults: { deviceId: cameraId || undefined, resolution: CAMERA_RESOLUTION },
    audioCaptureDefaults: { deviceId: micId || undefined },
    publishDefaults: { simulcast: true },
    ...(await e2ee.roomOptions()), // e2ee: the key provider and the worker
  });
}

async function publishPreview() {
  const lp = room.localParticipant;
  // what the person chose on the pre-join step, kept for moves between rooms whatever the
  // connection's state while the tracks publish
  wantMic = wantCam = false;
  if (previewAudio && caps.microphone) {
    try {
      if (!micOn) await previewAudio.mute();
      await lp.publishTrack(previewAudio, { source: Track.Source.Microphone });
      wantMic = micOn;
    } catch (err) {
      toast(t('meeting.share_mic_failed', { error: errText(err) }), 'error');
    }
  } else if (previewAudio) {
    previewAudio.stop();
  }
  previewAudio = null;
  if (previewVideo && cameraOn && caps.camera) {
    try {
      await lp.publishTrack(previewVideo, { source: Track.Source.Camera, simulcast: true });
      wantCam = true;
    } catch (err) {
      previewVideo.stop();
      toast(t('meeting.share_camera_failed', { error: errText(err) }), 'error');
    }
  } else if (previewVideo) {
    previewVideo.stop();
  }
  previewVideo = null;
}

// ---------------------------------------------------------------- breakout rooms (breakout.js)

let switching = false; // the page is moving to another room: its disconnection is no end
// whether the microphone and camera are on, as the person left them: a room that closes under the
// page unpublishes them before the page moves, so the page does not read them then
let wantMic = false;
let wantCam = false;

function noteLocalMedia() {
  if (!room || switching || room.state !== 'connected') return;
  wantMic = room.localParticipant.isMicrophoneEnabled;
  wantCam = room.localParticipant.isCameraEnabled;
}

function startBreakout() {
  breakout.start({
    mainToken: pageToken,
    isAdmin: join.is_admin === true,
    switchRoom,
    fail,
    leaving: () => leaving,
    participants: () => participants().map((p) => ({ identity: p.identity, name: displayName(p) })),
  });
}

// switchRoom moves the page to the room of resp, an /api/join-shaped answer (a breakout room, or
// the main room again), without a new link: the camera and microphone stay as they were.
async function switchRoom(resp) {
  if (finished || !room) return false;
  noteLocalMedia();
  switching = true;
  const mic = wantMic;
  const cam = wantCam;
  setState('loading', t('state.moving', { room: resp.room_title || t('state.another_room') }));
  try {
    await room.disconnect(true);
  } catch {
    // gone already
  }
  for (const id of [...tiles.keys()]) removeTile(id);
  for (const id of [...screens.keys()]) removeScreen(id);
  admins.clear();
  $('audio-sink').replaceChildren();
  join = resp;
  info = roomInfo(join);
  locks = lockSettingsOf(join);
  caps = e2ee.restrictCaps(capabilities(join, locks)); // e2ee: the same meeting key (breakout rooms share it)
  if (typeof resp.page_token === 'string' && resp.page_token) pageToken = resp.page_token;
  recording = broadcasting = false;
  setOn($('record-button'), false);
  setOn($('rtmp-button'), false);
  room = await newRoom();
  wireRoom(room);
  await e2ee.connecting(room, renderAll); // e2ee
  try {
    await room.connect(join.livekit_url, join.livekit_token, CONNECT_OPTIONS);
  } catch (err) {
    switching = false;
    fail('error', t('state.connect_room_failed', { room: info.title, error: errText(err) }), true);
    return false;
  }
  switching = false;
  if (finished) return false;
  $('room-title').textContent = info.title;
  document.title = `${info.title} · meetd`;
  $('end-button').textContent = t(resp.breakout ? 'controls.end_breakout' : 'controls.end_all');
  for (const p of room.remoteParticipants.values()) readAdmin(p);
  notes.resetNotes(join, pageToken, locks); // shared notes: the new room's
  background.backgroundRoomChanged(join, caps); // backgrounds: the new room's allow_virtual_bg
  whiteboard.resetWhiteboard(join, pageToken, locks); // whiteboard: the new room's
  chat.resetChat(join, pageToken, room); // chat: the new room's
  applyLocalMetadata(room.localParticipant.metadata);
  setState('joined');
  a11y.entered(false); // a11y
  const welcome = welcomeText(info.welcome);
  if (resp.breakout && welcome) appendChat({ fromUserId: 'system', fromName: resp.breakout.title, message: welcome, sentAt: Date.now(), system: true });
  try {
    if (mic && caps.microphone) await room.localParticipant.setMicrophoneEnabled(true, { deviceId: micId || undefined });
    if (cam && caps.camera) await room.localParticipant.setCameraEnabled(true, { deviceId: cameraId || undefined, resolution: CAMERA_RESOLUTION });
  } catch (err) {
    console.warn('could not publish after a move', err);
    toast(t('meeting.share_media_failed', { error: errText(err) }), 'error');
  }
  $('audio-button').hidden = room.canPlaybackAudio;
  renderAll();
  return true;
}

function stopPreview() {
  previewVideo?.stop();
  previewAudio?.stop();
  previewVideo = previewAudio = null;
}

function wireRoom(r) {
  r.on(RoomEvent.ParticipantConnected, (p) => {
    a11y.participantJoined(displayName(p)); // a11y
    readAdmin(p);
    renderAll();
    breakout.participantsChanged(); // breakout rooms
  })
    .on(RoomEvent.ParticipantDisconnected, (p) => {
      if (r === room && !leaving && !switching && !finished) a11y.participantLeft(displayName(p)); // a11y
      admins.delete(p.identity);
      removeTile(p.identity);
      removeScreen(p.identity);
      renderAll();
      breakout.participantsChanged(); // breakout rooms
    })
    .on(RoomEvent.ParticipantMetadataChanged, (_m, p) => {
      if (p === r.localParticipant) applyLocalMetadata(p.metadata);
      else readAdmin(p);
      renderAll();
    })
    .on(RoomEvent.ParticipantNameChanged, () => renderAll())
    .on(RoomEvent.ParticipantAttributesChanged, (changed, p) => {
      if (!(HAND_ATTRIBUTE in changed)) return;
      if (p !== r.localParticipant && handRaised(p.attributes)) toast(t('meeting.hand_raised', { name: displayName(p) }));
      renderAll();
    })
    .on(RoomEvent.ParticipantPermissionsChanged, (_prev, p) => {
      if (p === r.localParticipant) recomputeCaps();
    })
    .on(RoomEvent.TrackPublished, () => renderAll())
    .on(RoomEvent.TrackSubscribed, (track) => {
      if (track.kind === Track.Kind.Audio) $('audio-sink').append(track.attach());
      renderAll();
    })
    .on(RoomEvent.TrackUnsubscribed, (track) => {
      if (track.kind === Track.Kind.Audio) track.detach().forEach((e) => e.remove());
      renderAll();
    })
    .on(RoomEvent.TrackUnpublished, () => renderAll())
    .on(RoomEvent.TrackSubscriptionFailed, (sid, p, err) => console.warn('could not receive a track', sid, p?.identity, String(err)))
    .on(RoomEvent.TrackMuted, (pub, p) => {
      if (p === r.localParticipant && pub.source === Track.Source.Microphone) a11y.localMicMuted(); // a11y: by a moderator?
      noteLocalMedia();
      renderAll();
    })
    .on(RoomEvent.TrackUnmuted, () => {
      noteLocalMedia();
      renderAll();
    })
    .on(RoomEvent.LocalTrackPublished, (pub) => {
      if (pub.source === Track.Source.Camera) background.backgroundCamera(pub.track); // backgrounds
      renderAll();
    })
    .on(RoomEvent.LocalTrackUnpublished, () => renderAll())
    .on(RoomEvent.ActiveSpeakersChanged, (speakers) => {
      const speaking = new Set(speakers.map((s) => s.identity));
      for (const [id, tile] of tiles) tile.root.classList.toggle('speaking', speaking.has(id));
      phone.noteSpeakers(speakers.filter((s) => s.identity !== r.localParticipant.identity).map((s) => s.identity)); // phone
      a11y.speakers(speakers.filter((s) => s !== r.localParticipant).map(displayName)); // a11y: captions
    })
    .on(RoomEvent.RecordingStatusChanged, (on) => a11y.recording(on, r)) // a11y
    .on(RoomEvent.DataReceived, (payload, p, _kind, topic) => {
      onData(topic, payload, p ? { identity: p.identity, name: p.name } : null);
    })
    .on(RoomEvent.AudioPlaybackStatusChanged, () => {
      $('audio-button').hidden = r.canPlaybackAudio;
    })
    .on(RoomEvent.MediaDevicesError, (err) => toast(t('meeting.device_error', { error: errText(err) }), 'error'))
    .on(RoomEvent.Reconnecting, () => {
      if (!finished) setState('reconnecting', t('state.reconnecting'));
    })
    .on(RoomEvent.Reconnected, () => {
      if (!finished) setState('joined');
      renderAll();
      refreshPolls(); // polls: what changed while the connection was down
      chat.loadHistory(); // chat: messages sent while the connection was down
      notes.refreshNotes(); // shared notes: the updates missed meanwhile
      whiteboard.refreshWhiteboard(); // whiteboard: the updates missed meanwhile
    })
    .on(RoomEvent.Disconnected, (reason) => {
      if (r === room) onDisconnected(reason); // a room the page moved away from says nothing
    });
}

function onDisconnected(reason) {
  if (finished || switching || connecting) return;
  if (leaving || reason === DisconnectReason.CLIENT_INITIATED) {
    fail('left', t('state.left'), true);
    return;
  }
  if (reason !== DisconnectReason.PARTICIPANT_REMOVED && breakout.onDisconnected()) return; // breakout rooms
  switch (reason) {
    case DisconnectReason.PARTICIPANT_REMOVED:
      fail('removed', t('join.removed'));
      break;
    case DisconnectReason.ROOM_DELETED:
      fail('ended', t('state.ended'));
      break;
    case DisconnectReason.DUPLICATE_IDENTITY:
      fail('error', t('state.duplicate'));
      break;
    default:
      fail('error', t('state.lost'), true);
  }
}

// fail shows a final state, releases camera and microphone, and follows the
// room's logout_url after the meeting ended or the person left.
function fail(state, message, canRejoin = false) {
  if (finished) return;
  finished = true;
  stopPreview();
  for (const id of [...tiles.keys()]) removeTile(id);
  for (const id of [...screens.keys()]) removeScreen(id);
  $('audio-sink').replaceChildren();
  $('audio-button').hidden = true;
  if (room) {
    for (const pub of room.localParticipant.trackPublications.values()) pub.track?.stop();
  }
  let detail = '';
  if ((state === 'ended' || state === 'left') && info?.logoutUrl) {
    detail = t('state.taking_back');
    setTimeout(() => location.assign(info.logoutUrl), LOGOUT_DELAY_MS);
    canRejoin = false;
  }
  setState(state, message, detail);
  a11y.announce(message); // a11y: the meeting ended, or why the page stops
  $('rejoin-button').hidden = !canRejoin;
}

// ---------------------------------------------------------------- meeting UI

function buildMeeting() {
  $('room-title').textContent = info.title;
  for (const p of room.remoteParticipants.values()) readAdmin(p);
  applyLocalMetadata(room.localParticipant.metadata);

  $('mic-button').addEventListener('click', toggleMic);
  $('camera-button').addEventListener('click', toggleCamera);
  $('screen-button').addEventListener('click', toggleScreen);
  $('hand-button').addEventListener('click', toggleHand);
  $('participants-button').addEventListener('click', () => togglePanel('participants-panel'));
  $('chat-button').addEventListener('click', () => {
    togglePanel('chat-panel');
    a11y.chatToggled(); // a11y: the focus to the input
  });
  for (const b of document.querySelectorAll('.panel-close[data-panel]')) {
    b.addEventListener('click', () => showPanel(b.dataset.panel, false));
  }
  $('leave-button').addEventListener('click', leave);
  $('end-button').addEventListener('click', () => moderate({ action: 'end' }, t('meeting.ending')));
  $('record-button').addEventListener('click', toggleRecording);
  $('rtmp-button').addEventListener('click', toggleBroadcast);
  $('audio-button').addEventListener('click', () => room.startAudio().catch(() => {}));
  $('chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sendChat();
  });
  $('chat-input').maxLength = MAX_CHAT_LENGTH;
  $('participants-list').addEventListener('click', onParticipantsClick);
  new ResizeObserver(layout).observe($('stage'));

  const welcome = welcomeText(info.welcome);
  if (welcome) {
    const w = $('welcome-message');
    w.textContent = welcome;
    w.hidden = false;
    if (!caps.chat) {
      // No chat panel: show it as a banner over the stage instead.
      w.classList.add('banner');
      w.append(h('button', { class: 'banner-close', 'aria-label': t('common.close'), onclick: () => (w.hidden = true) }, '×'));
      $('stage').prepend(w);
    }
  }
  phone.initPhone(layout); // phone
  showPanel('chat-panel', caps.chat && window.innerWidth >= WIDE_SCREEN && !phone.isPhone());
  $('audio-button').hidden = room.canPlaybackAudio;
  initPolls(join, pageToken); // polls
  chat.initChat(join, pageToken, room, appendChat, e2ee); // chat (e2ee: seals and opens)
  notes.initNotes(join, pageToken, locks); // shared notes
  whiteboard.initWhiteboard(join, pageToken, locks); // whiteboard
}

function applyLocalMetadata(metadata) {
  const m = parseJSON(metadata);
  if (m && m.lock_settings && typeof m.lock_settings === 'object') {
    locks = { ...locks, ...m.lock_settings };
  }
  notes.notesLocksChanged(locks); // shared notes
  whiteboard.whiteboardLocksChanged(locks); // whiteboard
  recomputeCaps();
}

function recomputeCaps() {
  if (!room) return;
  const before = caps;
  caps = e2ee.restrictCaps(capabilities(join, locks, room.localParticipant.permissions || null)); // e2ee
  if (before && before.chatSend && !caps.chatSend) toast(t('meeting.chat_locked_toast'), 'warning');
  renderAll();
}

function readAdmin(p) {
  const m = parseJSON(p.metadata);
  if (m && m.is_admin === true) admins.add(p.identity);
  else admins.delete(p.identity);
}

// applyVideoVisibility stops receiving other people's webcams when the room
// does not allow seeing them (admins' webcams stay visible).
function applyVideoVisibility(p) {
  if (p === room.localParticipant) return;
  const pub = p.getTrackPublication(Track.Source.Camera);
  if (!pub) return;
  const want = caps.viewOtherWebcams || admins.has(p.identity);
  if (pub.isDesired !== want) pub.setSubscribed(want);
}

function participants() {
  if (!room) return [];
  return [room.localParticipant, ...room.remoteParticipants.values()];
}

function renderAll() {
  if (!room || finished) return;
  for (const p of participants()) {
    applyVideoVisibility(p);
    renderTile(p);
    renderScreen(p);
  }
  renderParticipantsList();
  updateControls();
  layout();
}

function displayName(p) {
  return p.name || p.identity;
}

function renderTile(p) {
  const local = p === room.localParticipant;
  let tile = tiles.get(p.identity);
  if (!tile) {
    const video = h('video', {
      class: local ? 'local-video' : 'remote-video',
      'data-identity': local ? null : p.identity,
      autoplay: true,
      playsinline: true,
      muted: true,
    });
    video.muted = true;
    tile = {
      video,
      track: null,
      avatar: h('div', { class: 'avatar' }),
      name: h('span', { class: 'tile-name' }),
      root: null,
    };
    tile.root = h(
      'div',
      { class: local ? 'tile local' : 'tile', 'data-identity': p.identity },
      video,
      tile.avatar,
      h('span', { class: 'tile-hand', title: t('tile.hand_raised'), role: 'img', 'aria-label': t('tile.hand_raised') }, icon('hand')),
      h('div', { class: 'tile-footer' }, h('span', { class: 'tile-mic', title: t('tile.mic_off') }, icon('mic-off')), tile.name),
    );
    tiles.set(p.identity, tile);
    if (local) $('grid').prepend(tile.root);
    else $('grid').append(tile.root);
  }
  tile.name.textContent = local ? t('tile.you', { name: displayName(p) }) : displayName(p);
  tile.avatar.textContent = initials(displayName(p));

  const cam = p.getTrackPublication(Track.Source.Camera);
  const track = cam && cam.track && !cam.isMuted && (local || caps.viewOtherWebcams || admins.has(p.identity)) ? cam.track : null;
  if (tile.track !== track) {
    if (tile.track) tile.track.detach(tile.video);
    if (track) track.attach(tile.video);
    tile.track = track;
  }
  const mic = p.getTrackPublication(Track.Source.Microphone);
  const micLive = !!mic && !mic.isMuted;
  tile.root.classList.toggle('has-video', !!track);
  tile.root.classList.toggle('mic-muted', !micLive);
  tile.root.classList.toggle('hand-raised', handRaised(p.attributes));
  tile.root.classList.toggle('speaking', p.isSpeaking);
  tile.root.classList.toggle('e2ee-failed', !local && e2ee.cannotDecrypt(p.identity)); // e2ee
  if (!local && e2ee.cannotDecrypt(p.identity)) tile.root.dataset.e2eeMessage = t('e2ee.tile_failed');
  tile.root.dataset.mic = micLive ? 'on' : 'off';
  // why a tile shows no picture, for people debugging a meeting (and for tests)
  tile.root.dataset.cam = track ? 'on' : !cam ? 'none' : cam.isMuted ? 'muted' : !cam.track ? 'unsubscribed' : 'hidden';
}

function removeTile(identity) {
  const tile = tiles.get(identity);
  if (!tile) return;
  tile.track?.detach(tile.video);
  tile.root.remove();
  tiles.delete(identity);
}

function renderScreen(p) {
  const local = p === room.localParticipant;
  const pub = p.getTrackPublication(Track.Source.ScreenShare);
  const track = pub && pub.track && !pub.isMuted ? pub.track : null;
  if (!track) {
    removeScreen(p.identity);
    return;
  }
  let s = screens.get(p.identity);
  if (!s) {
    const label = h('div', { class: 'screen-label' }, icon('monitor'), h('span', {}));
    if (local) {
      // Showing your own screen inside your screen makes a hall of mirrors.
      s = {
        root: h(
          'div',
          { class: 'screen-tile local', 'data-identity': p.identity },
          h('div', { class: 'presenting' }, h('p', {}, t('screen.presenting')), h('button', { class: 'pill', onclick: toggleScreen }, t('screen.stop'))),
          label,
        ),
        track: null,
        video: null,
        label,
      };
    } else {
      const video = h('video', { class: 'screen-video', 'data-identity': p.identity, autoplay: true, playsinline: true, muted: true });
      video.muted = true;
      s = { root: h('div', { class: 'screen-tile', 'data-identity': p.identity }, video, label), track: null, video, label };
      phone.screenTools(s.root, video); // phone: full screen
    }
    screens.set(p.identity, s);
    $('screen-area').append(s.root);
  }
  s.label.lastChild.textContent = local ? t('screen.yours') : t('screen.of', { name: displayName(p) });
  if (s.video && s.track !== track) {
    if (s.track) s.track.detach(s.video);
    track.attach(s.video);
    s.track = track;
  }
}

function removeScreen(identity) {
  const s = screens.get(identity);
  if (!s) return;
  if (s.video) s.track?.detach(s.video);
  s.root.remove();
  screens.delete(identity);
}

// layout sizes the tiles: the largest 16:9 tiles that fit the stage, in the
// best number of columns (a strip under the screen share when there is one).
function layout() {
  const grid = $('grid');
  const hasScreen = screens.size > 0;
  $('stage').classList.toggle('has-screen', hasScreen);
  $('screen-area').hidden = !hasScreen;
  grid.dataset.count = String(tiles.size);
  $('participant-count').textContent = t('meeting.people', { count: tiles.size });
  if (hasScreen) {
    grid.style.removeProperty('--tile-w');
    grid.style.removeProperty('--tile-h');
    return;
  }
  const W = grid.clientWidth;
  const H = grid.clientHeight;
  if (!W || !H) return;
  // phone: on a phone held upright, 1–2 columns and the active speaker large (web/src/phone.js)
  const shape = phone.gridShape(tiles.size, W, H, phone.isPhone());
  grid.style.setProperty('--tile-w', `${shape.w}px`);
  grid.style.setProperty('--tile-h', `${shape.h}px`);
  grid.style.setProperty('--feature-h', `${shape.featureH}px`);
  const star = shape.featureH && room ? phone.speaker([...tiles.keys()].filter((id) => id !== room.localParticipant.identity)) : '';
  for (const [id, t] of tiles) t.root.classList.toggle('featured', id === star);
}

function renderParticipantsList() {
  const list = $('participants-list');
  list.replaceChildren(
    ...participants().map((p) => {
      const local = p === room.localParticipant;
      const mic = p.getTrackPublication(Track.Source.Microphone);
      const micLive = !!mic && !mic.isMuted;
      const raised = handRaised(p.attributes);
      const actions =
        caps.isAdmin && !local
          ? h(
              'span',
              { class: 'admin-actions' },
              h('button', { class: 'admin-mute', 'data-identity': p.identity, disabled: !micLive, title: t('participants.mute_title') }, t('participants.mute')),
              h('button', { class: 'admin-remove', 'data-identity': p.identity, title: t('participants.remove_title') }, t('participants.remove')),
            )
          : null;
      return h(
        'li',
        { 'data-identity': p.identity },
        h('span', { class: 'avatar small' }, initials(displayName(p))),
        h(
          'span',
          { class: 'p-name' },
          local ? t('tile.you', { name: displayName(p) }) : displayName(p),
          (local ? caps.isAdmin : admins.has(p.identity)) ? h('span', { class: 'badge' }, t('participants.host')) : null,
        ),
        raised ? h('span', { class: 'p-hand', title: t('tile.hand_raised') }, icon('hand')) : null,
        micLive ? null : h('span', { class: 'p-mic', title: t('tile.mic_off') }, icon('mic-off')),
        actions,
      );
    }),
  );
}

function onParticipantsClick(e) {
  const b = e.target.closest('button[data-identity]');
  if (!b) return;
  const id = b.dataset.identity;
  const name = displayName(room.remoteParticipants.get(id) || { identity: id });
  if (b.classList.contains('admin-mute')) moderate({ action: 'mute', user_id: id }, t('meeting.muting', { name }));
  if (b.classList.contains('admin-remove')) moderate({ action: 'remove', user_id: id }, t('meeting.removing', { name }));
}

async function moderate(body, pending) {
  toast(pending);
  let resp;
  try {
    resp = await api.moderate(pageToken, body);
  } catch (err) {
    toast(t('meeting.unreachable', { error: errText(err) }), 'error');
    return false;
  }
  if (!resp.status) toast(i18n.serverMessage(resp, 'meeting.refused'), 'error');
  return resp.status === true;
}

// Recording and broadcast (admins): the buttons show what this page last started or stopped.
let recording = false;
let broadcasting = false;

async function toggleRecording() {
  const body = { action: recording ? 'record_stop' : 'record_start' };
  if (await moderate(body, t(recording ? 'record.stopping' : 'record.starting'))) {
    recording = !recording;
    setOn($('record-button'), recording);
    toast(t(recording ? 'record.on' : 'record.off'));
  }
}

async function toggleBroadcast() {
  let body = { action: 'rtmp_stop' };
  if (!broadcasting) {
    const url = window.prompt(t('rtmp.prompt'));
    if (!url) return;
    body = { action: 'rtmp_start', rtmp_url: url.trim() };
  }
  if (await moderate(body, t(broadcasting ? 'rtmp.stopping' : 'rtmp.starting'))) {
    broadcasting = !broadcasting;
    setOn($('rtmp-button'), broadcasting);
    toast(t(broadcasting ? 'rtmp.on' : 'rtmp.off'));
  }
}

function setOn(button, on) {
  button.dataset.on = on ? 'true' : 'false';
  button.setAttribute('aria-pressed', on ? 'true' : 'false');
}

function updateControls() {
  const lp = room.localParticipant;
  const canDisplay = !!navigator.mediaDevices?.getDisplayMedia;
  $('mic-button').hidden = !caps.microphone;
  setOn($('mic-button'), lp.isMicrophoneEnabled);
  $('camera-button').hidden = !caps.camera;
  setOn($('camera-button'), lp.isCameraEnabled);
  $('screen-button').hidden = !caps.screenShare || !canDisplay;
  setOn($('screen-button'), lp.isScreenShareEnabled);
  $('hand-button').hidden = !caps.raiseHand;
  setOn($('hand-button'), handRaised(room.localParticipant.attributes));
  $('participants-button').hidden = !caps.viewUsersList;
  if (!caps.viewUsersList) showPanel('participants-panel', false);
  $('chat-button').hidden = !caps.chat;
  if (!caps.chat) showPanel('chat-panel', false);
  $('chat-input').disabled = !caps.chatSend;
  $('chat-send').disabled = !caps.chatSend;
  $('chat-input').placeholder = t(caps.chatSend ? 'chat.placeholder' : 'chat.locked');
  chat.updateChat(locks, [...room.remoteParticipants.values()].map((p) => ({ identity: p.identity, name: displayName(p), admin: admins.has(p.identity) }))); // chat
  $('end-button').hidden = !caps.isAdmin;
  $('record-button').hidden = !caps.record;
  $('rtmp-button').hidden = !caps.rtmp;
}

function showPanel(id, open) {
  $(id).hidden = !open;
  const button = id === 'chat-panel' ? $('chat-button') : $('participants-button');
  setOn(button, open);
  if (id === 'chat-panel' && open) {
    unread = 0;
    delete $('chat-button').dataset.unread;
  }
  $('sidebar').hidden = $('chat-panel').hidden && $('participants-panel').hidden;
  layout();
}

function togglePanel(id) {
  const open = $(id).hidden;
  // On a phone the panels cover the stage: keep one open at a time.
  if (open && window.innerWidth < WIDE_SCREEN) {
    for (const other of ['chat-panel', 'participants-panel']) if (other !== id) showPanel(other, false);
  }
  showPanel(id, open);
}

// ---------------------------------------------------------------- actions

async function toggleMic() {
  const lp = room.localParticipant;
  a11y.togglingMic(true); // a11y: this mute is no moderator's
  try {
    await lp.setMicrophoneEnabled(!lp.isMicrophoneEnabled, { deviceId: micId || undefined });
  } catch (err) {
    toast(t('meeting.mic_error', { error: errText(err) }), 'error');
  } finally {
    a11y.togglingMic(false);
  }
  a11y.mediaChanged('mic', lp.isMicrophoneEnabled); // a11y
  noteLocalMedia();
  renderAll();
}

async function toggleCamera() {
  const lp = room.localParticipant;
  try {
    await lp.setCameraEnabled(!lp.isCameraEnabled, { deviceId: cameraId || undefined, resolution: CAMERA_RESOLUTION });
  } catch (err) {
    toast(t('meeting.camera_error', { error: errText(err) }), 'error');
  }
  a11y.mediaChanged('camera', lp.isCameraEnabled); // a11y
  noteLocalMedia();
  renderAll();
}

async function toggleScreen() {
  const lp = room.localParticipant;
  try {
    await lp.setScreenShareEnabled(!lp.isScreenShareEnabled, { audio: true });
  } catch (err) {
    // Closing the browser's picker is not an error worth a message.
    if (err?.name !== 'NotAllowedError' && err?.name !== 'AbortError') toast(t('meeting.screen_error', { error: errText(err) }), 'error');
  }
  renderAll();
}

// toggleHand asks the server to raise or lower the hand; every page, this one included, shows it
// when the participant's attribute changes.
async function toggleHand() {
  const raise = !handRaised(room.localParticipant.attributes);
  let resp;
  try {
    resp = await api.hand(pageToken, raise);
  } catch (err) {
    toast(t('meeting.unreachable', { error: errText(err) }), 'error');
    return;
  }
  if (!resp.status) toast(i18n.serverMessage(resp, 'meeting.refused'), 'error');
}

async function sendChat() {
  const input = $('chat-input');
  const text = input.value.trim();
  if (!text || !caps.chatSend) return;
  const lp = room.localParticipant;
  // chat: through the server, which keeps and relays it (sealed first when the chat is encrypted: e2ee)
  if (await chat.send(text.slice(0, MAX_CHAT_LENGTH), lp.identity, displayName(lp))) input.value = '';
}

async function onData(topic, payload, sender) {
  if (topic === WAITING_TOPIC) return onWaitingData(); // waiting room
  if (topic === breakout.TOPIC_BREAKOUT && !sender) return breakout.onMessage(payload); // breakout rooms
  if (onPollsData(topic, payload, sender)) return; // polls
  if (chat.onChatData(topic, payload, sender)) return; // chat
  if (whiteboard.onWhiteboardData(topic, payload, sender)) return; // whiteboard (before the notes: one topic)
  if (notes.onNotesData(topic, payload, sender)) return; // shared notes
  if (topic === TOPIC_CHAT) {
    // e2ee: a sealed chat message is opened first (or shown as unreadable)
    const opened = await e2ee.incomingChat(parseJSON(new TextDecoder().decode(payload)));
    if (opened && opened.undecryptable) {
      const who = sender ? sender.name || sender.identity : t('chat.unknown');
      appendChat({ fromUserId: sender?.identity || '', fromName: who, message: t('chat.undecryptable'), sentAt: Date.now(), undecryptable: true });
      return;
    }
    if (opened) payload = encode(opened);
  }
  const m = parse(topic, payload, sender);
  if (!m) return;
  if (m.kind === 'chat') {
    appendChat({ ...m, live: true }); // a11y: announced
  } else if (m.kind === 'notification') {
    toast(m.text, m.level, 8000);
    if (m.withSound) beep();
  }
}

function appendChat(m) {
  const list = $('chat-messages');
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  const cls = ['chat-message', m.system ? 'chat-system' : '', m.self ? 'chat-self' : '', m.undecryptable ? 'chat-undecryptable' : '', m.private ? 'chat-private' : ''].filter(Boolean).join(' ');
  list.append(
    h(
      'li',
      { class: cls, 'data-from': m.fromUserId },
      h('div', { class: 'chat-meta' }, h('span', { class: 'chat-from' }, m.self ? t('chat.you') : m.fromName), h('time', {}, formatTime(m.sentAt))),
      m.message ? h('div', { class: 'chat-text' }, m.message) : null,
      ...(m.extra || []), // chat: a private message's note, a shared file
    ),
  );
  if (nearBottom || m.self) list.scrollTop = list.scrollHeight;
  a11y.chatMessage(m); // a11y
  if ($('chat-panel').hidden && caps.chat) {
    unread++;
    $('chat-button').dataset.unread = unread > 9 ? '9+' : String(unread);
    if (m.system) toast(`${m.fromName}: ${m.message}`);
  }
}

async function leave() {
  leaving = true;
  try {
    await room.disconnect();
  } finally {
    fail('left', t('state.left'), true);
  }
}

// ---------------------------------------------------------------- helpers

function parseJSON(s) {
  if (!s) return null;
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

function errText(err) {
  return (err && (err.message || err.name)) || String(err);
}
