package rooms

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"meetd/internal/auth"
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
		return meet.BadID("user_id")
	}
	// their meeting page's token stops working, whether or not they are connected now
	if err := s.store.RevokeUser(ctx, sess.SID, userID); err != nil {
		return fmt.Errorf("revoke %s: %w", userID, err)
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

// Broadcast is a message from the server to the meeting pages (broadcastToRoom).
type Broadcast struct {
	OnlyToAdmins bool
	ToUserID     string
	ChatMessage  string // a chat line from "System"
	FromName     string // the chat line's sender name instead of "System" (the BBB API's sendChatMessage)
	Notification *Notification
}

// Notification is a toast on the meeting pages.
type Notification struct {
	Text      string `json:"text"`
	Type      string `json:"notification_type"` // info, warning, error
	WithSound bool   `json:"with_sound"`
}

// Broadcast delivers a chat message or a notification to the room's pages (all, the admins, or one user).
func (s *Service) Broadcast(ctx context.Context, roomID string, b Broadcast) error {
	sess, err := s.running(ctx, roomID)
	if err != nil {
		return err
	}
	var topic string
	var payload any
	switch {
	case b.ChatMessage != "" && b.Notification != nil:
		return meet.Errorf(meet.CodeInvalidParameters, "give either chat_msg or notification_msg, not both")
	case b.ChatMessage != "":
		if len(b.ChatMessage) > meet.MaxMetadataBytes {
			return meet.Errorf(meet.CodeInvalidParameters, "chat_msg.message is longer than %d bytes", meet.MaxMetadataBytes)
		}
		topic = "chat"
		from := cmp.Or(b.FromName, "System")
		payload = map[string]any{"type": "chat", "from_user_id": "system", "from_name": from, "message": b.ChatMessage, "sent_at": s.now().UnixMilli()}
	case b.Notification != nil && b.Notification.Text != "":
		n := *b.Notification
		switch n.Type {
		case "":
			n.Type = "info"
		case "info", "warning", "error":
		default:
			return meet.Errorf(meet.CodeInvalidParameters, "notification_msg.type must be info, warning or error")
		}
		if len(n.Text) > meet.MaxMetadataBytes {
			return meet.Errorf(meet.CodeInvalidParameters, "notification_msg.text is longer than %d bytes", meet.MaxMetadataBytes)
		}
		topic = "notification"
		payload = struct {
			Type string `json:"type"`
			Notification
		}{"notification", n}
	default:
		return meet.Errorf(meet.CodeInvalidParameters, "chat_msg.message or notification_msg.text is required")
	}
	var to []string
	switch {
	case b.ToUserID != "":
		if !meet.ValidID(b.ToUserID) {
			return meet.BadID("to_user_id")
		}
		to = []string{b.ToUserID}
	case b.OnlyToAdmins:
		users, err := s.store.Users(ctx, sess.SID)
		if err != nil {
			return fmt.Errorf("users of %s: %w", sess.SID, err)
		}
		live, err := s.media.Participants(ctx, roomID)
		if err != nil {
			return fmt.Errorf("participants of %s: %w", roomID, err)
		}
		for _, p := range live {
			if u := users[p.Identity]; u != nil && u.IsAdmin && p.State != "DISCONNECTED" && !slices.Contains(to, p.Identity) {
				to = append(to, p.Identity)
			}
		}
		if len(to) == 0 {
			// as plugNmeet answers: nobody would get it (doc/api.md)
			return meet.Errorf(meet.CodeUserNotFound, "no admin is connected to the room")
		}
	}
	if err := s.media.SendData(ctx, roomID, topic, []byte(meet.JSON(payload)), to); err != nil {
		return fmt.Errorf("broadcast to %s: %w", roomID, err)
	}
	return nil
}

// UpdateLockSettings changes the locks of one user, or of every non-admin user when userID is
// empty (the room's defaults too). Connected participants lose or regain the permissions at once.
func (s *Service) UpdateLockSettings(ctx context.Context, roomID, userID string, locks meet.LockSettings) error {
	sess, err := s.running(ctx, roomID)
	if err != nil {
		return err
	}
	users, err := s.store.Users(ctx, sess.SID)
	if err != nil {
		return fmt.Errorf("users of %s: %w", sess.SID, err)
	}
	var targets []*meet.User
	if userID != "" {
		if !meet.ValidID(userID) {
			return meet.BadID("user_id")
		}
		u := users[userID]
		if u == nil {
			return meet.Errorf(meet.CodeUserNotFound, "user %s is not in this meeting", userID)
		}
		targets = append(targets, u)
	} else {
		sess.Metadata.DefaultLockSettings = sess.Metadata.DefaultLockSettings.Merge(&locks)
		if err := s.store.SetMetadata(ctx, sess.SID, sess.Metadata); err != nil {
			return fmt.Errorf("room locks of %s: %w", roomID, err)
		}
		for _, u := range users {
			if !u.IsAdmin {
				targets = append(targets, u)
			}
		}
	}
	live, err := s.media.Participants(ctx, roomID)
	if err != nil {
		return fmt.Errorf("participants of %s: %w", roomID, err)
	}
	connected := map[string]bool{}
	for _, p := range live {
		connected[p.Identity] = true
	}
	for _, u := range targets {
		own := meet.LockSettings{}
		if u.Metadata.LockSettings != nil {
			own = *u.Metadata.LockSettings
		}
		own = own.Overlay(locks)
		u.Metadata.LockSettings = &own
		if err := s.store.PutUser(ctx, sess.SID, u); err != nil {
			return fmt.Errorf("locks of %s: %w", u.UserID, err)
		}
		if connected[u.UserID] {
			if err := s.media.UpdateParticipant(ctx, s.grant(sess, u)); err != nil {
				return fmt.Errorf("apply locks to %s: %w", u.UserID, err)
			}
		}
	}
	return nil
}

// HandAttribute is the participant attribute that says a hand is raised ("1"); every page sees it.
const HandAttribute = "hand"

// Hand raises or lowers the hand of the holder of a join token, when the room allows it. The
// server sets it (participants may not set their own attributes), so it does not need the data
// permission that a chat lock takes away, and people who join later see it.
func (s *Service) Hand(ctx context.Context, token string, raised bool) error {
	sess, u, err := s.member(ctx, token, auth.UsePage)
	if err != nil {
		return err
	}
	if !meet.Bool(sess.Metadata.RoomFeatures.AllowRaiseHand) {
		return meet.Errorf(meet.CodePermissionDenied, "raising hands is not allowed in this room")
	}
	value := ""
	if raised {
		value = "1"
	}
	if err := s.media.SetAttributes(ctx, sess.RoomID, u.UserID, map[string]string{HandAttribute: value}); err != nil {
		return fmt.Errorf("hand of %s: %w", u.UserID, err)
	}
	// for the attendance report: each raise opens an interval (raising a raised hand changes nothing)
	if err := s.store.SetActivity(ctx, sess.SID, Activity{Kind: ActivityHand, Item: u.UserID, UserID: u.UserID, On: raised, At: s.now()}); err != nil {
		return fmt.Errorf("hand of %s: %w", u.UserID, err)
	}
	return nil
}
