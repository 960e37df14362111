package rooms

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// Polls (doc/api.md, "Polls"): moderators create and close them, from the server key or an
// admin's meeting page; every user of the session votes from their page. The pages hear of a
// change by a data message on PollsTopic and fetch what they may see (/api/polls/list).

// PollStore keeps the polls of sessions (part of Store).
type PollStore interface {
	// CreatePoll inserts a poll of a running session with its events; false if the session ended.
	CreatePoll(ctx context.Context, p *meet.Poll, events func(*meet.Session) []meet.Event) (bool, error)
	// Poll returns one poll; nil if unknown.
	Poll(ctx context.Context, pollID string) (*meet.Poll, error)
	// Polls returns a session's polls, oldest first.
	Polls(ctx context.Context, sid string) ([]*meet.Poll, error)
	// PollVotes returns the votes of a session's polls by poll id.
	PollVotes(ctx context.Context, sid string) (map[string][]meet.PollVote, error)
	// Vote records a vote, replacing the user's earlier one; false if the poll is closed (or its
	// session ended).
	Vote(ctx context.Context, v meet.PollVote) (bool, error)
	// ClosePoll closes an open poll with its events (made from the poll and its votes); false if
	// it was closed already.
	ClosePoll(ctx context.Context, pollID, by string, at time.Time, events func(*meet.Session, *meet.Poll, []meet.PollVote) []meet.Event) (bool, error)
}

// PollsTopic is the topic of the data messages that tell pages a poll changed:
// {"type":"poll_created"|"poll_voted"|"poll_closed","poll_id":"…"}. Votes are told to the
// connected moderators only.
const PollsTopic = "meetd.polls"

// NewPoll is what a moderator asks for.
type NewPoll struct {
	Question  string
	Options   []string
	Anonymous bool
	// CreatedBy is the moderator's user_id ("" from the server key, or any user_id it names).
	CreatedBy string
}

// SessionPolls are a session's polls and their votes (by poll id).
type SessionPolls struct {
	Session *meet.Session
	Polls   []*meet.Poll
	Votes   map[string][]meet.PollVote
}

// pollsAllowed refuses polls in a room whose polls_features are off (or absent).
func pollsAllowed(sess *meet.Session) error {
	if !meet.GroupOn(sess.Metadata.RoomFeatures.PollsFeatures, "") {
		return meet.Errorf(meet.CodePermissionDenied, "polls are not allowed in this room (room_features.polls_features.is_allow)")
	}
	return nil
}

// CreatePoll creates a poll in a running room, and tells its pages.
func (s *Service) CreatePoll(ctx context.Context, roomID string, np NewPoll) (*meet.Poll, error) {
	sess, err := s.running(ctx, roomID)
	if err != nil {
		return nil, err
	}
	return s.createPoll(ctx, sess, np)
}

func (s *Service) createPoll(ctx context.Context, sess *meet.Session, np NewPoll) (*meet.Poll, error) {
	if err := pollsAllowed(sess); err != nil {
		return nil, err
	}
	question, options, err := meet.CheckPoll(np.Question, np.Options)
	if err != nil {
		return nil, err
	}
	if np.CreatedBy != "" && !meet.ValidID(np.CreatedBy) {
		return nil, meet.BadID("user_id")
	}
	existing, err := s.store.Polls(ctx, sess.SID)
	if err != nil {
		return nil, fmt.Errorf("polls of %s: %w", sess.SID, err)
	}
	if len(existing) >= meet.PollMaxPerSession {
		return nil, meet.Errorf(meet.CodeConflict, "this meeting has %d polls already, the most it can have", meet.PollMaxPerSession)
	}
	now := s.now()
	if n := len(existing); n > 0 && !now.After(existing[n-1].CreatedAt) {
		// polls are listed by creation time: keep two of one millisecond in the order they came
		now = existing[n-1].CreatedAt.Add(time.Millisecond)
	}
	p := &meet.Poll{PollID: meet.NewID("PL_"), SID: sess.SID, RoomID: sess.RoomID, Question: question, Options: options,
		Anonymous: np.Anonymous, CreatedAt: now, CreatedBy: np.CreatedBy}
	created, err := s.store.CreatePoll(ctx, p, func(cur *meet.Session) []meet.Event {
		e := meet.NewEvent(meet.EventPollCreated, cur, now)
		e.Poll = meet.NewEventPoll(p, nil)
		return []meet.Event{e}
	})
	if err != nil {
		return nil, err
	}
	if !created {
		return nil, meet.ErrRoomNotActive
	}
	s.log.Info("poll created", "room_id", sess.RoomID, "poll_id", p.PollID, "options", len(options), "anonymous", np.Anonymous)
	s.tellPolls(ctx, sess, "poll_created", p.PollID, false)
	return p, nil
}

