package httpapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/meettest"
)

// A participant joining and leaving in a loop (or many join tokens of one user) writes a bounded
// number of participant_joined/participant_left events (doc/security.md, "Limits, timeouts and
// proxies"): every connection a receiver was told of leaves, no other does, another user's join
// still comes, and every connection is recorded for the attendance report.
func TestJoinLeaveFlood(t *testing.T) {
	rc := meettest.NewReceiver(t, meettest.Keys, meettest.ReceiverOptions{})
	srv := meettest.Start(t, meettest.Options{})
	signed := func(path string, body any) map[string]any {
		t.Helper()
		code, b := srv.Signed(t, path, body)
		var a map[string]any
		if err := json.Unmarshal(b, &a); err != nil || code != 200 || a["status"] != true {
			t.Fatalf("%s: HTTP %d %s", path, code, b)
		}
		return a
	}
	signed("room/create", map[string]any{"room_id": "flood", "metadata": map[string]any{"room_title": "Flood", "webhook_url": rc.URL}})
	srv.Media.Join(t, "flood", meet.ParticipantInfo{Identity: "host", Name: "Host"}) // keeps the room going
	const rounds = 200
	for range rounds {
		srv.Media.Join(t, "flood", meet.ParticipantInfo{Identity: "flooder", Name: "Flooder"})
		srv.Media.Leave(t, "flood", "flooder")
	}
	srv.Media.Join(t, "flood", meet.ParticipantInfo{Identity: "late", Name: "Late"})
	srv.Media.Leave(t, "flood", "late")
	srv.Media.Leave(t, "flood", "host")
	signed("room/endRoom", map[string]any{"room_id": "flood"})

	// room_finished is the room's last event: everything before it has arrived with it.
	meettest.Eventually(t, 30*time.Second, "room_finished delivered", func() bool {
		for _, d := range rc.Delivered() {
			if d.Event.Event == meet.EventRoomFinished {
				return true
			}
		}
		return false
	})
	joined, left := map[string]int{}, map[string]int{}
	var flooderJoins int
	lateJoined := false
	for _, d := range rc.Delivered() {
		p := d.Event.Participant
		switch d.Event.Event {
		case meet.EventParticipantJoined:
			joined[p.SID]++
			if p.Identity == "flooder" {
				flooderJoins++
			}
			lateJoined = lateJoined || p.Identity == "late"
		case meet.EventParticipantLeft:
			left[p.SID]++
		}
	}
	if flooderJoins == 0 || flooderJoins > 20 {
		t.Errorf("%d join/leave rounds: %d participant_joined of the flooder delivered, want 1..20", rounds, flooderJoins)
	}
	if !lateJoined {
		t.Error("another user's participant_joined was not delivered after the flood")
	}
	for sid, n := range joined {
		if n != 1 || left[sid] != 1 {
			t.Errorf("connection %s: %d participant_joined, %d participant_left, want 1 and 1", sid, n, left[sid])
		}
	}
	for sid := range left {
		if joined[sid] == 0 {
			t.Errorf("connection %s: participant_left without participant_joined", sid)
		}
	}
	if !strings.Contains(srv.Log(), "participant_joined/left not written") {
		t.Error("no log line for the dropped events")
	}

	// Attendance: every connection is recorded, opened and closed, whatever its events.
	in, err := srv.Store.ReportInput(context.Background(), rc.Delivered()[0].Event.Room.SID)
	if err != nil {
		t.Fatal(err)
	}
	connections := map[string]int{}
	for _, c := range in.Presence {
		if c.To.IsZero() {
			t.Errorf("connection %s of %s not closed", c.Item, c.UserID)
		}
		connections[c.UserID]++
	}
	if connections["flooder"] != rounds || connections["late"] != 1 || connections["host"] != 1 {
		t.Errorf("connections recorded %v, want flooder %d, late 1, host 1", connections, rounds)
	}
}
