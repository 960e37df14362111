package rooms

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"meetd/internal/meet"
)

// CreateRequest is room/create.
type CreateRequest struct {
	RoomID          string
	MaxParticipants int
	EmptyTimeout    int
	Metadata        meet.RoomMetadata
}

// Create starts a session for the room, or returns the running one unchanged.
func (s *Service) Create(ctx context.Context, req CreateRequest) (*meet.Session, error) {
	if err := meet.CheckID("room_id", req.RoomID); err != nil {
		return nil, err
	}
	if req.MaxParticipants < 0 {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "max_participants must not be negative")
	}
	if req.MaxParticipants > meet.MaxMaxParticipant {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "max_participants must be at most %d", meet.MaxMaxParticipant)
	}
	if req.EmptyTimeout < 0 {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "empty_timeout must not be negative")
	}
	if req.EmptyTimeout > meet.MaxEmptyTimeout {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "empty_timeout must be at most %d seconds", meet.MaxEmptyTimeout)
	}
	if err := req.Metadata.Validate(); err != nil {
		return nil, err
	}
	req.Metadata.Fill()
	if req.EmptyTimeout == 0 {
		req.EmptyTimeout = s.cfg.DefaultEmptyTimeout
	}
	now := s.now()
	sess := &meet.Session{
		SID:             meet.NewID("RM_"),
		RoomID:          req.RoomID,
		Metadata:        req.Metadata,
		MaxParticipants: req.MaxParticipants,
		EmptyTimeout:    req.EmptyTimeout,
		CreatedAt:       now.Truncate(time.Millisecond),
	}
	got, created, err := s.store.CreateSession(ctx, sess, func(sess *meet.Session) []meet.Event {
		return []meet.Event{meet.NewEvent(meet.EventRoomCreated, sess, now)}
	})
	if err != nil {
		return nil, err
	}
	if created {
		s.log.Info("room created", "room_id", got.RoomID, "sid", got.SID)
	}
	return got, nil
}

// running returns the room's running session, or ROOM_NOT_FOUND / ROOM_NOT_ACTIVE.
func (s *Service) running(ctx context.Context, roomID string) (*meet.Session, error) {
	if err := meet.CheckID("room_id", roomID); err != nil {
		return nil, err
	}
	sess, err := s.store.Session(ctx, roomID)
	switch {
	case err != nil:
		return nil, fmt.Errorf("load room %s: %w", roomID, err)
	case sess == nil:
		return nil, meet.ErrRoomNotFound
	case !sess.Running():
		return nil, meet.ErrRoomNotActive
	}
	return sess, nil
}

// IsActive reports whether the room has a running session; the code says why not.
func (s *Service) IsActive(ctx context.Context, roomID string) (bool, meet.Code, error) {
	_, err := s.running(ctx, roomID)
	switch c := meet.CodeOf(err); {
	case err == nil:
		return true, meet.CodeSuccess, nil
	case c == meet.CodeRoomNotFound || c == meet.CodeRoomNotActive:
		return false, c, nil
	default:
		return false, c, err
	}
}

// ActiveRoom is getActiveRoomInfo: the running session and who is connected now.
func (s *Service) ActiveRoom(ctx context.Context, roomID string) (*meet.Room, error) {
	if err := meet.CheckID("room_id", roomID); err != nil {
		return nil, err
	}
	// The session is read on every call; its metadata is parsed again only when its text changed
	// (doc/decisions/0008). The parsed metadata is shared with the cache: this path only reads it.
	sess, text, err := s.store.SessionText(ctx, roomID)
	switch {
	case err != nil:
		return nil, fmt.Errorf("load room %s: %w", roomID, err)
	case sess == nil:
		return nil, meet.ErrRoomNotFound
	case !sess.Running():
		return nil, meet.ErrRoomNotActive
	}
	kept, err := s.kept.of(sess.SID, text)
	if err != nil {
		return nil, err
	}
	sess.Metadata = kept.md
	return s.roomOf(ctx, sess, kept)
}

