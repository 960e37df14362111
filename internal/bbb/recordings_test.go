package bbb_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"meetd/internal/bbb"
	"meetd/internal/meettest"
)

// TestRecordingsMoodle: Moodle's recording management (sha256, http_build_query) on a recorded
// meeting: the recording-ready callback (HS256 JWT with the secret) and the analytics callback
// (Bearer HS512) arrive; getRecordings recordID=<internalMeetingID>&state=any lists the recording
// with a video playback that plays; publish false/true, updateRecordings protect and
// meta_bbb-recording-name, deleteRecordings act for real; every error changes nothing
// (doc/bbb.md, "Recordings", "Callbacks").
func TestRecordingsMoodle(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	c := newClient(t, srv, "sha256")
	ready, stats := newReceiver(t), newReceiver(t)
	readyURL := ready.URL + "/mod/bigbluebuttonbn/bbb_broker.php?action=recording_ready&bigbluebuttonbn=3"
	statsURL := stats.URL + "/mod/bigbluebuttonbn/bbb_broker.php?action=meeting_events&bigbluebuttonbn=3"
	n := c.call("create", plusQuery("meetingID", moodleMeetingID, "name", "Weekly seminar", "attendeePW", "ap", "moderatorPW", "mp",
		"record", "true", "meta_bbb-origin", "Moodle", "meta_bbb-recording-name", "Weekly seminar", "meta_bbb-recording-description", "",
		"meta_bbb-recording-ready-url", readyURL, "meta_analytics-callback-url", statsURL))
	wantOK(t, "create", n, "")
	internal := n.Get("internalMeetingID")
	join := plusQuery("meetingID", moodleMeetingID, "fullName", "Ada Lovelace", "password", "mp", "role", "MODERATOR", "userID", "2",
		"guest", "false", "createTime", n.Get("createTime"))
	res, _ := c.getURL(c.signed("join", join))
	j := follow(t, srv, res.Header.Get("Location"))
	roomID := bbb.RoomID(moodleMeetingID)
	// engagement for the analytics callback: two raised hands, three chat messages
	for _, call := range [][2]string{{"/api/hand", `{"raised":true}`}, {"/api/hand", `{"raised":false}`}, {"/api/hand", `{"raised":true}`},
		{"/api/chat/send", `{"message":"one"}`}, {"/api/chat/send", `{"message":"two"}`}, {"/api/chat/send", `{"message":"three"}`}} {
		req, _ := http.NewRequest("POST", srv.URL+call[0], strings.NewReader(call[1]))
		req.Header.Set("Authorization", "Bearer "+j["page_token"].(string))
		if res, body := srv.Do(t, req); res.StatusCode != 200 || !strings.Contains(string(body), `"status":true`) {
			t.Fatalf("%s %s: %d %s", call[0], call[1], res.StatusCode, body)
		}
	}

	// nothing recorded yet: noRecordings with an empty <recordings/>
	n = c.call("getRecordings", plusQuery("meetingID", moodleMeetingID, "state", "any"))
	wantOK(t, "getRecordings before a recording", n, "noRecordings")
	if r := n.Find("recordings"); r == nil || len(r.Kids) != 0 {
		t.Fatalf("no recordings: %+v", n)
	}

	// the recording is composed: the recording-ready callback, signed with the secret
	addRecording(t, srv, roomID, "REC_moodle1", "the seminar's video", 90*time.Second)
	got := ready.wait(t, 1)[0]
	if got.Method != http.MethodPost || got.URL != strings.TrimPrefix(readyURL, ready.URL) ||
		!strings.HasPrefix(got.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		t.Fatalf("recording ready: %+v", got)
	}
	form, _ := url.ParseQuery(got.Body)
	claims := verifyJWT(t, form.Get("signed_parameters"), "HS256", c.secret)
	if claims["meeting_id"] != moodleMeetingID || claims["record_id"] != internal {
		t.Errorf("recording-ready claims %v, want meeting_id %s record_id %s", claims, moodleMeetingID, internal)
	}

	// the meeting ends: the analytics callback, Bearer HS512 with the secret, with the attendees
	wantOK(t, "end", c.call("end", plusQuery("meetingID", moodleMeetingID, "password", "mp")), "sentEndMeetingRequest")
	a := stats.wait(t, 1)[0]
	bearer, _ := strings.CutPrefix(a.Header.Get("Authorization"), "Bearer ")
	if exp, _ := verifyJWT(t, bearer, "HS512", c.secret)["exp"].(float64); int64(exp) <= time.Now().Unix() {
		t.Errorf("analytics token expiry %v", exp)
	}
	var body struct {
		Version    string `json:"version"`
		MeetingID  string `json:"meeting_id"`
		InternalID string `json:"internal_meeting_id"`
		Data       struct {
			Attendees []map[string]any `json:"attendees"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(a.Body), &body); err != nil || a.Header.Get("Content-Type") != "application/json" ||
		a.Header.Get("User-Agent") != "BigBlueButton Analytics Callback" {
		t.Fatalf("analytics: %v %+v", err, a)
	}
	if body.MeetingID != moodleMeetingID || body.InternalID != internal || len(body.Data.Attendees) != 1 {
		t.Fatalf("analytics body: %s", a.Body)
	}
	if at := body.Data.Attendees[0]; at["ext_user_id"] != "2" || at["moderator"] != true || at["duration"] == nil || at["engagement"] == nil {
		t.Errorf("attendee: %v", at)
	} else if e, _ := at["engagement"].(map[string]any); e["chats"] != 3.0 || e["raisehand"] != 2.0 {
		t.Errorf("engagement %v, want chats 3 and raisehand 2", e)
	}

	// getRecordings as Moodle asks: the internal id, any state
	recording := func(query string) *node {
		t.Helper()
		n := c.call("getRecordings", query)
		wantOK(t, "getRecordings", n, "")
		list := n.All("recordings", "recording")
		if len(list) != 1 {
			t.Fatalf("getRecordings %s: %d recordings", query, len(list))
		}
		return &list[0]
	}
	byID := plusQuery("recordID", internal, "state", "any")
	r := recording(byID)
	if r.Get("recordID") != internal || r.Get("meetingID") != moodleMeetingID || r.Get("internalMeetingID") != internal ||
		r.Get("name") != "Weekly seminar" || r.Get("published") != "true" || r.Get("state") != "published" || r.Get("protected") != "false" ||
		r.Get("playback/format/type") != "video" || r.Get("playback/format/length") != "2" || r.Get("isBreakout") != "false" ||
		r.Get("metadata/bbb-recording-name") != "Weekly seminar" || r.Get("metadata/meetingId") != moodleMeetingID ||
		r.Get("metadata/meetingName") != "Weekly seminar" || r.Get("metadata/isBreakout") != "false" || r.Get("metadata/bbb-origin") != "Moodle" ||
		r.Get("participants") != "1" || r.Get("startTime") == "" || r.Get("endTime") == "0" {
		t.Fatalf("recording: %+v", r)
	}
	playURL := r.Get("playback/format/url")
	if code, b := play(t, playURL); code != 200 || b != "the seminar's video" {
		t.Fatalf("playback: %d %q", code, b)
	}
	if code, _ := play(t, strings.Replace(playURL, "s=", "s=0", 1)); code != 404 {
		t.Errorf("a playback URL with another signature: %d", code)
	}
	// the record id's prefix, and the meeting's id, find it too
	recording(plusQuery("recordID", internal[:20]))
	recording(plusQuery("meetingID", moodleMeetingID))
	wantOK(t, "another meeting", c.call("getRecordings", plusQuery("meetingID", "other-meeting")), "noRecordings")
	wantOK(t, "another state", c.call("getRecordings", plusQuery("recordID", internal, "state", "processing")), "noRecordings")
	wantOK(t, "another meta", c.call("getRecordings", plusQuery("recordID", internal, "meta_bbb-origin", "Greenlight")), "noRecordings")
	recording(plusQuery("recordID", internal, "meta_bbb-origin", "Moodle"))

	// unpublish: listed as unpublished, its URL refuses to play; publish again: it plays
	n = c.call("publishRecordings", plusQuery("recordID", internal, "publish", "false"))
	wantOK(t, "unpublish", n, "")
	if n.Get("published") != "false" {
		t.Fatalf("unpublish: %+v", n)
	}
	if r := recording(plusQuery("meetingID", moodleMeetingID)); r.Get("published") != "false" || r.Get("state") != "unpublished" {
		t.Errorf("unpublished: %+v", r)
	}
	if code, _ := play(t, playURL); code != 404 {
		t.Errorf("an unpublished recording plays: %d", code)
	}
	wantOK(t, "publish", c.call("publishRecordings", plusQuery("recordID", internal, "publish", "true")), "")
	if code, _ := play(t, playURL); code != 200 {
		t.Errorf("published again: %d", code)
	}

	// protect, and rename as Moodle does: the URL given before stops playing, a fresh one plays
	n = c.call("updateRecordings", plusQuery("recordID", internal, "protect", "true", "meta_bbb-recording-name", "Optics, part 1"))
	wantOK(t, "updateRecordings", n, "")
	if n.Get("updated") != "true" {
		t.Fatalf("updateRecordings: %+v", n)
	}
	r = recording(byID)
	if r.Get("protected") != "true" || r.Get("metadata/bbb-recording-name") != "Optics, part 1" || r.Get("metadata/meetingId") != moodleMeetingID {
		t.Errorf("updated: %+v", r)
	}
	if code, _ := play(t, playURL); code != 404 {
		t.Errorf("a protected recording plays from its unprotected URL: %d", code)
	}
	protectedURL := r.Get("playback/format/url")
	if code, b := play(t, protectedURL); code != 200 || b != "the seminar's video" || !strings.Contains(protectedURL, "t=") {
		t.Errorf("protected playback %s: %d %q", protectedURL, code, b)
	}
	// meta_x= removes x
	wantOK(t, "remove a meta", c.call("updateRecordings", plusQuery("recordID", internal, "meta_bbb-origin", "")), "")
	if r := recording(byID); r.Find("metadata/bbb-origin") != nil {
		t.Errorf("meta_bbb-origin= did not remove it: %+v", r.Find("metadata"))
	}

	// errors: their message key, and nothing changes
	for _, e := range []struct{ call, query, key string }{
		{"publishRecordings", plusQuery("recordID", "nope", "publish", "false"), "notFound"},
		{"publishRecordings", plusQuery("recordID", internal+",nope", "publish", "false"), "notFound"},
		{"publishRecordings", plusQuery("publish", "false"), "missingParamRecordID"},
		{"publishRecordings", plusQuery("recordID", internal), "missingParamPublish"},
		{"publishRecordings", plusQuery("recordID", internal, "publish", "maybe"), "validationError"},
		{"updateRecordings", plusQuery("recordID", internal+",nope", "protect", "false"), "notFound"},
		{"updateRecordings", plusQuery("recordID", internal, "protect", "perhaps"), "validationError"},
		{"updateRecordings", plusQuery("meta_x", "y"), "missingParamRecordID"},
		{"deleteRecordings", plusQuery("recordID", "nope"), "notFound"},
		{"deleteRecordings", plusQuery("recordID", internal+",nope"), "notFound"},
		{"deleteRecordings", "", "missingParamRecordID"},
		{"getRecordings", plusQuery("limit", "x"), "validationError"},
		{"getRecordings", plusQuery("offset", "-1"), "validationError"},
	} {
		wantFail(t, e.call+" "+e.query, c.call(e.call, e.query), e.key)
	}
	if r := recording(byID); r.Get("published") != "true" || r.Get("protected") != "true" || r.Get("metadata/bbb-recording-name") != "Optics, part 1" {
		t.Errorf("after the errors: %+v", r)
	}

	// delete: gone, its file too
	n = c.call("deleteRecordings", plusQuery("recordID", internal))
	wantOK(t, "deleteRecordings", n, "")
	if n.Get("deleted") != "true" {
		t.Fatalf("deleteRecordings: %+v", n)
	}
	n = c.call("getRecordings", byID)
	wantOK(t, "getRecordings after delete", n, "noRecordings")
	if r := n.Find("recordings"); r == nil || len(r.Kids) != 0 {
		t.Errorf("after delete: %+v", n)
	}
	if _, err := os.Stat(filepath.Join(srv.RecordingsDir, "REC_moodle1")); !os.IsNotExist(err) {
		t.Errorf("the recording's file is still there: %v", err)
	}
	if code, _ := play(t, protectedURL); code != 404 {
		t.Errorf("a deleted recording plays: %d", code)
	}
	wantFail(t, "delete again", c.call("deleteRecordings", plusQuery("recordID", internal)), "notFound")
}

// TestRecordingsGreenlight: Greenlight's end callback (meta_endCallbackUrl GET with meetingID and
// recordingmarks), meetingEndedURL, and its recording calls (sha1, sorted keys): getRecordings by
// meetingID with metadata meetingId, updateRecordings meta_gl-listed, meta_name and protect.
func TestRecordingsGreenlight(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	c := newClient(t, srv, "sha1")
	ends := newReceiver(t)
	const meetingID = "zfhyjqe1ts3nlcyc3wmkfhn1gjkyzkpx1uv0iw6z"
	create := func(id string) string {
		n := c.call("create", rubyQuery(map[string]string{"name": "Dr. Who's room", "meetingID": id, "record": "true",
			"meta_endCallbackUrl": ends.URL + "/meeting_ended/" + id, "meta_bbb-origin": "greenlight",
			"meetingEndedURL": ends.URL + "/scalelite/" + id}))
		wantOK(t, "create", n, "")
		return n.Get("moderatorPW")
	}
	create(meetingID)
	addRecording(t, srv, bbb.RoomID(meetingID), "REC_gl1", "video", 30*time.Second)
	wantOK(t, "end", c.call("end", rubyQuery(map[string]string{"meetingID": meetingID})), "sentEndMeetingRequest")
	// a meeting without a recording
	const quiet = "q0000000000000000000000000000000000000000"
	create(quiet)
	wantOK(t, "end", c.call("end", rubyQuery(map[string]string{"meetingID": quiet})), "sentEndMeetingRequest")

	got := map[string]bool{}
	for _, r := range ends.wait(t, 4) {
		if r.Method != http.MethodGet {
			t.Errorf("%s %s", r.Method, r.URL)
		}
		got[r.URL] = true
	}
	for _, want := range []string{
		"/meeting_ended/" + meetingID + "?recordingmarks=true&meetingID=" + meetingID,
		"/meeting_ended/" + quiet + "?recordingmarks=false&meetingID=" + quiet,
		"/scalelite/" + meetingID, "/scalelite/" + quiet,
	} {
		if !got[want] {
			t.Errorf("no GET %s among %v", want, got)
		}
	}

	n := c.call("getRecordings", rubyQuery(map[string]string{"meetingID": meetingID}))
	wantOK(t, "getRecordings", n, "")
	list := n.All("recordings", "recording")
	if len(list) != 1 || list[0].Get("metadata/meetingId") != meetingID || list[0].Get("metadata/bbb-origin") != "greenlight" ||
		list[0].Get("playback/format/type") != "video" || list[0].Get("playback/format/length") != "1" {
		t.Fatalf("getRecordings: %+v", n)
	}
	recordID := list[0].Get("recordID")
	for _, p := range []map[string]string{
		{"recordID": recordID, "meta_gl-listed": "true"},
		{"recordID": recordID, "meta_name": "Lecture 1"},
		{"recordID": recordID, "protect": "true"},
		{"recordID": recordID, "protect": "false"},
	} {
		wantOK(t, "updateRecordings", c.call("updateRecordings", rubyQuery(p)), "")
	}
	n = c.call("getRecordings", rubyQuery(map[string]string{"recordID": recordID}))
	if r := n.All("recordings", "recording"); len(r) != 1 || r[0].Get("metadata/gl-listed") != "true" || r[0].Get("metadata/name") != "Lecture 1" ||
		r[0].Get("protected") != "false" {
		t.Errorf("after the updates: %+v", n)
	}
	// paging
	if n := c.call("getRecordings", rubyQuery(map[string]string{"offset": "1", "limit": "1"})); len(n.All("recordings", "recording")) != 0 {
		t.Errorf("offset 1 of one recording: %+v", n)
	}
}
