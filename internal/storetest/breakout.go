package storetest

import (
	"context"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// breakoutRounds: a round of breakout rooms is created with its sessions and events at once, listed,
// extended, due at its end, and closed once when none of its rooms runs (doc/api.md, "Breakout rooms").
func breakoutRounds(t *testing.T, st rooms.Store) {
	ctx := context.Background()
	bs, ok := st.(rooms.BreakoutStore)
	if !ok {
		t.Skip("no breakout rooms in this store")
	}
	parent := session("class", t0)
	if _, _, err := st.CreateSession(ctx, parent, event(meet.EventRoomCreated)); err != nil {
		t.Fatal(err)
	}
	var list []meet.Breakout
	var children []*meet.Session
	for i, title := range []string{"A", "B"} {
		c := session("class-br"+string(rune('1'+i)), t0)
		c.Metadata.IsBreakoutRoom, c.Metadata.ParentRoomID = true, "class"
		children = append(children, c)
		list = append(list, meet.Breakout{SID: c.SID, RoomID: c.RoomID, ParentSID: parent.SID, ParentRoomID: "class", Title: title,
			Users: []string{"u" + title}, CreatedAt: t0, EndsAt: t0.Add(10 * time.Minute)})
	}
	created := meet.NewEvent(meet.EventBreakoutRoomsCreated, parent, t0)
	if err := bs.CreateBreakouts(ctx, parent.SID, list, children, []meet.Event{created}); err != nil {
		t.Fatal(err)
	}
	if err := bs.CreateBreakouts(ctx, parent.SID, list[:1], children[:1], nil); meet.CodeOf(err) != meet.CodeConflict {
		t.Fatalf("a second round while one is open: %v, want CONFLICT", err)
	}
	got, err := bs.Breakouts(ctx, parent.SID, false)
	if err != nil || len(got) != 2 || got[0].RoomID != "class-br1" || !got[0].Running || got[1].Users[0] != "uB" || !got[0].EndsAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("breakout rooms %+v %v", got, err)
	}
	if s, err := st.Session(ctx, "class-br2"); err != nil || s == nil || !s.Metadata.IsBreakoutRoom || s.Metadata.ParentRoomID != "class" {
		t.Fatalf("the breakout room's session %+v %v", s, err)
	}
	moved, err := bs.ExtendBreakouts(ctx, parent.SID, children[1].SID, 5*time.Minute, func(l []meet.Breakout) []meet.Event { return nil })
	if err != nil || len(moved) != 1 || !moved[0].EndsAt.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("extend one: %+v %v", moved, err)
	}
	due, err := bs.DueBreakouts(ctx, t0.Add(12*time.Minute))
	if err != nil || len(due) != 1 || due[0].RoomID != "class-br1" {
		t.Fatalf("due at 12 min: %+v %v", due, err)
	}
	if closed, err := bs.CloseBreakouts(ctx, parent.SID, t0, nil); err != nil || closed {
		t.Fatalf("closed a round whose rooms run: %v %v", closed, err)
	}
	for _, c := range children {
		if _, err := st.EndSession(ctx, c.SID, t0.Add(20*time.Minute), meet.EndBreakoutTimeUp, func(*meet.Session, []rooms.Presence) []meet.Event { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	end := func(p *meet.Session, l []meet.Breakout) []meet.Event {
		return []meet.Event{meet.NewEvent(meet.EventBreakoutRoomsEnded, p, t0)}
	}
	if closed, err := bs.CloseBreakouts(ctx, parent.SID, t0.Add(20*time.Minute), end); err != nil || !closed {
		t.Fatalf("close: %v %v", closed, err)
	}
	if closed, err := bs.CloseBreakouts(ctx, parent.SID, t0.Add(20*time.Minute), end); err != nil || closed {
		t.Fatalf("closed twice: %v %v", closed, err)
	}
	if got, err := bs.Breakouts(ctx, parent.SID, false); err != nil || len(got) != 0 {
		t.Fatalf("open rooms after the close: %+v %v", got, err)
	}
	if got, err := bs.Breakouts(ctx, parent.SID, true); err != nil || len(got) != 2 || got[0].Running {
		t.Fatalf("every round: %+v %v", got, err)
	}
	if b, err := bs.Breakout(ctx, children[0].SID); err != nil || b == nil || b.ParentSID != parent.SID {
		t.Fatalf("breakout of sid: %+v %v", b, err)
	}
	n := 0
	for _, name := range names(t, st) {
		if name == meet.EventBreakoutRoomsCreated || name == meet.EventBreakoutRoomsEnded {
			n++
		}
	}
	if n != 2 {
		t.Errorf("events %v", names(t, st))
	}
}
