package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"meetd/internal/meettest"
)

// refused checks an answer is INVALID_PARAMETERS naming field.
func refused(t *testing.T, what string, a map[string]any, field string) {
	t.Helper()
	msg, _ := a["msg"].(string)
	if a["status"] != false || !strings.Contains(msg, field) {
		t.Errorf("%s: %v, want a refusal naming %s", what, a, field)
	}
}

// Timers and sizes past their bounds are refused, naming the field: a room_duration or
// empty_timeout near the largest integer used to wrap negative and end the room at once.
func TestRoomBounds(t *testing.T) {
	s := newScript(t, meettest.Options{})
	const huge = "9223372036854775807"
	refused(t, "room_duration", s.signed("room/create",
		`{"room_id":"f1","metadata":{"room_title":"f1","room_features":{"room_duration":`+huge+`}}}`), "room_duration")
	refused(t, "room_duration", s.signed("room/create",
		`{"room_id":"f1","metadata":{"room_title":"f1","room_features":{"room_duration":525601}}}`), "room_duration")
	refused(t, "empty_timeout", s.signed("room/create", `{"room_id":"f2","empty_timeout":`+huge+`,"metadata":{"room_title":"f2"}}`), "empty_timeout")
	refused(t, "max_participants", s.signed("room/create", `{"room_id":"f3","max_participants":`+huge+`,"metadata":{"room_title":"f3"}}`), "max_participants")
	for _, id := range []string{"f1", "f2", "f3"} {
		if a := s.signed("room/isRoomActive", map[string]any{"room_id": id}); a["is_active"] != false {
			t.Errorf("room %s was created: %v", id, a)
		}
	}
	a := s.signed("room/create", `{"room_id":"ok","empty_timeout":31536000,"max_participants":100000,"metadata":{"room_title":"ok","room_features":{"room_duration":525600}}}`)
	if a["status"] != true {
		t.Errorf("the bounds themselves are refused: %v", a)
	}
}

// Lists of ids hold at most 100 (a long list used to reach the database, and SQLite refused it).
func TestIDListsCapped(t *testing.T) {
	s := newScript(t, meettest.Options{})
	ids := func(n int) string {
		l := make([]string, n)
		for i := range l {
			l[i] = fmt.Sprintf(`"r%d"`, i)
		}
		return "[" + strings.Join(l, ",") + "]"
	}
	for _, path := range []string{"room/fetchPastRooms", "recording/fetch", "analytics/fetch", "artifact/fetch"} {
		refused(t, path, s.signed(path, `{"room_ids":`+ids(101)+`}`), "room_ids")
		if a := s.signed(path, `{"room_ids":`+ids(100)+`}`); a["status_code"] != "NOT_FOUND" { // searched: nothing found
			t.Errorf("%s with 100 room_ids: %v", path, a)
		}
	}
	refused(t, "by_ids", s.signed("recording/mergeRecordings", `{"by_ids":{"room_id":"r1","recording_ids":`+ids(101)+`}}`), "by_ids.recording_ids")
	refused(t, "by_session", s.signed("recording/mergeRecordings", `{"by_session":{"room_sid":"RM_x","exclude_recording_ids":`+ids(101)+`}}`), "by_session.exclude_recording_ids")
}

// A removed participant's page token stops working, also for an admin who is not connected;
// joining again (a valid join token, not blocked) gives a page token that works.
func TestRemovedPageTokenRevoked(t *testing.T) {
	s := newScript(t, meettest.Options{})
	create(s, "r1")
	admin2Join := joinToken(s, "r1", "admin2", true)
	admin2 := s.post("/api/join", bearerHeader(admin2Join), nil)["page_token"].(string)
	join(s, "r1", "admin2")
	if a := s.post("/api/moderate", bearerHeader(admin2), `{"action":"remove","user_id":"nobody"}`); a["status_code"] != "USER_NOT_FOUND" {
		t.Fatalf("before removal: %v", a)
	}
	if a := s.signed("room/removeParticipant", map[string]any{"room_id": "r1", "user_id": "admin2"}); a["status"] != true {
		t.Fatalf("removeParticipant: %v", a)
	}
	for _, c := range []struct{ path, body string }{
		{"/api/moderate", `{"action":"end"}`},
		{"/api/moderate", `{"action":"remove","user_id":"nobody"}`},
		{"/api/hand", `{"raised":true}`},
	} {
		if a := s.post(c.path, bearerHeader(admin2), c.body); a["status_code"] != "INVALID_TOKEN_OR_SIGNATURE" {
			t.Errorf("%s %s with the removed admin's page token: %v", c.path, c.body, a)
		}
	}
	if a := s.signed("room/isRoomActive", map[string]any{"room_id": "r1"}); a["is_active"] != true {
		t.Fatalf("the room ended: %v", a)
	}
	again := s.post("/api/join", bearerHeader(admin2Join), nil)["page_token"].(string)
	if a := s.post("/api/moderate", bearerHeader(again), `{"action":"remove","user_id":"nobody"}`); a["status_code"] != "USER_NOT_FOUND" {
		t.Errorf("the page token of a new join: %v", a)
	}
}
