package storetest

import (
	"context"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// waitingRoom: a newcomer is added once (with its event), a heartbeat moves seen_at only, a stale
// one arrives again; a decision changes only those waiting (or, with also, in that state) and
// writes its events in the same transaction.
func waitingRoom(t *testing.T, st rooms.Store) {
	ctx := context.Background()
	s, _, err := st.CreateSession(ctx, session("wait", t0), event(meet.EventRoomCreated))
	if err != nil {
		t.Fatal(err)
	}
	arrivals := 0
	arrive := func(meet.Waiter) []meet.Event {
		arrivals++
		return []meet.Event{meet.NewEvent(meet.EventWaitingRoomJoined, s, t0)}
	}
	seen := func(user string, at time.Time) *meet.Waiter {
		t.Helper()
		w, err := st.WaitingSeen(ctx, s.SID, user, "Name "+user, at, at.Add(-15*time.Second), arrive)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	a := seen("a", t0)
	seen("a", t0.Add(5*time.Second))
	seen("b", t0.Add(6*time.Second))
	if arrivals != 2 || a.State != meet.WaitingStateWaiting {
		t.Fatalf("arrivals %d, a %+v", arrivals, a)
	}
	if w := seen("a", t0.Add(time.Minute)); arrivals != 3 || w.Since != t0.Add(time.Minute).UnixMilli() {
		t.Fatalf("a back after a minute: arrivals %d, %+v", arrivals, w)
	}
	decided := func(ws []meet.Waiter) []meet.Event {
		var out []meet.Event
		for range ws {
			out = append(out, meet.NewEvent(meet.EventWaitingRoomRejected, s, t0))
		}
		return out
	}
	got, err := st.DecideWaiting(ctx, s.SID, []string{"b", "nobody"}, meet.WaitingStateRejected, "full", meet.WaitingStateWaiting, decided)
	if err != nil || len(got) != 1 || got[0].UserID != "b" || got[0].Reason != "full" {
		t.Fatalf("reject b: %v %+v", err, got)
	}
	// all: only those waiting (a), not the rejected b
	got, err = st.DecideWaiting(ctx, s.SID, nil, meet.WaitingStateAdmitted, "", meet.WaitingStateRejected, decided)
	if err != nil || len(got) != 1 || got[0].UserID != "a" {
		t.Fatalf("admit all: %v %+v", err, got)
	}
	// by name, a rejected one may be admitted
	if got, err = st.DecideWaiting(ctx, s.SID, []string{"b"}, meet.WaitingStateAdmitted, "", meet.WaitingStateRejected, decided); err != nil || len(got) != 1 {
		t.Fatalf("admit b: %v %+v", err, got)
	}
	all, err := st.Waiters(ctx, s.SID)
	if err != nil || len(all) != 2 || all[0].State != meet.WaitingStateAdmitted || all[1].State != meet.WaitingStateAdmitted {
		t.Fatalf("waiters %v %+v", err, all)
	}
	if w, err := st.Waiter(ctx, s.SID, "nobody"); err != nil || w != nil {
		t.Fatalf("unknown waiter: %v %+v", err, w)
	}
	if names := names(t, st); len(names) != 7 { // room_created, 3 joined, 3 decided
		t.Errorf("events %v", names)
	}
}
