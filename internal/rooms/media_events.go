package rooms

import (
	"context"
	"fmt"
	"strings"
	"time"

	"meetd/internal/meet"
)

// What the media server tells the room service. Events for a room without a running session,
// and for the server's own participants, are dropped.

func (s *Service) sessionFor(ctx context.Context, roomID string, p *meet.ParticipantInfo) (*meet.Session, error) {
	if p != nil && strings.HasPrefix(p.Identity, meet.InternalPrefix) {
		return nil, nil
	}
	sess, err := s.store.Session(ctx, roomID)
	if err != nil {
		return nil, fmt.Errorf("load room %s: %w", roomID, err)
	}
	if sess == nil || !sess.Running() {
		return nil, nil
	}
	return sess, nil
}

// closeStray closes a media room someone joined while its room has no running session. The media
// server creates a room on the first join, and a page whose connection broke while the meeting
// ended reconnects with its still valid media token: it would sit in a new media room that meetd
// knows nothing of. Closed, it hears that the meeting ended (doc/architecture.md, "Flows").
func (s *Service) closeStray(ctx context.Context, roomID string, p *meet.ParticipantInfo) {
	if strings.HasPrefix(p.Identity, meet.InternalPrefix) {
		return // the recorder may open a room before anyone joins
	}
	s.log.Info("a participant joined a media room whose meeting is not running: closing it", "room_id", roomID, "user_id", p.Identity)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.media.CloseRoom(ctx, roomID); err != nil {
		s.log.Warn("close a media room without a running meeting", "room_id", roomID, "err", err)
	}
}

func joinedAt(p *meet.ParticipantInfo, now time.Time) time.Time {
	if p.JoinedAtMs > 0 {
		return time.UnixMilli(p.JoinedAtMs)
	}
	if p.JoinedAt > 0 {
		return time.Unix(p.JoinedAt, 0)
	}
	return now
}

// ParticipantJoined records a participant connection and emits participant_joined (and
// room_started for the session's first), unless the user or the session joined faster than the
// limit (ratelimit.go).
func (s *Service) ParticipantJoined(ctx context.Context, roomID string, p meet.ParticipantInfo) error {
	sess, err := s.sessionFor(ctx, roomID, &p)
	if err != nil {
		return err
	}
	if sess == nil {
		s.closeStray(ctx, roomID, &p)
		return nil
	}
	now := s.now()
	pr := Presence{ParticipantSID: p.SID, UserID: p.Identity, Name: p.Name, At: joinedAt(&p, now), Node: s.cfg.Node}
	first := false
	err = s.store.ParticipantJoined(ctx, sess.SID, pr, func(sess *meet.Session, f JoinFacts) []meet.Event {
		var events []meet.Event
		first = f.FirstOfSession
		if f.FirstOfSession {
			events = append(events, meet.NewEvent(meet.EventRoomStarted, sess, now))
		}
		if !s.presenceEvents.joined(s.log, sess, &p, now) {
			return events // the connection is recorded; its event is over the limit (ratelimit.go)
		}
		e := meet.NewEvent(meet.EventParticipantJoined, sess, now)
		e.Participant = &p
		return append(events, e)
	})
	if err == nil && first {
		s.hooks.Started(ctx, sess) // automatic recording
	}
	return err
}

// ParticipantLeft closes a participant connection and emits participant_left, unless its
// participant_joined was not written (ratelimit.go).
func (s *Service) ParticipantLeft(ctx context.Context, roomID string, p meet.ParticipantInfo) error {
	sess, err := s.sessionFor(ctx, roomID, &p)
	if err != nil || sess == nil {
		return err
	}
	now := s.now()
	pr := Presence{ParticipantSID: p.SID, UserID: p.Identity, Name: p.Name, At: now}
	return s.store.ParticipantLeft(ctx, sess.SID, pr, func(sess *meet.Session) []meet.Event {
		if !s.presenceEvents.left(s.log, sess, &p, now) {
			return nil // its participant_joined was not written either
		}
		e := meet.NewEvent(meet.EventParticipantLeft, sess, now)
		p.State = "DISCONNECTED"
		e.Participant = &p
		return []meet.Event{e}
	})
}

// TrackChanged emits track_published or track_unpublished.
func (s *Service) TrackChanged(ctx context.Context, roomID string, published bool, p meet.ParticipantInfo, t meet.Track) error {
	sess, err := s.sessionFor(ctx, roomID, &p)
	if err != nil || sess == nil {
		return err
	}
	now := s.now()
	name := meet.EventTrackUnpublished
	if published {
		name = meet.EventTrackPublished
	}
	var events []meet.Event
	if s.trackEvents.allow(sess.SID+"/"+p.Identity, now) {
		s.fillParticipant(ctx, sess, &p)
		e := meet.NewEvent(name, sess, now)
		e.Participant, e.Track = &p, &t
		events = append(events, e)
	} else {
		s.log.Debug("track event over the participant's rate: not written", "room_id", roomID, "user_id", p.Identity, "event", name)
	}
	if published {
		return s.store.TrackPublished(ctx, sess.SID, p.Identity, t, now, events...)
	}
	return s.store.TrackUnpublished(ctx, sess.SID, t, now, events...)
}
