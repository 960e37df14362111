package httpapi_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"meetd/internal/meet"
	"meetd/internal/meettest"
	"meetd/internal/rooms"
)

// createPolls creates a room with polls switched on.
func createPolls(s *script, roomID string) {
	s.t.Helper()
	s.signed("room/create", map[string]any{"room_id": roomID, "metadata": map[string]any{"room_title": "Polls " + roomID,
		"room_features": map[string]any{"polls_features": map[string]any{"is_allow": true}}}})
}

func code(a map[string]any) string { c, _ := a["status_code"].(string); return c }

// TestPollsBadInput: every refusal of the server-key routes, with its code, changes nothing.
func TestPollsBadInput(t *testing.T) {
	s := newScript(t, meettest.Options{})
	createPolls(s, "r1")
	createPolls(s, "old")
	s.signed("room/endRoom", `{"room_id":"old"}`)
	create(s, "nopolls") // no polls_features: polls are off
	eleven := `["1","2","3","4","5","6","7","8","9","10","11"]`
	for _, c := range []struct{ body, want string }{
		{`{"room_id":"ghost","question":"Q?","options":["a","b"]}`, "ROOM_NOT_FOUND"},
		{`{"room_id":"old","question":"Q?","options":["a","b"]}`, "ROOM_NOT_ACTIVE"},
		{`{"room_id":"bad id!","question":"Q?","options":["a","b"]}`, "INVALID_PARAMETERS"},
		{`{"room_id":"nopolls","question":"Q?","options":["a","b"]}`, "PERMISSION_DENIED"},
		{`{"room_id":"r1","question":"Q?","options":["only one"]}`, "INVALID_PARAMETERS"},
		{`{"room_id":"r1","question":"Q?","options":` + eleven + `}`, "INVALID_PARAMETERS"},
		{`{"room_id":"r1","question":"   ","options":["a","b"]}`, "INVALID_PARAMETERS"},
		{`{"room_id":"r1","question":"Q?","options":["a","A"]}`, "INVALID_PARAMETERS"},
		{`{"room_id":"r1","question":"Q?","options":["a",""]}`, "INVALID_PARAMETERS"},
		{`{"room_id":"r1","question":"Q?","options":"a,b"}`, "INVALID_PARAMETERS"},
		{`{"room_id":"r1","question":"Q?","options":["a","b"],"user_id":"bad id!"}`, "INVALID_PARAMETERS"},
	} {
		if got := code(s.signed("polls/create", c.body)); got != c.want {
			t.Errorf("polls/create %s: %s, want %s", c.body, got, c.want)
		}
	}
	a := s.signed("polls/create", `{"room_id":"r1","question":"Tea or coffee?","options":["Tea","Coffee"]}`)
	id, _ := a["poll_id"].(string)
	if code(a) != "SUCCESS" || !strings.HasPrefix(id, "PL_") {
		t.Fatalf("polls/create: %v", a)
	}
	for _, c := range []struct{ path, body, want string }{
		{"polls/results", `{"room_id":"ghost","poll_id":"` + id + `"}`, "ROOM_NOT_FOUND"},
		{"polls/results", `{"room_id":"r1","poll_id":"bad id!"}`, "INVALID_PARAMETERS"},
		{"polls/results", `{"room_id":"r1","poll_id":""}`, "INVALID_PARAMETERS"},
		{"polls/results", `{"room_id":"r1","poll_id":"PL_0000000000000000"}`, "NOT_FOUND"},
		{"polls/results", `{"room_id":"nopolls","poll_id":"` + id + `"}`, "NOT_FOUND"}, // another room's poll
		{"polls/list", `{"room_id":"ghost"}`, "ROOM_NOT_FOUND"},
		{"polls/list", `{"room_id":"r1","sid":"bad id!"}`, "INVALID_PARAMETERS"},
		{"polls/list", `{"room_id":"r1","sid":"RM_0000000000000000"}`, "NOT_FOUND"},
		{"polls/close", `{"room_id":"ghost","poll_id":"` + id + `"}`, "ROOM_NOT_FOUND"},
		{"polls/close", `{"room_id":"old","poll_id":"` + id + `"}`, "ROOM_NOT_ACTIVE"},
		{"polls/close", `{"room_id":"r1","poll_id":"bad id!"}`, "INVALID_PARAMETERS"},
		{"polls/close", `{"room_id":"r1","poll_id":"PL_0000000000000000"}`, "NOT_FOUND"},
		{"polls/close", `{"room_id":"nopolls","poll_id":"` + id + `"}`, "NOT_FOUND"},
	} {
		if got := code(s.signed(c.path, c.body)); got != c.want {
			t.Errorf("%s %s: %s, want %s", c.path, c.body, got, c.want)
		}
	}
	// nothing changed: one open poll, no votes, one poll_created event
	list := s.signed("polls/list", `{"room_id":"r1"}`)
	polls := list["polls"].([]any)
	if len(polls) != 1 || polls[0].(map[string]any)["is_running"] != true || polls[0].(map[string]any)["total_responses"].(float64) != 0 {
		t.Errorf("after the refusals: %v", list)
	}
	if got := pollEvents(t, s); !slices.Equal(got, []string{"poll_created"}) {
		t.Errorf("events %v", got)
	}
	if n := len(s.signed("polls/list", `{"room_id":"old"}`)["polls"].([]any)); n != 0 {
		t.Errorf("the ended room has %d polls", n)
	}
	s.signed("polls/close", `{"room_id":"r1","poll_id":"`+id+`","user_id":"api"}`)
	if got := code(s.signed("polls/close", `{"room_id":"r1","poll_id":"`+id+`"}`)); got != "CONFLICT" {
		t.Errorf("closing twice: %s", got)
	}
	if got := pollEvents(t, s); !slices.Equal(got, []string{"poll_created", "poll_closed"}) {
		t.Errorf("events %v", got)
	}
	s.check()
}

