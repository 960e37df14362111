package rooms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// Breakout rooms (doc/api.md, "Breakout rooms"). A moderator splits a running room's participants
// into breakout rooms for a number of minutes. Each breakout room is a room of its own, with its
// own session (own sid, attendance, events; its metadata says is_breakout_room and names the
// parent), that inherits the parent's features and locks, without a waiting room, recording on
// start or breakout rooms of its own. Participants move with their meeting page's token
// (JoinBreakout, BackToMain). The round ends when its time is up (the sweeper), when a moderator or
// the API ends it, or when the parent ends; the pages then go back to the parent.

// BreakoutStore is what breakout rooms need of the store besides Store (internal/store has it).
type BreakoutStore interface {
	CreateBreakouts(ctx context.Context, parentSID string, list []meet.Breakout, sessions []*meet.Session, events []meet.Event) error
	Breakouts(ctx context.Context, parentSID string, all bool) ([]meet.Breakout, error)
	Breakout(ctx context.Context, sid string) (*meet.Breakout, error)
	DueBreakouts(ctx context.Context, now time.Time) ([]meet.Breakout, error)
	ExtendBreakouts(ctx context.Context, parentSID, sid string, d time.Duration, events func([]meet.Breakout) []meet.Event) ([]meet.Breakout, error)
	CloseBreakouts(ctx context.Context, parentSID string, at time.Time, events func(*meet.Session, []meet.Breakout) []meet.Event) (bool, error)
}

// TopicBreakout is the topic of the data messages that tell the meeting pages of a change to the
// breakout rooms: {"type":"created"|"extended"|"ended", "reason"?}. The pages then ask
// /api/breakout/state.
const TopicBreakout = "meetd.breakout"

// BreakoutPlan is breakoutRoom/create: the rooms by hand (Rooms), or a number of rooms that the
// connected participants are spread over at random (NumberOfRooms), for Duration minutes.
type BreakoutPlan struct {
	Duration      int
	WelcomeMsg    string
	Rooms         []BreakoutRoomPlan
	NumberOfRooms int
}

// BreakoutRoomPlan is one room of a plan by hand: its title ("Room n" if empty) and its users.
type BreakoutRoomPlan struct {
	Title string
	Users []string
}

// BreakoutRoom is a breakout room as the API lists it: the room and who is connected to it now.
type BreakoutRoom struct {
	meet.Breakout
	Connected []string          // user ids connected now
	Names     map[string]string // the names of its users (and of those connected)
}

func (s *Service) breakoutStore() (BreakoutStore, error) {
	bs, ok := s.store.(BreakoutStore)
	if !ok {
		return nil, errors.New("this store keeps no breakout rooms")
	}
	return bs, nil
}

// breakoutRoomID is the room_id of the parent's n-th breakout room: <parent>-br<n>, the parent's
// id shortened to keep it a valid id.
func breakoutRoomID(parent string, n int) string {
	suffix := fmt.Sprintf("-br%d", n)
	if len(parent)+len(suffix) > 64 {
		parent = parent[:64-len(suffix)]
	}
	return parent + suffix
}

// breakoutParent returns the breakout store and the running parent session of roomID, which
// must not be a breakout room itself.
func (s *Service) breakoutParent(ctx context.Context, roomID string) (BreakoutStore, *meet.Session, error) {
	bs, err := s.breakoutStore()
	if err != nil {
		return nil, nil, err
	}
	sess, err := s.running(ctx, roomID)
	if err != nil {
		return nil, nil, err
	}
	if sess.Metadata.IsBreakoutRoom {
		return nil, nil, meet.Errorf(meet.CodePermissionDenied, "room %s is a breakout room: it has no breakout rooms of its own", roomID)
	}
	return bs, sess, nil
}

