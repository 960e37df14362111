package rooms

import (
	"sync"
	"time"
)

// A participant's track events are rate limited (doc/security.md, "Limits, timeouts and
// proxies"): a burst of trackEventBurst, then trackEventRate a second. Past it, the track's
// interval is still stored (the attendance report stays right) but its event is not written,
// so a page publishing and unpublishing in a loop cannot flood the events table, the webhook
// outbox and the event streams.
const (
	trackEventBurst = 40
	trackEventRate  = 2 // per second
)

// eventLimiter is a token bucket per key (session and participant), in memory: each process
// limits the events its own media node reports.
type eventLimiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// allow takes one event from key's bucket at now, and reports whether there was one.
func (l *eventLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	if len(l.buckets) > 10000 { // forget the buckets that have filled up again
		for k, b := range l.buckets {
			if refill(b, now) >= trackEventBurst {
				delete(l.buckets, k)
			}
		}
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: trackEventBurst, at: now}
		l.buckets[key] = b
	}
	b.tokens, b.at = refill(b, now), now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func refill(b *bucket, now time.Time) float64 {
	t := b.tokens + now.Sub(b.at).Seconds()*trackEventRate
	return min(max(t, b.tokens), trackEventBurst)
}
