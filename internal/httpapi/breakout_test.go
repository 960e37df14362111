package httpapi_test

import (
	"context"
	"slices"
	"testing"

	"meetd/internal/meet"
	"meetd/internal/meettest"
	"meetd/internal/sdk2client"
)

// createBreakoutRoom makes a running room that allows two breakout rooms.
func createBreakoutRoom(s *script, roomID string) {
	s.t.Helper()
	s.signed("room/create", map[string]any{"room_id": roomID, "metadata": map[string]any{"room_title": "Class " + roomID,
		"room_features": map[string]any{"breakout_room_features": map[string]any{"is_allow": true, "allowed_number_rooms": 2}}}})
}

// A round of breakout rooms through the API and the meeting page: created by hand, listed, each a
// room of its own in room info (both dialects), joined and left by a page, extended, ended; the
// ended rooms in fetchPastRooms name their parent, and the events name it too.
func TestBreakoutRooms(t *testing.T) {
	s := newScript(t, meettest.Options{})
	createBreakoutRoom(s, "r1")
	pages := map[string]string{}
	for _, u := range []string{"ann", "bob", "cid", "dan"} {
		pages[u] = s.post("/api/join", bearerHeader(joinToken(s, "r1", u, u == "ann")), nil)["page_token"].(string)
		join(s, "r1", u)
	}
	s.signed("breakoutRoom/create", `{"room_id":"r1","duration":10,"welcome_msg":"Discuss!","rooms":[
		{"title":"Red","users":[{"id":"bob"},{"id":"cid"}]},{"title":"Blue","users":[{"id":"dan"}]}]}`)
	s.signed("breakoutRoom/list", `{"room_id":"r1"}`)
	s.post("/api/breakout/state", bearerHeader(pages["bob"]), `{}`)
	// bob moves with his page's token; his page gets the breakout room's join, then the main one's
	s.post("/api/breakout/join", bearerHeader(pages["bob"]), `{}`)
	join(s, "r1-br1", "bob")
	s.post("/api/breakout/join", bearerHeader(pages["ann"]), `{"breakout_room_id":"r1-br2"}`) // a moderator visits any
	s.signed("room/getActiveRoomInfo", `{"room_id":"r1-br1"}`)
	s.signed("room/getActiveRoomInfo", `{"roomId":"r1-br1"}`)
	s.signed("breakoutRoom/list", `{"room_id":"r1"}`)
	s.post("/api/breakout/back", bearerHeader(pages["bob"]), `{}`)
	s.signed("breakoutRoom/extend", `{"room_id":"r1","breakout_room_id":"r1-br2","duration":5}`)
	s.post("/api/breakout/end", bearerHeader(pages["ann"]), `{"breakout_room_id":"r1-br2"}`)
	s.signed("breakoutRoom/end", `{"room_id":"r1"}`)
	s.signed("breakoutRoom/list", `{"room_id":"r1"}`)
	s.signed("room/fetchPastRooms", `{"room_ids":["r1-br1"]}`)
	s.signed("room/fetchPastRooms", `{"roomIds":["r1-br2"]}`)
	s.signed("room/getActiveRoomInfo", `{"room_id":"r1"}`)
	s.check()

	// the pages were told of each change; the breakout rooms' pages to go back
	var told []string
	for _, d := range s.srv.Media.Sent() {
		if d.Topic == "meetd.breakout" {
			told = append(told, d.RoomID+" "+string(d.Payload))
		}
	}
	want := []string{`r1 {"type":"created"}`, `r1 {"type":"extended"}`, `r1-br2 {"type":"extended"}`,
		`r1-br2 {"reason":"breakout_ended","type":"ended"}`, `r1-br1 {"reason":"breakout_ended","type":"ended"}`, `r1 {"type":"ended"}`}
	if !slices.Equal(told, want) {
		t.Errorf("data messages\n got %q\nwant %q", told, want)
	}
	evs, err := s.srv.Store.Events(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		r := e.Event.Room
		switch {
		case r.RoomID == "r1" && len(e.Event.BreakoutRooms) > 0:
			got = append(got, e.Event.Event+" "+e.Event.BreakoutRooms[0].RoomID)
		case r.RoomID != "r1" && (r.ParentRoomID != "r1" || !r.IsBreakoutRoom):
			t.Errorf("%s of %s does not name the parent: %+v", e.Event.Event, r.RoomID, r)
		case r.RoomID == "r1-br1" && e.Event.Event != meet.EventParticipantJoined && e.Event.Event != meet.EventParticipantLeft:
			got = append(got, e.Event.Event+" "+r.RoomID)
		}
	}
	wantEvents := []string{"room_created r1-br1", "breakout_rooms_created r1-br1", "room_started r1-br1",
		"breakout_rooms_extended r1-br2", "room_finished r1-br1", "session_ended r1-br1",
		"analytics_proceeded r1-br1", "artifact_created r1-br1", "breakout_rooms_ended r1-br1"}
	if !slices.Equal(got, wantEvents) {
		t.Errorf("events\n got %v\nwant %v", got, wantEvents)
	}
}

