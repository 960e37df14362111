package httpapi_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/meettest"
)

// TestWaitingRoom: with the waiting room on, a guest's /api/join answers "waiting" (no media
// token), the admin sees them, admits one and rejects another with a reason; the admitted one's
// heartbeat gets the media token and they skip the waiting room on rejoin; the rejected one sees
// why. Room info lists waiting people apart (documented dialect). Bad inputs change nothing.
func TestWaitingRoom(t *testing.T) {
	rc := meettest.NewReceiver(t, meettest.Keys, meettest.ReceiverOptions{})
	s := newScript(t, meettest.Options{Webhooks: []string{rc.URL}})
	s.signed("room/create", `{"room_id":"w1","metadata":{"room_title":"Waiting","room_features":{"waiting_room_features":{"is_active":true,"waiting_room_msg":"The teacher lets you in soon"}}}}`)
	host := s.post("/api/join", bearerHeader(joinToken(s, "w1", "host", true)), nil)
	if host["livekit_token"] == nil {
		t.Fatalf("the admin waited: %v", host)
	}
	join(s, "w1", "host")
	hostPage := host["page_token"].(string)
	guest := s.post("/api/join", bearerHeader(joinToken(s, "w1", "guest", false)), nil)
	if guest["waiting"] != true || guest["livekit_token"] != nil {
		t.Fatalf("the guest did not wait: %v", guest)
	}
	guestPage := guest["page_token"].(string)
	other := s.post("/api/join", bearerHeader(joinToken(s, "w1", "other", false)), nil)["page_token"].(string)
	s.post("/api/waiting/status", bearerHeader(guestPage), nil)
	s.signed("room/getActiveRoomInfo", `{"room_id":"w1"}`)
	s.signed("waitingRoom/list", `{"room_id":"w1"}`)
	s.post("/api/waiting/list", bearerHeader(hostPage), `{}`)

	// bad input: nothing changes
	s.post("/api/waiting/admit", bearerHeader(guestPage), `{"all":true}`) // not a moderator
	s.signed("waitingRoom/admit", `{"room_id":"nope","all":true}`)
	s.signed("waitingRoom/admit", `{"room_id":"w1"}`)
	s.signed("waitingRoom/admit", `{"room_id":"w1","all":true,"user_ids":["guest"]}`)
	s.signed("waitingRoom/admit", `{"room_id":"w1","user_ids":["bad id!"]}`)
	s.signed("waitingRoom/admit", `{"room_id":"w1","user_ids":["guest","nobody"]}`)
	s.signed("waitingRoom/reject", `{"room_id":"w1","user_ids":["other"],"reason":"`+strings.Repeat("x", 501)+`"}`)
	s.signed("waitingRoom/update", `{"room_id":"w1"}`)
	s.signed("waitingRoom/list", `{"room_id":"w1"}`)

	s.post("/api/waiting/admit", bearerHeader(hostPage), `{"user_ids":["guest"]}`)
	s.signed("waitingRoom/reject", `{"room_id":"w1","user_ids":["other"],"reason":"This class is full"}`)
	s.post("/api/waiting/status", bearerHeader(guestPage), nil)
	s.post("/api/waiting/status", bearerHeader(other), nil)
	s.post("/api/join", bearerHeader(joinToken(s, "w1", "guest", false)), nil) // admitted once: no wait
	s.post("/api/join", bearerHeader(joinToken(s, "w1", "other", false)), nil) // rejected stands

	// switching off admits everyone waiting
	late := s.post("/api/join", bearerHeader(joinToken(s, "w1", "late", false)), nil)["page_token"].(string)
	s.post("/api/waiting/update", bearerHeader(hostPage), `{"is_active":false}`)
	s.post("/api/waiting/status", bearerHeader(late), nil)
	s.signed("waitingRoom/update", `{"room_id":"w1","is_active":true,"waiting_room_msg":"Back soon"}`)
	s.post("/api/join", bearerHeader(joinToken(s, "w1", "later", false)), nil)
	s.signed("room/endRoom", `{"room_id":"w1"}`)
	s.signed("waitingRoom/list", `{"room_id":"w1"}`)
	s.check()

	var sent []string
	for _, d := range s.srv.Media.Sent() {
		if d.Topic == "meetd.waiting" {
			sent = append(sent, strings.Join(d.Identities, ","))
		}
	}
	if len(sent) == 0 || slices.ContainsFunc(sent, func(to string) bool { return to != "host" }) {
		t.Errorf("waiting room news went to %v, want only the host", sent)
	}
	want := []string{meet.EventWaitingRoomJoined, meet.EventWaitingRoomJoined, meet.EventWaitingRoomAdmitted, meet.EventWaitingRoomRejected,
		meet.EventWaitingRoomJoined, meet.EventWaitingRoomUpdated, meet.EventWaitingRoomAdmitted, meet.EventWaitingRoomUpdated, meet.EventWaitingRoomJoined}
	var got []string
	meettest.Eventually(t, 5*time.Second, "waiting room events delivered", func() bool {
		got = got[:0]
		for _, d := range rc.Delivered() {
			if strings.HasPrefix(d.Event.Event, "waiting_room_") {
				got = append(got, d.Event.Event)
			}
		}
		return len(got) >= len(want)
	})
	if !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}
