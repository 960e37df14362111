// Polls on the meeting page (doc/web.md, "Polls"). A moderator creates a poll
// (question, 2–10 options, anonymous or not) and closes it; everyone votes,
// and may change their vote until the poll is closed. The server holds every
// poll: the page asks POST /api/polls/list for what this user may see
// (moderators: live counts and, unless anonymous, who voted what; everyone:
// their own vote, and the results once closed), at entry and whenever a data
// message on the topic "meetd.polls" says a poll changed.

import * as api from './api.js';
import { $, h, toast, beep } from './view.js';
import { t, serverMessage, formatNumber } from './i18n.js';

export const POLLS_TOPIC = 'meetd.polls';
export const MIN_OPTIONS = 2;
export const MAX_OPTIONS = 10;

// pollsAllowed mirrors the server's rule: room_features.polls_features is
// present and its is_allow is not false.
export function pollsAllowed(join) {
  const f = join?.room_metadata?.room_features?.polls_features;
  return !!f && typeof f === 'object' && f.is_allow !== false;
}

// parseOptions reads the options box (one option a line) into a list, or an
// error sentence.
export function parseOptions(text) {
  const options = String(text || '')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  if (options.length < MIN_OPTIONS) return { error: t('polls.min_options', { n: MIN_OPTIONS }) };
  if (options.length > MAX_OPTIONS) return { error: t('polls.max_options', { n: MAX_OPTIONS }) };
  const seen = new Set();
  for (const o of options) {
    const k = o.toLowerCase();
    if (seen.has(k)) return { error: t('polls.twice', { option: o }) };
    seen.add(k);
  }
  return { options };
}

// parsePollMessage reads a data message of the server on POLLS_TOPIC; null if
// it is not one (or came from a participant).
export function parsePollMessage(topic, payload, sender) {
  if (topic !== POLLS_TOPIC || sender) return null;
  let m;
  try {
    m = JSON.parse(typeof payload === 'string' ? payload : new TextDecoder().decode(payload));
  } catch {
    return null;
  }
  if (!m || typeof m.poll_id !== 'string' || !['poll_created', 'poll_voted', 'poll_closed'].includes(m.type)) return null;
  return { type: m.type, pollId: m.poll_id };
}

// share is an option's share of the votes, in whole percent.
export function share(count, total) {
  if (!total || !count) return 0;
  return Math.round((100 * count) / total);
}

// ---------------------------------------------------------------- the panel

let token = '';
let isAdmin = false;
let polls = [];
let known = null; // poll id → is_running, to tell new and closed polls
let fetching = null;
let again = false;

async function call(verb, body) {
  try {
    return await api.post(`/api/polls/${verb}`, token, body); // meetd's base URL, also when embedded
  } catch {
    return { status: false, msg: t('meeting.server_unreachable') };
  }
}

// initPolls is called once the meeting is built; it shows the polls button
// when the room allows polls and loads the session's polls.
export function initPolls(join, pageToken) {
  token = pageToken;
  isAdmin = !!join.is_admin;
  if (!pollsAllowed(join)) return;
  $('polls-button').hidden = false;
  $('polls-button').addEventListener('click', () => showPolls($('polls-panel').hidden));
  $('polls-close').addEventListener('click', () => showPolls(false));
  $('poll-form').hidden = !isAdmin;
  $('poll-form').addEventListener('submit', (e) => {
    e.preventDefault();
    createPoll();
  });
  $('polls-list').addEventListener('click', onListClick);
  refreshPolls();
}

// setPollsToken follows the page's token (it may change on rejoin).
export function setPollsToken(pageToken) {
  token = pageToken;
}

// onPollsData handles a data message; true if it was one of the polls'.
export function onPollsData(topic, payload, sender) {
  if (topic !== POLLS_TOPIC) return false;
  if (parsePollMessage(topic, payload, sender)) refreshPolls();
  return true;
}

function showPolls(open) {
  $('polls-panel').hidden = !open;
  const b = $('polls-button');
  b.dataset.on = open ? 'true' : 'false';
  b.setAttribute('aria-pressed', open ? 'true' : 'false');
  if (open) delete b.dataset.unread;
}

// refreshPolls fetches the polls, one fetch at a time (a burst of messages
// folds into one more fetch).
export async function refreshPolls() {
  if (!token) return;
  if (fetching) {
    again = true;
    return fetching;
  }
  fetching = (async () => {
    do {
      again = false;
      const resp = await call('list', {});
      if (resp.status && Array.isArray(resp.polls)) {
        announce(resp.polls);
        polls = resp.polls;
        render();
      }
    } while (again);
  })();
  try {
    await fetching;
  } finally {
    fetching = null;
  }
}

