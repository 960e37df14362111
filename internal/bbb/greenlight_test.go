package bbb_test

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"meetd/internal/bbb"
	"meetd/internal/meettest"
)

// rubyQuery encodes params as bigbluebutton-api-ruby does: keys sorted, space as +.
func rubyQuery(params map[string]string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var kv []string
	for _, k := range keys {
		kv = append(kv, k, params[k])
	}
	return plusQuery(kv...)
}

// TestGreenlightSequence: Greenlight v3's calls through bigbluebutton-api-ruby (sha1, sorted
// keys): create and its repeats, the wait for the moderator, joins with createTime and roles,
// the guest policy's waiting room (doc/bbb.md, "Greenlight").
func TestGreenlightSequence(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	c := newClient(t, srv, "sha1")
	const meetingID = "zfhyjqe1ts3nlcyc3wmkfhn1gjkyzkpx1uv0iw6z" // 40 random characters, as Greenlight makes them
	createParams := map[string]string{
		"name": "Dr. Who's room", "meetingID": meetingID, "record": "true", "muteOnStart": "false", "guestPolicy": "ASK_MODERATOR",
		"moderatorOnlyMessage": "To invite someone: https://gl.example.org/rooms/abc-def-ghi/join", "loginURL": "https://gl.example.org/rooms/abc-def-ghi/join",
		"logoutURL": "https://gl.example.org/rooms/abc-def-ghi", "meta_endCallbackUrl": "https://gl.example.org/meeting_ended",
		"meta_bbb-recording-ready-url": "https://gl.example.org/recording_ready", "meta_bbb-origin": "greenlight",
		"meta_bbb-origin-version": "3", "meta_bbb-origin-server-name": "gl.example.org", "meta_server-tag": "", "meta_bad_name": "dropped", "meta_9lives": "dropped",
	}
	n := c.call("create", rubyQuery(createParams))
	wantOK(t, "create", n, "")
	createTime, internal := n.Get("createTime"), n.Get("internalMeetingID")
	attendeePW, moderatorPW := n.Get("attendeePW"), n.Get("moderatorPW")
	if attendeePW == "" || moderatorPW == "" || attendeePW == moderatorPW {
		t.Fatalf("passwords not generated: %q %q", attendeePW, moderatorPW)
	}

	// Greenlight polls isMeetingRunning: false until someone joins
	if n := c.call("isMeetingRunning", rubyQuery(map[string]string{"meetingID": meetingID})); n.Get("running") != "false" {
		t.Fatalf("isMeetingRunning right after create: %s", n.Get("running"))
	}
	// the same create again: duplicateWarning, the same meeting
	n = c.call("create", rubyQuery(createParams))
	wantOK(t, "create again", n, "duplicateWarning")
	if n.Get("createTime") != createTime || n.Get("internalMeetingID") != internal || n.Get("moderatorPW") != moderatorPW {
		t.Errorf("create again: createTime %s internal %s, want %s %s", n.Get("createTime"), n.Get("internalMeetingID"), createTime, internal)
	}
	// with other passwords: idNotUnique
	other := map[string]string{"meetingID": meetingID, "name": "x", "moderatorPW": "another", "attendeePW": attendeePW}
	wantFail(t, "create with other passwords", c.call("create", rubyQuery(other)), "idNotUnique")
	// the meta as BBB keeps them: lower-cased
	if n := c.call("getMeetingInfo", rubyQuery(map[string]string{"meetingID": meetingID})); n.Get("metadata/endcallbackurl") != "https://gl.example.org/meeting_ended" ||
		n.Get("metadata/bbb-origin") != "greenlight" || n.Find("metadata/endCallbackUrl") != nil || n.Find("metadata/bad_name") != nil ||
		n.Find("metadata/9lives") != nil || n.Find("metadata/server-tag") == nil {
		t.Errorf("metadata: %+v", n.Find("metadata"))
	}

	joinURL := func(name, role, ct, userID string, extra ...string) string {
		p := map[string]string{"meetingID": meetingID, "fullName": name, "password": "", "role": role, "createTime": ct, "userID": userID}
		for i := 0; i+1 < len(extra); i += 2 {
			p[extra[i]] = extra[i+1]
		}
		return c.signed("join", rubyQuery(p))
	}
	// a stale createTime (a meeting Greenlight started before)
	_, n = c.getURL(joinURL("Viewer", "Viewer", "1700000000000", "gl-viewer", "redirect", "false"))
	wantFail(t, "stale createTime", n, "mismatchCreateTimeParam")
	res, _ := c.getURL(joinURL("Viewer", "Viewer", "1700000000000", "gl-viewer"))
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "https://gl.example.org/rooms/abc-def-ghi?errors=") {
		t.Errorf("stale createTime with redirect: HTTP %d to %q", res.StatusCode, loc)
	} else if u, _ := url.Parse(loc); !strings.Contains(u.Query().Get("errors"), `"key":"mismatchCreateTimeParam"`) {
		t.Errorf("errors=%s", u.Query().Get("errors"))
	}

	// the owner starts the meeting (role moderator, empty password)
	res, _ = c.getURL(joinURL("Dr. Who", "Moderator", createTime, "owner-uid"))
	if res.StatusCode != http.StatusFound {
		t.Fatalf("moderator join: HTTP %d", res.StatusCode)
	}
	if j := follow(t, srv, res.Header.Get("Location")); j["is_admin"] != true {
		t.Fatalf("moderator join: %v", j)
	}
	if n := c.call("isMeetingRunning", rubyQuery(map[string]string{"meetingID": meetingID})); n.Get("running") != "true" {
		t.Fatalf("isMeetingRunning with the moderator in: %s", n.Get("running"))
	}

	// a viewer (no guest parameter) waits under ASK_MODERATOR
	_, n = c.getURL(joinURL("Amy Pond", "Viewer", createTime, "amy-uid", "redirect", "false"))
	wantOK(t, "viewer join", n, "guestWait")
	if n.Get("guestStatus") != "WAIT" || n.Get("meeting_id") != internal || !strings.Contains(n.Get("url"), "access_token=") {
		t.Fatalf("viewer join: %+v", n)
	}
	res, _ = c.getURL(joinURL("Amy Pond", "Viewer", createTime, "amy-uid"))
	loc := res.Header.Get("Location")
	j := follow(t, srv, loc)
	if j["waiting"] != true || j["waiting_state"] != "waiting" {
		t.Fatalf("the viewer's page: %v, want the waiting room", j)
	}
	// the moderator admits her through meetd's waiting room; her page then enters
	if status, b := srv.Signed(t, "waitingRoom/admit", map[string]any{"room_id": bbb.RoomID(meetingID), "user_ids": []string{"amy-uid"}}); status != 200 || !strings.Contains(string(b), `"status":true`) {
		t.Fatalf("admit: %d %s", status, b)
	}
	if j := follow(t, srv, loc); j["livekit_token"] == nil || j["livekit_token"] == "" {
		t.Fatalf("after admission: %v", j)
	}
	// a viewer Moodle-style (guest=false) does not wait
	_, n = c.getURL(joinURL("Rory", "Viewer", createTime, "rory-uid", "guest", "false", "redirect", "false"))
	wantOK(t, "guest=false viewer", n, "successfullyJoined")
	if n.Get("guestStatus") != "ALLOW" {
		t.Errorf("guest=false: %s", n.Get("guestStatus"))
	}
	n = c.call("getMeetingInfo", rubyQuery(map[string]string{"meetingID": meetingID}))
	if n.Get("participantCount") != "2" || n.Get("moderatorCount") != "1" {
		t.Errorf("getMeetingInfo: %s participants, %s moderators", n.Get("participantCount"), n.Get("moderatorCount"))
	}
	// getMeetings (Greenlight's server rooms) lists it
	n = c.call("getMeetings", "")
	if ms := n.All("meetings", "meeting"); len(ms) != 1 || ms[0].Get("meetingID") != meetingID || ms[0].Get("running") != "true" {
		t.Errorf("getMeetings: %+v", n)
	}
}