// ActiveRooms is getActiveRoomsInfo.
func (s *Service) ActiveRooms(ctx context.Context) ([]meet.Room, error) {
	list, kept, err := s.runningKept(ctx)
	if err != nil {
		return nil, fmt.Errorf("list running sessions: %w", err)
	}
	out := make([]meet.Room, 0, len(list))
	for i, sess := range list {
		r, err := s.roomOf(ctx, sess, kept[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, nil
}

// runningKept is every running session with its metadata as kept parsed by its stored text, and
// that metadata as JSON: a room whose metadata did not change is not parsed again. The sessions'
// metadata is shared with the cache: the callers only read it (doc/decisions/0008).
func (s *Service) runningKept(ctx context.Context) ([]*meet.Session, []*keptMetadata, error) {
	list, texts, err := s.store.RunningSessionsText(ctx)
	if err != nil {
		return nil, nil, err
	}
	kept := make([]*keptMetadata, len(list))
	for i, sess := range list {
		if kept[i], err = s.kept.of(sess.SID, texts[i]); err != nil {
			return nil, nil, err
		}
		sess.Metadata = kept[i].md
	}
	return list, kept, nil
}

// roomOf is the room info of a running session, its metadata as kept parsed (metadataCache).
func (s *Service) roomOf(ctx context.Context, sess *meet.Session, kept *keptMetadata) (*meet.Room, error) {
	live, err := s.media.Participants(ctx, sess.RoomID)
	if err != nil {
		return nil, fmt.Errorf("participants of %s: %w", sess.RoomID, err)
	}
	users, err := s.shown(ctx, sess, live)
	if err != nil {
		return nil, err
	}
	// join order (LiveKit lists them in no particular order); the positions are sorted, not the
	// participants themselves: moving those large values was a quarter of this call's own work
	// (doc/performance-notes.md)
	order := make([]int, len(live))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := &live[i], &live[j]
		return cmp.Or(cmp.Compare(joinedMs(a), joinedMs(b)), cmp.Compare(a.SID, b.SID), cmp.Compare(i, j))
	})
	room := &meet.Room{RoomInfo: sess.InfoWith(kept.json), ParticipantsInfo: make([]meet.ParticipantInfo, 0, len(live))}
	room.RoomInfo.SetMetadata(kept.json, kept.quoted)
	for _, i := range order {
		p := live[i]
		// the server's own participants are never listed; one that LiveKit already counts as
		// gone (DISCONNECTED, waiting to be cleaned up) is not connected now
		if strings.HasPrefix(p.Identity, meet.InternalPrefix) || p.State == "DISCONNECTED" {
			continue
		}
		if u, ok := users[p.Identity]; ok {
			p.IsAdmin, p.IsHidden = u.isAdmin, u.isHidden
			p.SetMetadata(u.metadata, u.quoted)
		}
		room.ParticipantsInfo = append(room.ParticipantsInfo, p)
	}
	// waiting room: listed apart, never as participants (documented dialect only; doc/api.md)
	if meet.Bool(sess.Metadata.RoomFeatures.WaitingRoomFeatures.IsActive) {
		if room.WaitingParticipants, err = s.waitingNow(ctx, sess); err != nil {
			return nil, err
		}
	}
	return room, nil
}

func joinedMs(p *meet.ParticipantInfo) int64 {
	if p.JoinedAtMs > 0 {
		return p.JoinedAtMs
	}
	return p.JoinedAt * 1000
}

// End ends the room's running session (endRoom).
func (s *Service) End(ctx context.Context, roomID, reason string) error {
	sess, err := s.running(ctx, roomID)
	if err != nil {
		return err
	}
	return s.end(ctx, sess, reason)
}

// end is the one ending path, whatever the cause: disconnect everyone, then mark the session
// ended and write participant_left for whoever was still connected, then room_finished and
// session_ended.
func (s *Service) end(ctx context.Context, sess *meet.Session, reason string) error {
	mu, _ := s.ending.LoadOrStore(sess.SID, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	if err := s.endBreakoutsOf(ctx, sess); err != nil { // breakout rooms: the parent's end ends them
		s.log.Error("end the breakout rooms", "room_id", sess.RoomID, "err", err)
	}
	s.hooks.Ending(ctx, sess) // the recording stops, its file complete, before the media room closes
	if err := s.media.CloseRoom(ctx, sess.RoomID); err != nil {
		// A media room whose node is gone (a meetd that crashed, in a cluster) cannot be closed,
		// and holds nobody: when the store knows of no open connection, the session ends anyway.
		cur, serr := s.store.SessionBySID(ctx, sess.SID)
		if serr != nil || cur == nil || cur.Connected > 0 {
			return fmt.Errorf("end room %s: close media room: %w", sess.RoomID, err)
		}
		s.log.Warn("media room could not be closed; nobody is connected to it: the session ends", "room_id", sess.RoomID, "err", err)
	}
	now := s.now()
	s.closeOpenPolls(ctx, sess, now)    // polls: their results are final when the session ends
	docs := s.savedDocuments(ctx, sess) // shared notes (documents.go): the media room is closed, nobody writes any more
	ended, err := s.store.EndSession(ctx, sess.SID, now, reason, func(sess *meet.Session, open []Presence) []meet.Event {
		var events []meet.Event
		for _, p := range open {
			e := meet.NewEvent(meet.EventParticipantLeft, sess, now)
			e.Participant = &meet.ParticipantInfo{SID: p.ParticipantSID, Identity: p.UserID, Name: p.Name, State: "DISCONNECTED", JoinedAt: p.At.Unix()}
			events = append(events, e)
		}
		for _, d := range docs { // shared notes
			e := meet.NewEvent(meet.EventDocumentSaved, sess, now)
			e.Document = d
			events = append(events, e)
		}
		// session_ended is plugNmeet's name for the same end (doc/api.md, "Webhooks")
		return append(events, meet.NewEvent(meet.EventRoomFinished, sess, now), meet.NewEvent(meet.EventSessionEnded, sess, now))
	})
	if err != nil {
		return err
	}
	s.ending.Delete(sess.SID)
	s.users.forget(sess.SID)
	if ended {
		s.log.Info("room ended", "room_id", sess.RoomID, "sid", sess.SID, "reason", reason)
		if err := s.hooks.Ended(ctx, sess.SID); err != nil { // the attendance report
			s.log.Error("after room end", "room_id", sess.RoomID, "sid", sess.SID, "err", err)
		}
	}
	return nil
}

// PastRooms is fetchPastRooms; the filter comes checked and with its defaults.
func (s *Service) PastRooms(ctx context.Context, f meet.SessionFilter) ([]*meet.Session, int, error) {
	return s.store.Sessions(ctx, f)
}
