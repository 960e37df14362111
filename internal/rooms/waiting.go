package rooms

import (
	"context"
	"fmt"
	"strings"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// The waiting room (doc/api.md, "Waiting room"): while a room's waiting_room_features.is_active
// is on, a non-admin's join answers "waiting" instead of a media token until a moderator admits
// or rejects them. Admins never wait; a user admitted once in a session does not wait again in
// it; a rejection stands for the session (a moderator may still admit them by user_id).

// WaitingStale is how long a waiting page may go without asking (its heartbeat, every few
// seconds) before its person is no longer listed as waiting.
const WaitingStale = 15 * time.Second

// WaitingTopic is the data topic of the waiting room's news to the admins' meeting pages.
const WaitingTopic = "meetd.waiting"

// enter lets a member into the media room, or into the waiting room when they must wait.
func (s *Service) enter(ctx context.Context, sess *meet.Session, u *meet.User) (*Joined, error) {
	if w, err := s.mustWait(ctx, sess, u); err != nil || w != nil {
		if err != nil {
			return nil, err
		}
		page, err := s.pageToken(sess, u)
		if err != nil {
			return nil, err
		}
		return &Joined{Session: sess, User: u, Waiting: w, PageToken: page}, nil
	}
	return s.admit(ctx, sess, u)
}

// mustWait returns the user's waiting-room row when they may not enter yet (waiting or rejected),
// nil when they may.
func (s *Service) mustWait(ctx context.Context, sess *meet.Session, u *meet.User) (*meet.Waiter, error) {
	if u.IsAdmin {
		return nil, nil
	}
	w, err := s.store.Waiter(ctx, sess.SID, u.UserID)
	if err != nil {
		return nil, fmt.Errorf("waiting room of %s: %w", u.UserID, err)
	}
	switch {
	case w != nil && w.State == meet.WaitingStateAdmitted:
		return nil, nil
	case w != nil && w.State == meet.WaitingStateRejected:
		return w, nil
	case !meet.Bool(sess.Metadata.RoomFeatures.WaitingRoomFeatures.IsActive):
		return nil, nil
	}
	now := s.now()
	arrived := false
	w, err = s.store.WaitingSeen(ctx, sess.SID, u.UserID, u.Name, now, now.Add(-WaitingStale), func(w meet.Waiter) []meet.Event {
		arrived = true
		e := meet.NewEvent(meet.EventWaitingRoomJoined, sess, now)
		e.Participant = waiterInfo(w)
		return []meet.Event{e}
	})
	if err != nil {
		return nil, fmt.Errorf("waiting room of %s: %w", u.UserID, err)
	}
	if arrived {
		s.log.Info("waiting", "room_id", sess.RoomID, "user_id", u.UserID)
		s.tellAdmins(ctx, sess, map[string]any{"type": "joined", "user_id": w.UserID, "name": w.Name})
	}
	return w, nil
}

func waiterInfo(w meet.Waiter) *meet.ParticipantInfo {
	return &meet.ParticipantInfo{Identity: w.UserID, Name: w.Name}
}

// WaitingStatus is the waiting page's heartbeat and question, with its page token: still waiting,
// rejected, or admitted (then with the media token, as /api/join answers).
func (s *Service) WaitingStatus(ctx context.Context, token string) (*Joined, error) {
	sess, u, err := s.member(ctx, token, auth.UsePage)
	if err != nil {
		return nil, err
	}
	return s.enter(ctx, sess, u)
}

// tellAdmins sends the waiting room's news to the admins connected to the room (best effort:
// their pages also ask for the list now and then).
func (s *Service) tellAdmins(ctx context.Context, sess *meet.Session, news map[string]any) {
	live, err := s.media.Participants(ctx, sess.RoomID)
	if err != nil {
		return
	}
	users, err := s.store.Users(ctx, sess.SID)
	if err != nil {
		return
	}
	var to []string
	for _, p := range live {
		if u := users[p.Identity]; u != nil && u.IsAdmin && !strings.HasPrefix(p.Identity, meet.InternalPrefix) {
			to = append(to, p.Identity)
		}
	}
	if len(to) == 0 {
		return
	}
	if err := s.media.SendData(ctx, sess.RoomID, WaitingTopic, []byte(meet.JSON(news)), to); err != nil {
		s.log.Warn("waiting room news", "room_id", sess.RoomID, "err", err)
	}
}

// Waiting lists the people waiting in a running room now (seen within WaitingStale), in arrival
// order, and whether its waiting room is on.
func (s *Service) Waiting(ctx context.Context, roomID string) (active bool, list []meet.Waiter, err error) {
	sess, err := s.running(ctx, roomID)
	if err != nil {
		return false, nil, err
	}
	list, err = s.waitingNow(ctx, sess)
	return meet.Bool(sess.Metadata.RoomFeatures.WaitingRoomFeatures.IsActive), list, err
}

func (s *Service) waitingNow(ctx context.Context, sess *meet.Session) ([]meet.Waiter, error) {
	all, err := s.store.Waiters(ctx, sess.SID)
	if err != nil {
		return nil, fmt.Errorf("waiting room of %s: %w", sess.RoomID, err)
	}
	cut := s.now().Add(-WaitingStale).UnixMilli()
	list := []meet.Waiter{}
	for _, w := range all {
		if w.State == meet.WaitingStateWaiting && w.SeenAt >= cut {
			list = append(list, w)
		}
	}
	return list, nil
}

// WaitingForSID is the list of waiting people of a session (room info), empty if none.
func (s *Service) WaitingForSID(ctx context.Context, sess *meet.Session) ([]meet.Waiter, error) {
	return s.waitingNow(ctx, sess)
}

// Admit lets the named people (all waiting when all) into the room; Reject turns them away with
// an optional reason. A named person must be waiting (or, to admit, rejected before): else
// USER_NOT_FOUND and nothing changes. They return who was decided.
func (s *Service) Admit(ctx context.Context, roomID string, userIDs []string, all bool) ([]meet.Waiter, error) {
	return s.decide(ctx, roomID, userIDs, all, meet.WaitingStateAdmitted, "")
}

func (s *Service) Reject(ctx context.Context, roomID string, userIDs []string, all bool, reason string) ([]meet.Waiter, error) {
	if len(reason) > meet.MaxWaitingReasonBytes {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "reason is longer than %d bytes", meet.MaxWaitingReasonBytes)
	}
	return s.decide(ctx, roomID, userIDs, all, meet.WaitingStateRejected, reason)
}

