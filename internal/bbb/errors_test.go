package bbb_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"meetd/internal/bbb"
	"meetd/internal/meettest"
)

// TestErrorCases: every error of the contract answers its messageKey (HTTP 200, XML), and
// changes nothing (doc/bbb.md, "Errors").
func TestErrorCases(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	c := newClient(t, srv, "sha256")
	state := func() string { // what a refused call must not change
		n := c.call("getMeetings", "")
		var b strings.Builder
		for _, m := range n.All("meetings", "meeting") {
			b.WriteString(m.Get("meetingID") + "/" + m.Get("participantCount") + "/" + m.Get("createTime") + ";")
		}
		return b.String()
	}

	// nothing yet: empty lists with their container
	n := c.call("getMeetings", "")
	wantOK(t, "getMeetings", n, "noMeetings")
	if n.Find("meetings") == nil {
		t.Error("noMeetings without <meetings/>")
	}
	wantOK(t, "create", c.call("create", plusQuery("meetingID", "full-room", "name", "Full", "maxParticipants", "1",
		"attendeePW", "ap", "moderatorPW", "mp")), "")
	wantOK(t, "create", c.call("create", plusQuery("meetingID", "deny-room", "name", "Deny", "guestPolicy", "ALWAYS_DENY",
		"attendeePW", "ap", "moderatorPW", "mp")), "")
	res, _ := c.getURL(c.signed("join", plusQuery("meetingID", "full-room", "fullName", "First", "password", "ap", "userID", "u1")))
	follow(t, srv, res.Header.Get("Location"))
	before := state()

	for _, tc := range []struct{ what, call, query, key string }{
		{"create without meetingID", "create", plusQuery("name", "x"), "validationError"},
		{"create, meetingID of 1 character", "create", plusQuery("meetingID", "a", "name", "x"), "validationError"},
		{"create, meetingID with a comma", "create", plusQuery("meetingID", "a,b", "name", "x"), "validationError"},
		{"create, meetingID too long", "create", plusQuery("meetingID", strings.Repeat("x", 257), "name", "x"), "validationError"},
		{"create, bad maxParticipants", "create", plusQuery("meetingID", "bad-int", "name", "x", "maxParticipants", "many"), "validationError"},
		{"create, bad guestPolicy", "create", plusQuery("meetingID", "bad-policy", "name", "x", "guestPolicy", "SOMETIMES"), "validationError"},
		{"create running, other passwords", "create", plusQuery("meetingID", "full-room", "name", "Full", "attendeePW", "other"), "idNotUnique"},
		{"join unknown", "join", plusQuery("meetingID", "nobody-here", "fullName", "X", "role", "VIEWER", "redirect", "false"), "invalidMeetingIdentifier"},
		{"join without fullName", "join", plusQuery("meetingID", "full-room", "password", "ap", "redirect", "false"), "validationError"},
		{"join, wrong password", "join", plusQuery("meetingID", "full-room", "fullName", "X", "password", "nope", "redirect", "false"), "invalidPassword"},
		{"join, no password nor role", "join", plusQuery("meetingID", "full-room", "fullName", "X", "redirect", "false"), "invalidPassword"},
		{"join, stale createTime", "join", plusQuery("meetingID", "full-room", "fullName", "X", "password", "ap", "createTime", "1", "redirect", "false"), "mismatchCreateTimeParam"},
		{"join, full", "join", plusQuery("meetingID", "full-room", "fullName", "Second", "password", "ap", "userID", "u2", "redirect", "false"), "maxParticipantsReached"},
		{"join, guest policy ALWAYS_DENY", "join", plusQuery("meetingID", "deny-room", "fullName", "Guest", "password", "ap", "redirect", "false"), "guestDeniedAccess"},
		{"end unknown", "end", plusQuery("meetingID", "nobody-here"), "notFound"},
		{"getMeetingInfo unknown", "getMeetingInfo", plusQuery("meetingID", "nobody-here"), "notFound"},
		{"getMeetingInfo, Moodle id unknown", "getMeetingInfo", plusQuery("meetingID", moodleMeetingID), "notFound"},
		{"sendChatMessage unknown", "sendChatMessage", plusQuery("meetingID", "nobody-here", "message", "hi"), "notFound"},
		{"sendChatMessage, empty", "sendChatMessage", plusQuery("meetingID", "full-room", "message", ""), "validationError"},
		{"sendChatMessage, too long", "sendChatMessage", plusQuery("meetingID", "full-room", "message", strings.Repeat("x", 501)), "validationError"},
		{"getSessions unknown", "getSessions", plusQuery("meetingID", "nobody-here"), "notFound"},
		{"getJoinUrl", "getJoinUrl", plusQuery("sessionToken", "x"), "notImplemented"},
	} {
		wantFail(t, tc.what, c.call(tc.call, tc.query), tc.key)
		if after := state(); after != before {
			t.Fatalf("%s changed the meetings: %s, was %s", tc.what, after, before)
		}
	}
	// a rejoin of the user already in is not refused by maxParticipants
	_, n = c.getURL(c.signed("join", plusQuery("meetingID", "full-room", "fullName", "First", "password", "ap", "userID", "u1", "redirect", "false")))
	wantOK(t, "rejoin", n, "successfullyJoined")
	// a moderator passes ALWAYS_DENY; guest=false too
	_, n = c.getURL(c.signed("join", plusQuery("meetingID", "deny-room", "fullName", "M", "password", "mp", "redirect", "false")))
	wantOK(t, "moderator under ALWAYS_DENY", n, "successfullyJoined")
	_, n = c.getURL(c.signed("join", plusQuery("meetingID", "deny-room", "fullName", "V", "password", "ap", "guest", "false", "redirect", "false")))
	wantOK(t, "guest=false under ALWAYS_DENY", n, "successfullyJoined")

	// role wins over the password
	_, n = c.getURL(c.signed("join", plusQuery("meetingID", "deny-room", "fullName", "R", "password", "mp", "role", "viewer", "guest", "false", "redirect", "false")))
	wantOK(t, "role=viewer with the moderator password", n, "successfullyJoined")
	if j := pageJoin(t, srv, n.Get("session_token")); j["is_admin"] != false {
		t.Errorf("role=viewer joined as admin: %v", j)
	}

	// errors of a redirecting join: 302 with errors=, to errorRedirectUrl when given
	res, _ = c.getURL(c.signed("join", plusQuery("meetingID", "nobody-here", "fullName", "X", "role", "VIEWER", "errorRedirectUrl", "https://lms.example.org/error")))
	u, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || u == nil || u.Host != "lms.example.org" || !strings.Contains(u.Query().Get("errors"), `"key":"invalidMeetingIdentifier"`) {
		t.Errorf("join unknown, redirecting: HTTP %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	// a body of the wrong type
	req, _ := http.NewRequest(http.MethodPost, c.signed("create", plusQuery("meetingID", "typed", "name", "x")), bytes.NewReader([]byte("hello")))
	req.Header.Set("Content-Type", "text/plain")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, n = c.read(res)
	wantFail(t, "text/plain body", n, "unsupportedContentType")
	if after := state(); after != before {
		t.Fatalf("changed: %s, was %s", after, before)
	}
	// every refused create made no room
	for _, id := range []string{"bad-int", "bad-policy", "typed"} {
		if status, _ := srv.Signed(t, "room/isRoomActive", map[string]any{"room_id": bbb.RoomID(id)}); status != 200 {
			t.Fatalf("isRoomActive: %d", status)
		}
		if s, _ := srv.Store.Session(t.Context(), bbb.RoomID(id)); s != nil {
			t.Errorf("a refused create made room %s", id)
		}
	}
}