// CreateBreakouts starts a round of breakout rooms of the room.
func (s *Service) CreateBreakouts(ctx context.Context, roomID string, plan BreakoutPlan) ([]meet.Breakout, error) {
	bs, parent, err := s.breakoutParent(ctx, roomID)
	if err != nil {
		return nil, err
	}
	if !parent.Metadata.BreakoutAllowed() {
		return nil, meet.Errorf(meet.CodePermissionDenied, "breakout rooms are not allowed in this room (metadata.room_features.breakout_room_features.is_allow)")
	}
	switch {
	case plan.Duration <= 0:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "duration must be a positive number of minutes")
	case plan.Duration > meet.MaxRoomDuration:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "duration must be at most %d minutes", meet.MaxRoomDuration)
	case len(plan.WelcomeMsg) > meet.MaxMetadataBytes:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "welcome_msg is longer than %d bytes", meet.MaxMetadataBytes)
	case len(plan.Rooms) > 0 && plan.NumberOfRooms != 0:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "give either rooms or number_of_rooms, not both")
	case len(plan.Rooms) == 0 && plan.NumberOfRooms == 0:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "rooms or number_of_rooms is required")
	case plan.NumberOfRooms < 0:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "number_of_rooms must be positive")
	}
	n := max(len(plan.Rooms), plan.NumberOfRooms)
	if allowed := parent.Metadata.AllowedBreakoutRooms(); n > allowed {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "at most %d breakout rooms are allowed in this room (breakout_room_features.allowed_number_rooms)", allowed)
	}
	rooms := plan.Rooms
	if len(rooms) == 0 {
		if rooms, err = s.randomPlan(ctx, parent, n); err != nil {
			return nil, err
		}
	} else if err := s.checkPlan(ctx, parent, rooms); err != nil {
		return nil, err
	}

	now := s.now().Truncate(time.Millisecond)
	endsAt := now.Add(time.Duration(plan.Duration) * time.Minute)
	list := make([]meet.Breakout, 0, n)
	sessions := make([]*meet.Session, 0, n)
	var events []meet.Event
	for i, r := range rooms {
		title := r.Title
		if title == "" {
			title = fmt.Sprintf("Room %d", i+1)
		}
		child := &meet.Session{
			SID: meet.NewID("RM_"), RoomID: breakoutRoomID(parent.RoomID, i+1), Metadata: breakoutMetadata(parent, title, plan.WelcomeMsg),
			MaxParticipants: parent.MaxParticipants, EmptyTimeout: parent.EmptyTimeout, CreatedAt: now,
		}
		users := r.Users
		if users == nil {
			users = []string{}
		}
		list = append(list, meet.Breakout{SID: child.SID, RoomID: child.RoomID, ParentSID: parent.SID, ParentRoomID: parent.RoomID,
			Title: title, Users: users, CreatedAt: now, EndsAt: endsAt, Running: true})
		sessions = append(sessions, child)
		events = append(events, meet.NewEvent(meet.EventRoomCreated, child, now))
	}
	events = append(events, breakoutEvent(meet.EventBreakoutRoomsCreated, parent, list, now))
	if err := bs.CreateBreakouts(ctx, parent.SID, list, sessions, events); err != nil {
		return nil, err
	}
	for _, child := range sessions { // an encrypted meeting's breakout rooms share its key (e2ee.go)
		if err := s.ShareE2EEKey(ctx, parent.SID, child.SID); err != nil {
			return nil, err
		}
	}
	s.log.Info("breakout rooms created", "room_id", parent.RoomID, "rooms", len(list), "minutes", plan.Duration)
	s.tellBreakout(ctx, parent.RoomID, "created", "")
	return list, nil
}