// roomSession is the room's session named by sid, or else its running or latest one: polls are
// kept with their session after it ends.
func (s *Service) roomSession(ctx context.Context, roomID, sid string) (*meet.Session, error) {
	if err := meet.CheckID("room_id", roomID); err != nil {
		return nil, err
	}
	var sess *meet.Session
	var err error
	if sid != "" {
		if !meet.ValidID(sid) {
			return nil, meet.BadID("sid")
		}
		sess, err = s.store.SessionBySID(ctx, sid)
		if err == nil && sess != nil && sess.RoomID != roomID {
			return nil, meet.Errorf(meet.CodeNotFound, "room %s has no session %s", roomID, sid)
		}
		if err == nil && sess == nil {
			return nil, meet.Errorf(meet.CodeNotFound, "room %s has no session %s", roomID, sid)
		}
	} else {
		sess, err = s.store.Session(ctx, roomID)
		if err == nil && sess == nil {
			return nil, meet.ErrRoomNotFound
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load room %s: %w", roomID, err)
	}
	return sess, nil
}

// Polls returns the polls of a room's session (sid, or else the running or latest one), running or
// ended.
func (s *Service) Polls(ctx context.Context, roomID, sid string) (*SessionPolls, error) {
	sess, err := s.roomSession(ctx, roomID, sid)
	if err != nil {
		return nil, err
	}
	return s.sessionPolls(ctx, sess)
}

func (s *Service) sessionPolls(ctx context.Context, sess *meet.Session) (*SessionPolls, error) {
	polls, err := s.store.Polls(ctx, sess.SID)
	if err != nil {
		return nil, fmt.Errorf("polls of %s: %w", sess.SID, err)
	}
	votes, err := s.store.PollVotes(ctx, sess.SID)
	if err != nil {
		return nil, fmt.Errorf("votes of %s: %w", sess.SID, err)
	}
	return &SessionPolls{Session: sess, Polls: polls, Votes: votes}, nil
}

// roomPoll returns a poll of the room (of any of its sessions), or NOT_FOUND.
func (s *Service) roomPoll(ctx context.Context, roomID, pollID string) (*meet.Poll, error) {
	if err := meet.CheckID("poll_id", pollID); err != nil {
		return nil, err
	}
	p, err := s.store.Poll(ctx, pollID)
	if err != nil {
		return nil, fmt.Errorf("load poll %s: %w", pollID, err)
	}
	if p == nil || p.RoomID != roomID {
		return nil, meet.Errorf(meet.CodeNotFound, "room %s has no poll %s", roomID, pollID)
	}
	return p, nil
}

// PollResults returns one poll of a room and its votes, open or closed, of a running or ended session.
func (s *Service) PollResults(ctx context.Context, roomID, pollID string) (*meet.Session, *meet.Poll, []meet.PollVote, error) {
	if _, err := s.roomSession(ctx, roomID, ""); err != nil {
		return nil, nil, nil, err
	}
	p, err := s.roomPoll(ctx, roomID, pollID)
	if err != nil {
		return nil, nil, nil, err
	}
	sess, err := s.store.SessionBySID(ctx, p.SID)
	if err != nil || sess == nil {
		return nil, nil, nil, fmt.Errorf("session of poll %s: %w", pollID, err)
	}
	votes, err := s.store.PollVotes(ctx, p.SID)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("votes of %s: %w", p.SID, err)
	}
	return sess, p, votes[pollID], nil
}

// ClosePoll closes an open poll of a running room: its results go to everyone (poll_closed).
func (s *Service) ClosePoll(ctx context.Context, roomID, pollID, by string) error {
	sess, err := s.running(ctx, roomID)
	if err != nil {
		return err
	}
	return s.closePoll(ctx, sess, pollID, by)
}

func (s *Service) closePoll(ctx context.Context, sess *meet.Session, pollID, by string) error {
	if by != "" && !meet.ValidID(by) {
		return meet.BadID("user_id")
	}
	p, err := s.roomPoll(ctx, sess.RoomID, pollID)
	if err != nil {
		return err
	}
	if p.SID != sess.SID {
		return meet.Errorf(meet.CodeConflict, "poll %s is of an earlier session of this room", pollID)
	}
	closed, err := s.store.ClosePoll(ctx, pollID, by, s.now(), pollClosedEvents)
	if err != nil {
		return err
	}
	if !closed {
		return meet.Errorf(meet.CodeConflict, "poll %s is closed already", pollID)
	}
	s.log.Info("poll closed", "room_id", sess.RoomID, "poll_id", pollID)
	s.tellPolls(ctx, sess, "poll_closed", pollID, false)
	return nil
}

// closeOpenPolls closes the session's open polls at its end, each with its poll_closed event
// (closed_by empty: by the end, not by a moderator). The pages are gone: nobody is told.
func (s *Service) closeOpenPolls(ctx context.Context, sess *meet.Session, now time.Time) {
	polls, err := s.store.Polls(ctx, sess.SID)
	if err != nil {
		s.log.Error("close the polls at the end", "room_id", sess.RoomID, "err", err)
		return
	}
	for _, p := range polls {
		if !p.Open() {
			continue
		}
		_, err := s.store.ClosePoll(ctx, p.PollID, "", now, pollClosedEvents)
		if err != nil {
			s.log.Error("close a poll at the end", "room_id", sess.RoomID, "poll_id", p.PollID, "err", err)
		}
	}
}

