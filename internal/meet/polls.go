package meet

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Polls (doc/api.md, "Polls"): a moderator asks a question with 2 to 10 options; each user of the
// session votes for one option, and may change it until the poll is closed; on close the results
// go to everyone. A poll belongs to its session and is kept with it.

// The limits of a poll.
const (
	PollMinOptions     = 2
	PollMaxOptions     = 10
	PollMaxQuestion    = 1000 // bytes
	PollMaxOptionBytes = 300
	// PollMaxPerSession keeps a session's polls (and what every page fetches) bounded.
	PollMaxPerSession = 100
)

// Poll is one poll of a session. Option ids are 1..len(Options), in the order given.
type Poll struct {
	PollID    string
	SID       string
	RoomID    string
	Question  string
	Options   []string
	Anonymous bool
	CreatedAt time.Time
	CreatedBy string // the user_id of the moderator who created it; "" from the server key
	ClosedAt  time.Time
	ClosedBy  string
}

// Open reports whether the poll still takes votes (its session may have ended meanwhile).
func (p *Poll) Open() bool { return p.ClosedAt.IsZero() }

// PollVote is one user's vote; a later vote of the same user replaces it.
type PollVote struct {
	PollID  string
	UserID  string
	Name    string
	Option  int // 1..len(Options)
	VotedAt time.Time
}

// PollResultOption is one option with its votes.
type PollResultOption struct {
	ID        int    `json:"id"`
	Text      string `json:"text"`
	VoteCount int    `json:"vote_count"`
}

// PollVoter is who voted for what (never for an anonymous poll).
type PollVoter struct {
	UserID   string `json:"user_id"`
	Name     string `json:"name"`
	OptionID int    `json:"selected_option"`
	VotedAt  int64  `json:"voted_at"` // Unix ms
}

// PollResults counts the votes of a poll.
func PollResults(p *Poll, votes []PollVote) (total int, options []PollResultOption) {
	options = make([]PollResultOption, len(p.Options))
	for i, text := range p.Options {
		options[i] = PollResultOption{ID: i + 1, Text: text}
	}
	for _, v := range votes {
		if v.Option >= 1 && v.Option <= len(options) {
			options[v.Option-1].VoteCount++
			total++
		}
	}
	return total, options
}

// CheckPoll validates a new poll's question and options (trimmed), naming the field at fault.
func CheckPoll(question string, options []string) (string, []string, error) {
	question = strings.TrimSpace(question)
	switch {
	case question == "":
		return "", nil, Errorf(CodeInvalidParameters, "question is required")
	case len(question) > PollMaxQuestion:
		return "", nil, Errorf(CodeInvalidParameters, "question is longer than %d bytes", PollMaxQuestion)
	case !utf8.ValidString(question):
		return "", nil, Errorf(CodeInvalidParameters, "question must be UTF-8 text")
	case len(options) < PollMinOptions || len(options) > PollMaxOptions:
		return "", nil, Errorf(CodeInvalidParameters, "options must have %d to %d entries, not %d", PollMinOptions, PollMaxOptions, len(options))
	}
	out := make([]string, len(options))
	for i, o := range options {
		o = strings.TrimSpace(o)
		switch {
		case o == "":
			return "", nil, Errorf(CodeInvalidParameters, "options[%d] is empty", i)
		case len(o) > PollMaxOptionBytes:
			return "", nil, Errorf(CodeInvalidParameters, "options[%d] is longer than %d bytes", i, PollMaxOptionBytes)
		case !utf8.ValidString(o):
			return "", nil, Errorf(CodeInvalidParameters, "options[%d] must be UTF-8 text", i)
		}
		for j := range i {
			if strings.EqualFold(out[j], o) {
				return "", nil, Errorf(CodeInvalidParameters, "options[%d] repeats options[%d]", i, j)
			}
		}
		out[i] = o
	}
	return question, out, nil
}

// EventPoll is the poll of poll_created and poll_closed; poll_closed carries the results (and,
// unless the poll is anonymous, who voted for what).
type EventPoll struct {
	PollID         string             `json:"poll_id"`
	Question       string             `json:"question"`
	Options        []PollResultOption `json:"options"`
	IsAnonymous    bool               `json:"is_anonymous"`
	CreatedBy      string             `json:"created_by"`
	ClosedBy       string             `json:"closed_by,omitempty"`
	TotalResponses *int               `json:"total_responses,omitempty"`
	Voters         []PollVoter        `json:"voters,omitempty"`
}

// NewEventPoll is the poll as its events carry it: with votes (poll_closed) or without (nil).
func NewEventPoll(p *Poll, votes []PollVote) *EventPoll {
	total, options := PollResults(p, votes)
	e := &EventPoll{PollID: p.PollID, Question: p.Question, Options: options, IsAnonymous: p.Anonymous,
		CreatedBy: p.CreatedBy, ClosedBy: p.ClosedBy}
	if votes == nil {
		for i := range e.Options {
			e.Options[i].VoteCount = 0
		}
		return e
	}
	e.TotalResponses = &total
	if !p.Anonymous {
		e.Voters = Voters(votes)
	}
	return e
}

// Voters lists the votes as PollVoters, in the order given.
func Voters(votes []PollVote) []PollVoter {
	out := make([]PollVoter, 0, len(votes))
	for _, v := range votes {
		out = append(out, PollVoter{UserID: v.UserID, Name: v.Name, OptionID: v.Option, VotedAt: v.VotedAt.UnixMilli()})
	}
	return out
}
