// Package storetest is one behaviour suite for every implementation of rooms.Store: the SQLite
// and PostgreSQL stores run it, and any other store must pass the same tests.
package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"meetd/internal/analytics"
	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// Open opens a store on one test's database. Each call opens another handle on that same
// database (connections of its own), as a second meetd process would.
type Open func() rooms.Store

// Run runs the suite. newDB makes a new, empty database for one test and returns how to open it.
func Run(t *testing.T, newDB func(t *testing.T) Open) {
	tests := map[string]func(*testing.T, rooms.Store){
		"CreateOncePerRoom":   createOncePerRoom,
		"EndOnce":             endOnce,
		"PresenceAndCounts":   presenceAndCounts,
		"UsersAndBlocking":    usersAndBlocking,
		"SessionsPaging":      sessionsPaging,
		"CloseNodePresence":   closeNodePresence,
		"EventsInOrder":       eventsInOrder,
		"MetadataRoundTrip":   metadataRoundTrip,
		"TrackEventsRecorded": trackEventsRecorded,
		"ActivityIntervals":   activityIntervals,
		"WaitingRoom":         waitingRoom,    // waiting.go
		"BreakoutRounds":      breakoutRounds, // breakout.go
		"PollsKept":           pollsKept,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) { fn(t, newDB(t)()) })
	}
	// Several processes on one database: each test opens its own handles.
	shared := map[string]func(*testing.T, Open){
		"TwoProcessesCreateOnce":          twoProcessesCreateOnce,
		"TwoProcessesLastLeave":           twoProcessesLastLeave,
		"TwoProcessesEventsInCommitOrder": twoProcessesEventsInCommitOrder,
	}
	for name, fn := range shared {
		t.Run(name, func(t *testing.T) { fn(t, newDB(t)) })
	}
}

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

var idCounter struct {
	sync.Mutex
	n int
}

func id(prefix string) string {
	idCounter.Lock()
	defer idCounter.Unlock()
	idCounter.n++
	return fmt.Sprintf("%s%06d", prefix, idCounter.n)
}

func session(roomID string, at time.Time) *meet.Session {
	md := meet.RoomMetadata{RoomTitle: "Title of " + roomID, ExtraData: "x"}
	md.Fill()
	return &meet.Session{SID: id("RM_"), RoomID: roomID, Metadata: md, MaxParticipants: 5, EmptyTimeout: 60, CreatedAt: at}
}

func event(name string) func(*meet.Session) []meet.Event {
	return func(s *meet.Session) []meet.Event { return []meet.Event{meet.NewEvent(name, s, t0)} }
}

func names(t *testing.T, st rooms.Store) []string {
	t.Helper()
	list, err := st.Events(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Event.Event)
	}
	return out
}

func createOncePerRoom(t *testing.T, st rooms.Store) {
	ctx := context.Background()
	sid := raceCreate(t, "race", st)
	if n := len(names(t, st)); n != 1 {
		t.Errorf("%d room_created events, want 1", n)
	}
	got, err := st.Session(ctx, "race")
	if err != nil || got == nil || got.SID != sid || !got.Running() || got.MaxParticipants != 5 || got.EmptyTimeout != 60 ||
		!got.CreatedAt.Equal(t0) || got.Title() != "Title of race" {
		t.Fatalf("session %+v, %v", got, err)
	}
}

