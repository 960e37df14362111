package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"meetd/internal/meettest"
	"meetd/internal/rooms"
)

// chatPage joins user to roomID and returns their page token.
func chatPage(s *script, roomID, user string, admin bool) string {
	s.t.Helper()
	tok, _ := s.post("/api/join", bearerHeader(joinToken(s, roomID, user, admin)), nil)["page_token"].(string)
	if tok == "" {
		s.t.Fatalf("no page token for %s", user)
	}
	join(s, roomID, user)
	return tok
}

// chatSent are the data messages sent on topic so far.
func chatSent(s *script, topic string) []meettest.Data {
	var out []meettest.Data
	for _, d := range s.srv.Media.Sent() {
		if d.Topic == topic {
			out = append(out, d)
		}
	}
	return out
}

func historyTexts(s *script, tok string) []string {
	s.t.Helper()
	a := s.post("/api/chat/history", bearerHeader(tok), `{}`)
	if code(a) != "SUCCESS" {
		s.t.Fatalf("history: %v", a)
	}
	var out []string
	for _, m := range a["messages"].([]any) {
		out = append(out, m.(map[string]any)["message"].(string))
	}
	return out
}

// TestChatPrivateAndHistory: messages go through the server, which keeps them; a private message
// goes to its two parties only, and only they see it in the history; locks apply as they change.
func TestChatPrivateAndHistory(t *testing.T) {
	s := newScript(t, meettest.Options{})
	create(s, "r1")
	ann, bob, cat := chatPage(s, "r1", "ann", true), chatPage(s, "r1", "bob", false), chatPage(s, "r1", "cat", false)

	send := func(tok, body, want string) map[string]any {
		t.Helper()
		a := s.post("/api/chat/send", bearerHeader(tok), body)
		if code(a) != want {
			t.Errorf("send %s: %v, want %s", body, a, want)
		}
		return a
	}
	send(bob, `{"message":"hello all"}`, "SUCCESS")
	send(bob, `{"message":"psst cat","to_user_id":"cat"}`, "SUCCESS")
	send(cat, `{"message":"hi bob","to_user_id":"bob"}`, "SUCCESS")
	for _, c := range []struct{ body, want string }{
		{`{"message":"  "}`, "INVALID_PARAMETERS"},
		{`{"message":"` + strings.Repeat("x", 2001) + `"}`, "INVALID_PARAMETERS"},
		{`{"message":"me","to_user_id":"bob"}`, "INVALID_PARAMETERS"},
		{`{"message":"x","to_user_id":"ghost"}`, "USER_NOT_FOUND"},
		{`{"message":"x","to_user_id":"bad id!"}`, "INVALID_PARAMETERS"},
		{`{"e2ee":"AAAA"}`, "INVALID_PARAMETERS"}, // not an encrypted meeting
	} {
		send(bob, c.body, c.want)
	}

	sent := chatSent(s, rooms.ChatTopic)
	if len(sent) != 3 || len(sent[0].Identities) != 0 || !slices.Equal(sent[1].Identities, []string{"bob", "cat"}) ||
		!slices.Equal(sent[2].Identities, []string{"cat", "bob"}) {
		t.Fatalf("relayed: %+v", sent)
	}
	var p rooms.ChatPayload
	if err := json.Unmarshal(sent[1].Payload, &p); err != nil || p.Message != "psst cat" || p.FromUserID != "bob" || p.ToUserID != "cat" || p.Type != "chat" {
		t.Errorf("private payload %s", sent[1].Payload)
	}

	if got := historyTexts(s, ann); !slices.Equal(got, []string{"hello all"}) {
		t.Errorf("the moderator's history %q: others' private messages must not show", got)
	}
	if got := historyTexts(s, cat); !slices.Equal(got, []string{"hello all", "psst cat", "hi bob"}) {
		t.Errorf("cat's history %q", got)
	}
	dan := chatPage(s, "r1", "dan", false) // a late joiner
	if got := historyTexts(s, dan); !slices.Equal(got, []string{"hello all"}) {
		t.Errorf("the late joiner's history %q", got)
	}

	// locks, live: private chat for bob, then sending for every non-admin
	s.signed("room/updateLockSettings", `{"room_id":"r1","user_id":"bob","lock_settings":{"lock_private_chat":true}}`)
	send(bob, `{"message":"again","to_user_id":"cat"}`, "PERMISSION_DENIED")
	send(bob, `{"message":"a question for the moderator","to_user_id":"ann"}`, "SUCCESS") // allowed, as plugNmeet
	send(bob, `{"message":"public is fine"}`, "SUCCESS")
	s.signed("room/updateLockSettings", `{"room_id":"r1","lock_settings":{"lock_chat_send_message":true}}`)
	send(cat, `{"message":"locked"}`, "PERMISSION_DENIED")
	send(ann, `{"message":"moderators may","to_user_id":"cat"}`, "SUCCESS")

	// the server key reads the whole chat, private messages included
	h := s.signed("chat/history", `{"room_id":"r1"}`)
	if code(h) != "SUCCESS" || h["total"].(float64) != 6 {
		t.Errorf("chat/history %v", h)
	}
	txt := s.signed("chat/history", `{"room_id":"r1","format":"text"}`)
	if text, _ := txt["text"].(string); !strings.Contains(text, "Name of bob (bob) → cat: psst cat") || strings.Count(text, "\n") != 6 {
		t.Errorf("text log %q", text)
	}
	for _, c := range []struct{ body, want string }{
		{`{"room_id":"ghost"}`, "ROOM_NOT_FOUND"},
		{`{"room_id":"r1","format":"xml"}`, "INVALID_PARAMETERS"},
		{`{"room_id":"r1","sid":"RM_0000000000000000"}`, "NOT_FOUND"},
	} {
		if got := code(s.signed("chat/history", c.body)); got != c.want {
			t.Errorf("chat/history %s: %s, want %s", c.body, got, c.want)
		}
	}
	// kept with the session after it ends
	s.signed("room/endRoom", `{"room_id":"r1"}`)
	if h := s.signed("chat/history", `{"room_id":"r1"}`); h["total"].(float64) != 6 || h["is_running"] != false {
		t.Errorf("after the end: %v", h)
	}
	if got := code(s.post("/api/chat/send", bearerHeader(bob), `{"message":"late"}`)); got != "ROOM_NOT_ACTIVE" {
		t.Errorf("send after the end: %s", got)
	}
	// deleted by the server key, with the session's files
	if got := code(s.signed("chat/delete", `{"room_id":"ghost"}`)); got != "ROOM_NOT_FOUND" {
		t.Errorf("chat/delete of an unknown room: %s", got)
	}
	if d := s.signed("chat/delete", `{"room_id":"r1"}`); code(d) != "SUCCESS" || d["deleted"].(float64) != 6 {
		t.Errorf("chat/delete: %v", d)
	}
	if h := s.signed("chat/history", `{"room_id":"r1"}`); h["total"].(float64) != 0 {
		t.Errorf("after chat/delete: %v", h)
	}
}

