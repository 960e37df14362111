package rooms

import (
	"context"

	"meetd/internal/meet"
)

// fillParticipant completes the participant of a track event. LiveKit's track webhooks carry only
// the participant's sid and identity; webhook receivers get the whole participant object, as in
// participant_joined: from the media server while the participant is connected, else (it is
// leaving) from the session's record of the connection and the user, DISCONNECTED.
func (s *Service) fillParticipant(ctx context.Context, sess *meet.Session, p *meet.ParticipantInfo) {
	if live, err := s.media.Participants(ctx, sess.RoomID); err == nil {
		for _, l := range live {
			if l.SID == p.SID {
				*p = l
				break
			}
		}
	}
	if p.JoinedAt == 0 {
		p.State = "DISCONNECTED" // gone from the media server
		if c, err := s.store.Connection(ctx, sess.SID, p.SID); err == nil && c != nil {
			p.JoinedAt, p.JoinedAtMs = c.At.Unix(), c.At.UnixMilli()
		}
	}
	u, err := s.store.User(ctx, sess.SID, p.Identity)
	if err != nil || u == nil {
		return
	}
	if p.Name == "" {
		p.Name = u.Name
	}
	p.IsAdmin, p.IsHidden = u.IsAdmin, u.IsHidden
	p.Metadata = meet.JSON(u.ParticipantMetadata(&sess.Metadata))
}