func endOnce(t *testing.T, st rooms.Store) {
	ctx := context.Background()
	s, _, _ := st.CreateSession(ctx, session("end", t0), event(meet.EventRoomCreated))
	var wg sync.WaitGroup
	var mu sync.Mutex
	ended := 0
	for range 10 {
		wg.Go(func() {
			ok, err := st.EndSession(ctx, s.SID, t0.Add(time.Minute), meet.EndByAPI, func(s *meet.Session, _ []rooms.Presence) []meet.Event {
				return event(meet.EventRoomFinished)(s)
			})
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				ended++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ended != 1 {
		t.Fatalf("ended %d times", ended)
	}
	got, _ := st.Session(ctx, "end")
	if got.Running() || got.EndReason != meet.EndByAPI || !got.EndedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("ended session %+v", got)
	}
	next, created, err := st.CreateSession(ctx, session("end", t0.Add(time.Hour)), event(meet.EventRoomCreated))
	if err != nil || !created || next.SID == s.SID {
		t.Errorf("a new session after the end: %+v %v %v", next, created, err)
	}
	if latest, _ := st.Session(ctx, "end"); latest.SID != next.SID {
		t.Errorf("Session returns %s, want the running %s", latest.SID, next.SID)
	}
	if old, _ := st.SessionBySID(ctx, s.SID); old == nil || old.Running() {
		t.Errorf("old session %+v", old)
	}
}

func presenceAndCounts(t *testing.T, st rooms.Store) {
	ctx := context.Background()
	s, _, _ := st.CreateSession(ctx, session("pc", t0), event(meet.EventRoomCreated))
	var facts []rooms.JoinFacts
	join := func(psid, user string, at time.Time) {
		err := st.ParticipantJoined(ctx, s.SID, rooms.Presence{ParticipantSID: psid, UserID: user, Name: user, At: at},
			func(_ *meet.Session, f rooms.JoinFacts) []meet.Event { facts = append(facts, f); return nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	leave := func(psid string, at time.Time) {
		if err := st.ParticipantLeft(ctx, s.SID, rooms.Presence{ParticipantSID: psid, At: at}, func(*meet.Session) []meet.Event { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	join("PA_1", "a", t0.Add(time.Second))
	join("PA_1", "a", t0.Add(time.Second)) // reported twice: recorded once
	join("PA_2", "b", t0.Add(2*time.Second))
	leave("PA_1", t0.Add(3*time.Second))
	join("PA_3", "a", t0.Add(4*time.Second)) // a comes back
	got, _ := st.SessionBySID(ctx, s.SID)
	if got.JoinedParticipants != 2 || got.Connected != 2 || !got.FirstJoinAt.Equal(t0.Add(time.Second)) {
		t.Errorf("after joins: joined %d connected %d first %v", got.JoinedParticipants, got.Connected, got.FirstJoinAt)
	}
	if len(facts) != 3 || !facts[0].FirstOfSession || !facts[0].FirstOfUser || facts[1].FirstOfSession || !facts[1].FirstOfUser || facts[2].FirstOfUser {
		t.Errorf("join facts %+v", facts)
	}
	leave("PA_2", t0.Add(5*time.Second))
	leave("PA_3", t0.Add(6*time.Second))
	leave("PA_3", t0.Add(7*time.Second)) // twice: once
	got, _ = st.SessionBySID(ctx, s.SID)
	if got.Connected != 0 || !got.LastLeftAt.Equal(t0.Add(6*time.Second)) {
		t.Errorf("after leaves: connected %d last left %v", got.Connected, got.LastLeftAt)
	}
}

func usersAndBlocking(t *testing.T, st rooms.Store) {
	ctx := context.Background()
	s, _, _ := st.CreateSession(ctx, session("users", t0), event(meet.EventRoomCreated))
	yes := true
	u := &meet.User{UserID: "u1", Name: "One", IsAdmin: true, Metadata: meet.UserMetadata{ExtraData: "e", LockSettings: &meet.LockSettings{LockWebcam: &yes}}}
	if err := st.PutUser(ctx, s.SID, u); err != nil {
		t.Fatal(err)
	}
	if err := st.BlockUser(ctx, s.SID, "u1"); err != nil {
		t.Fatal(err)
	}
	u.Name = "Renamed"
	if err := st.PutUser(ctx, s.SID, u); err != nil { // a new token request: still blocked
		t.Fatal(err)
	}
	got, err := st.User(ctx, s.SID, "u1")
	if err != nil || got == nil || got.Name != "Renamed" || !got.IsAdmin || !got.Blocked || got.Metadata.ExtraData != "e" ||
		got.Metadata.LockSettings == nil || !meet.Bool(got.Metadata.LockSettings.LockWebcam) {
		t.Fatalf("user %+v %v", got, err)
	}
	if none, err := st.User(ctx, s.SID, "nobody"); none != nil || err != nil {
		t.Errorf("unknown user: %+v %v", none, err)
	}
	// the token generation, raised by RevokeUser (which changes nothing users_rev counts)
	if err := st.RevokeUser(ctx, s.SID, "u1"); err != nil {
		t.Fatal(err)
	}
	if got, err := st.User(ctx, s.SID, "u1"); err != nil || got.Generation != 1 {
		t.Errorf("generation after RevokeUser: %+v %v", got, err)
	}
	if err := st.RevokeUser(ctx, s.SID, "nobody"); err != nil {
		t.Errorf("RevokeUser of an unknown user: %v", err)
	}
	if err := st.BlockUser(ctx, s.SID, "stranger"); err != nil {
		t.Fatal(err)
	}
	all, _ := st.Users(ctx, s.SID)
	if len(all) != 2 || !all["stranger"].Blocked {
		t.Errorf("users %+v", all)
	}
	// users_rev moves with every change to the users or the metadata, and with nothing else
	rev := func() int64 {
		t.Helper()
		got, err := st.SessionBySID(ctx, s.SID)
		if err != nil || got == nil {
			t.Fatalf("session: %+v %v", got, err)
		}
		return got.UsersRev
	}
	before := rev()
	if before != 4 { // PutUser, BlockUser, PutUser, BlockUser
		t.Errorf("users_rev after four changes = %d, want 4", before)
	}
	for _, change := range []struct {
		name string
		do   func() error
	}{
		{"PutUser", func() error { return st.PutUser(ctx, s.SID, &meet.User{UserID: "u2", Name: "Two"}) }},
		{"BlockUser", func() error { return st.BlockUser(ctx, s.SID, "u2") }},
		{"SetMetadata", func() error { return st.SetMetadata(ctx, s.SID, meet.RoomMetadata{RoomTitle: "Locked"}) }},
		{"ParticipantJoined of a new user", func() error {
			return st.ParticipantJoined(ctx, s.SID, rooms.Presence{ParticipantSID: "PA_u3", UserID: "u3", Name: "Three", At: t0},
				func(*meet.Session, rooms.JoinFacts) []meet.Event { return nil })
		}},
	} {
		if err := change.do(); err != nil {
			t.Fatalf("%s: %v", change.name, err)
		}
		if now := rev(); now <= before {
			t.Errorf("%s did not move users_rev (%d)", change.name, now)
		} else {
			before = now
		}
	}
	// a user added (not replaced) leaves users_rev, and an existing one is not added again
	if added, err := st.AddUser(ctx, s.SID, &meet.User{UserID: "u4", Name: "Four"}); err != nil || !added {
		t.Fatalf("AddUser of a new user: %v %v", added, err)
	}
	if added, err := st.AddUser(ctx, s.SID, &meet.User{UserID: "u4", Name: "Imposter", IsAdmin: true}); err != nil || added {
		t.Fatalf("AddUser of a known user: %v %v", added, err)
	}
	if got, _ := st.User(ctx, s.SID, "u4"); got == nil || got.Name != "Four" || got.IsAdmin {
		t.Errorf("a second AddUser changed the user: %+v", got)
	}
	if now := rev(); now != before {
		t.Errorf("AddUser moved users_rev from %d to %d", before, now)
	}
	// a second connection of a user who joined before changes no user
	if err := st.ParticipantJoined(ctx, s.SID, rooms.Presence{ParticipantSID: "PA_u3b", UserID: "u3", Name: "Three", At: t0},
		func(*meet.Session, rooms.JoinFacts) []meet.Event { return nil }); err != nil {
		t.Fatal(err)
	}
	if now := rev(); now != before {
		t.Errorf("a second connection moved users_rev from %d to %d", before, now)
	}
}

func sessionsPaging(t *testing.T, st rooms.Store) {
	ctx := context.Background()
	for i := range 5 {
		room := fmt.Sprintf("page%d", i%2)
		s, _, _ := st.CreateSession(ctx, session(room, t0.Add(time.Duration(i)*time.Minute)), event(meet.EventRoomCreated))
		if i < 4 {
			_, _ = st.EndSession(ctx, s.SID, t0.Add(time.Duration(i)*time.Minute+time.Second), meet.EndByAPI,
				func(*meet.Session, []rooms.Presence) []meet.Event { return nil })
		}
	}
	list, total, err := st.Sessions(ctx, meet.SessionFilter{Limit: 2, From: 1})
	if err != nil || total != 5 || len(list) != 2 || !list[0].CreatedAt.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("DESC page: total %d %v", total, err)
	}
	list, total, _ = st.Sessions(ctx, meet.SessionFilter{RoomIDs: []string{"page1"}, Limit: 10, Ascending: true})
	if total != 2 || len(list) != 2 || list[0].RoomID != "page1" || list[0].CreatedAt.After(list[1].CreatedAt) {
		t.Errorf("filtered ASC: total %d", total)
	}
	running, _ := st.RunningSessions(ctx)
	if len(running) != 1 || running[0].RoomID != "page0" {
		t.Errorf("running %d", len(running))
	}
}

func closeNodePresence(t *testing.T, st rooms.Store) {
	ctx := context.Background()
	none := func(*meet.Session, rooms.JoinFacts) []meet.Event { return nil }
	s, _, _ := st.CreateSession(ctx, session("restart", t0), event(meet.EventRoomCreated))
	quiet, _, _ := st.CreateSession(ctx, session("quiet", t0), event(meet.EventRoomCreated))
	other, _, _ := st.CreateSession(ctx, session("elsewhere", t0), event(meet.EventRoomCreated))
	_ = st.ParticipantJoined(ctx, s.SID, rooms.Presence{ParticipantSID: "PA_9", UserID: "z", At: t0.Add(time.Second), Node: "node-a"}, none)
	_ = st.ParticipantJoined(ctx, other.SID, rooms.Presence{ParticipantSID: "PA_10", UserID: "y", At: t0.Add(time.Second), Node: "node-b"}, none)

	// Both nodes beat; later only node-b does.
	_ = st.Heartbeat(ctx, "node-a", t0.Add(time.Minute))
	_ = st.Heartbeat(ctx, "node-b", t0.Add(time.Minute))
	_ = st.Heartbeat(ctx, "node-b", t0.Add(2*time.Hour))
	_ = st.Heartbeat(ctx, "node-b", t0.Add(time.Hour)) // a late, older beat does not move it back
	if stale, err := st.StaleNodes(ctx, t0.Add(30*time.Second)); err != nil || len(stale) != 0 {
		t.Errorf("nodes that beat after +30 s counted stale: %v, %v", stale, err)
	}
	if stale, err := st.StaleNodes(ctx, t0.Add(90*time.Minute)); err != nil || len(stale) != 1 || stale[0] != "node-a" {
		t.Errorf("nodes silent since +90 min: %v, %v (want node-a; node-b beat at +2 h)", stale, err)
	}

	at := t0.Add(time.Hour)
	if err := st.CloseNodePresence(ctx, "node-a", at); err != nil {
		t.Fatal(err)
	}
	got, _ := st.SessionBySID(ctx, s.SID)
	if got.Connected != 0 || !got.LastLeftAt.Equal(at) || got.JoinedParticipants != 1 {
		t.Errorf("after node-a went: %+v", got)
	}
	if q, _ := st.SessionBySID(ctx, quiet.SID); !q.LastLeftAt.IsZero() {
		t.Errorf("a room nobody joined got a departure time")
	}
	if o, _ := st.SessionBySID(ctx, other.SID); o.Connected != 1 || !o.LastLeftAt.IsZero() {
		t.Errorf("a room on node-b lost its participant when node-a went: %+v", o)
	}
	if stale, _ := st.StaleNodes(ctx, t0.Add(90*time.Minute)); len(stale) != 0 {
		t.Errorf("stale nodes after closing node-a's connections: %v", stale)
	}
}

func eventsInOrder(t *testing.T, st rooms.Store) {
	ctx := context.Background()
	s, _, _ := st.CreateSession(ctx, session("ev", t0), event(meet.EventRoomCreated))
	for range 5 {
		e := meet.NewEvent(meet.EventTrackPublished, s, t0)
		if err := st.AddEvents(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	list, _ := st.Events(ctx, 0, 100)
	if len(list) != 6 || list[0].Event.Event != meet.EventRoomCreated || list[0].Event.Room.SID != s.SID {
		t.Fatalf("events %+v", list)
	}
	for i := 1; i < len(list); i++ {
		if list[i].Seq <= list[i-1].Seq {
			t.Fatalf("sequence not increasing at %d", i)
		}
	}
	last, _ := st.LastEventSeq(ctx)
	if last != list[5].Seq {
		t.Errorf("LastEventSeq %d, want %d", last, list[5].Seq)
	}
	after, _ := st.Events(ctx, list[3].Seq, 100)
	if len(after) != 2 {
		t.Errorf("events after %d: %d", list[3].Seq, len(after))
	}
}

func metadataRoundTrip(t *testing.T, st rooms.Store) {
	ctx := context.Background()
	s, _, _ := st.CreateSession(ctx, session("md", t0), event(meet.EventRoomCreated))
	md := s.Metadata
	yes := true
	md.DefaultLockSettings.LockChat = &yes
	md.WelcomeMessage = "héllo ✓"
	if err := st.SetMetadata(ctx, s.SID, md); err != nil {
		t.Fatal(err)
	}
	got, _ := st.SessionBySID(ctx, s.SID)
	if meet.JSON(got.Metadata) != meet.JSON(md) {
		t.Errorf("metadata\n%s\nwant\n%s", meet.JSON(got.Metadata), meet.JSON(md))
	}
}

func trackEventsRecorded(t *testing.T, st rooms.Store) {
	ctx := context.Background()
	s, _, _ := st.CreateSession(ctx, session("tracks", t0), event(meet.EventRoomCreated))
	tr := meet.Track{SID: "TR_1", Source: "CAMERA", Type: "VIDEO"}
	pub := meet.NewEvent(meet.EventTrackPublished, s, t0)
	if err := st.TrackPublished(ctx, s.SID, "u", tr, t0, pub); err != nil {
		t.Fatal(err)
	}
	unpub := meet.NewEvent(meet.EventTrackUnpublished, s, t0)
	if err := st.TrackUnpublished(ctx, s.SID, tr, t0.Add(time.Second), unpub); err != nil {
		t.Fatal(err)
	}
	if got := names(t, st); len(got) != 3 || got[1] != meet.EventTrackPublished || got[2] != meet.EventTrackUnpublished {
		t.Errorf("events %v", got)
	}
}

// Two processes race to create one room: one session, one room_created event.
func twoProcessesCreateOnce(t *testing.T, open Open) {
	ctx := context.Background()
	stores := []rooms.Store{open(), open()}
	sid := raceCreate(t, "shared", stores...)
	for i, st := range stores {
		if got := names(t, st); len(got) != 1 {
			t.Errorf("process %d sees %d events %v, want one room_created", i+1, len(got), got)
		}
		if running, err := st.RunningSessions(ctx); err != nil || len(running) != 1 || running[0].SID != sid {
			t.Errorf("process %d: running sessions %v, %v", i+1, running, err)
		}
	}
}

// Participants of one session leave at once through two processes: whoever leaves last sees
// the room empty and starts the departure timeout.
func twoProcessesLastLeave(t *testing.T, open Open) {
	ctx := context.Background()
	stores := []rooms.Store{open(), open()}
	for round := range 5 {
		s, _, err := stores[0].CreateSession(ctx, session(fmt.Sprintf("leave%d", round), t0), event(meet.EventRoomCreated))
		if err != nil {
			t.Fatal(err)
		}
		const n = 6
		for i := range n {
			p := rooms.Presence{ParticipantSID: fmt.Sprintf("PA_%d_%d", round, i), UserID: fmt.Sprintf("u%d", i), At: t0.Add(time.Second)}
			if err := stores[i%2].ParticipantJoined(ctx, s.SID, p, func(*meet.Session, rooms.JoinFacts) []meet.Event { return nil }); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for i := range n {
			st := stores[i%2]
			wg.Go(func() {
				p := rooms.Presence{ParticipantSID: fmt.Sprintf("PA_%d_%d", round, i), At: t0.Add(time.Minute)}
				if err := st.ParticipantLeft(ctx, s.SID, p, func(s *meet.Session) []meet.Event {
					return []meet.Event{meet.NewEvent(meet.EventParticipantLeft, s, t0)}
				}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := stores[1].SessionBySID(ctx, s.SID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Connected != 0 || got.JoinedParticipants != n || !got.LastLeftAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("round %d, after everyone left: connected %d, joined %d, last left %v (want 0, %d, %v)",
				round, got.Connected, got.JoinedParticipants, got.LastLeftAt, n, t0.Add(time.Minute))
		}
	}
}

// Events written through two processes at once are read by a reader that follows the log as the
// event stream and the webhook fan-out do (the events after the last seq it saw): it misses none.
// A store whose seqs could commit out of order would let it pass a seq committed later.
func twoProcessesEventsInCommitOrder(t *testing.T, open Open) {
	ctx := context.Background()
	stores := []rooms.Store{open(), open()}
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		st := stores[w%2]
		wg.Go(func() {
			s := session(fmt.Sprintf("order%d", w), t0)
			for range each {
				if err := st.AddEvents(ctx, meet.NewEvent(meet.EventParticipantJoined, s, t0)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	seen := map[string]bool{}
	var after int64
	for finished := false; ; {
		select {
		case <-done:
			finished = true // the read below sees every event
		default:
		}
		list, err := stores[0].Events(ctx, after, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range list {
			seen[e.Event.ID] = true
			after = e.Seq
		}
		if finished && len(list) == 0 {
			break
		}
	}
	all, err := stores[1].Events(ctx, 0, 10*writers*each)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != writers*each {
		t.Errorf("%d events stored, want %d", len(all), writers*each)
	}
	for _, e := range all {
		if !seen[e.Event.ID] {
			t.Errorf("event seq %d committed after the reader had read past it", e.Seq)
		}
	}
}

// raceCreate makes 20 concurrent CreateSession calls for one room, spread over the stores (handles
// on one database), and fails unless they all got the same session, whose sid it returns.
func raceCreate(t *testing.T, roomID string, stores ...rooms.Store) string {
	t.Helper()
	var wg sync.WaitGroup
	sids := make([]string, 20)
	for i := range sids {
		st := stores[i%len(stores)]
		wg.Go(func() {
			got, _, err := st.CreateSession(context.Background(), session(roomID, t0), event(meet.EventRoomCreated))
			if err != nil {
				t.Error(err)
				return
			}
			sids[i] = got.SID
		})
	}
	wg.Wait()
	for _, sid := range sids {
		if sid != sids[0] {
			t.Fatalf("two sessions for one room: %v", sids)
		}
	}
	return sids[0]
}

// activityIntervals: the rooms a node has people in, and intervals of activity opened and closed
// once each, whatever the repeats, into the report's input.
func activityIntervals(t *testing.T, st rooms.Store) {
	ctx := context.Background()
	s, _, err := st.CreateSession(ctx, session("busy", t0), event(meet.EventRoomCreated))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CreateSession(ctx, session("quiet", t0), event(meet.EventRoomCreated)); err != nil { // nobody in it
		t.Fatal(err)
	}
	if err := st.ParticipantJoined(ctx, s.SID, rooms.Presence{ParticipantSID: "PA_a", UserID: "a", Name: "A", At: t0, Node: "n1"},
		func(*meet.Session, rooms.JoinFacts) []meet.Event { return nil }); err != nil {
		t.Fatal(err)
	}
	if list, err := st.NodeRooms(ctx, "n1"); err != nil || len(list) != 1 || list[0] != "busy" {
		t.Errorf("rooms of n1: %v %v", list, err)
	}
	if list, err := st.NodeRooms(ctx, "n2"); err != nil || len(list) != 0 {
		t.Errorf("rooms of n2: %v %v", list, err)
	}
	set := func(kind, item string, on bool, sec int) {
		t.Helper()
		a := rooms.Activity{Kind: kind, Item: item, UserID: "a", On: on, At: t0.Add(time.Duration(sec) * time.Second)}
		if err := st.SetActivity(ctx, s.SID, a); err != nil {
			t.Fatal(err)
		}
	}
	set(rooms.ActivityMuted, "TR_mic", true, 1)
	set(rooms.ActivityMuted, "TR_mic", true, 2) // already muted: the interval stays as it began
	set(rooms.ActivityMuted, "TR_mic", false, 3)
	set(rooms.ActivityMuted, "TR_mic", false, 4) // already unmuted: nothing
	set(rooms.ActivityTalking, "PA_a", true, 5)
	set(rooms.ActivityMuted, "TR_mic", true, 6) // open at the end
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	set(rooms.ActivityHand, "a", true, 7)
	set(rooms.ActivityHand, "a", false, 8)
	set(rooms.ActivityHand, "a", true, 9)
	for i, to := range []string{"", "", "b"} { // two messages to everyone, one private
		m := &meet.ChatMessage{MsgID: fmt.Sprintf("CM_%d", i), SID: s.SID, RoomID: s.RoomID, FromUserID: "a", FromName: "A",
			ToUserID: to, Message: "hello", SentAt: at(10 + i)}
		if ok, err := st.AddChat(ctx, m, nil, func(*meet.Session) []meet.Event { return nil }); err != nil || !ok {
			t.Fatalf("chat message %d: %v %v", i, ok, err)
		}
	}
	reports, ok := st.(interface {
		ReportInput(ctx context.Context, sid string) (*analytics.Input, error)
	})
	if !ok {
		t.Fatal("the store does not make report inputs")
	}
	in, err := reports.ReportInput(ctx, s.SID)
	if err != nil {
		t.Fatal(err)
	}
	if m := in.Muted; len(m) != 2 || m[0].Item != "TR_mic" || !m[0].From.Equal(at(1)) || !m[0].To.Equal(at(3)) ||
		!m[1].From.Equal(at(6)) || !m[1].To.IsZero() {
		t.Errorf("muted intervals %+v", m)
	}
	if tk := in.Talking; len(tk) != 1 || tk[0].Item != "PA_a" || tk[0].UserID != "a" || !tk[0].From.Equal(at(5)) || !tk[0].To.IsZero() {
		t.Errorf("talking intervals %+v", tk)
	}
	if p := in.Presence; len(p) != 1 || p[0].Item != "PA_a" {
		t.Errorf("presence %+v", p)
	}
	if h := in.Hands; len(h) != 2 || h[0].UserID != "a" || !h[0].To.Equal(at(8)) || !h[1].To.IsZero() {
		t.Errorf("raised hands %+v", h)
	}
	if c := in.Chats["a"]; c != (analytics.ChatCount{Public: 2, Private: 1}) {
		t.Errorf("chat of a %+v", c)
	}
}