// checkPlan checks the rooms of a plan by hand: titles, and users of the meeting, each in one room.
func (s *Service) checkPlan(ctx context.Context, parent *meet.Session, rooms []BreakoutRoomPlan) error {
	users, err := s.store.Users(ctx, parent.SID)
	if err != nil {
		return fmt.Errorf("users of %s: %w", parent.SID, err)
	}
	seen := map[string]bool{}
	for i, r := range rooms {
		if len(r.Title) > meet.MaxNameBytes {
			return meet.Errorf(meet.CodeInvalidParameters, "rooms[%d].title is longer than %d bytes", i, meet.MaxNameBytes)
		}
		for _, id := range r.Users {
			if !meet.ValidID(id) {
				return meet.BadID(fmt.Sprintf("rooms[%d].users", i))
			}
			if users[id] == nil {
				return meet.Errorf(meet.CodeUserNotFound, "user %s is not in this meeting", id)
			}
			if seen[id] {
				return meet.Errorf(meet.CodeInvalidParameters, "user %s is in two breakout rooms", id)
			}
			seen[id] = true
		}
	}
	return nil
}

// randomPlan spreads the participants connected now (not the moderators, nor hidden ones) over n
// rooms at random, as evenly as can be.
func (s *Service) randomPlan(ctx context.Context, parent *meet.Session, n int) ([]BreakoutRoomPlan, error) {
	live, err := s.media.Participants(ctx, parent.RoomID)
	if err != nil {
		return nil, fmt.Errorf("participants of %s: %w", parent.RoomID, err)
	}
	users, err := s.store.Users(ctx, parent.SID)
	if err != nil {
		return nil, fmt.Errorf("users of %s: %w", parent.SID, err)
	}
	var ids []string
	for _, p := range live {
		u := users[p.Identity]
		if u == nil || u.IsAdmin || u.IsHidden || p.State == "DISCONNECTED" || slices.Contains(ids, p.Identity) {
			continue
		}
		ids = append(ids, p.Identity)
	}
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	rooms := make([]BreakoutRoomPlan, n)
	for i := range rooms {
		rooms[i].Users = []string{}
	}
	for i, id := range ids {
		rooms[i%n].Users = append(rooms[i%n].Users, id)
	}
	return rooms, nil
}

// breakoutMetadata is a breakout room's metadata: the parent's as it is now (features, default
// locks, webhook URL, analytics), with its own title, no waiting room, no recording on start, no
// duration of its own (the round's end ends it) and no breakout rooms of its own.
func breakoutMetadata(parent *meet.Session, title, welcome string) meet.RoomMetadata {
	var md meet.RoomMetadata
	_ = json.Unmarshal([]byte(meet.JSON(parent.Metadata)), &md) // a deep copy: the groups are maps
	md.RoomTitle = parent.Metadata.RoomTitle + " · " + title
	if len(md.RoomTitle) > meet.MaxNameBytes {
		md.RoomTitle = strings.ToValidUTF8(md.RoomTitle[:meet.MaxNameBytes], "")
	}
	if welcome != "" {
		md.WelcomeMessage = welcome
	}
	off, zero := false, 0
	md.RoomFeatures.WaitingRoomFeatures.IsActive = &off
	md.RoomFeatures.RecordingFeatures.EnableAutoCloudRecording = &off
	md.RoomFeatures.RoomDuration = &zero
	md.RoomFeatures.BreakoutRoomFeatures = map[string]any{"is_allow": false}
	md.IsBreakoutRoom, md.ParentRoomID = true, parent.RoomID
	md.Fill()
	return md
}

func breakoutEvent(name string, parent *meet.Session, list []meet.Breakout, now time.Time) meet.Event {
	e := meet.NewEvent(name, parent, now)
	for _, b := range list {
		e.BreakoutRooms = append(e.BreakoutRooms, meet.EventBreakoutRoom{RoomID: b.RoomID, SID: b.SID, Title: b.Title, Users: b.Users, EndsAt: b.EndsAt.Unix()})
	}
	return e
}

// tellBreakout tells the room's pages of a change (TopicBreakout); a failure is only logged: the
// pages also learn it when their room closes, or at their next look.
func (s *Service) tellBreakout(ctx context.Context, roomID, what, reason string) {
	payload := map[string]string{"type": what}
	if reason != "" {
		payload["reason"] = reason
	}
	if err := s.media.SendData(ctx, roomID, TopicBreakout, []byte(meet.JSON(payload)), nil); err != nil {
		s.log.Warn("could not tell the pages of the breakout rooms", "room_id", roomID, "err", err)
	}
}