// announce tells of polls that opened or closed since the last fetch (not at entry).
function announce(next) {
  const first = known === null;
  const before = known || new Map();
  known = new Map(next.map((p) => [p.id, p.is_running]));
  if (first) {
    if (next.some((p) => p.is_running && !p.my_vote && !isAdmin)) flag();
    return;
  }
  for (const p of next) {
    if (!before.has(p.id) && p.is_running) {
      if (!isAdmin) {
        toast(t('polls.new', { question: p.question }));
        beep();
        showPolls(true);
      }
    } else if (before.get(p.id) && !p.is_running && p.closed) {
      toast(t('polls.closed_toast', { question: p.question }));
      showPolls(true);
    }
  }
}

function flag() {
  if ($('polls-panel').hidden) $('polls-button').dataset.unread = '!';
}

async function createPoll() {
  const question = $('poll-question').value.trim();
  const err = $('poll-error');
  err.textContent = '';
  if (!question) {
    err.textContent = t('polls.write_question');
    return;
  }
  const parsed = parseOptions($('poll-options').value);
  if (parsed.error) {
    err.textContent = parsed.error;
    return;
  }
  $('poll-create').disabled = true;
  const resp = await call('create', { question, options: parsed.options, is_anonymous: $('poll-anonymous').checked });
  $('poll-create').disabled = false;
  if (!resp.status) {
    err.textContent = serverMessage(resp, 'polls.create_failed');
    return;
  }
  $('poll-question').value = '';
  $('poll-options').value = '';
  $('poll-anonymous').checked = false;
  await refreshPolls();
}

async function onListClick(e) {
  const option = e.target.closest('button.poll-option');
  const close = e.target.closest('button.poll-close');
  const item = e.target.closest('.poll');
  if (!item) return;
  const pollId = item.dataset.pollId;
  if (option && !option.disabled) {
    const selected = Number(option.dataset.option);
    // show the choice at once; the server's answer (and the next fetch) confirm it
    const p = polls.find((x) => x.id === pollId);
    const before = p?.my_vote;
    if (p) {
      p.my_vote = selected;
      render();
    }
    const resp = await call('vote', { poll_id: pollId, selected_option: selected });
    if (!resp.status) {
      if (p) p.my_vote = before;
      toast(serverMessage(resp, 'polls.vote_failed'), 'error');
    }
    await refreshPolls();
  } else if (close) {
    close.disabled = true;
    const resp = await call('close', { poll_id: pollId });
    if (!resp.status) toast(serverMessage(resp, 'polls.close_failed'), 'error');
    await refreshPolls();
  }
}

function render() {
  const list = $('polls-list');
  list.replaceChildren(...[...polls].reverse().map(renderPoll));
  $('polls-empty').hidden = polls.length > 0;
}

function renderPoll(p) {
  const open = p.is_running;
  const counted = typeof p.total_responses === 'number';
  const options = p.options.map((o) => {
    const chosen = p.my_vote === o.id;
    const count = counted ? o.vote_count || 0 : null;
    const pct = counted ? share(count, p.total_responses) : 0;
    const button = h(
      'button',
      {
        class: `poll-option${chosen ? ' chosen' : ''}`,
        type: 'button',
        'data-option': o.id,
        'aria-pressed': chosen ? 'true' : 'false',
        disabled: !open,
      },
      h('span', { class: 'poll-option-text' }, o.text),
      counted ? h('span', { class: 'poll-count', 'data-option': o.id }, `${formatNumber(count)} · ${formatNumber(pct / 100, { style: 'percent' })}`) : null,
    );
    // through the CSSOM: the page's Content-Security-Policy refuses style attributes
    if (counted) button.style.setProperty('--share', `${pct}%`);
    return h('li', {}, button);
  });
  const voters =
    counted && Array.isArray(p.voters) && p.voters.length
      ? h(
          'details',
          { class: 'poll-voters' },
          h('summary', {}, t('polls.who_voted')),
          h(
            'ul',
            {},
            ...p.voters.map((v) =>
              h('li', { 'data-user-id': v.user_id }, `${v.name}: ${p.options.find((o) => o.id === v.selected_option)?.text ?? '?'}`),
            ),
          ),
        )
      : null;
  const status = t(open ? (p.my_vote ? 'polls.voted' : 'polls.choose') : 'polls.closed');
  return h(
    'li',
    { class: `poll ${open ? 'poll-open' : 'poll-closed'}`, 'data-poll-id': p.id, 'data-state': open ? 'open' : 'closed' },
    h('h3', { class: 'poll-question' }, p.question),
    h('p', { class: 'poll-meta muted' }, [p.is_anonymous ? t('polls.anonymous') : null, status].filter(Boolean).join(' · ')),
    h('ol', { class: 'poll-options' }, ...options),
    counted ? h('p', { class: 'poll-total muted', 'data-total': p.total_responses }, t('polls.votes', { count: p.total_responses })) : null,
    voters,
    isAdmin && open ? h('button', { class: 'pill danger-outline poll-close', type: 'button' }, t('polls.close')) : null,
  );
}
