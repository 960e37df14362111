package bbb_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"meetd/internal/bbb"
	"meetd/internal/meet"
	"meetd/internal/meettest"
)

// TestOneRoomTwoAPIs: a meeting created through BBB is a meetd room of the plugNmeet API, and a
// room of the plugNmeet API answers the BBB calls; the webhooks of an end fire once whichever
// API ended it (doc/bbb.md, "One room, two APIs").
func TestOneRoomTwoAPIs(t *testing.T) {
	rc := meettest.NewReceiver(t, meettest.Keys, meettest.ReceiverOptions{})
	srv := meettest.Start(t, meettest.Options{Webhooks: []string{rc.URL}})
	c := newClient(t, srv, "sha1")

	// plugNmeet's room/create, then the BBB calls on it
	if status, b := srv.Signed(t, "room/create", map[string]any{"room_id": "pnm-room", "metadata": map[string]any{"room_title": "Made by plugNmeet"}}); status != 200 {
		t.Fatalf("room/create: %d %s", status, b)
	}
	n := c.call("getMeetingInfo", "meetingID=pnm-room")
	wantOK(t, "getMeetingInfo of a plugNmeet room", n, "")
	if n.Get("meetingName") != "Made by plugNmeet" || n.Get("running") != "false" ||
		n.Get("internalMeetingID") != bbb.InternalMeetingID("pnm-room", mustInt(t, n.Get("createTime"))) {
		t.Errorf("getMeetingInfo: %+v", n)
	}
	res, _ := c.getURL(c.signed("join", plusQuery("meetingID", "pnm-room", "fullName", "Mod", "role", "MODERATOR", "userID", "m1")))
	if j := follow(t, srv, res.Header.Get("Location")); j["is_admin"] != true {
		t.Fatalf("join a plugNmeet room: %v", j)
	}
	if n := c.call("isMeetingRunning", "meetingID=pnm-room"); n.Get("running") != "true" {
		t.Errorf("isMeetingRunning: %s", n.Get("running"))
	}
	// create on it: the running room, duplicateWarning; it keeps its settings
	n = c.call("create", "meetingID=pnm-room&name=Other")
	wantOK(t, "create on a plugNmeet room", n, "duplicateWarning")
	if md := activeRoom(t, srv, "pnm-room"); md.RoomTitle != "Made by plugNmeet" {
		t.Errorf("the room's title became %q", md.RoomTitle)
	}

	// BBB's create, then the plugNmeet API's view of it
	n = c.call("create", plusQuery("meetingID", "Room [A]", "name", "Made by BBB", "record", "false", "duration", "45", "webcamsOnlyForModerator", "true",
		"disabledFeatures", "chat,screenshare,polls,virtualBackgrounds", "disabledFeaturesExclude", "polls", "lockSettingsDisableMic", "true"))
	wantOK(t, "create", n, "")
	internalA := n.Get("internalMeetingID")
	md := activeRoom(t, srv, bbb.RoomID("Room [A]"))
	f := md.RoomFeatures
	if md.RoomTitle != "Made by BBB" || meet.Bool(f.RecordingFeatures.IsAllow) || *f.RoomDuration != 45 || !meet.Bool(f.AdminOnlyWebcams) ||
		meet.Bool(f.ChatFeatures.AllowChat) || meet.Bool(f.AllowScreenShare) || meet.Bool(f.AllowVirtualBg) || !meet.GroupOn(f.PollsFeatures, "") ||
		!meet.Bool(md.DefaultLockSettings.LockMicrophone) {
		t.Errorf("metadata of the BBB meeting: %s", meet.JSON(md))
	}
	// polls, breakout rooms and shared notes are on in a BBB meeting, off when disabledFeatures says so
	wantOK(t, "create B", c.call("create", plusQuery("meetingID", "room-b", "name", "B")), "")
	wantOK(t, "create C", c.call("create", plusQuery("meetingID", "room-c", "name", "C", "disabledFeatures", "polls,breakoutRooms,sharedNotes")), "")
	for room, on := range map[string]bool{"room-b": true, "room-c": false} {
		f := activeRoom(t, srv, room).RoomFeatures
		if meet.GroupOn(f.PollsFeatures, "") != on || meet.GroupOn(f.BreakoutRoomFeatures, "") != on ||
			meet.GroupOn(f.SharedNotePadFeatures, "allowed_shared_note_pad") != on {
			t.Errorf("%s: polls %v, breakout rooms %v, notes %v; want all %v", room, f.PollsFeatures, f.BreakoutRoomFeatures, f.SharedNotePadFeatures, on)
		}
		wantOK(t, "end "+room, c.call("end", plusQuery("meetingID", room)), "sentEndMeetingRequest")
	}
	if !strings.HasPrefix(bbb.RoomID("Room [A]"), "bbb_") || bbb.RoomID("room-a") != "room-a" {
		t.Errorf("room ids: %s %s", bbb.RoomID("Room [A]"), bbb.RoomID("room-a"))
	}
	n = c.call("getMeetingInfo", plusQuery("meetingID", "Room [A]"))
	if n.Get("meetingID") != "Room [A]" || n.Get("duration") != "45" || n.Get("recording") != "false" {
		t.Errorf("getMeetingInfo: %+v", n)
	}
	if status, b := srv.Signed(t, "room/getActiveRoomsInfo", map[string]any{}); status != 200 || !strings.Contains(string(b), bbb.RoomID("Room [A]")) {
		t.Errorf("getActiveRoomsInfo: %d %s", status, b)
	}

	// ended through BBB: the webhooks of the end once; ended through plugNmeet: BBB sees it
	wantOK(t, "end", c.call("end", plusQuery("meetingID", "Room [A]")), "sentEndMeetingRequest")
	wantFail(t, "end again", c.call("end", plusQuery("meetingID", "Room [A]")), "notFound")
	if status, _ := srv.Signed(t, "room/endRoom", map[string]any{"room_id": "pnm-room"}); status != 200 {
		t.Fatalf("endRoom: %d", status)
	}
	wantFail(t, "getMeetingInfo after endRoom", c.call("getMeetingInfo", "meetingID=pnm-room"), "notFound")
	meettest.Eventually(t, 10*time.Second, "the end webhooks", func() bool {
		return countEvents(rc, meet.EventRoomFinished) >= 2
	})
	time.Sleep(200 * time.Millisecond) // a duplicate would come right behind
	for _, room := range []string{bbb.RoomID("Room [A]"), "pnm-room"} {
		if n := countRoomEvents(rc, meet.EventRoomFinished, room); n != 1 {
			t.Errorf("%s: %d room_finished webhooks, want 1", room, n)
		}
	}
	if n := c.call("getMeetings", ""); n.Get("messageKey") != "noMeetings" {
		t.Errorf("getMeetings after both ended: %+v", n)
	}
	// create after the end: a new meeting (new createTime and internalMeetingID), no duplicateWarning
	n = c.call("create", plusQuery("meetingID", "Room [A]", "name", "Again"))
	wantOK(t, "create after the end", n, "")
	if n.Get("internalMeetingID") == internalA {
		t.Errorf("create after the end kept internalMeetingID %s", internalA)
	}
	// a draining server starts no meeting and lets nobody join; the running ones answer
	srv.Drain()
	wantFail(t, "create while draining", c.call("create", "meetingID=late-room&name=Late"), "serverDraining")
	_, n = c.getURL(c.signed("join", plusQuery("meetingID", "Room [A]", "fullName", "Late", "role", "VIEWER", "redirect", "false")))
	wantFail(t, "join while draining", n, "serverDraining")
	wantOK(t, "getMeetingInfo while draining", c.call("getMeetingInfo", plusQuery("meetingID", "Room [A]")), "")
}