// Breakouts lists the room's open round of breakout rooms, with who is connected to each now.
func (s *Service) Breakouts(ctx context.Context, roomID string) ([]BreakoutRoom, error) {
	bs, parent, err := s.breakoutParent(ctx, roomID)
	if err != nil {
		return nil, err
	}
	return s.breakoutRooms(ctx, bs, parent)
}

func (s *Service) breakoutRooms(ctx context.Context, bs BreakoutStore, parent *meet.Session) ([]BreakoutRoom, error) {
	list, err := bs.Breakouts(ctx, parent.SID, false)
	if err != nil {
		return nil, fmt.Errorf("breakout rooms of %s: %w", parent.RoomID, err)
	}
	users, err := s.store.Users(ctx, parent.SID)
	if err != nil {
		return nil, fmt.Errorf("users of %s: %w", parent.SID, err)
	}
	out := make([]BreakoutRoom, 0, len(list))
	for _, b := range list {
		r := BreakoutRoom{Breakout: b, Connected: []string{}, Names: map[string]string{}}
		for _, id := range b.Users {
			if u := users[id]; u != nil {
				r.Names[id] = u.Name
			}
		}
		if b.Running {
			live, err := s.media.Participants(ctx, b.RoomID)
			if err != nil {
				return nil, fmt.Errorf("participants of %s: %w", b.RoomID, err)
			}
			for _, p := range live {
				if !strings.HasPrefix(p.Identity, meet.InternalPrefix) && p.State != "DISCONNECTED" && !slices.Contains(r.Connected, p.Identity) {
					r.Connected = append(r.Connected, p.Identity)
					if _, ok := r.Names[p.Identity]; !ok {
						r.Names[p.Identity] = p.Name
					}
				}
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// findBreakout is the open round's breakout room roomID of the parent: NOT_FOUND if none.
func findBreakout(list []meet.Breakout, id string) (*meet.Breakout, error) {
	if len(list) == 0 {
		return nil, meet.Errorf(meet.CodeNotFound, "this room has no breakout rooms")
	}
	for i := range list {
		if list[i].RoomID == id {
			return &list[i], nil
		}
	}
	return nil, meet.Errorf(meet.CodeNotFound, "no breakout room %s in this room", id)
}

// EndBreakouts ends one breakout room (breakoutRoomID) or, with "", every breakout room of the
// room's open round; their participants go back to the room.
func (s *Service) EndBreakouts(ctx context.Context, roomID, breakoutRoomID string) error {
	bs, parent, err := s.breakoutParent(ctx, roomID)
	if err != nil {
		return err
	}
	if breakoutRoomID != "" && !meet.ValidID(breakoutRoomID) {
		return meet.BadID("breakout_room_id")
	}
	list, err := bs.Breakouts(ctx, parent.SID, false)
	if err != nil {
		return fmt.Errorf("breakout rooms of %s: %w", roomID, err)
	}
	targets := list
	if breakoutRoomID != "" {
		b, err := findBreakout(list, breakoutRoomID)
		if err != nil {
			return err
		}
		if !b.Running {
			return meet.Errorf(meet.CodeRoomNotActive, "breakout room %s has ended", breakoutRoomID)
		}
		targets = []meet.Breakout{*b}
	} else if len(list) == 0 {
		return meet.Errorf(meet.CodeNotFound, "this room has no breakout rooms")
	}
	var errs []error
	for _, b := range targets {
		if err := s.endBreakout(ctx, b, meet.EndBreakoutEnded); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.closeRound(ctx, bs, parent.SID); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// endBreakout ends a breakout room's session, once its pages were told to go back.
func (s *Service) endBreakout(ctx context.Context, b meet.Breakout, reason string) error {
	child, err := s.store.SessionBySID(ctx, b.SID)
	if err != nil {
		return fmt.Errorf("breakout room %s: %w", b.RoomID, err)
	}
	if child == nil || !child.Running() {
		return nil
	}
	s.tellBreakout(ctx, child.RoomID, "ended", reason)
	return s.end(ctx, child, reason)
}

// closeRound closes the parent's round once none of its rooms runs (breakout_rooms_ended), and
// tells the parent's pages.
func (s *Service) closeRound(ctx context.Context, bs BreakoutStore, parentSID string) error {
	now := s.now()
	var roomID string
	closed, err := bs.CloseBreakouts(ctx, parentSID, now, func(parent *meet.Session, list []meet.Breakout) []meet.Event {
		roomID = parent.RoomID
		return []meet.Event{breakoutEvent(meet.EventBreakoutRoomsEnded, parent, list, now)}
	})
	if err != nil {
		return fmt.Errorf("close the breakout rooms of %s: %w", parentSID, err)
	}
	if closed {
		s.log.Info("breakout rooms ended", "room_id", roomID)
		s.tellBreakout(ctx, roomID, "ended", "")
	}
	return nil
}

// endBreakoutsOf ends the open round of a parent that is ending.
func (s *Service) endBreakoutsOf(ctx context.Context, parent *meet.Session) error {
	bs, ok := s.store.(BreakoutStore)
	if !ok || parent.Metadata.IsBreakoutRoom {
		return nil
	}
	list, err := bs.Breakouts(ctx, parent.SID, false)
	if err != nil || len(list) == 0 {
		return err
	}
	var errs []error
	for _, b := range list {
		if err := s.endBreakout(ctx, b, meet.EndParentEnded); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, s.closeRound(ctx, bs, parent.SID))...)
}

// ExtendBreakouts gives one breakout room (or, with "", every one of the open round) minutes more.
func (s *Service) ExtendBreakouts(ctx context.Context, roomID, breakoutRoomID string, minutes int) ([]meet.Breakout, error) {
	bs, parent, err := s.breakoutParent(ctx, roomID)
	if err != nil {
		return nil, err
	}
	switch {
	case breakoutRoomID != "" && !meet.ValidID(breakoutRoomID):
		return nil, meet.BadID("breakout_room_id")
	case minutes <= 0:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "duration must be a positive number of minutes")
	case minutes > meet.MaxRoomDuration:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "duration must be at most %d minutes", meet.MaxRoomDuration)
	}
	list, err := bs.Breakouts(ctx, parent.SID, false)
	if err != nil {
		return nil, fmt.Errorf("breakout rooms of %s: %w", roomID, err)
	}
	sid := ""
	if breakoutRoomID != "" {
		b, err := findBreakout(list, breakoutRoomID)
		if err != nil {
			return nil, err
		}
		if !b.Running {
			return nil, meet.Errorf(meet.CodeRoomNotActive, "breakout room %s has ended", breakoutRoomID)
		}
		sid = b.SID
	} else if len(list) == 0 {
		return nil, meet.Errorf(meet.CodeNotFound, "this room has no breakout rooms")
	}
	now := s.now()
	moved, err := bs.ExtendBreakouts(ctx, parent.SID, sid, time.Duration(minutes)*time.Minute, func(list []meet.Breakout) []meet.Event {
		return []meet.Event{breakoutEvent(meet.EventBreakoutRoomsExtended, parent, list, now)}
	})
	if err != nil {
		return nil, fmt.Errorf("extend the breakout rooms of %s: %w", roomID, err)
	}
	s.tellBreakout(ctx, parent.RoomID, "extended", "")
	for _, b := range moved {
		if b.Running {
			s.tellBreakout(ctx, b.RoomID, "extended", "")
		}
	}
	return moved, nil
}

// sweepBreakouts ends the breakout rooms whose time is up or whose parent has ended, and closes
// the rounds left with none running.
func (s *Service) sweepBreakouts(ctx context.Context) error {
	bs, ok := s.store.(BreakoutStore)
	if !ok {
		return nil
	}
	due, err := bs.DueBreakouts(ctx, s.now())
	if err != nil {
		return fmt.Errorf("due breakout rooms: %w", err)
	}
	var errs []error
	var parents []string
	for _, b := range due {
		if !slices.Contains(parents, b.ParentSID) {
			parents = append(parents, b.ParentSID)
		}
		if !b.Running {
			continue
		}
		reason := meet.EndBreakoutTimeUp
		if p, err := s.store.SessionBySID(ctx, b.ParentSID); err == nil && (p == nil || !p.Running()) {
			reason = meet.EndParentEnded
		}
		if err := s.endBreakout(ctx, b, reason); err != nil {
			errs = append(errs, err)
		}
	}
	for _, sid := range parents {
		if err := s.closeRound(ctx, bs, sid); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// hasOpenBreakouts reports whether the session has a round of breakout rooms open: its
// participants are away, so the parent does not end by its empty or departure timeout.
func (s *Service) hasOpenBreakouts(ctx context.Context, sess *meet.Session) bool {
	bs, ok := s.store.(BreakoutStore)
	if !ok || sess.Metadata.IsBreakoutRoom {
		return false
	}
	list, err := bs.Breakouts(ctx, sess.SID, false)
	return err == nil && len(list) > 0
}

// BreakoutState is what a meeting page knows of its room's breakout rooms.
type BreakoutState struct {
	Parent  *meet.Session
	User    *meet.User
	Allowed bool
	Max     int
	Rooms   []BreakoutRoom
	Mine    string // the room_id of the breakout room the user is sent to, "" if none
}

// BreakoutStateOf is the breakout rooms of the room of a meeting page's token (the parent's).
func (s *Service) BreakoutStateOf(ctx context.Context, token string) (*BreakoutState, error) {
	bs, err := s.breakoutStore()
	if err != nil {
		return nil, err
	}
	parent, u, err := s.parentMember(ctx, token)
	if err != nil {
		return nil, err
	}
	st := &BreakoutState{Parent: parent, User: u, Allowed: parent.Metadata.BreakoutAllowed(), Max: parent.Metadata.AllowedBreakoutRooms()}
	if st.Rooms, err = s.breakoutRooms(ctx, bs, parent); err != nil {
		return nil, err
	}
	for _, r := range st.Rooms {
		if slices.Contains(r.Users, u.UserID) {
			st.Mine = r.RoomID
		}
	}
	return st, nil
}

// parentMember checks a meeting page's token of a room that is no breakout room.
func (s *Service) parentMember(ctx context.Context, token string) (*meet.Session, *meet.User, error) {
	sess, u, err := s.member(ctx, token, auth.UsePage)
	if err != nil {
		return nil, nil, err
	}
	if sess.Metadata.IsBreakoutRoom {
		return nil, nil, meet.Errorf(meet.CodeInvalidParameters, "this is a breakout room's token: use the main room's")
	}
	return sess, u, nil
}

// CreateBreakoutsAsModerator is CreateBreakouts from a moderator's meeting page.
func (s *Service) CreateBreakoutsAsModerator(ctx context.Context, token string, plan BreakoutPlan) ([]meet.Breakout, error) {
	parent, u, err := s.parentMember(ctx, token)
	if err != nil {
		return nil, err
	}
	if !u.IsAdmin {
		return nil, meet.Errorf(meet.CodePermissionDenied, "only a moderator can do this")
	}
	return s.CreateBreakouts(ctx, parent.RoomID, plan)
}

// BreakoutModerator checks a moderator's meeting page token of a parent room and returns the room.
func (s *Service) BreakoutModerator(ctx context.Context, token string) (*meet.Session, error) {
	parent, u, err := s.parentMember(ctx, token)
	if err != nil {
		return nil, err
	}
	if !u.IsAdmin {
		return nil, meet.Errorf(meet.CodePermissionDenied, "only a moderator can do this")
	}
	return parent, nil
}

// JoinBreakout moves the holder of a meeting page's token of the parent room into a breakout
// room: the one they are sent to when breakoutRoomID is "", else that one (a moderator may join
// any). The answer is the breakout room's join (its media token and page token).
func (s *Service) JoinBreakout(ctx context.Context, token, breakoutRoomID string) (*Joined, *meet.Breakout, error) {
	bs, err := s.breakoutStore()
	if err != nil {
		return nil, nil, err
	}
	parent, u, err := s.parentMember(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	if breakoutRoomID != "" && !meet.ValidID(breakoutRoomID) {
		return nil, nil, meet.BadID("breakout_room_id")
	}
	list, err := bs.Breakouts(ctx, parent.SID, false)
	if err != nil {
		return nil, nil, fmt.Errorf("breakout rooms of %s: %w", parent.RoomID, err)
	}
	var b *meet.Breakout
	if breakoutRoomID == "" {
		for i := range list {
			if slices.Contains(list[i].Users, u.UserID) {
				b = &list[i]
			}
		}
		if b == nil {
			return nil, nil, meet.Errorf(meet.CodeNotFound, "you are not sent to a breakout room")
		}
	} else if b, err = findBreakout(list, breakoutRoomID); err != nil {
		return nil, nil, err
	}
	if !u.IsAdmin && !slices.Contains(b.Users, u.UserID) {
		return nil, nil, meet.Errorf(meet.CodePermissionDenied, "you are not sent to breakout room %s", b.RoomID)
	}
	if !b.Running {
		return nil, nil, meet.Errorf(meet.CodeRoomNotActive, "breakout room %s has ended", b.RoomID)
	}
	child, err := s.store.SessionBySID(ctx, b.SID)
	if err != nil {
		return nil, nil, fmt.Errorf("breakout room %s: %w", b.RoomID, err)
	}
	if child == nil || !child.Running() {
		return nil, nil, meet.Errorf(meet.CodeRoomNotActive, "breakout room %s has ended", b.RoomID)
	}
	old, err := s.store.User(ctx, child.SID, u.UserID)
	if err != nil {
		return nil, nil, fmt.Errorf("load user %s: %w", u.UserID, err)
	}
	if old != nil && old.Blocked {
		return nil, nil, meet.ErrUserBlocked
	}
	cu := &meet.User{UserID: u.UserID, Name: u.Name, IsAdmin: u.IsAdmin, IsHidden: u.IsHidden, Metadata: u.Metadata}
	if err := s.putUser(ctx, child.SID, old, cu); err != nil {
		return nil, nil, fmt.Errorf("store user %s: %w", u.UserID, err)
	}
	j, err := s.joinAs(ctx, child, cu)
	return j, b, err
}

// BackToMain is the join of the parent room again for the holder of its meeting page's token (on
// the way back from a breakout room).
func (s *Service) BackToMain(ctx context.Context, token string) (*Joined, error) {
	parent, u, err := s.parentMember(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.joinAs(ctx, parent, u)
}

// joinAs is Join with a join token made here for a user of the session.
func (s *Service) joinAs(ctx context.Context, sess *meet.Session, u *meet.User) (*Joined, error) {
	token, err := auth.Sign(s.cfg.Keys.APISecret, auth.JoinClaims{
		Times:  auth.NewTimes(s.cfg.Keys.APIKey, s.now(), s.cfg.JoinTokenTTL),
		UserID: u.UserID, Name: u.Name, RoomID: sess.RoomID, SID: sess.SID, IsAdmin: u.IsAdmin, IsHidden: u.IsHidden,
	})
	if err != nil {
		return nil, fmt.Errorf("join token for %s: %w", u.UserID, err)
	}
	return s.Join(ctx, token)
}

// BreakoutOf returns the breakout room whose session is sid; nil if it is none.
func (s *Service) BreakoutOf(ctx context.Context, sid string) (*meet.Breakout, error) {
	bs, err := s.breakoutStore()
	if err != nil {
		return nil, err
	}
	return bs.Breakout(ctx, sid)
}
