package rooms

import (
	"context"
	"fmt"
	"slices"

	"meetd/internal/meet"
)

// Moderation: what an admin does to a live meeting, from the server key or from an admin's
// meeting page. Both go through these methods.

// participant returns the connected participant with the identity, or USER_NOT_FOUND.
func (s *Service) participant(ctx context.Context, roomID, userID string) (*meet.ParticipantInfo, error) {
	live, err := s.media.Participants(ctx, roomID)
	if err != nil {
		return nil, fmt.Errorf("participants of %s: %w", roomID, err)
	}
	for i := range live {
		if live[i].Identity == userID {
			return &live[i], nil
		}
	}
	return nil, meet.Errorf(meet.CodeUserNotFound, "user %s is not in the room", userID)
}

// RemoveParticipant disconnects a user; with block they cannot get a token or join again this session.
func (s *Service) RemoveParticipant(ctx context.Context, roomID, userID string, block bool) error {
	sess, err := s.running(ctx, roomID)
	if err != nil {
		return err
	}
	if !meet.ValidID(userID) {
		return meet.Errorf(meet.CodeInvalidParameters, "user_id must match ^[A-Za-z0-9_-]{1,64}$")
	}
	if block {
		if err := s.store.BlockUser(ctx, sess.SID, userID); err != nil {
			return fmt.Errorf("block %s: %w", userID, err)
		}
	}
	if _, err := s.participant(ctx, roomID, userID); err != nil {
		if block && meet.CodeOf(err) == meet.CodeUserNotFound {
			return nil // blocked before they could come back
		}
		return err
	}
	if err := s.media.RemoveParticipant(ctx, roomID, userID); err != nil {
		return fmt.Errorf("remove %s: %w", userID, err)
	}
	s.log.Info("participant removed", "room_id", roomID, "user_id", userID, "blocked", block)
	return nil
}

// Mute mutes or unmutes a user's tracks: the one named by trackSID, or else every track of the
// given sources (every track when sources is empty).
func (s *Service) Mute(ctx context.Context, roomID, userID, trackSID string, sources []string, muted bool) error {
	if _, err := s.running(ctx, roomID); err != nil {
		return err
	}
	p, err := s.participant(ctx, roomID, userID)
	if err != nil {
		return err
	}
	found := false
	for _, t := range p.Tracks {
		if (trackSID != "" && t.SID != trackSID) || (trackSID == "" && len(sources) > 0 && !slices.Contains(sources, t.Source)) {
			continue
		}
		found = true
		if err := s.media.MuteTrack(ctx, roomID, userID, t.SID, muted); err != nil {
			return fmt.Errorf("mute %s of %s: %w", t.SID, userID, err)
		}
	}
	if !found && trackSID != "" {
		return meet.Errorf(meet.CodeNotFound, "user %s has no track %s", userID, trackSID)
	}
	return nil
}
