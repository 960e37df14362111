package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"meetd/internal/meettest"
)

// S7: a guest's /api/join answer contains no webhook URL (nor extra_data), and neither do the
// event bodies that every webhook receiver gets; the API holder's getActiveRoomInfo still shows it.
func TestRoomWebhookURLHidden(t *testing.T) {
	global := meettest.NewReceiver(t, meettest.Keys, meettest.ReceiverOptions{})
	roomHook := meettest.NewReceiver(t, meettest.Keys, meettest.ReceiverOptions{})
	srv := meettest.Start(t, meettest.Options{Webhooks: []string{global.URL}})
	secretURL := roomHook.URL + "/room?apikey=ROOMHOOKSECRET"
	if code, b := srv.Signed(t, "room/create", map[string]any{"room_id": "r1", "metadata": map[string]any{
		"room_title": "Hooks", "webhook_url": secretURL, "extra_data": "backend-only",
	}}); code != 200 || !strings.Contains(string(b), `"status":true`) {
		t.Fatalf("create: %d %s", code, b)
	}
	_, b := srv.Signed(t, "room/getJoinToken", `{"room_id":"r1","user_info":{"name":"Guest","user_id":"guest","is_admin":false}}`)
	var tok struct{ Token string }
	if err := json.Unmarshal(b, &tok); err != nil || tok.Token == "" {
		t.Fatalf("join token: %s", b)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/join", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	res, body := srv.Do(t, req)
	if res.StatusCode != 200 || !strings.Contains(string(body), `"room_metadata"`) {
		t.Fatalf("/api/join: %d %s", res.StatusCode, body)
	}
	for _, secret := range []string{"ROOMHOOKSECRET", roomHook.URL, "backend-only", "webhook_url", "extra_data"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("the guest's /api/join answer has %q: %s", secret, body)
		}
	}
	got := global.WaitDelivered(1, 5*time.Second)
	if strings.Contains(string(got[0].Body), "ROOMHOOKSECRET") || got[0].Event.Room == nil || !strings.Contains(got[0].Event.Room.Metadata, `"room_title":"Hooks"`) {
		t.Errorf("the event body has the room's webhook URL, or no metadata: %s", got[0].Body)
	}
	_, info := srv.Signed(t, "room/getActiveRoomInfo", `{"room_id":"r1"}`)
	if !strings.Contains(string(info), "ROOMHOOKSECRET") {
		t.Errorf("getActiveRoomInfo lost the room's webhook_url: %s", info)
	}
}
