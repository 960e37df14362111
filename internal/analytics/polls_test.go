package analytics

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"meetd/internal/meet"
)

// Polls in the AnalyticsResult and the attendance report: poll_added with the counts, poll_ended
// at the close (or the session's end), voted_poll with the counted vote, none for anonymous polls.
func TestPollsInReports(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	sess := &meet.Session{RoomID: "r", SID: "RM_1", CreatedAt: t0, EndedAt: at(60)}
	open := &meet.Poll{PollID: "PL_open", Question: "Anon?", Options: []string{"y", "n"}, Anonymous: true, CreatedAt: at(20)}
	closed := &meet.Poll{PollID: "PL_day", Question: "Day?", Options: []string{"Mon", "Tue"}, CreatedAt: at(5), ClosedAt: at(15), ClosedBy: "a"}
	in := &Input{
		Session:  sess,
		Users:    map[string]*meet.User{"a": {UserID: "a", Name: "Ann"}, "b": {UserID: "b", Name: "Bob"}},
		Presence: []Interval{{UserID: "a", Item: "PA_a", From: at(0), To: at(60)}, {UserID: "b", Item: "PA_b", From: at(1), To: at(60)}},
		Polls:    []*meet.Poll{closed, open},
		Votes: map[string][]meet.PollVote{
			"PL_day":  {{PollID: "PL_day", UserID: "a", Option: 2, VotedAt: at(7)}, {PollID: "PL_day", UserID: "b", Option: 2, VotedAt: at(8)}},
			"PL_open": {{PollID: "PL_open", UserID: "b", Option: 1, VotedAt: at(30)}},
		},
	}
	r := BuildResult(in)
	if len(r.Room.Events) != 2 || r.Room.Events[0].Name != "poll_added" || r.Room.Events[1].Name != "poll_ended" {
		t.Fatalf("room events %+v", r.Room.Events)
	}
	added := r.Room.Events[0].Values
	if len(added) != 2 || !strings.Contains(added[0].Value, `"poll_id":"PL_day"`) || !strings.Contains(added[0].Value, `{"id":2,"text":"Tue","vote_count":2}`) ||
		!strings.Contains(added[1].Value, `"is_anonymous":true,"total_responses":1`) {
		t.Errorf("poll_added %+v", added)
	}
	ended := r.Room.Events[1].Values
	if ended[0].Value != "PL_day" || ended[0].Time != pbInt64(at(15).UnixMilli()) || ended[1].Value != "PL_open" || ended[1].Time != pbInt64(at(60).UnixMilli()) {
		t.Errorf("poll_ended %+v", ended)
	}
	for _, u := range r.Users {
		var voted []ResultValue
		for _, e := range u.Events {
			if e.Name == "voted_poll" {
				voted = e.Values
			}
		}
		// the anonymous poll's vote of b is not there
		if len(voted) != 1 || voted[0].Value != `{"poll_id":"PL_day","selected_option":2}` {
			t.Errorf("%s voted_poll %+v", u.UserID, voted)
		}
	}
	rep := Build(in)
	b, _ := json.Marshal(rep.Polls)
	if len(rep.Polls) != 2 || rep.Polls[0].TotalResponses != 2 || len(rep.Polls[0].Voters) != 2 || rep.Polls[1].Voters != nil ||
		!rep.Polls[1].ClosedAt.Equal(at(60)) {
		t.Errorf("report polls %s", b)
	}
	// no polls: no poll events, no polls key
	in.Polls, in.Votes = nil, nil
	if r := BuildResult(in); len(r.Room.Events) != 0 {
		t.Errorf("events without polls %+v", r.Room.Events)
	}
	if b := Build(in).JSON(); strings.Contains(string(b), `"polls"`) {
		t.Errorf("report without polls: %s", b)
	}
}
