package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
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
)

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
	return eventStream{s, after}, nil
}

// eventStream is the answer of events: the stream itself, from after on.
type eventStream struct {
	s     *Server
	after int64
}

func (es eventStream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s, after, ctx := es.s, es.after, r.Context()
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

	poll := time.NewTicker(eventsPoll)
	defer poll.Stop()
	lastWrite := time.Now()
	for {
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
			return
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