// TestChatEncrypted: in a meeting whose chat is end-to-end encrypted the server keeps and relays
// the sealed text and refuses plain text and files.
func TestChatEncrypted(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/create", `{"room_id":"e1","metadata":{"room_title":"Secret","room_features":{"end_to_end_encryption_features":{"is_enabled":true,"included_chat_messages":true}}}}`)
	bob := chatPage(s, "e1", "bob", false)
	if got := code(s.post("/api/chat/send", bearerHeader(bob), `{"message":"plain"}`)); got != "INVALID_PARAMETERS" {
		t.Errorf("plain text in an encrypted chat: %s", got)
	}
	if got := code(s.post("/api/chat/send", bearerHeader(bob), `{"e2ee":"c2VhbGVkLWJ5dGVz"}`)); got != "SUCCESS" {
		t.Fatalf("sealed: %s", got)
	}
	sent := chatSent(s, rooms.ChatTopic)
	if len(sent) != 1 || !strings.Contains(string(sent[0].Payload), `"message":"","e2ee":"c2VhbGVkLWJ5dGVz"`) {
		t.Errorf("relayed %+v", sent)
	}
	res, answer := s.do("POST", "/api/chat/upload?name=a.txt", http.Header{"Authorization": {"Bearer " + bob}}, []byte("hello"))
	if res.StatusCode != 200 || code(decoded(t, answer)) != "PERMISSION_DENIED" {
		t.Errorf("a file in an encrypted chat: %s", answer)
	}
	if text, _ := s.signed("chat/history", `{"room_id":"e1","format":"text"}`)["text"].(string); !strings.Contains(text, "[end-to-end encrypted]") {
		t.Errorf("text log %q", text)
	}
}

