package rooms

import (
	"context"
	"fmt"
	"time"
)

// Kinds of activity: what the media node shows between its events, for attendance reports.
const (
	ActivityMuted   = "muted"   // a published track is muted; Item is the track's sid
	ActivityTalking = "talking" // a participant is speaking; Item is the participant's sid
	ActivityHand    = "hand"    // a participant's hand is raised; Item is the user's id
)

// Activity is a change of activity: a track muted or unmuted, a participant who starts or stops
// speaking.
type Activity struct {
	Kind   string
	Item   string
	UserID string
	On     bool
	At     time.Time
}

// Activity records a change of activity in the room's running session (none: nothing to do).
func (s *Service) Activity(ctx context.Context, roomID string, a Activity) error {
	sess, err := s.sessionFor(ctx, roomID, nil)
	if err != nil || sess == nil {
		return err
	}
	if err := s.store.SetActivity(ctx, sess.SID, a); err != nil {
		return fmt.Errorf("activity in %s: %w", roomID, err)
	}
	return nil
}

// NodeRooms lists the rooms with participants connected to this process's media node.
func (s *Service) NodeRooms(ctx context.Context) ([]string, error) {
	return s.store.NodeRooms(ctx, s.cfg.Node)
}
