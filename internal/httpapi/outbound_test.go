package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"meetd/internal/meettest"
	"meetd/internal/outbox"
)

// By default (webhooks.allow_private off) room/create refuses a webhook_url whose host is a
// literal private address, and a host name that resolves to one fails at delivery with a coarse
// error (doc/security.md).
func TestWebhookPrivateTargetRefused(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{RefusePrivateWebhooks: true})
	rc := meettest.NewReceiver(t, meettest.Keys, meettest.ReceiverOptions{})
	var a struct {
		Status     bool   `json:"status"`
		StatusCode string `json:"status_code"`
		Msg        string `json:"msg"`
	}
	for _, u := range []string{rc.URL + "/hook", "http://localhost:9/x", "http://[::1]:9/x", "http://169.254.169.254/latest/meta-data"} {
		_, body := srv.Signed(t, "room/create", map[string]any{"room_id": "w1", "metadata": map[string]any{"room_title": "W", "webhook_url": u}})
		if err := json.Unmarshal(body, &a); err != nil || a.Status || a.StatusCode != "INVALID_PARAMETERS" || !strings.Contains(a.Msg, "metadata.webhook_url") {
			t.Errorf("%s: %s", u, body)
		}
	}

	// The global URLs are checked when sent (as a room's host name is): refused at dial time.
	srv2 := meettest.Start(t, meettest.Options{RefusePrivateWebhooks: true, Webhooks: []string{rc.URL + "/global"}})
	_, body := srv2.Signed(t, "room/create", map[string]any{"room_id": "w2", "metadata": map[string]any{"room_title": "W"}})
	if err := json.Unmarshal(body, &a); err != nil || !a.Status {
		t.Fatalf("room/create: %s", body)
	}
	var list struct {
		Result struct {
			Deliveries []struct {
				Status    string `json:"status"`
				LastError string `json:"last_error"`
			} `json:"deliveries_list"`
		} `json:"result"`
	}
	meettest.Eventually(t, 5*time.Second, "the delivery failed", func() bool {
		_, body := srv2.Signed(t, "webhook/deliveries", map[string]any{"room_id": "w2"})
		_ = json.Unmarshal(body, &list)
		return len(list.Result.Deliveries) > 0 && list.Result.Deliveries[0].Status == "failed"
	})
	if got := list.Result.Deliveries[0].LastError; got != outbox.ErrRefusedTarget.Error() || strings.Contains(got, "127.0.0.1") {
		t.Errorf("last_error %q", got)
	}
	if n := len(rc.Requests()); n != 0 {
		t.Errorf("the receiver got %d requests", n)
	}
}