var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{1, 2, 3}, 100)...)

// TestChatFiles: the room's allowed_file_types and max_file_size, checked on the content; files
// downloaded byte for byte with a short-lived token by those who may see them.
func TestChatFiles(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/create", `{"room_id":"f1","metadata":{"room_title":"Files","room_features":{"chat_features":{"allowed_file_types":["png","txt","pdf"],"max_file_size":1}}}}`)
	ann, bob, cat := chatPage(s, "f1", "ann", true), chatPage(s, "f1", "bob", false), chatPage(s, "f1", "cat", false)
	upload := func(tok, query string, body []byte) map[string]any {
		t.Helper()
		_, answer := s.do("POST", "/api/chat/upload?"+query, http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/octet-stream"}}, body)
		return decoded(t, answer)
	}
	for _, c := range []struct {
		query string
		body  []byte
		want  string
	}{
		{"name=page.png", []byte("<html><script>alert(1)</script></html>"), "PERMISSION_DENIED"}, // not a PNG inside
		{"name=tool.exe", []byte("MZ\x90\x00"), "PERMISSION_DENIED"},
		{"name=big.txt", bytes.Repeat([]byte("a"), 1<<20+1), "PERMISSION_DENIED"},
		{"name=empty.txt", nil, "INVALID_PARAMETERS"},
		{"", []byte("x"), "INVALID_PARAMETERS"},
		{"name=a.txt&to_user_id=ghost", []byte("x"), "USER_NOT_FOUND"},
	} {
		if got := code(upload(bob, c.query, c.body)); got != c.want {
			t.Errorf("upload %s: %s, want %s", c.query, got, c.want)
		}
	}
	a := upload(bob, "name=..%2F..%2Fetc%2Fpic.png", pngBytes)
	if code(a) != "SUCCESS" {
		t.Fatalf("upload: %v", a)
	}
	f := a["chat_message"].(map[string]any)["file"].(map[string]any)
	if f["name"] != "pic.png" || f["mime_type"] != "image/png" || f["size"].(float64) != float64(len(pngBytes)) {
		t.Errorf("file %v", f)
	}
	id := f["file_id"].(string)
	tok := s.post("/api/chat/file", bearerHeader(cat), map[string]any{"file_id": id})
	url, _ := tok["url"].(string)
	res, body := s.do("GET", url, nil, nil)
	if res.StatusCode != 200 || !bytes.Equal(body, pngBytes) || res.Header.Get("Content-Type") != "image/png" ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.Header.Get("Content-Disposition"), `attachment; filename="pic.png"`) {
		t.Errorf("download: %d %v", res.StatusCode, res.Header)
	}
	if res, _ := s.do("GET", "/download/chat/not-a-token", nil, nil); res.StatusCode != 401 {
		t.Errorf("a bad token: %d", res.StatusCode)
	}
	// a private file: only its two parties get a token
	p := upload(bob, "name=note.txt&to_user_id=cat", []byte("for cat only\n"))
	pid := p["chat_message"].(map[string]any)["file"].(map[string]any)["file_id"].(string)
	if got := code(s.post("/api/chat/file", bearerHeader(ann), map[string]any{"file_id": pid})); got != "NOT_FOUND" {
		t.Errorf("the moderator's token for a private file: %s", got)
	}
	if got := code(s.post("/api/chat/file", bearerHeader(cat), map[string]any{"file_id": pid})); got != "SUCCESS" {
		t.Errorf("cat's token for her file: %s", got)
	}
	sent := chatSent(s, rooms.ChatTopic)
	if len(sent) != 2 || len(sent[0].Identities) != 0 || !slices.Equal(sent[1].Identities, []string{"bob", "cat"}) {
		t.Errorf("relayed %+v", sent)
	}
	// the lock, live
	s.signed("room/updateLockSettings", `{"room_id":"f1","lock_settings":{"lock_chat_file_share":true}}`)
	if got := code(upload(bob, "name=a.txt", []byte("x"))); got != "PERMISSION_DENIED" {
		t.Errorf("upload while locked: %s", got)
	}
	if got := code(upload(ann, "name=a.txt", []byte("moderators may\n"))); got != "SUCCESS" {
		t.Errorf("the moderator's upload: %s", got)
	}
	// chat_file_shared, for every file shared
	evs, err := s.srv.Store.Events(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Event.Event == "chat_file_shared" && e.Event.ChatFile != nil {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d chat_file_shared events, want 3", n)
	}
	// a running session's chat is not deleted; an ended one's goes with its files
	if got := code(s.signed("chat/delete", `{"room_id":"f1"}`)); got != "CONFLICT" {
		t.Errorf("chat/delete while running: %s", got)
	}
	s.signed("room/endRoom", `{"room_id":"f1"}`)
	s.signed("chat/delete", `{"room_id":"f1"}`)
	if res, _ := s.do("GET", url, nil, nil); res.StatusCode != 404 {
		t.Errorf("a deleted file downloads: %d", res.StatusCode)
	}
	// a room without file upload
	s.signed("room/create", `{"room_id":"f2","metadata":{"room_title":"No files","room_features":{"chat_features":{"allow_file_upload":false}}}}`)
	dan := chatPage(s, "f2", "dan", false)
	if got := code(upload(dan, "name=a.txt", []byte("x"))); got != "PERMISSION_DENIED" {
		t.Errorf("upload where files are off: %s", got)
	}
}

// TestReactions: the fixed set, the room's allow_reactions and lock_reactions, and the rate.
func TestReactions(t *testing.T) {
	s := newScript(t, meettest.Options{})
	create(s, "r1")
	bob := chatPage(s, "r1", "bob", false)
	if got := code(s.post("/api/chat/react", bearerHeader(bob), `{"emoji":"💩"}`)); got != "INVALID_PARAMETERS" {
		t.Errorf("an emoji outside the set: %s", got)
	}
	ok, limited := 0, false
	for i := 0; i < 50 && !limited; i++ {
		res, answer := s.do("POST", "/api/chat/react", bearerHeader(bob), `{"emoji":"👍"}`)
		switch c := code(decoded(t, answer)); {
		case c == "SUCCESS":
			ok++
		case c == "TOO_MANY_REQUESTS" && res.StatusCode == 429:
			limited = true
		default:
			t.Fatalf("react: %d %s", res.StatusCode, answer)
		}
	}
	if !limited || ok < 5 {
		t.Errorf("%d reactions before the limit (limited %v)", ok, limited)
	}
	sent := chatSent(s, rooms.ReactionsTopic)
	if len(sent) != ok || len(sent[0].Identities) != 0 || !strings.Contains(string(sent[0].Payload), `"emoji":"👍"`) {
		t.Errorf("relayed %d of %d: %+v", len(sent), ok, sent)
	}
	s.signed("room/updateLockSettings", `{"room_id":"r1","user_id":"bob","lock_settings":{"lock_reactions":true}}`)
	cat := chatPage(s, "r1", "cat", false)
	s.signed("room/updateLockSettings", `{"room_id":"r1","user_id":"cat","lock_settings":{"lock_reactions":true}}`)
	if got := code(s.post("/api/chat/react", bearerHeader(cat), `{"emoji":"🎉"}`)); got != "PERMISSION_DENIED" {
		t.Errorf("a locked reaction: %s", got)
	}
	s.signed("room/create", `{"room_id":"r2","metadata":{"room_title":"Quiet","room_features":{"allow_reactions":false}}}`)
	dan := chatPage(s, "r2", "dan", false)
	if got := code(s.post("/api/chat/react", bearerHeader(dan), `{"emoji":"🎉"}`)); got != "PERMISSION_DENIED" {
		t.Errorf("reactions off: %s", got)
	}
}
