package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// pollsKept: a poll is created with its event, one vote per user (the later replaces the earlier),
// votes race a close and none lands after it, a poll closes once with its results, and a session
// that ended takes no poll and no vote.
func pollsKept(t *testing.T, st rooms.Store) {
	ctx := context.Background()
	s, _, _ := st.CreateSession(ctx, session("polls", t0), event(meet.EventRoomCreated))
	p := &meet.Poll{PollID: id("PL_"), SID: s.SID, RoomID: s.RoomID, Question: "Q?", Options: []string{"a", "b", "c"},
		Anonymous: true, CreatedAt: t0, CreatedBy: "host"}
	ok, err := st.CreatePoll(ctx, p, event(meet.EventPollCreated))
	if err != nil || !ok {
		t.Fatalf("create: %v %v", ok, err)
	}
	got, err := st.Poll(ctx, p.PollID)
	if err != nil || got == nil || got.Question != "Q?" || !slices.Equal(got.Options, p.Options) || !got.Anonymous || !got.Open() || !got.CreatedAt.Equal(t0) {
		t.Fatalf("poll %+v %v", got, err)
	}
	vote := func(user string, option int, at time.Duration) bool {
		t.Helper()
		ok, err := st.Vote(ctx, meet.PollVote{PollID: p.PollID, UserID: user, Name: "N " + user, Option: option, VotedAt: t0.Add(at)})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	vote("ann", 1, time.Second)
	vote("ann", 2, 2*time.Second)
	vote("bob", 2, 3*time.Second)
	if ok := vote("cat", 1, 4*time.Second); !ok {
		t.Fatal("a vote in an open poll was refused")
	}
	if ok, _ := st.Vote(ctx, meet.PollVote{PollID: "PL_unknown", UserID: "x", Name: "x", Option: 1, VotedAt: t0}); ok {
		t.Error("a vote in an unknown poll")
	}
	// votes racing the close: each lands before it or not at all
	var wg sync.WaitGroup
	var closes int
	var mu sync.Mutex
	for i := range 8 {
		wg.Go(func() {
			if i%2 == 0 {
				ok, err := st.Vote(ctx, meet.PollVote{PollID: p.PollID, UserID: "cat", Name: "N cat", Option: 3, VotedAt: t0.Add(5 * time.Second)})
				if err != nil {
					t.Error(err)
				}
				_ = ok
				return
			}
			ok, err := st.ClosePoll(ctx, p.PollID, "host", t0.Add(time.Minute), func(s *meet.Session, cp *meet.Poll, votes []meet.PollVote) []meet.Event {
				e := meet.NewEvent(meet.EventPollClosed, s, cp.ClosedAt)
				e.Poll = meet.NewEventPoll(cp, votes)
				return []meet.Event{e}
			})
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				closes++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if closes != 1 {
		t.Fatalf("closed %d times", closes)
	}
	if vote("dan", 1, 2*time.Minute) {
		t.Error("a vote after the close was taken")
	}
	votes, err := st.PollVotes(ctx, s.SID)
	if err != nil {
		t.Fatal(err)
	}
	total, options := meet.PollResults(p, votes[p.PollID])
	if total != 3 || options[1].VoteCount != 2 {
		t.Errorf("results %d %+v from %+v", total, options, votes)
	}
	polls, err := st.Polls(ctx, s.SID)
	if err != nil || len(polls) != 1 || polls[0].Open() || polls[0].ClosedBy != "host" || !polls[0].ClosedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("polls %+v %v", polls, err)
	}
	if got := names(t, st); !slices.Contains(got, meet.EventPollCreated) || !slices.Contains(got, meet.EventPollClosed) {
		t.Errorf("events %v", got)
	}
	// an ended session takes no poll and no vote
	open := &meet.Poll{PollID: id("PL_"), SID: s.SID, RoomID: s.RoomID, Question: "Later?", Options: []string{"x", "y"}, CreatedAt: t0.Add(time.Hour)}
	if ok, err := st.CreatePoll(ctx, open, event(meet.EventPollCreated)); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if _, err := st.EndSession(ctx, s.SID, t0.Add(2*time.Hour), meet.EndByAPI, func(s *meet.Session, _ []rooms.Presence) []meet.Event { return nil }); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.Vote(ctx, meet.PollVote{PollID: open.PollID, UserID: "ann", Name: "N ann", Option: 1, VotedAt: t0.Add(3 * time.Hour)}); ok {
		t.Error("a vote after the session ended")
	}
	late := &meet.Poll{PollID: id("PL_"), SID: s.SID, RoomID: s.RoomID, Question: "Too late?", Options: []string{"x", "y"}, CreatedAt: t0.Add(3 * time.Hour)}
	if ok, err := st.CreatePoll(ctx, late, event(meet.EventPollCreated)); err != nil || ok {
		t.Errorf("a poll in an ended session: %v %v", ok, err)
	}
}
