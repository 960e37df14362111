// The published bigbluebutton-js (compat/bbb-js/package.json pins it) drives meetd's BBB API
// (doc/bbb.md) through its own API: the library builds each URL with its sha1 checksum, bbb.http
// fetches it and turns the XML into a JS object (fast-xml-parser 3: numbers and booleans parsed,
// CDATA as text); this script asserts on those objects. Run by cmd/meetd's TestBBBJS with
// MEETD_URL, MEETD_API_SECRET.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import http from 'node:http'
import bbb from 'bigbluebutton-js'

const base = process.env.MEETD_URL + '/bigbluebutton/' // the library drops the trailing '/'
const secret = process.env.MEETD_API_SECRET
const api = bbb.api(base, secret)
const call = bbb.http

function step(name) {
  console.log('--', new Date().toISOString().slice(11, 23), name)
}

// A hook receiver on loopback (the test's meetd allows private webhook targets).
const received = []
const receiver = http.createServer((req, res) => {
  let body = ''
  req.on('data', (c) => (body += c))
  req.on('end', () => {
    received.push({ url: req.url, body })
    res.end('ok')
  })
})
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve))
const hookURL = `http://127.0.0.1:${receiver.address().port}/bbb-hook`

const eventsOf = (path) =>
  received.filter((r) => r.url.startsWith(path + '?')).flatMap((r) => JSON.parse(new URLSearchParams(r.body).get('event')).map((e) => e.data.id))