// pollClosedEvents is the poll_closed event of a poll just closed.
func pollClosedEvents(cur *meet.Session, p *meet.Poll, votes []meet.PollVote) []meet.Event {
	e := meet.NewEvent(meet.EventPollClosed, cur, p.ClosedAt)
	e.Poll = meet.NewEventPoll(p, nonNilVotes(votes))
	return []meet.Event{e}
}

func nonNilVotes(v []meet.PollVote) []meet.PollVote {
	if v == nil {
		return []meet.PollVote{}
	}
	return v
}

// PagePolls is what a meeting page sees of its session's polls: the viewer, and whether they are
// a moderator (who sees the live counts).
func (s *Service) PagePolls(ctx context.Context, token string) (*SessionPolls, *meet.User, error) {
	sess, u, err := s.member(ctx, token, auth.UsePage)
	if err != nil {
		return nil, nil, err
	}
	sp, err := s.sessionPolls(ctx, sess)
	if err != nil {
		return nil, nil, err
	}
	return sp, u, nil
}

// PageCreatePoll is CreatePoll from a moderator's meeting page.
func (s *Service) PageCreatePoll(ctx context.Context, token string, np NewPoll) (*meet.Poll, error) {
	sess, u, err := s.pageModerator(ctx, token)
	if err != nil {
		return nil, err
	}
	np.CreatedBy = u.UserID
	return s.createPoll(ctx, sess, np)
}

// PageClosePoll is ClosePoll from a moderator's meeting page.
func (s *Service) PageClosePoll(ctx context.Context, token, pollID string) error {
	sess, u, err := s.pageModerator(ctx, token)
	if err != nil {
		return err
	}
	return s.closePoll(ctx, sess, pollID, u.UserID)
}

func (s *Service) pageModerator(ctx context.Context, token string) (*meet.Session, *meet.User, error) {
	sess, u, err := s.member(ctx, token, auth.UsePage)
	if err != nil {
		return nil, nil, err
	}
	if !u.IsAdmin {
		return nil, nil, meet.Errorf(meet.CodePermissionDenied, "only a moderator can do this")
	}
	return sess, u, nil
}

// Vote records the token holder's vote (option 1..n) in an open poll of their session; a second
// vote replaces the first.
func (s *Service) Vote(ctx context.Context, token, pollID string, option int) error {
	sess, u, err := s.member(ctx, token, auth.UsePage)
	if err != nil {
		return err
	}
	if err := pollsAllowed(sess); err != nil {
		return err
	}
	p, err := s.roomPoll(ctx, sess.RoomID, pollID)
	if err != nil {
		return err
	}
	switch {
	case p.SID != sess.SID:
		return meet.Errorf(meet.CodeNotFound, "this meeting has no poll %s", pollID)
	case !p.Open():
		return meet.Errorf(meet.CodeConflict, "poll %s is closed", pollID)
	case option < 1 || option > len(p.Options):
		return meet.Errorf(meet.CodeInvalidParameters, "selected_option must be an option id from 1 to %d", len(p.Options))
	}
	voted, err := s.store.Vote(ctx, meet.PollVote{PollID: pollID, UserID: u.UserID, Name: u.Name, Option: option, VotedAt: s.now()})
	if err != nil {
		return err
	}
	if !voted {
		return meet.Errorf(meet.CodeConflict, "poll %s is closed", pollID)
	}
	s.tellPolls(ctx, sess, "poll_voted", pollID, true)
	return nil
}

// tellPolls sends a poll's change to the room's pages (to the connected moderators only when
// toAdmins). A page that misses it sees the change at its next fetch: it is not an error.
func (s *Service) tellPolls(ctx context.Context, sess *meet.Session, kind, pollID string, toAdmins bool) {
	var to []string
	if toAdmins {
		users, err := s.store.Users(ctx, sess.SID)
		if err != nil {
			s.log.Warn("poll message: users", "room_id", sess.RoomID, "err", err)
			return
		}
		live, err := s.media.Participants(ctx, sess.RoomID)
		if err != nil {
			s.log.Warn("poll message: participants", "room_id", sess.RoomID, "err", err)
			return
		}
		for _, p := range live {
			if u := users[p.Identity]; u != nil && u.IsAdmin && p.State != "DISCONNECTED" &&
				!strings.HasPrefix(p.Identity, meet.InternalPrefix) && !slices.Contains(to, p.Identity) {
				to = append(to, p.Identity)
			}
		}
		if len(to) == 0 {
			return
		}
	}
	payload := meet.JSON(map[string]string{"type": kind, "poll_id": pollID})
	if err := s.media.SendData(ctx, sess.RoomID, PollsTopic, []byte(payload), to); err != nil {
		s.log.Warn("poll message", "room_id", sess.RoomID, "poll_id", pollID, "err", err)
	}
}