// Bad input: each call is refused with its code, and nothing changes (no breakout room, no
// session, no event, no message to the pages).
func TestBreakoutRoomsRefused(t *testing.T) {
	s := newScript(t, meettest.Options{})
	plan := `"duration":10,"rooms":[{"users":[{"id":"bob"}]}]`
	s.signed("breakoutRoom/create", `{"room_id":"nowhere",`+plan+`}`)
	s.signed("breakoutRoom/create", `{"room_id":"bad id",`+plan+`}`)
	s.signed("breakoutRoom/create", `{`+plan+`}`)
	createBreakoutRoom(s, "ended")
	s.signed("room/endRoom", `{"room_id":"ended"}`)
	s.signed("breakoutRoom/create", `{"room_id":"ended",`+plan+`}`)
	create(s, "plain") // without breakout_room_features
	s.signed("breakoutRoom/create", `{"room_id":"plain",`+plan+`}`)
	createBreakoutRoom(s, "r1")
	bob := s.post("/api/join", bearerHeader(joinToken(s, "r1", "bob", false)), nil)["page_token"].(string)
	joinToken(s, "r1", "cid", false)
	s.signed("breakoutRoom/create", `{"room_id":"r1","duration":10,"rooms":[{},{},{}]}`)
	s.signed("breakoutRoom/create", `{"room_id":"r1","duration":10,"number_of_rooms":3}`)
	s.signed("breakoutRoom/create", `{"room_id":"r1","duration":0,"number_of_rooms":1}`)
	s.signed("breakoutRoom/create", `{"room_id":"r1","duration":-5,"number_of_rooms":1}`)
	s.signed("breakoutRoom/create", `{"room_id":"r1","duration":10}`)
	s.signed("breakoutRoom/create", `{"room_id":"r1","duration":10,"number_of_rooms":1,"rooms":[{}]}`)
	s.signed("breakoutRoom/create", `{"room_id":"r1","duration":10,"rooms":[{"users":[{"id":"bad id"}]}]}`)
	s.signed("breakoutRoom/create", `{"room_id":"r1","duration":10,"rooms":[{"users":[{"id":"nobody"}]}]}`)
	s.signed("breakoutRoom/create", `{"room_id":"r1","duration":10,"rooms":[{"users":[{"id":"bob"}]},{"users":[{"id":"bob"}]}]}`)
	s.signed("breakoutRoom/create", `{"room_id":"r1","duration":"ten","number_of_rooms":1}`)
	s.post("/api/breakout/create", bearerHeader(bob), `{"duration":10,"number_of_rooms":1}`) // not a moderator
	s.signed("breakoutRoom/list", `{"room_id":"nowhere"}`)
	s.signed("breakoutRoom/list", `{"room_id":"ended"}`)
	s.signed("breakoutRoom/end", `{"room_id":"r1"}`)
	s.signed("breakoutRoom/end", `{"room_id":"r1","breakout_room_id":"bad id"}`)
	s.signed("breakoutRoom/extend", `{"room_id":"r1","duration":5}`)
	s.signed("breakoutRoom/extend", `{"room_id":"nowhere","duration":5}`)
	s.post("/api/breakout/join", bearerHeader(bob), `{}`)
	s.post("/api/breakout/join", bearerHeader(bob), `{"breakout_room_id":"r1-br1"}`)
	s.signed("breakoutRoom/list", `{"room_id":"r1"}`) // still none
	s.signed("room/isRoomActive", `{"room_id":"r1-br1"}`)
	for _, d := range s.srv.Media.Sent() {
		t.Errorf("a refused call told the pages: %s %s", d.RoomID, d.Payload)
	}
	evs, err := s.srv.Store.Events(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if len(e.Event.BreakoutRooms) > 0 || e.Event.Room.IsBreakoutRoom {
			t.Errorf("a refused call wrote %s of %s", e.Event.Event, e.Event.Room.RoomID)
		}
	}

	// with a round open: a second one, ids of rooms that are not its, bad durations, a room that is
	// not the user's, the breakout room's own token
	s.signed("breakoutRoom/create", `{"room_id":"r1","duration":10,"rooms":[{"users":[{"id":"bob"}]},{"users":[{"id":"cid"}]}]}`)
	s.signed("breakoutRoom/create", `{"room_id":"r1","duration":10,"number_of_rooms":1}`)
	s.signed("breakoutRoom/create", `{"room_id":"r1-br1","duration":10,"number_of_rooms":1}`)
	s.signed("breakoutRoom/end", `{"room_id":"r1","breakout_room_id":"r1-br9"}`)
	s.signed("breakoutRoom/end", `{"room_id":"r1-br1"}`)
	s.signed("breakoutRoom/extend", `{"room_id":"r1","duration":0}`)
	s.signed("breakoutRoom/extend", `{"room_id":"r1","breakout_room_id":"r1-br9","duration":5}`)
	s.post("/api/breakout/join", bearerHeader(bob), `{"breakout_room_id":"r1-br2"}`)
	inside := s.post("/api/breakout/join", bearerHeader(bob), `{}`)["page_token"].(string)
	s.post("/api/breakout/state", bearerHeader(inside), `{}`)
	s.post("/api/breakout/back", bearerHeader(inside), `{}`)
	s.signed("breakoutRoom/end", `{"room_id":"r1","breakout_room_id":"r1-br1"}`)
	s.signed("breakoutRoom/end", `{"room_id":"r1","breakout_room_id":"r1-br1"}`)
	s.signed("breakoutRoom/extend", `{"room_id":"r1","breakout_room_id":"r1-br1","duration":5}`)
	s.post("/api/breakout/join", bearerHeader(bob), `{}`)
	s.check()
}

