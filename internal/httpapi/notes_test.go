package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"meetd/internal/meet"
	"meetd/internal/meettest"
	"meetd/internal/rooms"
)

// createNotes creates a room with the shared notes switched on and unlocked for everyone.
func createNotes(s *script, roomID string) {
	s.t.Helper()
	s.signed("room/create", map[string]any{"room_id": roomID, "metadata": map[string]any{"room_title": "Notes " + roomID,
		"room_features":         map[string]any{"shared_note_pad_features": map[string]any{"is_allow": true}},
		"default_lock_settings": map[string]any{"lock_shared_notepad": false}}})
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// TestNotes: updates are stored in order and served (all, or after a seq), forwarded on
// meetd.notes; the latest rendering is downloaded as Markdown, HTML or text; a lock refuses
// writing at once; a room without the feature refuses; compaction; the notes stay after the end.
func TestNotes(t *testing.T) {
	s := newScript(t, meettest.Options{})
	createNotes(s, "r1")
	create(s, "off") // no shared_note_pad_features
	page := func(room, user string, admin bool) string {
		tok := s.post("/api/join", bearerHeader(joinToken(s, room, user, admin)), nil)["page_token"].(string)
		join(s, room, user)
		return tok
	}
	ann, bob := page("r1", "ann", true), page("r1", "bob", false)
	off := page("off", "dan", false)

	empty := s.post("/api/notes/state", bearerHeader(bob), `{}`)
	if code(empty) != "SUCCESS" || empty["seq"].(float64) != 0 || len(empty["updates"].([]any)) != 0 || empty["writable"] != true || empty["doc"] != "notes" {
		t.Fatalf("empty notes: %v", empty)
	}
	for _, c := range []struct {
		tok, path, body, want string
	}{
		{off, "state", `{}`, "PERMISSION_DENIED"},
		{off, "update", `{"update":"` + b64("x") + `"}`, "PERMISSION_DENIED"},
		{bob, "state", `{"doc":"board"}`, "INVALID_PARAMETERS"},
		{bob, "state", `{"doc":"whiteboard"}`, "PERMISSION_DENIED"}, // a room without whiteboard_features
		{bob, "state", `{"after":-1}`, "INVALID_PARAMETERS"},
		{bob, "update", `{}`, "INVALID_PARAMETERS"},
		{bob, "update", `{"update":"not base64!"}`, "INVALID_PARAMETERS"},
		{bob, "update", `{"update":"` + base64.StdEncoding.EncodeToString(make([]byte, 64<<10+1)) + `"}`, "INVALID_PARAMETERS"},
		{bob, "render", `{"seq":1,"rendering":{"ops":[]}}`, "SUCCESS"}, // nothing to render yet: not kept
		{bob, "render", `{"seq":1,"rendering":"text"}`, "INVALID_PARAMETERS"},
		{bob, "render", `{"seq":0,"rendering":{"ops":[]}}`, "INVALID_PARAMETERS"},
		{"bad-token", "state", `{}`, "INVALID_TOKEN_OR_SIGNATURE"},
	} {
		if got := code(s.post("/api/notes/"+c.path, bearerHeader(c.tok), c.body)); got != c.want {
			t.Errorf("%s %s: %s, want %s", c.path, c.body, got, c.want)
		}
	}
	if res, _ := s.do("POST", "/api/notes/update", bearerHeader(bob), `{"update":"`+strings.Repeat("A", 130<<10)+`"}`); res.StatusCode != 413 {
		t.Errorf("a body over 128 KiB: HTTP %d", res.StatusCode)
	}

	update := func(tok, data string) float64 {
		t.Helper()
		a := s.post("/api/notes/update", bearerHeader(tok), map[string]any{"update": b64(data)})
		if code(a) != "SUCCESS" {
			t.Fatalf("update %q: %v", data, a)
		}
		return a["seq"].(float64)
	}
	if n1, n2 := update(bob, "one"), update(ann, "two"); n1 != 1 || n2 != 2 {
		t.Errorf("seqs %v %v", n1, n2)
	}
	var msgs []string
	for _, d := range s.srv.Media.Sent() {
		if d.Topic == rooms.DocsTopic {
			msgs = append(msgs, string(d.Payload))
		}
	}
	if len(msgs) != 2 || !strings.Contains(msgs[0], `"seq":1`) || !strings.Contains(msgs[0], `"update":"`+b64("one")+`"`) || !strings.Contains(msgs[1], `"from":"ann"`) {
		t.Errorf("messages on %s: %v", rooms.DocsTopic, msgs)
	}
	updates := func(tok, body string) string {
		t.Helper()
		a := s.post("/api/notes/state", bearerHeader(tok), body)
		var out []string
		for _, u := range a["updates"].([]any) {
			m := u.(map[string]any)
			data, _ := base64.StdEncoding.DecodeString(m["data"].(string))
			out = append(out, jsonNum(m["seq"].(float64))+":"+string(data))
		}
		return strings.Join(out, " ")
	}
	if got := updates(bob, `{}`); got != "1:one 2:two" {
		t.Errorf("all updates: %s", got)
	}
	if got := updates(ann, `{"after":1}`); got != "2:two" {
		t.Errorf("updates after 1: %s", got)
	}

	// the rendering of the latest seq is kept; an older one is not
	delta := `{"ops":[{"insert":"Plan"},{"insert":"\n","attributes":{"header":1}},{"insert":"Buy "},{"insert":"tea","attributes":{"bold":true}},` +
		`{"insert":" <now>"},{"insert":"\n","attributes":{"list":"bullet"}},{"insert":"see "},{"insert":"here","attributes":{"link":"https://example.org/a"}},` +
		`{"insert":" or "},{"insert":"there","attributes":{"link":"javascript:alert(1)"}},{"insert":"\n"}]}`
	if a := s.post("/api/notes/render", bearerHeader(bob), `{"seq":2,"rendering":`+delta+`}`); a["kept"] != true {
		t.Errorf("render at 2: %v", a)
	}
	if a := s.post("/api/notes/render", bearerHeader(ann), `{"seq":1,"rendering":{"ops":[{"insert":"old\n"}]}}`); a["kept"] != false {
		t.Errorf("render at 1 after 2: %v", a)
	}
	if a := s.post("/api/notes/render", bearerHeader(ann), `{"seq":3,"rendering":{"ops":[{"insert":"future\n"}]}}`); a["kept"] != false {
		t.Errorf("render of a seq not stored: %v", a)
	}
	download := func(format string) map[string]any {
		t.Helper()
		a := s.signed("notes/download", map[string]any{"room_id": "r1", "format": format})
		if code(a) != "SUCCESS" {
			t.Fatalf("download %s: %v", format, a)
		}
		return a
	}
	md := download("")
	wantMD := "# Plan\n\n- Buy **tea** &lt;now>\n\nsee [here](https://example.org/a) or there\n"
	if md["content"] != wantMD || md["format"] != "markdown" || md["rendered_seq"].(float64) != 2 || md["is_running"] != true {
		t.Errorf("markdown:\n%q\nwant\n%q\n%v", md["content"], wantMD, md)
	}
	h := download("html")["content"].(string)
	for _, want := range []string{"<title>Notes: Notes r1</title>", "<h1>Plan</h1>", "<ul>\n<li>Buy <strong>tea</strong> &lt;now&gt;</li>\n</ul>",
		`<a href="https://example.org/a" rel="noopener noreferrer">here</a> or there</p>`} {
		if !strings.Contains(h, want) {
			t.Errorf("html lacks %q:\n%s", want, h)
		}
	}
	if strings.Contains(h, "javascript") {
		t.Errorf("html keeps a javascript: link:\n%s", h)
	}
	if got := download("text")["content"]; got != "Plan\nBuy tea <now>\nsee here or there\n" {
		t.Errorf("text %q", got)
	}
	if got := code(s.signed("notes/download", `{"room_id":"r1","format":"pdf"}`)); got != "INVALID_PARAMETERS" {
		t.Errorf("format pdf: %s", got)
	}
	if got := code(s.signed("notes/download", `{"room_id":"ghost"}`)); got != "ROOM_NOT_FOUND" {
		t.Errorf("unknown room: %s", got)
	}

	// a lock refuses bob at once; the moderator still writes
	s.signed("room/updateLockSettings", `{"room_id":"r1","user_id":"bob","lock_settings":{"lock_shared_notepad":true}}`)
	if got := code(s.post("/api/notes/update", bearerHeader(bob), map[string]any{"update": b64("three")})); got != "PERMISSION_DENIED" {
		t.Errorf("a locked update: %s", got)
	}
	if got := code(s.post("/api/notes/render", bearerHeader(bob), `{"seq":2,"rendering":{"ops":[]}}`)); got != "PERMISSION_DENIED" {
		t.Errorf("a locked rendering: %s", got)
	}
	if st := s.post("/api/notes/state", bearerHeader(bob), `{}`); st["locked"] != true || st["writable"] != false || len(st["updates"].([]any)) != 2 {
		t.Errorf("bob's state when locked: %v", st)
	}
	// a locked participant still reads, and downloads
	if a := s.post("/api/notes/download", bearerHeader(bob), `{"format":"md"}`); a["content"] != wantMD || a["file_name"] == "" {
		t.Errorf("bob's download: %v", a)
	}
	if got := code(s.post("/api/notes/download", bearerHeader(off), `{}`)); got != "PERMISSION_DENIED" {
		t.Errorf("a download where the notes are off: %s", got)
	}
	if got := code(s.post("/api/notes/download", bearerHeader(bob), `{"format":"pdf"}`)); got != "INVALID_PARAMETERS" {
		t.Errorf("a page's download as pdf: %s", got)
	}
	if n := update(ann, "three"); n != 3 {
		t.Errorf("the moderator's update: %v", n)
	}

	// compaction: the updates up to 2 become one snapshot kept at 2
	if got := code(s.post("/api/notes/compact", bearerHeader(bob), map[string]any{"up_to": 2, "snapshot": b64("one+two")})); got != "PERMISSION_DENIED" {
		t.Errorf("a locked compaction: %s", got)
	}
	if a := s.post("/api/notes/compact", bearerHeader(ann), map[string]any{"up_to": 2, "snapshot": b64("one+two")}); a["compacted"] != true {
		t.Errorf("compact: %v", a)
	}
	if a := s.post("/api/notes/compact", bearerHeader(ann), map[string]any{"up_to": 9, "snapshot": b64("x")}); a["compacted"] != false {
		t.Errorf("compact up to an unknown seq: %v", a)
	}
	if got := updates(ann, `{}`); got != "2:one+two 3:three" {
		t.Errorf("after compaction: %s", got)
	}
	if got := updates(ann, `{"after":1}`); got != "2:one+two 3:three" { // before the snapshot: all of it
		t.Errorf("after 1, compacted: %s", got)
	}
	if got := updates(ann, `{"after":2}`); got != "3:three" {
		t.Errorf("after 2, compacted: %s", got)
	}

	// kept with the session after it ends
	s.signed("room/endRoom", `{"room_id":"r1"}`)
	if got := code(s.post("/api/notes/update", bearerHeader(ann), map[string]any{"update": b64("four")})); got != "ROOM_NOT_ACTIVE" {
		t.Errorf("an update after the end: %s", got)
	}
	if a := download("markdown"); a["content"] != wantMD || a["is_running"] != false || a["seq"].(float64) != 3 {
		t.Errorf("after the end: %v", a)
	}
	// document_saved, right before room_finished
	evs, err := s.srv.Store.Events(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var saved *meet.Event
	for i, e := range evs {
		names = append(names, e.Event.Event)
		if e.Event.Event == meet.EventDocumentSaved {
			saved = &evs[i].Event
		}
	}
	if saved == nil || saved.Room.RoomID != "r1" || saved.Document.Name != "notes" || saved.Document.Seq != 3 || saved.Document.RenderedSeq != 2 || saved.Document.UpdatedBy != "ann" {
		b, _ := json.Marshal(saved)
		t.Errorf("document_saved %s", b)
	} else if i := slices.Index(names, meet.EventDocumentSaved); names[i+1] != meet.EventRoomFinished || slices.Index(names[i+1:], meet.EventDocumentSaved) >= 0 {
		t.Errorf("events %v", names)
	}
}

// TestNotesLimits: past a burst, a user's updates are refused (TOO_MANY_REQUESTS, HTTP 429)
// while another user's still go through.
func TestNotesLimits(t *testing.T) {
	s := newScript(t, meettest.Options{})
	createNotes(s, "r1")
	tok := func(user string) string {
		tk := s.post("/api/join", bearerHeader(joinToken(s, "r1", user, false)), nil)["page_token"].(string)
		join(s, "r1", user)
		return tk
	}
	bob, cat := tok("bob"), tok("cat")
	refused := 0
	for i := 0; i < 1000 && refused == 0; i++ {
		res, body := s.do("POST", "/api/notes/update", bearerHeader(bob), `{"update":"`+b64("x")+`"}`)
		var a map[string]any
		_ = json.Unmarshal(body, &a)
		if code(a) == "TOO_MANY_REQUESTS" {
			refused++
			if res.StatusCode != 429 {
				t.Errorf("refused with HTTP %d", res.StatusCode)
			}
		} else if code(a) != "SUCCESS" {
			t.Fatalf("update %d: %s", i, body)
		}
	}
	if refused == 0 {
		t.Fatal("1000 updates in a row were never refused")
	}
	if got := code(s.post("/api/notes/update", bearerHeader(cat), map[string]any{"update": b64("y")})); got != "SUCCESS" {
		t.Errorf("another user's update: %s", got)
	}
}
