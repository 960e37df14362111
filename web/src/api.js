// Calls to meetd's browser API, authenticated with the page's access token. They go to meetd's
// base URL (serverBase): on another origin when the meeting is embedded in a CMS page, so they are
// CORS requests without cookies (doc/web.md, "Embedding"). Feature modules call post() too.

import { serverBase } from './base.js';

export const base = serverBase();

// post sends a page call: path is "/api/...".
export async function post(path, token, body) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: {
      Authorization: 'Bearer ' + token,
      'Content-Type': 'application/json',
      Accept: 'application/json',
    },
    body: JSON.stringify(body),
    mode: 'cors',
    credentials: 'omit',
    cache: 'no-store',
  });
  let data = null;
  try {
    data = await res.json();
  } catch {
    // not JSON (a proxy error page, say): fall through to the generic answer
  }
  if (data && typeof data === 'object' && typeof data.status === 'boolean') return data;
  return {
    status: false,
    msg: `The server answered ${res.status} ${res.statusText}`.trim(),
    status_code: res.status === 401 ? 'INVALID_TOKEN_OR_SIGNATURE' : 'INTERNAL_SERVER_ERROR',
  };
}

// join exchanges the access token for LiveKit credentials and the room's settings.
export function join(token) {
  return post('/api/join', token, {});
}

// hand raises or lowers this user's hand; the server sets it as a participant attribute.
export function hand(token, raised) {
  return post('/api/hand', token, { raised });
}

// moderate asks the server to act on the meeting as this (admin) user:
// {action:"mute"|"remove", user_id} or {action:"end"}.
export function moderate(token, body) {
  return post('/api/moderate', token, body);
}

// breakout calls /api/breakout/<verb> (state, create, join, back, end, extend) with the main
// room's page token (doc/web.md, "Breakout rooms").
export function breakout(token, verb, body = {}) {
  return post('/api/breakout/' + verb, token, body);
}
