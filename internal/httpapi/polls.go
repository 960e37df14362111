package httpapi

import (
	"net/http"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// Polls (doc/api.md, "Polls"): the server key's /auth/polls/{create,list,results,close} and the
// meeting page's /api/polls/{list,create,vote,close}. Answers are meetd's (snake_case) in both
// dialects: plugNmeet has no such routes.

// pollView is a poll as an answer shows it. Counts and voters are for moderators (and the server
// key), counts for everyone once closed; voters never for an anonymous poll.
type pollView struct {
	ID             string           `json:"id"`
	RoomID         string           `json:"room_id"`
	SID            string           `json:"sid"`
	Question       string           `json:"question"`
	Options        []pollOptionView `json:"options"`
	IsAnonymous    bool             `json:"is_anonymous"`
	IsRunning      bool             `json:"is_running"`
	Created        int64            `json:"created"` // Unix s, as plugNmeet's PollInfo
	CreatedBy      string           `json:"created_by"`
	Closed         int64            `json:"closed"` // Unix s; 0 while open
	ClosedBy       string           `json:"closed_by"`
	TotalResponses *int             `json:"total_responses,omitempty"`
	Voters         []meet.PollVoter `json:"voters,omitempty"`
	// MyVote is the page's own vote (its option id; 0 if none): /api/polls/* only.
	MyVote *int `json:"my_vote,omitempty"`
}

type pollOptionView struct {
	ID        int    `json:"id"`
	Text      string `json:"text"`
	VoteCount *int   `json:"vote_count,omitempty"`
}

// newPollView shows p of sess with its votes; withCounts adds the counts (and voters unless
// anonymous); viewer, if not empty, adds that user's own vote.
func newPollView(sess *meet.Session, p *meet.Poll, votes []meet.PollVote, withCounts bool, viewer string) pollView {
	v := pollView{ID: p.PollID, RoomID: p.RoomID, SID: p.SID, Question: p.Question, IsAnonymous: p.Anonymous,
		IsRunning: p.Open() && sess.Running(), Created: p.CreatedAt.Unix(), CreatedBy: p.CreatedBy, ClosedBy: p.ClosedBy}
	if !p.Open() {
		v.Closed = p.ClosedAt.Unix()
	}
	total, options := meet.PollResults(p, votes)
	for _, o := range options {
		ov := pollOptionView{ID: o.ID, Text: o.Text}
		if withCounts {
			n := o.VoteCount
			ov.VoteCount = &n
		}
		v.Options = append(v.Options, ov)
	}
	if withCounts {
		v.TotalResponses = &total
		if !p.Anonymous {
			v.Voters = meet.Voters(votes)
		}
	}
	if viewer != "" {
		mine := 0
		for _, vote := range votes {
			if vote.UserID == viewer {
				mine = vote.Option
			}
		}
		v.MyVote = &mine
	}
	return v
}

// pollOptions are the options of a new poll: texts, or plugNmeet's CreatePollOptions objects
// ({id, text}; the ids are given again, 1..n in order).
type pollOptions []string

func (*pollOptions) coerce(field string, v any) (any, error) {
	list, ok := v.([]any)
	if !ok {
		if v == nil {
			return []string{}, nil
		}
		return nil, meet.Errorf(meet.CodeInvalidParameters, "%s must be an array of texts", field)
	}
	out := make([]string, 0, len(list))
	for i, o := range list {
		switch o := o.(type) {
		case string:
			out = append(out, o)
		case map[string]any:
			text, ok := o["text"].(string)
			if !ok {
				return nil, meet.Errorf(meet.CodeInvalidParameters, "%s[%d].text must be a string", field, i)
			}
			out = append(out, text)
		default:
			return nil, meet.Errorf(meet.CodeInvalidParameters, "%s[%d] must be a text or {id, text}", field, i)
		}
	}
	return out, nil
}

// pollsCreate: {room_id, question, options, is_anonymous, user_id (optional: who created it)}.
func (s *Server) pollsCreate(r *http.Request) (any, error) {
	var req struct {
		RoomID      string      `json:"room_id"`
		UserID      string      `json:"user_id"`
		Question    string      `json:"question"`
		Options     pollOptions `json:"options"`
		IsAnonymous bool        `json:"is_anonymous"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	p, err := s.Rooms.CreatePoll(r.Context(), req.RoomID, rooms.NewPoll{Question: req.Question, Options: req.Options,
		Anonymous: req.IsAnonymous, CreatedBy: req.UserID})
	if err != nil {
		return nil, err
	}
	return s.pollAnswer(r, req.RoomID, p.PollID)
}

// pollAnswer is {poll_id, poll} with the poll's counts, as the server key sees it.
func (s *Server) pollAnswer(r *http.Request, roomID, pollID string) (any, error) {
	sess, p, votes, err := s.Rooms.PollResults(r.Context(), roomID, pollID)
	if err != nil {
		return nil, err
	}
	return struct {
		Envelope
		PollID string   `json:"poll_id"`
		Poll   pollView `json:"poll"`
	}{OK(), p.PollID, newPollView(sess, p, votes, true, "")}, nil
}

// pollsList: {room_id, sid (optional: a session of the room; else its running or latest one)}.
func (s *Server) pollsList(r *http.Request) (any, error) {
	var req struct {
		RoomID string `json:"room_id"`
		SID    string `json:"sid"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	sp, err := s.Rooms.Polls(r.Context(), req.RoomID, req.SID)
	if err != nil {
		return nil, err
	}
	return pollList(sp, true, ""), nil
}

// pollList is the answer of a session's polls.
func pollList(sp *rooms.SessionPolls, withCounts bool, viewer string) any {
	views := []pollView{}
	running := 0
	for _, p := range sp.Polls {
		v := newPollView(sp.Session, p, sp.Votes[p.PollID], withCounts || !p.Open(), viewer)
		if v.IsRunning {
			running++
		}
		if !withCounts {
			v.Voters = nil // participants see counts once closed, never who voted
		}
		views = append(views, v)
	}
	return struct {
		Envelope
		RoomID       string     `json:"room_id"`
		SID          string     `json:"sid"`
		IsRunning    bool       `json:"is_running"` // the session
		TotalPolls   int        `json:"total_polls"`
		TotalRunning int        `json:"total_running"`
		Polls        []pollView `json:"polls"`
	}{OK(), sp.Session.RoomID, sp.Session.SID, sp.Session.Running(), len(views), running, views}
}

// pollsResults: {room_id, poll_id}.
func (s *Server) pollsResults(r *http.Request) (any, error) {
	var req struct {
		RoomID string `json:"room_id"`
		PollID string `json:"poll_id"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.pollAnswer(r, req.RoomID, req.PollID)
}

// pollsClose: {room_id, poll_id, user_id (optional: who closed it)}.
func (s *Server) pollsClose(r *http.Request) (any, error) {
	var req struct {
		RoomID string `json:"room_id"`
		PollID string `json:"poll_id"`
		UserID string `json:"user_id"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.Rooms.ClosePoll(r.Context(), req.RoomID, req.PollID, req.UserID); err != nil {
		return nil, err
	}
	return s.pollAnswer(r, req.RoomID, req.PollID)
}

// pagePolls is the page's view of its session's polls: moderators see the counts and voters,
// the others their own vote, and the counts of closed polls.
func (s *Server) pagePolls(r *http.Request) (any, error) {
	sp, u, err := s.Rooms.PagePolls(r.Context(), pageToken(r))
	if err != nil {
		return nil, err
	}
	return pollList(sp, u.IsAdmin, u.UserID), nil
}

// pagePollsCreate: a moderator's page creates a poll: {question, options, is_anonymous}.
func (s *Server) pagePollsCreate(r *http.Request) (any, error) {
	var req struct {
		Question    string   `json:"question"`
		Options     []string `json:"options"`
		IsAnonymous bool     `json:"is_anonymous"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	p, err := s.Rooms.PageCreatePoll(r.Context(), pageToken(r), rooms.NewPoll{Question: req.Question, Options: req.Options, Anonymous: req.IsAnonymous})
	if err != nil {
		return nil, err
	}
	return struct {
		Envelope
		PollID string `json:"poll_id"`
	}{OK(), p.PollID}, nil
}

// pagePollsVote: {poll_id, selected_option} (an option id, 1..n).
func (s *Server) pagePollsVote(r *http.Request) (any, error) {
	var req struct {
		PollID         string `json:"poll_id"`
		SelectedOption *int   `json:"selected_option"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	if req.SelectedOption == nil {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "selected_option is required")
	}
	if err := s.Rooms.Vote(r.Context(), pageToken(r), req.PollID, *req.SelectedOption); err != nil {
		return nil, err
	}
	return OK(), nil
}

// pagePollsClose: a moderator's page closes a poll: {poll_id}.
func (s *Server) pagePollsClose(r *http.Request) (any, error) {
	var req struct {
		PollID string `json:"poll_id"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	if err := s.Rooms.PageClosePoll(r.Context(), pageToken(r), req.PollID); err != nil {
		return nil, err
	}
	return OK(), nil
}
