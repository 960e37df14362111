package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// The live event stream (Server-Sent Events): the same events as the webhooks, each with its
// sequence number in the outbox as the SSE id, so a client that reconnects with Last-Event-ID
// resumes where it stopped, without loss or repeats.

const (
	eventsTokenTTL = 5 * time.Minute
	eventsPoll     = 200 * time.Millisecond
	eventsPing     = 15 * time.Second

	// A stream ends when its token (or dashboard session) expires, and streams are capped per
	// token or session and in all (TOO_MANY_STREAMS, HTTP 429): each polls the store.
	streamsPerToken = 4
	streamsMax      = 256
)

// eventBell wakes the streams when this process wrote events (EventsWritten): they read the
// store then, and otherwise only every poll interval (events another meetd wrote).
type eventBell struct {
	mu sync.Mutex
	ch chan struct{}
}

// wait is closed at the next ring; take it before reading the store, so no ring is missed.
func (b *eventBell) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

func (b *eventBell) ring() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}

// EventsWritten wakes the event streams: the store calls it after a commit that wrote events.
func (s *Server) EventsWritten() { s.bell.ring() }

// streamCount counts the open event streams, by token and in all.
type streamCount struct {
	mu      sync.Mutex
	total   int
	byToken map[string]int
}

// acquire counts a new stream of token, or refuses it over the caps.
func (c *streamCount) acquire(token string, perToken, max int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.total >= max:
		return meet.Errorf(meet.CodeTooManyStreams, "too many event streams are open on this server (%d)", max)
	case c.byToken[token] >= perToken:
		return meet.Errorf(meet.CodeTooManyStreams, "too many event streams are open with this token or session (%d)", perToken)
	}
	if c.byToken == nil {
		c.byToken = map[string]int{}
	}
	c.total++
	c.byToken[token]++
	return nil
}

func (c *streamCount) release(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total--
	if c.byToken[token]--; c.byToken[token] <= 0 {
		delete(c.byToken, token)
	}
}

// streamGrant is the token (or dashboard session) of a stream request the door accepted, and
// when it expires.
func (s *Server) streamGrant(r *http.Request) (token string, expires time.Time, err error) {
	purpose := auth.PurposeEvents
	token = r.URL.Query().Get("token")
	if c, cerr := r.Cookie(dashboardCookie); r.URL.Path == "/dashboard/api/events" && cerr == nil {
		purpose, token = auth.PurposeDashboard, c.Value
	}
	var claims auth.PurposeClaims
	if err := auth.Parse(s.Keys.APISecret, token, &claims, time.Now()); err != nil || claims.Purpose != purpose {
		return "", time.Time{}, meet.Errorf(meet.CodeInvalidTokenOrSignature, "a valid stream token is required")
	}
	return purpose + ":" + token, time.Unix(claims.ExpiresAt, 0), nil
}

func (s *Server) eventsToken(r *http.Request) (any, error) {
	if err := decode(r, &struct{}{}); err != nil {
		return nil, err
	}
	now := time.Now()
	token, err := s.Keys.PurposeToken(auth.PurposeEvents, now, eventsTokenTTL)
	if err != nil {
		return nil, err
	}
	return struct {
		Envelope
		Token     string `json:"token"`
		ExpiresAt int64  `json:"expires_at"`
	}{OK(), token, now.Add(eventsTokenTTL).Unix()}, nil
}

// events streams events to a backend (?token= from /auth/events/token) or to the dashboard (its
// cookie); the stream door has checked which.
func (s *Server) events(r *http.Request) (any, error) {
	after, err := s.resumePoint(r.Context(), r)
	if err != nil {
		return nil, err
	}
	token, expires, err := s.streamGrant(r)
	if err != nil {
		return nil, err
	}
	perToken, max := s.StreamsPerToken, s.StreamsMax
	if perToken <= 0 {
		perToken = streamsPerToken
	}
	if max <= 0 {
		max = streamsMax
	}
	if err := s.streams.acquire(token, perToken, max); err != nil {
		return nil, err
	}
	return eventStream{s, after, token, expires}, nil
}

// eventStream is the answer of events: the stream itself, from after on, until expires.
type eventStream struct {
	s       *Server
	after   int64
	token   string // counted in s.streams until the stream ends
	expires time.Time
}

func (es eventStream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer es.s.streams.release(es.token)
	s, after := es.s, es.after
	// The stream ends with its token: a client reconnects with a fresh one and Last-Event-ID.
	ctx, cancel := context.WithDeadline(r.Context(), es.expires)
	defer cancel()
	flusher, ok := w.(http.Flusher)
	if !ok {
		s.respond(w, r, meet.DoorStream, nil, fmt.Errorf("response writer cannot flush"))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(status(meet.DoorStream, meet.CodeSuccess))
	fmt.Fprintf(w, "retry: 1000\n: resuming after %d\n\n", after)
	// Events older than the retention window are gone: a client resuming from before it is told,
	// to read the state again rather than trust what it missed.
	if oldest, err := s.Rooms.OldestEventSeq(ctx); err == nil && after > 0 && after < oldest-1 {
		fmt.Fprintf(w, "event: gap\ndata: {\"after\":%d,\"oldest\":%d}\n\n", after, oldest)
	}
	flusher.Flush()

	every := eventsPoll
	if s.EventsPoll > 0 {
		every = s.EventsPoll
	}
	poll := time.NewTicker(every)
	defer poll.Stop()
	lastWrite := time.Now()
	for {
		rung := s.bell.wait()
		list, err := s.Rooms.Events(ctx, after, 200)
		if err != nil {
			if ctx.Err() == nil {
				s.Log.Error("event stream", "err", err)
			}
			return
		}
		for _, e := range list {
			data, _ := json.Marshal(struct {
				Seq int64 `json:"seq"`
				meet.Event
			}{e.Seq, e.Event})
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Event.Event, data)
			after = e.Seq
		}
		if len(list) > 0 {
			flusher.Flush()
			lastWrite = time.Now()
			if len(list) == 200 {
				continue // more waiting
			}
		} else if time.Since(lastWrite) > eventsPing {
			fmt.Fprint(w, ": ping\n\n")
			flusher.Flush()
			lastWrite = time.Now()
		}
		select {
		case <-ctx.Done():
			if r.Context().Err() == nil { // the token expired, not the client gone
				fmt.Fprint(w, ": token expired\n\n")
				flusher.Flush()
			}
			return
		case <-rung:
		case <-poll.C:
		}
	}
}

// resumePoint is the sequence number after which to stream: Last-Event-ID (header, or query
// parameter last_event_id), else only what happens from now on.
func (s *Server) resumePoint(ctx context.Context, r *http.Request) (int64, error) {
	id := r.Header.Get("Last-Event-ID")
	if id == "" {
		id = r.URL.Query().Get("last_event_id")
	}
	if id == "" {
		return s.Rooms.LastEventSeq(ctx)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n < 0 {
		return 0, meet.Errorf(meet.CodeInvalidParameters, "Last-Event-ID must be a non-negative whole number")
	}
	return n, nil
}
