package rooms

import (
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"meetd/internal/meet"
)

// Participants' events are rate limited (doc/security.md, "Limits, timeouts and proxies"), so that
// a page publishing and unpublishing in a loop, or joining and leaving in a loop (or with many
// join tokens of one user), cannot flood the events table, the webhook outbox and the event
// streams. Past a limit the state is still stored (tracks' intervals, connections: the attendance
// report stays right) but the event is not written.
//
//   - track events: per participant, a burst of trackEventBurst, then trackEventRate a second;
//   - participant_joined: per user of a session, a burst of joinEventBurst, then joinEventRate a
//     second; per session, a burst of roomJoinEventBurst, then roomJoinEventRate a second. A
//     connection whose participant_joined was not written gets no participant_left either: a
//     receiver sees every connection it was told of leave, and no other.
const (
	trackEventBurst = 40
	trackEventRate  = 2 // per second

	joinEventBurst     = 10
	joinEventRate      = 1.0 / 30 // two a minute
	roomJoinEventBurst = 500
	roomJoinEventRate  = 10
)

// eventLimiter is a token bucket per key (session and participant, or session), in memory: each
// process limits the events its own media node reports.
type eventLimiter struct {
	burst, rate float64 // rate: tokens a second

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(burst, rate float64) *eventLimiter { return &eventLimiter{burst: burst, rate: rate} }

// allow takes one event from key's bucket at now, and reports whether there was one.
func (l *eventLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	if len(l.buckets) > 10000 { // forget the buckets that have filled up again
		for k, b := range l.buckets {
			if l.refill(b, now) >= l.burst {
				delete(l.buckets, k)
			}
		}
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens, b.at = l.refill(b, now), now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *eventLimiter) refill(b *bucket, now time.Time) float64 {
	t := b.tokens + now.Sub(b.at).Seconds()*l.rate
	return min(max(t, b.tokens), l.burst)
}

// floodWindow is how often a session's dropped participant events are logged (one line, with
// the count since the last).
const floodWindow = time.Minute

// presenceEvents decides which participant_joined and participant_left events are written.
type presenceEvents struct {
	users, rooms *eventLimiter
	dropped      atomic.Int64 // participant events not written, since the start

	mu     sync.Mutex
	silent map[string]time.Time // participant sid → when its participant_joined was not written
	logs   map[string]*floodLog // session sid → its dropped events since its last log line
}

type floodLog struct {
	next    time.Time
	dropped int
}

func newPresenceEvents() *presenceEvents {
	return &presenceEvents{
		users: newLimiter(joinEventBurst, joinEventRate),
		rooms: newLimiter(roomJoinEventBurst, roomJoinEventRate),
	}
}

// joined reports whether a new connection's participant_joined is written; if not, it remembers
// the connection (its participant_left is not written either) and counts it.
func (pe *presenceEvents) joined(log *slog.Logger, sess *meet.Session, p *meet.ParticipantInfo, now time.Time) bool {
	if pe.users.allow(sess.SID+"/"+p.Identity, now) && pe.rooms.allow(sess.SID, now) {
		return true
	}
	pe.mu.Lock()
	defer pe.mu.Unlock()
	if pe.silent == nil {
		pe.silent, pe.logs = map[string]time.Time{}, map[string]*floodLog{}
	}
	if len(pe.silent) > 100000 { // connections whose departure never came (a crash): a day is plenty
		for sid, at := range pe.silent {
			if now.Sub(at) > 24*time.Hour {
				delete(pe.silent, sid)
			}
		}
	}
	pe.silent[p.SID] = now
	pe.drop(log, sess, p, now)
	return false
}

// left reports whether a connection's participant_left is written: not if its participant_joined
// was not.
func (pe *presenceEvents) left(log *slog.Logger, sess *meet.Session, p *meet.ParticipantInfo, now time.Time) bool {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	if _, ok := pe.silent[p.SID]; !ok {
		return true
	}
	delete(pe.silent, p.SID)
	pe.drop(log, sess, p, now)
	return false
}

// drop counts an event not written and logs once per floodWindow and session. pe.mu is held.
func (pe *presenceEvents) drop(log *slog.Logger, sess *meet.Session, p *meet.ParticipantInfo, now time.Time) {
	pe.dropped.Add(1)
	if len(pe.logs) > 10000 {
		for sid, l := range pe.logs {
			if now.After(l.next) {
				delete(pe.logs, sid)
			}
		}
	}
	l := pe.logs[sess.SID]
	if l == nil {
		l = &floodLog{}
		pe.logs[sess.SID] = l
	}
	l.dropped++
	if now.Before(l.next) {
		return
	}
	log.Warn("participants join and leave faster than their events' limit: participant_joined/left not written (connections still recorded)",
		"room_id", sess.RoomID, "sid", sess.SID, "user_id", p.Identity, "dropped", l.dropped, "dropped_total", pe.dropped.Load(),
		"window", floodWindow)
	l.dropped, l.next = 0, now.Add(floodWindow)
}
