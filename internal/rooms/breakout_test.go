package rooms_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// createBreakoutParent makes a running room that allows two breakout rooms, with users ann (a
// moderator), bob and cid, each connected to it.
func createBreakoutParent(t *testing.T, f *fixture, roomID string) *meet.Session {
	t.Helper()
	ctx := context.Background()
	md := meet.RoomMetadata{RoomTitle: "Class"}
	md.RoomFeatures.BreakoutRoomFeatures = map[string]any{"is_allow": true, "allowed_number_rooms": float64(2)}
	sess, err := f.svc.Create(ctx, rooms.CreateRequest{RoomID: roomID, EmptyTimeout: 60, Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range []string{"ann", "bob", "cid"} {
		if _, err := f.svc.JoinToken(ctx, roomID, rooms.UserInfo{UserID: u, Name: u, IsAdmin: u == "ann"}); err != nil {
			t.Fatal(err)
		}
		f.join(t, roomID, "PA_"+u+string(rune('0'+i)), u)
	}
	return sess
}

func eventNames(t *testing.T, f *fixture, roomID string) []string {
	t.Helper()
	evs, err := f.store.Events(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Event.Room != nil && e.Event.Room.RoomID == roomID {
			out = append(out, e.Event.Event)
		}
	}
	return out
}

// The round's timer: the breakout rooms run until their time is up (moved by extend), then the
// sweeper ends them and closes the round; meanwhile the parent, which everybody left for them,
// does not end by its departure timeout.
func TestBreakoutTimer(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	createBreakoutParent(t, f, "class")
	list, err := f.svc.CreateBreakouts(ctx, "class", rooms.BreakoutPlan{Duration: 5,
		Rooms: []rooms.BreakoutRoomPlan{{Title: "A", Users: []string{"bob"}}, {Users: []string{"cid"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].RoomID != "class-br1" || list[1].RoomID != "class-br2" || list[1].Title != "Room 2" {
		t.Fatalf("breakout rooms %+v", list)
	}
	// everybody leaves the parent for the breakout rooms
	for i, u := range []string{"ann", "bob", "cid"} {
		f.leave(t, "class", "PA_"+u+string(rune('0'+i)), u)
	}
	f.join(t, "class-br1", "PA_b1", "bob")

	f.advance(t, 4*time.Minute) // past the parent's departure timeout (20 s), before the round's end
	if !f.running(t, "class") || !f.running(t, "class-br1") || !f.running(t, "class-br2") {
		t.Fatal("a room ended before the breakout rooms' time was up")
	}
	if _, err := f.svc.ExtendBreakouts(ctx, "class", "", 2); err != nil {
		t.Fatal(err)
	}
	f.advance(t, 2*time.Minute) // 6 min: the old end passed, the new one (7 min) not
	if !f.running(t, "class-br1") {
		t.Fatal("the breakout room ended at its old end, after extend")
	}
	f.advance(t, 90*time.Second)
	for _, id := range []string{"class-br1", "class-br2"} {
		if f.running(t, id) {
			t.Fatalf("%s runs after its time was up", id)
		}
		if r := f.reason(t, id); r != meet.EndBreakoutTimeUp {
			t.Errorf("%s ended with %q", id, r)
		}
	}
	if !f.running(t, "class") {
		t.Fatal("the parent ended with its breakout rooms")
	}
	if l, err := f.svc.Breakouts(ctx, "class"); err != nil || len(l) != 0 {
		t.Fatalf("open breakout rooms after the round's end: %+v %v", l, err)
	}
	names := eventNames(t, f, "class")
	for _, want := range []string{meet.EventBreakoutRoomsCreated, meet.EventBreakoutRoomsExtended, meet.EventBreakoutRoomsEnded} {
		if n := countOf(names, want); n != 1 {
			t.Errorf("%d %s events of the parent: %v", n, want, names)
		}
	}
	// the parent, empty, had a fresh departure window from the round's end: it ends after it
	f.advance(t, 30*time.Second)
	if f.running(t, "class") {
		t.Error("the empty parent still runs past its departure timeout")
	}
	// a new round may start in a new session of the room, with the same breakout room ids
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// Ending the parent ends its breakout rooms (parent_ended), and closes the round once.
func TestBreakoutEndsWithParent(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	createBreakoutParent(t, f, "class")
	if _, err := f.svc.CreateBreakouts(ctx, "class", rooms.BreakoutPlan{Duration: 30, NumberOfRooms: 2}); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.End(ctx, "class", meet.EndByAPI); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"class-br1", "class-br2"} {
		if f.running(t, id) || f.reason(t, id) != meet.EndParentEnded {
			t.Errorf("%s: running %v, reason %q", id, f.running(t, id), f.reason(t, id))
		}
	}
	names := eventNames(t, f, "class")
	if countOf(names, meet.EventBreakoutRoomsEnded) != 1 || slices.Index(names, meet.EventBreakoutRoomsEnded) > slices.Index(names, meet.EventRoomFinished) {
		t.Errorf("parent events %v: want one breakout_rooms_ended before room_finished", names)
	}
	// the child's events name the parent
	evs, _ := f.store.Events(ctx, 0, 10000)
	for _, e := range evs {
		if e.Event.Room != nil && e.Event.Room.RoomID == "class-br1" && (!e.Event.Room.IsBreakoutRoom || e.Event.Room.ParentRoomID != "class") {
			t.Errorf("%s of class-br1 does not name its parent: %+v", e.Event.Event, e.Event.Room)
		}
	}
	f.advance(t, time.Hour) // nothing left to do
}