// pollEvents are the names of the poll events written so far.
func pollEvents(t *testing.T, s *script) []string {
	t.Helper()
	evs, err := s.srv.Store.Events(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if strings.HasPrefix(e.Event.Event, "poll_") {
			out = append(out, e.Event.Event)
		}
	}
	return out
}

// TestPollsVote: pages vote, change their vote, see their own vote; the moderator sees counts
// and voters; closing publishes the results; refusals change nothing.
func TestPollsVote(t *testing.T) {
	s := newScript(t, meettest.Options{})
	// plugNmeet's newest names in the protobuf-JSON dialect's key style
	s.signed("room/create", `{"roomId":"r1","metadata":{"roomTitle":"Polls","roomFeatures":{"pollsFeatures":{"isAllow":true}}}}`)
	info := s.signed("room/getActiveRoomInfo", `{"room_id":"r1"}`)
	if md, _ := info["room"].(map[string]any)["room_info"].(map[string]any)["metadata"].(string); !strings.Contains(md, `"polls_features":{"is_allow":true}`) {
		t.Errorf("metadata %s", md)
	}
	s.do("POST", "/api/polls/list", nil, `{}`)
	page := func(user string, admin bool) string {
		tok := s.post("/api/join", bearerHeader(joinToken(s, "r1", user, admin)), nil)["page_token"].(string)
		join(s, "r1", user)
		return tok
	}
	ann, bob, cat := page("ann", true), page("bob", false), page("cat", false)
	if got := code(s.post("/api/polls/create", bearerHeader(bob), `{"question":"Q?","options":["a","b"]}`)); got != "PERMISSION_DENIED" {
		t.Errorf("a guest creates a poll: %s", got)
	}
	if got := code(s.post("/api/polls/create", bearerHeader(ann), `{"question":"Q?","options":["a"]}`)); got != "INVALID_PARAMETERS" {
		t.Errorf("one option: %s", got)
	}
	id := s.post("/api/polls/create", bearerHeader(ann), `{"question":"Which day?","options":["Mon","Tue","Wed"]}`)["poll_id"].(string)
	anon := s.signed("polls/create", `{"roomId":"r1","question":"Secret?","options":[{"id":1,"text":"Yes"},{"id":2,"text":"No"}],"isAnonymous":true}`)["poll_id"].(string)

	for _, c := range []struct{ body, want string }{
		{`{"poll_id":"` + id + `"}`, "INVALID_PARAMETERS"},
		{`{"poll_id":"` + id + `","selected_option":0}`, "INVALID_PARAMETERS"},
		{`{"poll_id":"` + id + `","selected_option":4}`, "INVALID_PARAMETERS"},
		{`{"poll_id":"bad id!","selected_option":1}`, "INVALID_PARAMETERS"},
		{`{"poll_id":"PL_0000000000000000","selected_option":1}`, "NOT_FOUND"},
		{`{"poll_id":"` + id + `","selected_option":"1"}`, "INVALID_PARAMETERS"},
	} {
		if got := code(s.post("/api/polls/vote", bearerHeader(bob), c.body)); got != c.want {
			t.Errorf("vote %s: %s, want %s", c.body, got, c.want)
		}
	}
	vote := func(tok, poll string, option int) {
		t.Helper()
		if got := code(s.post("/api/polls/vote", bearerHeader(tok), map[string]any{"poll_id": poll, "selected_option": option})); got != "SUCCESS" {
			t.Fatalf("vote %d: %s", option, got)
		}
	}
	vote(bob, id, 1)
	vote(bob, id, 2) // replaces the first
	vote(cat, id, 2)
	vote(ann, id, 3)
	vote(bob, anon, 1)
	vote(cat, anon, 2)
	vote(cat, anon, 1)

	guest := s.post("/api/polls/list", bearerHeader(bob), `{}`)
	p := guest["polls"].([]any)[0].(map[string]any)
	if p["my_vote"].(float64) != 2 || p["total_responses"] != nil || p["options"].([]any)[0].(map[string]any)["vote_count"] != nil {
		t.Errorf("bob's view of an open poll: %v", p)
	}
	mod := s.post("/api/polls/list", bearerHeader(ann), `{}`)
	if got := counts(mod["polls"].([]any)[0]); got != "0 2 1 /3" {
		t.Errorf("the moderator's counts %s", got)
	}
	if got := counts(mod["polls"].([]any)[1]); got != "2 0 /2" {
		t.Errorf("the anonymous poll's counts %s", got)
	}
	if v := mod["polls"].([]any)[1].(map[string]any)["voters"]; v != nil {
		t.Errorf("an anonymous poll shows its voters: %v", v)
	}
	// the moderator is told of each vote, everyone of the new polls
	var toAdmins, toAll int
	for _, d := range s.srv.Media.Sent() {
		if d.Topic != rooms.PollsTopic {
			continue
		}
		if slices.Equal(d.Identities, []string{"ann"}) && strings.Contains(string(d.Payload), `"poll_voted"`) {
			toAdmins++
		} else if len(d.Identities) == 0 && strings.Contains(string(d.Payload), `"poll_created"`) {
			toAll++
		}
	}
	if toAdmins != 7 || toAll != 2 {
		t.Errorf("poll messages: %d votes to the moderator, %d new polls to all", toAdmins, toAll)
	}

	if got := code(s.post("/api/polls/close", bearerHeader(bob), `{"poll_id":"`+id+`"}`)); got != "PERMISSION_DENIED" {
		t.Errorf("a guest closes a poll: %s", got)
	}
	s.post("/api/polls/close", bearerHeader(ann), `{"poll_id":"`+id+`"}`)
	if got := code(s.post("/api/polls/vote", bearerHeader(cat), `{"poll_id":"`+id+`","selected_option":1}`)); got != "CONFLICT" {
		t.Errorf("a vote on a closed poll: %s", got)
	}
	if got := code(s.post("/api/polls/close", bearerHeader(ann), `{"poll_id":"`+id+`"}`)); got != "CONFLICT" {
		t.Errorf("closing twice: %s", got)
	}
	// the results are everyone's now (without who voted what)
	guest = s.post("/api/polls/list", bearerHeader(cat), `{}`)
	if got := counts(guest["polls"].([]any)[0]); got != "0 2 1 /3" {
		t.Errorf("cat's view of the closed poll: %s", got)
	}
	if v := guest["polls"].([]any)[0].(map[string]any)["voters"]; v != nil {
		t.Errorf("a guest sees the voters: %v", v)
	}
	res := s.signed("polls/results", `{"room_id":"r1","poll_id":"`+id+`"}`)
	if got := counts(res["poll"]); got != "0 2 1 /3" {
		t.Errorf("polls/results %s", got)
	}
	// poll_closed carries the results
	evs, _ := s.srv.Store.Events(context.Background(), 0, 10000)
	var closed *meet.Event
	for i := range evs {
		if evs[i].Event.Event == meet.EventPollClosed {
			closed = &evs[i].Event
		}
	}
	if closed == nil || *closed.Poll.TotalResponses != 3 || closed.Poll.Options[1].VoteCount != 2 || len(closed.Poll.Voters) != 3 {
		b, _ := json.Marshal(closed)
		t.Errorf("poll_closed %s", b)
	}
	// kept with the session after it ends
	s.signed("room/endRoom", `{"room_id":"r1"}`)
	if got := code(s.post("/api/polls/vote", bearerHeader(cat), `{"poll_id":"`+anon+`","selected_option":2}`)); got != "ROOM_NOT_ACTIVE" {
		t.Errorf("a vote after the end: %s", got)
	}
	after := s.signed("polls/list", `{"room_id":"r1"}`)
	if got := counts(after["polls"].([]any)[1]); got != "2 0 /2" || after["polls"].([]any)[1].(map[string]any)["is_running"] != false {
		t.Errorf("after the end: %v", after)
	}
	// the poll still open at the end was closed by it, its results in poll_closed before room_finished
	evs, _ = s.srv.Store.Events(context.Background(), 0, 10000)
	var order []string
	for _, e := range evs {
		if e.Event.Event == meet.EventPollClosed && e.Event.Poll.PollID == anon {
			order = append(order, "anon closed")
			if *e.Event.Poll.TotalResponses != 2 || len(e.Event.Poll.Voters) != 0 {
				b, _ := json.Marshal(e.Event.Poll)
				t.Errorf("the anonymous poll closed at the end: %s", b)
			}
		} else if e.Event.Event == meet.EventRoomFinished {
			order = append(order, "room finished")
		}
	}
	if !slices.Equal(order, []string{"anon closed", "room finished"}) {
		t.Errorf("events at the end: %v", order)
	}
	s.check()
}

// counts is a poll's vote counts and total, as "n n … /total".
func counts(p any) string {
	m := p.(map[string]any)
	var b strings.Builder
	for _, o := range m["options"].([]any) {
		n, _ := o.(map[string]any)["vote_count"].(float64)
		b.WriteString(strings.TrimSuffix(strings.TrimSuffix(json.Number(jsonNum(n)).String(), ".0"), "") + " ")
	}
	total, _ := m["total_responses"].(float64)
	return b.String() + "/" + jsonNum(total)
}

func jsonNum(f float64) string { b, _ := json.Marshal(f); return string(b) }
