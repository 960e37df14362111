package bbb_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"meetd/internal/bbb"
	"meetd/internal/meet"
	"meetd/internal/meettest"
)

// moodleMeetingID is a meetingID as Moodle's mod_bigbluebuttonbn makes it:
// <sha1>-<courseid>-<cmid>[<groupid>], brackets included.
const moodleMeetingID = "8f6e0a9c4a1b3f1d2e7c6b5a4d3c2b1a0f9e8d7c-2-5[0]"

// TestMoodleSequence: Moodle's calls with its parameters and encoding (sha256, http_build_query:
// space as +), from the first getMeetingInfo to end (doc/bbb.md, "Moodle").
func TestMoodleSequence(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	c := newClient(t, srv, "sha256")

	// the server's version, as Moodle asks it: api/?&checksum=<sha of "" + secret>
	_, v := c.getURL(c.base + "?&checksum=" + bbb.Checksum("sha256", "", "", c.secret))
	if v.Get("version") != "2.0" {
		t.Fatalf("version %q", v.Get("version"))
	}
	// not running yet
	wantFail(t, "getMeetingInfo before create", c.call("getMeetingInfo", plusQuery("meetingID", moodleMeetingID)), "notFound")

	// create: POST with the presentation modules, parameters in the query
	create := plusQuery(
		"meetingID", moodleMeetingID, "name", "Weekly seminar: optics & waves", "attendeePW", "vIeWeR-pw", "moderatorPW", "m0d-pw",
		"logoutURL", "https://moodle.example.org/mod/bigbluebuttonbn/bbb_view.php?action=logout&id=5&bn=3",
		"record", "true", "welcome", "Welcome to <strong>%%CONFNAME%%</strong>!", "voiceBridge", "71234", "maxParticipants", "10",
		"muteOnStart", "true", "guestPolicy", "ALWAYS_ACCEPT",
		"lockSettingsDisableCam", "false", "lockSettingsDisableMic", "false", "lockSettingsDisablePrivateChat", "true",
		"lockSettingsDisablePublicChat", "false", "lockSettingsDisableNotes", "true", "lockSettingsHideUserList", "true",
		"lockSettingsLockOnJoin", "true",
		"meta_bbb-origin", "Moodle", "meta_bbb-origin-version", "5.1 (Build: 20251006)", "meta_bbb-origin-server-name", "moodle.example.org",
		"meta_bbb-origin-server-common-name", "", "meta_bbb-origin-tag", "moodle-mod_bigbluebuttonbn (2025100600)",
		"meta_bbb-context", "Physics 101", "meta_bbb-context-id", "2", "meta_bbb-context-name", "Physics 101",
		"meta_bbb-context-label", "PHY101", "meta_bbb-recording-name", "Weekly seminar", "meta_bbb-recording-description", "",
		"meta_bbb-recording-tags", "", "meta_bbb-recording-ready-url", "https://moodle.example.org/mod/bigbluebuttonbn/bbb_broker.php?action=recording_ready&bigbluebuttonbn=3",
		"meta_analytics-callback-url", "https://moodle.example.org/mod/bigbluebuttonbn/bbb_broker.php?action=meeting_events&bigbluebuttonbn=3",
	)
	modules := []byte(`<?xml version='1.0' encoding='UTF-8'?><modules><module name='presentation'><document url='https://moodle.example.org/pluginfile.php/21/mod_bigbluebuttonbn/presentation/0/slides.pdf' /></module></modules>`)
	n := c.post("create", create, "application/xml", modules)
	wantOK(t, "create", n, "")
	internal := n.Get("internalMeetingID")
	createTime := n.Get("createTime")
	if n.Get("meetingID") != moodleMeetingID || !strings.HasSuffix(internal, "-"+createTime) || len(internal) != 41+len(createTime) ||
		n.Get("attendeePW") != "vIeWeR-pw" || n.Get("moderatorPW") != "m0d-pw" || n.Get("voiceBridge") != "71234" || n.Get("parentMeetingID") != "bbb-none" {
		t.Fatalf("create: %+v", n)
	}

	// the meetd room behind it: title, logout URL, locks, user list, welcome, recording allowed
	roomID := bbb.RoomID(moodleMeetingID)
	room := activeRoom(t, srv, roomID)
	if room.RoomTitle != "Weekly seminar: optics & waves" || room.LogoutURL == "" || !meet.Bool(room.RoomFeatures.RecordingFeatures.IsAllowCloud) ||
		meet.Bool(room.RoomFeatures.AllowViewOtherUsersList) || !meet.Bool(room.DefaultLockSettings.LockPrivateChat) ||
		!meet.Bool(room.DefaultLockSettings.LockSharedNotepad) || meet.Bool(room.DefaultLockSettings.LockWebcam) ||
		!meet.Bool(room.RoomFeatures.MuteOnStart) || room.WelcomeMessage != "Welcome to <strong>Weekly seminar: optics & waves</strong>!" {
		t.Errorf("room metadata: %+v", room)
	}

	// getMeetingInfo: created, nobody in it
	n = c.call("getMeetingInfo", plusQuery("meetingID", moodleMeetingID))
	wantOK(t, "getMeetingInfo", n, "")
	if n.Get("createTime") != createTime || n.Get("running") != "false" || n.Get("hasUserJoined") != "false" ||
		n.Get("participantCount") != "0" || n.Get("recording") != "true" || n.Get("maxUsers") != "10" ||
		n.Get("metadata/bbb-origin") != "Moodle" || n.Get("metadata/bbb-context-label") != "PHY101" || n.Find("attendees") == nil {
		t.Fatalf("getMeetingInfo before anyone joined: %+v", n)
	}

	// the teacher joins: Moodle's join parameters; the redirect goes to the meeting page
	join := plusQuery("meetingID", moodleMeetingID, "fullName", "Ada Lovelace", "password", "m0d-pw",
		"logoutURL", "https://moodle.example.org/mod/bigbluebuttonbn/bbb_view.php?action=logout&id=5&bn=3",
		"role", "MODERATOR", "userID", "2", "guest", "false", "createTime", createTime, "userdata-bbb_override_default_locale", "en")
	res, _ := c.getURL(c.signed("join", join))
	if res.StatusCode != http.StatusFound {
		t.Fatalf("join: HTTP %d, want 302", res.StatusCode)
	}
	j := follow(t, srv, res.Header.Get("Location"))
	if j["is_admin"] != true || j["room_id"] != roomID || j["livekit_token"] == "" {
		t.Fatalf("the page's join: %v", j)
	}
	// the page is shown in the language the join asked for (doc/web.md, "Languages")
	if j["preferred_lang"] != "en" {
		t.Errorf("the page's join: preferred_lang %v, want userdata-bbb_override_default_locale's en", j["preferred_lang"])
	}
	// a student, with Moodle's viewer parameters
	student := plusQuery("meetingID", moodleMeetingID, "fullName", "Charles Babbage", "password", "vIeWeR-pw",
		"role", "VIEWER", "userID", "7", "guest", "false", "createTime", createTime)
	res, _ = c.getURL(c.signed("join", student))
	j = follow(t, srv, res.Header.Get("Location"))
	if j["is_admin"] != false || j["livekit_token"] == "" {
		t.Fatalf("the student's join: %v", j)
	}
	if _, ok := j["preferred_lang"]; ok {
		t.Errorf("the student's join asked for no language, but the page's join has preferred_lang %v", j["preferred_lang"])
	}

	n = c.call("getMeetingInfo", plusQuery("meetingID", moodleMeetingID))
	if n.Get("running") != "true" || n.Get("hasUserJoined") != "true" || n.Get("participantCount") != "2" || n.Get("moderatorCount") != "1" {
		t.Fatalf("getMeetingInfo with two in: %+v", n)
	}
	ids := map[string]string{}
	for _, a := range n.All("attendees", "attendee") {
		ids[a.Get("userID")] = a.Get("role")
		if a.Get("clientType") != "HTML5" {
			t.Errorf("attendee %+v", a)
		}
	}
	if ids["2"] != "MODERATOR" || ids["7"] != "VIEWER" {
		t.Errorf("attendees: %v, want Moodle's user ids 2 (MODERATOR) and 7 (VIEWER)", ids)
	}
	for _, a := range n.All("attendees", "attendee") {
		if a.Get("userID") == "2" && a.Get("customdata/bbb_override_default_locale") != "en" {
			t.Errorf("the teacher's customdata: %+v", a)
		}
	}

	// end, with the password Moodle still sends
	n = c.call("end", plusQuery("meetingID", moodleMeetingID, "password", "m0d-pw"))
	wantOK(t, "end", n, "sentEndMeetingRequest")
	wantFail(t, "getMeetingInfo after end", c.call("getMeetingInfo", plusQuery("meetingID", moodleMeetingID)), "notFound")
	if n := c.call("isMeetingRunning", plusQuery("meetingID", moodleMeetingID)); n.Get("running") != "false" {
		t.Errorf("isMeetingRunning after end: %s", n.Get("running"))
	}
	res, _ = c.getURL(c.signed("join", student))
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || !strings.Contains(loc, "meetingForciblyEnded") ||
		!strings.HasPrefix(loc, "https://moodle.example.org/mod/bigbluebuttonbn/bbb_view.php") {
		t.Errorf("join after end: HTTP %d to %q", res.StatusCode, loc)
	}
}

// activeRoom is the room's metadata as the plugNmeet API's getActiveRoomInfo answers it.
func activeRoom(t testing.TB, srv *meettest.Server, roomID string) meet.RoomMetadata {
	t.Helper()
	status, b := srv.Signed(t, "room/getActiveRoomInfo", map[string]any{"room_id": roomID})
	var out struct {
		Status bool `json:"status"`
		Room   struct {
			RoomInfo meet.RoomInfo `json:"room_info"`
		} `json:"room"`
	}
	if err := json.Unmarshal(b, &out); err != nil || status != 200 || !out.Status {
		t.Fatalf("getActiveRoomInfo %s: %d %s", roomID, status, b)
	}
	var md meet.RoomMetadata
	if err := json.Unmarshal([]byte(out.Room.RoomInfo.Metadata), &md); err != nil {
		t.Fatalf("metadata: %v", err)
	}
	return md
}
