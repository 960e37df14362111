// Pure rules that turn the /api/join answer into what the page shows.
// The server enforces the same rules through LiveKit grants; the page only
// mirrors them so people are not offered buttons that cannot work.

import { t, language, serverMessage, SOURCE } from './i18n.js';

// LiveKit TrackSource values as sent in ParticipantPermission.canPublishSources.
const SOURCE_CAMERA = 1;
const SOURCE_MICROPHONE = 2;
const SOURCE_SCREEN_SHARE = 3;

function obj(v) {
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return {};
    }
  }
  return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
}

// flag reads a boolean with the default of spec §2.1 when it is absent.
function flag(o, key, def) {
  return typeof o[key] === 'boolean' ? o[key] : def;
}

// lockSettingsOf returns the user's effective locks: the ones the server
// sent for this user, else the room defaults (admins are never locked by
// room defaults).
export function lockSettingsOf(join) {
  if (join.lock_settings && typeof join.lock_settings === 'object') return obj(join.lock_settings);
  if (join.is_admin) return {};
  return obj(obj(join.room_metadata).default_lock_settings);
}

// capabilities computes what the page offers. permission, when given, is
// the LiveKit ParticipantPermission of the local participant and can only
// take away.
export function capabilities(join, locks = lockSettingsOf(join), permission = null) {
  const meta = obj(join.room_metadata);
  const f = obj(meta.room_features);
  const chat = obj(f.chat_features);
  const admin = join.is_admin === true;
  const l = obj(locks);

  const caps = {
    isAdmin: admin,
    microphone: !flag(l, 'lock_microphone', false),
    camera:
      flag(f, 'allow_webcams', true) &&
      !(flag(f, 'admin_only_webcams', false) && !admin) &&
      !flag(l, 'lock_webcam', false),
    screenShare: flag(f, 'allow_screen_share', true) && !flag(l, 'lock_screen_sharing', false),
    muteOnStart: flag(f, 'mute_on_start', false),
    chat: flag(chat, 'allow_chat', true),
    chatSend: !flag(l, 'lock_chat', false) && !flag(l, 'lock_chat_send_message', false),
    raiseHand: flag(f, 'allow_raise_hand', true),
    viewOtherWebcams: admin || flag(f, 'allow_view_other_webcams', true),
    viewUsersList: admin || flag(f, 'allow_view_other_users_list', true),
    // recording to the server and live broadcast: admins only, when the room allows them
    record: admin && flag(obj(f.recording_features), 'is_allow', true) && flag(obj(f.recording_features), 'is_allow_cloud', true),
    rtmp: admin && flag(f, 'allow_rtmp', true),
  };

  if (permission) {
    const canPublish = permission.canPublish !== false;
    const sources = Array.isArray(permission.canPublishSources) ? permission.canPublishSources : [];
    const may = (s) => canPublish && (sources.length === 0 || sources.includes(s));
    caps.microphone = caps.microphone && may(SOURCE_MICROPHONE);
    caps.camera = caps.camera && may(SOURCE_CAMERA);
    caps.screenShare = caps.screenShare && may(SOURCE_SCREEN_SHARE);
    if (permission.canPublishData === false) caps.chatSend = false;
  }
  return caps;
}

// roomInfo returns the display texts of the room.
export function roomInfo(join) {
  const meta = obj(join.room_metadata);
  const logout = typeof meta.logout_url === 'string' ? meta.logout_url.trim() : '';
  return {
    title: String(join.room_title || meta.room_title || t('room.default_title')),
    welcome: typeof meta.welcome_message === 'string' ? meta.welcome_message : '',
    logoutUrl: /^https?:\/\//i.test(logout) ? logout : '',
  };
}

// joinFailure maps a failed /api/join answer to the state and message shown.
export function joinFailure(resp) {
  const code = resp && typeof resp.status_code === 'string' ? resp.status_code : '';
  const msg = resp && typeof resp.msg === 'string' ? resp.msg : '';
  switch (code) {
    case 'INVALID_TOKEN_OR_SIGNATURE':
    case 'MISSING_REQUIRED_PARAMETER':
      return { state: 'error', message: t('join.invalid_link') };
    case 'ROOM_NOT_ACTIVE':
    case 'ROOM_NOT_FOUND':
      return { state: 'error', message: t('join.not_running') };
    case 'USER_BLOCKED':
      return { state: 'removed', message: t('join.removed') };
  }
  if (code === 'PERMISSION_DENIED' || /full/i.test(msg)) {
    // the server's msg (English) names the limit; another language says it in its own words
    if (msg && language() === SOURCE) return { state: 'error', message: msg };
    return { state: 'error', message: t(/full/i.test(msg) || !msg ? 'join.full' : 'join.denied') };
  }
  return { state: 'error', message: serverMessage(resp, 'join.failed') };
}

// welcomeText turns a welcome message (plugNmeet allows simple HTML in it)
// into plain text; it is always shown with textContent.
export function welcomeText(s) {
  return String(s || '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>\s*<p[^>]*>/gi, '\n\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

// initials gives the letter shown on a tile without video.
export function initials(name) {
  const s = String(name || '').trim();
  if (!s) return '?';
  const parts = s.split(/\s+/).filter(Boolean);
  const first = Array.from(parts[0])[0] || '';
  const last = parts.length > 1 ? Array.from(parts[parts.length - 1])[0] || '' : '';
  return (first + last).toUpperCase();
}

// ACCESS_TOKEN_COOKIE is where plugNmeet's client also looks for the token when the URL has none:
// a backend may set it instead of putting the token in the link.
export const ACCESS_TOKEN_COOKIE = 'pnm_access_token';

// accessTokenOf returns the join token of the page: the access_token query
// parameter (location.search), else the pnm_access_token cookie
// (document.cookie), else ''.
export function accessTokenOf(search, cookie) {
  const fromURL = new URLSearchParams(search || '').get('access_token');
  if (fromURL) return fromURL;
  for (const part of String(cookie || '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== ACCESS_TOKEN_COOKIE) continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    try {
      v = decodeURIComponent(v);
    } catch {
      // not percent-encoded: the token as it is
    }
    if (v) return v;
  }
  return '';
}