// An SDK-2 client (protobuf-JSON) reads a breakout room as plugNmeet's messages: ActiveRoomInfo with
// is_breakout_room 1 and parent_room_id, its metadata as plugNmeet's RoomMetadata, and
// fetchPastRooms' PastRoomInfo without meetd's breakout keys.
func TestSDK2BreakoutRoom(t *testing.T) {
	s := newScript(t, meettest.Options{})
	var created sdk2client.CreateRoomRes
	sdk2(s, "room/create", moodleCreate, &created)
	s.signed("breakoutRoom/create", `{"room_id":"moodle_12","duration":10,"number_of_rooms":2}`)
	var info sdk2client.GetActiveRoomInfoRes
	sdk2(s, "room/getActiveRoomInfo", `{"roomId":"moodle_12-br2"}`, &info)
	if info.Room == nil || info.Room.RoomInfo == nil || info.Room.RoomInfo.IsBreakoutRoom != 1 || info.Room.RoomInfo.ParentRoomID != "moodle_12" {
		t.Fatalf("the breakout room's info: %+v", info.Room)
	}
	var parent sdk2client.GetActiveRoomInfoRes
	sdk2(s, "room/getActiveRoomInfo", `{"roomId":"moodle_12"}`, &parent)
	if ri := parent.Room.RoomInfo; ri.IsBreakoutRoom != 0 || ri.ParentRoomID != "" {
		t.Errorf("the parent's info: %+v", ri)
	}
	s.signed("breakoutRoom/end", `{"room_id":"moodle_12"}`)
	var past fetchPastRoomsRes
	sdk2(s, "room/fetchPastRooms", `{"roomIds":["moodle_12-br1"]}`, &past)
	if past.Result == nil || len(past.Result.RoomsList) != 1 {
		t.Fatalf("fetchPastRooms: %+v", past.Result)
	}
	s.check()
}
