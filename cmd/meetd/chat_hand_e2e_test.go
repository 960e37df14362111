package main

import (
	"fmt"
	"testing"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"meetd/internal/testbot"
)

// A chat lock is the server's: LiveKit refuses the data of a locked participant, whatever their
// page does, and lets it through again when the lock is lifted. Hands go through the server as a
// participant attribute, so they do not need the data permission.
func TestChatLockAndHands(t *testing.T) {
	m := startMeetd(t, testEnv(t, nil))
	m.create("seminar", nil)
	teacherToken := m.joinToken("seminar", "teacher", "Teacher", true)
	pupilToken := m.joinToken("seminar", "pupil", "Pupil", false)
	teacher := m.botWithToken(teacherToken)
	pupil := m.botWithToken(pupilToken)
	listener := m.bot("seminar", "listener")
	eventually(t, 10*time.Second, "three participants", func() bool { return len(participantsByID(m.activeRoom("seminar"))) == 3 })

	n := 0
	say := func(b *testbot.Bot) string {
		n++
		text := fmt.Sprintf(`{"type":"chat","message":"message %d"}`, n)
		_ = b.Room.LocalParticipant.PublishData([]byte(text), lksdk.WithDataPublishTopic("chat"), lksdk.WithDataPublishReliable(true))
		return text
	}
	heard := func(text string) bool {
		for _, d := range listener.Received() {
			if d.Topic == "chat" && string(d.Payload) == text {
				return true
			}
		}
		return false
	}

	first := say(pupil)
	eventually(t, 10*time.Second, "the pupil's message before the lock", func() bool { return heard(first) })

	var res envelope
	m.post("/auth/room/updateLockSettings", map[string]any{"room_id": "seminar", "user_id": "pupil",
		"lock_settings": map[string]any{"lock_chat_send_message": true}}, &res)
	if !res.Status {
		t.Fatalf("updateLockSettings: %+v", res)
	}
	eventually(t, 10*time.Second, "the pupil's data permission gone", func() bool {
		p := participantsByID(m.activeRoom("seminar"))["pupil"]
		return !p.Permission.CanPublishData
	})
	blocked := say(pupil) // refused by the media server
	after := say(teacher) // an admin is never locked
	eventually(t, 10*time.Second, "the teacher's message after the lock", func() bool { return heard(after) })
	if heard(blocked) {
		t.Errorf("the locked pupil's message reached the room")
	}

	m.post("/auth/room/updateLockSettings", map[string]any{"room_id": "seminar", "user_id": "pupil",
		"lock_settings": map[string]any{"lock_chat_send_message": false}}, &res)
	if !res.Status {
		t.Fatalf("updateLockSettings: %+v", res)
	}
	eventually(t, 10*time.Second, "the pupil's data permission back", func() bool {
		return participantsByID(m.activeRoom("seminar"))["pupil"].Permission.CanPublishData
	})
	again := say(pupil)
	eventually(t, 10*time.Second, "the pupil's message after the lock is lifted", func() bool { return heard(again) })

	// The pupil raises a hand through the server; everybody sees the attribute, and it goes down.
	hand := func(token, body string) envelope {
		var res envelope
		m.raw("/api/hand", []byte(body), map[string]string{"Authorization": "Bearer " + token}, &res)
		return res
	}
	handOf := func(who string) string {
		for _, p := range listener.Room.GetRemoteParticipants() {
			if p.Identity() == who {
				return p.Attributes()["hand"]
			}
		}
		return "(not there)"
	}
	if res := hand(pupilToken, `{"raised":true}`); !res.Status {
		t.Fatalf("raise a hand: %+v", res)
	}
	eventually(t, 10*time.Second, "the pupil's hand up at the listener", func() bool { return handOf("pupil") == "1" })
	if res := hand(pupilToken, `{"raised":false}`); !res.Status {
		t.Fatalf("lower a hand: %+v", res)
	}
	eventually(t, 10*time.Second, "the pupil's hand down at the listener", func() bool { return handOf("pupil") == "" })
	// the page's own token (from /api/join, outliving the join token) works too, and cannot join
	page, _ := m.exchange(pupilToken)
	if page.PageToken == "" {
		t.Fatalf("no page token: %+v", page)
	}
	if res := hand(page.PageToken, `{"raised":true}`); !res.Status {
		t.Fatalf("raise a hand with the page token: %+v", res)
	}
	eventually(t, 10*time.Second, "the pupil's hand up again", func() bool { return handOf("pupil") == "1" })
	if j, _ := m.exchange(page.PageToken); j.Status || j.StatusCode != "INVALID_TOKEN_OR_SIGNATURE" {
		t.Errorf("joined with a page token: %+v", j.envelope)
	}
	if res := hand(pupilToken, `{}`); res.Status || res.StatusCode != "INVALID_PARAMETERS" {
		t.Errorf("a hand without raised: %+v", res)
	}
	if res := hand("not-a-token", `{"raised":true}`); res.Status || res.StatusCode != "INVALID_TOKEN_OR_SIGNATURE" {
		t.Errorf("a hand with a bad token: %+v", res)
	}

	// A room without raised hands refuses them.
	m.create("lecture", map[string]any{"metadata": map[string]any{"room_title": "Lecture",
		"room_features": map[string]any{"allow_raise_hand": false}}})
	if res := hand(m.joinToken("lecture", "pupil", "Pupil", false), `{"raised":true}`); res.Status || res.StatusCode != "PERMISSION_DENIED" {
		t.Errorf("a hand in a room without hands: %+v", res)
	}
}