func countEvents(rc *meettest.Receiver, name string) int {
	n := 0
	for _, d := range rc.Requests() {
		if d.Event.Event == name {
			n++
		}
	}
	return n
}

func countRoomEvents(rc *meettest.Receiver, name, roomID string) int {
	n := 0
	for _, d := range rc.Requests() {
		if d.Event.Event == name && d.Event.Room.RoomID == roomID {
			n++
		}
	}
	return n
}

// TestChatDocumentsSessions: sendChatMessage puts a line into the room (the room service's
// Broadcast), insertDocument answers SUCCESS and keeps the document list, getSessions lists who
// is in.
func TestChatDocumentsSessions(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	c := newClient(t, srv, "sha512")
	wantOK(t, "create", c.call("create", "meetingID=chat-room&name=Chat&moderatorPW=mp"), "")
	res, _ := c.getURL(c.signed("join", plusQuery("meetingID", "chat-room", "fullName", "Ann", "password", "mp", "userID", "ann")))
	follow(t, srv, res.Header.Get("Location"))

	wantOK(t, "sendChatMessage", c.call("sendChatMessage", pctQuery("meetingID", "chat-room", "message", "Hello from the LMS", "userName", "Moodle")), "")
	var chat map[string]any
	for _, d := range srv.Media.Sent() {
		if d.RoomID == "chat-room" && d.Topic == "chat" {
			_ = json.Unmarshal(d.Payload, &chat)
		}
	}
	if chat["message"] != "Hello from the LMS" || chat["from_name"] != "Moodle" {
		t.Errorf("chat sent: %v", chat)
	}

	doc := []byte(`<modules><module name="presentation"><document url="https://example.org/a.pdf" filename="a.pdf"/></module></modules>`)
	n := c.post("insertDocument", "meetingID=chat-room", "application/xml", doc)
	wantOK(t, "insertDocument", n, "")
	sess, _ := srv.Store.Session(t.Context(), "chat-room")
	if b, err := srv.Store.BBBMeeting(t.Context(), sess.SID); err != nil || len(b.Data.Documents) != 1 || b.Data.Documents[0] != string(doc) {
		t.Errorf("documents kept: %v %v", b, err)
	}
	wantFail(t, "insertDocument unknown", c.post("insertDocument", "meetingID=nobody-here", "application/xml", doc), "notFound")

	n = c.call("getSessions", "meetingID=chat-room")
	if s := n.All("sessions", "session"); len(s) != 1 || s[0].Get("userID") != "ann" || s[0].Get("role") != "MODERATOR" {
		t.Errorf("getSessions: %+v", n)
	}
}

func mustInt(t testing.TB, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q is not an integer", s)
	}
	return n
}