async function waitEvent(id, path = '/bbb-hook') {
  for (let i = 0; i < 600; i++) { // up to 60 s: a condition, not a timing assert
    for (const r of received.filter((r) => r.url.startsWith(path + '?'))) {
      const form = new URLSearchParams(r.body)
      const events = JSON.parse(form.get('event'))
      if (events.some((e) => e.data.id === id)) return r
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`no ${id} delivered to ${path}; got ${received.map((r) => r.url)}`)
}

try {
  step('version')
  let r = await call(bbb.util.normalizeUrl(base) + '/api')
  assert.equal(r.returncode, 'SUCCESS')
  assert.equal(r.version, 2)
  assert.equal(r.apiVersion, 2)

  step('hooks.create')
  r = await call(api.hooks.create(hookURL))
  assert.equal(r.returncode, 'SUCCESS')
  assert.equal(typeof r.hookID, 'number')
  assert.equal(r.permanentHook, false)
  assert.equal(r.rawData, false)
  const hookID = r.hookID
  r = await call(api.hooks.create(hookURL))
  assert.equal(r.returncode, 'SUCCESS')
  assert.equal(r.messageKey, 'duplicateWarning')
  assert.equal(r.hookID, hookID)

  step('hooks.list')
  r = await call(api.hooks.list())
  assert.equal(r.returncode, 'SUCCESS')
  const hooks = [].concat(r.hooks.hook)
  const mine = hooks.find((h) => h.hookID === hookID)
  assert.ok(mine, `hook ${hookID} listed: ${JSON.stringify(r)}`)
  assert.equal(mine.callbackURL, hookURL)
  assert.equal(mine.permanentHook, false)

  step('create')
  const meetingID = 'bbbjs-' + Date.now()
  r = await call(
    api.administration.create('bigbluebutton-js meeting', meetingID, {
      attendeePW: 'ap-secret',
      moderatorPW: 'mp-secret',
      duration: 1,
      record: false,
      welcome: 'Welcome to %%CONFNAME%%',
      'meta_bbb-origin': 'bigbluebutton-js',
      meta_courseName: 'Physics & Maths 101',
    })
  )
  assert.equal(r.returncode, 'SUCCESS', JSON.stringify(r))
  assert.equal(r.meetingID, meetingID)
  assert.equal(r.attendeePW, 'ap-secret')
  assert.equal(r.moderatorPW, 'mp-secret')
  assert.equal(typeof r.createTime, 'number')
  assert.match(r.internalMeetingID, /^[0-9a-f]{40}-\d+$/)
  const internalID = r.internalMeetingID
  const createTime = r.createTime

  step('hooks.create for the meeting, meeting-ended only')
  const endedURL = hookURL.replace('/bbb-hook', '/bbb-ended')
  r = await call(api.hooks.create(endedURL, { meetingID, eventID: 'meeting-ended' }))
  assert.equal(r.returncode, 'SUCCESS')
  const endedHookID = r.hookID
  assert.notEqual(endedHookID, hookID)
  r = await call(api.hooks.list({ meetingID }))
  let listed = [].concat(r.hooks.hook)
  assert.deepEqual(listed.map((h) => h.hookID).sort(), [hookID, endedHookID].sort())
  const scoped = listed.find((h) => h.hookID === endedHookID)
  assert.equal(scoped.meetingID, meetingID)
  assert.equal(scoped.eventID, 'meeting-ended')
  r = await call(api.hooks.list({ meetingID: 'another-meeting' }))
  assert.deepEqual([].concat(r.hooks.hook).map((h) => h.hookID), [hookID])

  step('create again (duplicateWarning)')
  r = await call(api.administration.create('bigbluebutton-js meeting', meetingID, { attendeePW: 'ap-secret', moderatorPW: 'mp-secret' }))
  assert.equal(r.returncode, 'SUCCESS')
  assert.equal(r.messageKey, 'duplicateWarning')
  assert.equal(r.internalMeetingID, internalID)

  step('join (moderator, attendee)')
  for (const [name, pw, extra] of [
    ['Ada Moderator', 'mp-secret', { userID: 'mod-1' }],
    ['Bob Attendee', 'ap-secret', { createTime }],
  ]) {
    const url = api.administration.join(name, meetingID, pw, extra)
    const res = await fetch(url, { redirect: 'manual' })
    assert.equal(res.status, 302, `join ${name}: ${res.status} ${await res.text()}`)
    const to = new URL(res.headers.get('location'), url)
    assert.equal(to.pathname, '/', `join ${name} redirects to ${to}`)
    assert.ok(to.searchParams.get('access_token'), `join ${name} redirects to ${to}`)
    assert.equal(to.searchParams.get('errors'), null)
  }
  step('join with a wrong password')
  r = await call(api.administration.join('Eve', meetingID, 'wrong', { redirect: false }))
  assert.equal(r.returncode, 'FAILED')
  assert.equal(r.messageKey, 'invalidPassword')
  step('join redirect=false')
  r = await call(api.administration.join('Carol', meetingID, 'ap-secret', { redirect: false }))
  assert.equal(r.returncode, 'SUCCESS', JSON.stringify(r))
  assert.equal(r.messageKey, 'successfullyJoined')
  assert.match(r.url, /\/\?access_token=/)

  step('getMeetingInfo')
  r = await call(api.monitoring.getMeetingInfo(meetingID))
  assert.equal(r.returncode, 'SUCCESS', JSON.stringify(r))
  assert.equal(r.meetingName, 'bigbluebutton-js meeting')
  assert.equal(r.meetingID, meetingID)
  assert.equal(r.internalMeetingID, internalID)
  assert.equal(r.createTime, createTime)
  assert.equal(r.attendeePW, 'ap-secret')
  assert.equal(r.moderatorPW, 'mp-secret')
  assert.equal(r.duration, 1)
  assert.equal(r.running, false) // nobody has connected to the page
  assert.equal(r.recording, false)
  assert.equal(r.isBreakout, false)
  assert.equal(r.participantCount, 0)
  assert.equal(r.metadata['bbb-origin'], 'bigbluebutton-js')
  // meta_ names are lower-cased; fast-xml-parser 3 (as the library calls it) leaves entities as
  // they are: bbb-web's '&amp;' reaches the caller as '&amp;' from BBB as from meetd
  assert.equal(r.metadata.coursename, 'Physics &amp; Maths 101')

  step('isMeetingRunning')
  r = await call(api.monitoring.isMeetingRunning(meetingID))
  assert.equal(r.returncode, 'SUCCESS')
  assert.equal(r.running, false)

  step('getMeetings')
  r = await call(api.monitoring.getMeetings())
  assert.equal(r.returncode, 'SUCCESS')
  assert.ok(r.meetings.some((m) => m.meetingID === meetingID), JSON.stringify(r.meetings))

  step('hook: meeting-created')
  let got = await waitEvent('meeting-created')
  const q = got.url.indexOf('checksum=')
  assert.ok(q > 0, got.url)
  const sum = got.url.slice(q + 'checksum='.length)
  assert.equal(sum, createHash('sha1').update(hookURL + got.body + secret).digest('hex'))

  step('end')
  r = await call(api.administration.end(meetingID, 'mp-secret'))
  assert.equal(r.returncode, 'SUCCESS', JSON.stringify(r))
  assert.equal(r.messageKey, 'sentEndMeetingRequest')

  step('hook: meeting-ended')
  got = await waitEvent('meeting-ended')
  const ended = JSON.parse(new URLSearchParams(got.body).get('event'))[0]
  assert.equal(ended.data.attributes.meeting['external-meeting-id'], meetingID)
  assert.equal(ended.data.attributes.meeting['internal-meeting-id'], internalID)

  await waitEvent('meeting-ended', '/bbb-ended')
  assert.deepEqual(eventsOf('/bbb-ended'), ['meeting-ended'])

  step('getMeetingInfo after end')
  r = await call(api.monitoring.getMeetingInfo(meetingID))
  assert.equal(r.returncode, 'FAILED')
  assert.equal(r.messageKey, 'notFound')
  r = await call(api.monitoring.isMeetingRunning(meetingID))
  assert.equal(r.running, false)
  r = await call(api.administration.end(meetingID))
  assert.equal(r.messageKey, 'notFound')

  step('recording calls (the meeting did not record)')
  r = await call(api.recording.getRecordings({ meetingID }))
  assert.equal(r.returncode, 'SUCCESS')
  assert.equal(r.messageKey, 'noRecordings')
  r = await call(api.recording.publishRecordings(internalID, true))
  assert.equal(r.returncode, 'FAILED')
  assert.equal(r.messageKey, 'notFound')
  r = await call(api.recording.updateRecordings(internalID, { meta_name: 'x' }))
  assert.equal(r.messageKey, 'notFound')
  r = await call(api.recording.deleteRecordings(internalID))
  assert.equal(r.messageKey, 'notFound')

  step('hooks.destroy')
  r = await call(api.hooks.destroy(hookID))
  assert.equal(r.returncode, 'SUCCESS')
  assert.equal(r.removed, true)
  r = await call(api.hooks.destroy(endedHookID))
  assert.equal(r.removed, true)
  r = await call(api.hooks.destroy(hookID))
  assert.equal(r.returncode, 'FAILED')
  assert.equal(r.messageKey, 'destroyMissingHook')
  r = await call(api.hooks.list())
  assert.equal(r.returncode, 'SUCCESS')
  assert.ok(!r.hooks || ![].concat(r.hooks.hook).some((h) => h && h.hookID === hookID), JSON.stringify(r))

  step('a wrong secret')
  r = await call(bbb.api(base, 'not-the-secret').monitoring.getMeetings())
  assert.equal(r.returncode, 'FAILED')
  assert.equal(r.messageKey, 'checksumError')

  console.log('bigbluebutton-js flow: OK')
} finally {
  receiver.close()
  // meetd's HTTP client may hold a connection it opened and never used: without this, Node
  // waits for its header timeout before exiting
  receiver.closeAllConnections()
}
