package main

import (
	"strings"
	"testing"
	"time"

	"meetd/internal/testbot"
)

type testbotData = testbot.Data

// An admin's meeting page moderates with its own join token; others may not.
func TestPageModeration(t *testing.T) {
	m := startMeetd(t, testEnv(t, nil))
	m.create("class", nil)
	admin := m.joinToken("class", "teacher", "Teacher", true)
	pupil := m.joinToken("class", "pupil", "Pupil", false)
	m.botWithToken(admin)
	kid := m.botWithToken(pupil)
	if _, err := kid.PublishAudio(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "both in with the pupil's mic", func() bool {
		p, ok := participantsByID(m.activeRoom("class"))["pupil"]
		return ok && len(p.Tracks) == 1
	})
	moderate := func(token, body string) envelope {
		var res envelope
		m.raw("/api/moderate", []byte(body), map[string]string{"Authorization": "Bearer " + token}, &res)
		return res
	}
	if res := moderate(pupil, `{"action":"remove","user_id":"teacher"}`); res.Status || res.StatusCode != "PERMISSION_DENIED" {
		t.Errorf("a pupil removed the teacher: %+v", res)
	}
	if res := moderate(admin, `{"action":"dance"}`); res.Status || res.StatusCode != "INVALID_PARAMETERS" {
		t.Errorf("unknown action: %+v", res)
	}
	if res := moderate(admin, `{"action":"mute","user_id":"pupil"}`); !res.Status {
		t.Fatalf("mute: %+v", res)
	}
	eventually(t, 5*time.Second, "pupil's mic muted", func() bool {
		p := participantsByID(m.activeRoom("class"))["pupil"]
		return len(p.Tracks) == 1 && p.Tracks[0].Muted
	})
	if res := moderate(admin, `{"action":"remove","user_id":"pupil","block":true}`); !res.Status {
		t.Fatalf("remove: %+v", res)
	}
	select {
	case <-kid.Gone():
	case <-time.After(10 * time.Second):
		t.Fatal("the pupil was not disconnected")
	}
	if j, _ := m.exchange(pupil); j.Status || j.StatusCode != "USER_BLOCKED" {
		t.Errorf("blocked pupil joined again: %+v", j.envelope)
	}
	if res := moderate(admin, `{"action":"end"}`); !res.Status {
		t.Fatalf("end: %+v", res)
	}
	if active, code := m.isActive("class"); active || code != "ROOM_NOT_ACTIVE" {
		t.Errorf("room after end: %v %s", active, code)
	}
}

// broadcastToRoom reaches the pages: everyone, only admins, or one user.
func TestBroadcastToRoom(t *testing.T) {
	m := startMeetd(t, testEnv(t, nil))
	m.create("hall", nil)
	host := m.botWithToken(m.joinToken("hall", "host", "Host", true))
	guest := m.bot("hall", "guest")
	eventually(t, 10*time.Second, "both connected", func() bool {
		ps := participantsByID(m.activeRoom("hall"))
		return len(ps) == 2 && ps["host"].State == "ACTIVE" && ps["guest"].State == "ACTIVE"
	})

	var res envelope
	m.post("/auth/room/broadcastToRoom", map[string]any{"room_id": "hall", "notification_msg": map[string]any{"text": "x", "type": "shout"}}, &res)
	if res.Status || res.StatusCode != "INVALID_PARAMETERS" {
		t.Errorf("bad notification type: %+v", res)
	}
	m.post("/auth/room/broadcastToRoom", map[string]any{"room_id": "nosuch", "chat_msg": map[string]any{"message": "x"}}, &res)
	if res.Status || res.StatusCode != "ROOM_NOT_FOUND" {
		t.Errorf("unknown room: %+v", res)
	}

	has := func(got []testbotData, topic, text string) bool {
		for _, d := range got {
			if d.Topic == topic && strings.Contains(string(d.Payload), text) {
				return true
			}
		}
		return false
	}
	// LiveKit delivers data once a participant's data channel is open, which can come a moment
	// after it is ACTIVE: send again until both messages have arrived.
	eventually(t, 15*time.Second, "chat at both, notification at the host", func() bool {
		if has(host.Received(), "chat", `"from_name":"System"`) && has(guest.Received(), "chat", "hello all") &&
			has(host.Received(), "notification", "for hosts") {
			return true
		}
		m.post("/auth/room/broadcastToRoom", map[string]any{"room_id": "hall", "chat_msg": map[string]any{"message": "hello all"}}, &res)
		if !res.Status {
			t.Fatalf("broadcast: %+v", res)
		}
		m.post("/auth/room/broadcastToRoom", map[string]any{"room_id": "hall", "only_to_admins": true,
			"notification_msg": map[string]any{"text": "for hosts", "type": "warning"}}, &res)
		if !res.Status {
			t.Fatalf("broadcast to admins: %+v", res)
		}
		time.Sleep(250 * time.Millisecond)
		return false
	})
	if has(guest.Received(), "notification", "for hosts") {
		t.Error("the guest got the admins' notification")
	}
}