func (s *Service) decide(ctx context.Context, roomID string, userIDs []string, all bool, state, reason string) ([]meet.Waiter, error) {
	sess, err := s.running(ctx, roomID)
	if err != nil {
		return nil, err
	}
	switch {
	case all && len(userIDs) > 0:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "give either user_ids or all, not both")
	case !all && len(userIDs) == 0:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "user_ids is required (or all: true)")
	case len(userIDs) > 1000:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "user_ids has more than 1000 entries")
	}
	also := meet.WaitingStateWaiting
	if state == meet.WaitingStateAdmitted {
		also = meet.WaitingStateRejected
	}
	if !all {
		known, err := s.store.Waiters(ctx, sess.SID)
		if err != nil {
			return nil, fmt.Errorf("waiting room of %s: %w", roomID, err)
		}
		states := map[string]string{}
		for _, w := range known {
			states[w.UserID] = w.State
		}
		for _, id := range userIDs {
			if !meet.ValidID(id) {
				return nil, meet.BadID("user_ids")
			}
			if st := states[id]; st != meet.WaitingStateWaiting && st != also {
				return nil, meet.Errorf(meet.CodeUserNotFound, "user %s is not in the waiting room", id)
			}
		}
	} else {
		userIDs = nil
	}
	name := meet.EventWaitingRoomAdmitted
	if state == meet.WaitingStateRejected {
		name = meet.EventWaitingRoomRejected
	}
	now := s.now()
	changed, err := s.store.DecideWaiting(ctx, sess.SID, userIDs, state, reason, also, func(ws []meet.Waiter) []meet.Event {
		var out []meet.Event
		for _, w := range ws {
			e := meet.NewEvent(name, sess, now)
			e.Participant = waiterInfo(w)
			if reason != "" {
				e.WaitingRoom = &meet.EventWaitingRoom{Reason: reason}
			}
			out = append(out, e)
		}
		return out
	})
	if err != nil {
		return nil, fmt.Errorf("waiting room of %s: %w", roomID, err)
	}
	if changed == nil {
		changed = []meet.Waiter{}
	}
	if len(changed) > 0 {
		s.log.Info("waiting room decided", "room_id", roomID, "state", state, "count", len(changed))
		s.tellAdmins(ctx, sess, map[string]any{"type": state, "count": len(changed)})
	}
	return changed, nil
}

// SetWaitingRoom switches a running room's waiting room on or off, and changes its message when
// msg is given. Switching it off admits everyone waiting.
func (s *Service) SetWaitingRoom(ctx context.Context, roomID string, active bool, msg *string) error {
	sess, err := s.running(ctx, roomID)
	if err != nil {
		return err
	}
	if msg != nil && len(*msg) > meet.MaxMetadataBytes {
		return meet.Errorf(meet.CodeInvalidParameters, "waiting_room_msg is longer than %d bytes", meet.MaxMetadataBytes)
	}
	f := &sess.Metadata.RoomFeatures.WaitingRoomFeatures
	f.IsActive = &active
	if msg != nil {
		f.WaitingRoomMsg = *msg
	}
	if err := s.store.SetMetadata(ctx, sess.SID, sess.Metadata); err != nil {
		return fmt.Errorf("waiting room of %s: %w", roomID, err)
	}
	e := meet.NewEvent(meet.EventWaitingRoomUpdated, sess, s.now())
	e.WaitingRoom = &meet.EventWaitingRoom{IsActive: &active}
	if err := s.store.AddEvents(ctx, e); err != nil {
		return fmt.Errorf("waiting room of %s: %w", roomID, err)
	}
	if !active {
		if _, err := s.decide(ctx, roomID, nil, true, meet.WaitingStateAdmitted, ""); err != nil {
			return err
		}
	}
	s.tellAdmins(ctx, sess, map[string]any{"type": "updated", "is_active": active, "waiting_room_msg": f.WaitingRoomMsg})
	return nil
}
