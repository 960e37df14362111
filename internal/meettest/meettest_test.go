package meettest_test

import (
	"strings"
	"testing"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
	"meetd/internal/meettest"
)

// The server answers a signed call, and a participant who joins through FakeMedia is listed and
// announced to the webhook receiver, whose signature check passes.
func TestStart(t *testing.T) {
	rc := meettest.NewReceiver(t, meettest.Keys, meettest.ReceiverOptions{})
	srv := meettest.Start(t, meettest.Options{Webhooks: []string{rc.URL}})
	status, body := srv.Signed(t, "room/create", map[string]any{"room_id": "r1", "metadata": map[string]any{"room_title": "T"}})
	if status != 200 || !strings.Contains(string(body), `"status":true`) {
		t.Fatalf("room/create: %d %s", status, body)
	}
	srv.Media.Join(t, "r1", meet.ParticipantInfo{Identity: "ann", Name: "Ann"})
	_, body = srv.Signed(t, "/auth/room/getActiveRoomInfo", `{"room_id":"r1"}`)
	if !strings.Contains(string(body), `"identity":"ann"`) {
		t.Errorf("getActiveRoomInfo: %s", body)
	}
	got := rc.WaitDelivered(3, 5*time.Second) // room_created, room_started, participant_joined
	for _, d := range got {
		if d.Verify != nil {
			t.Errorf("%s: %v", d.Event.Event, d.Verify)
		}
	}
	if got[2].Event.Event != meet.EventParticipantJoined {
		t.Errorf("third event %s", got[2].Event.Event)
	}
}

// VerifyWebhook accepts what auth signs and refuses a changed body, another secret, an expired token.
func TestVerifyWebhook(t *testing.T) {
	keys := auth.Keys{APIKey: "k", APISecret: "s-0123456789"}
	now := time.Now()
	body := []byte(`{"event":"room_started"}`)
	token, err := keys.WebhookToken(body, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := meettest.VerifyWebhook(keys, token, body, now); err != nil {
		t.Errorf("a right signature: %v", err)
	}
	for what, err := range map[string]error{
		"changed body":   meettest.VerifyWebhook(keys, token, []byte(`{"event":"room_finished"}`), now),
		"another secret": meettest.VerifyWebhook(auth.Keys{APIKey: "k", APISecret: "other"}, token, body, now),
		"another key":    meettest.VerifyWebhook(auth.Keys{APIKey: "k2", APISecret: keys.APISecret}, token, body, now),
		"expired":        meettest.VerifyWebhook(keys, token, body, now.Add(6*time.Minute)),
		"not a JWT":      meettest.VerifyWebhook(keys, "x", body, now),
	} {
		if err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
}
