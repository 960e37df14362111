package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"meetd/internal/auth"
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

// An event stream ends when its token expires (the client reconnects with a fresh one and
// Last-Event-ID).
func TestEventStreamEndsAtExpiry(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	token, err := meettest.Keys.PurposeToken(auth.PurposeEvents, time.Now(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 20 * time.Second} // the bound of a stream that never ends
	res, err := client.Get(srv.URL + "/auth/events?token=" + token)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 || !strings.Contains(string(body), ": token expired") {
		t.Fatalf("%d %v\n%s", res.StatusCode, err, body)
	}
}

// Event streams are capped per token (and in all): the next one is refused with
// TOO_MANY_STREAMS (HTTP 429) until one closes.
func TestEventStreamsCapped(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{StreamsPerToken: 2, StreamsMax: 3})
	tokens := make([]string, 2)
	for i := range tokens {
		tokens[i], _ = meettest.Keys.PurposeToken(auth.PurposeEvents, time.Now().Add(time.Duration(i)*time.Second), time.Minute)
	}
	open := func(token string) (*http.Response, func()) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/auth/events?token="+token, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode == 200 {
			_, _ = res.Body.Read(make([]byte, 64)) // the stream's opening
		}
		return res, func() { cancel(); res.Body.Close() }
	}
	refused := func(res *http.Response, why string) {
		t.Helper()
		if res.StatusCode != 429 {
			t.Errorf("%s: %d, want 429", why, res.StatusCode)
			return
		}
		if b, _ := io.ReadAll(res.Body); !strings.Contains(string(b), "TOO_MANY_STREAMS") {
			t.Errorf("%s: %s", why, b)
		}
	}
	var closers []func()
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for range 2 {
		res, c := open(tokens[0])
		closers = append(closers, c)
		if res.StatusCode != 200 {
			t.Fatalf("stream: %d", res.StatusCode)
		}
	}
	res, c := open(tokens[0])
	refused(res, "a third stream of one token")
	c()
	res, c = open(tokens[1])
	closers = append(closers, c)
	if res.StatusCode != 200 {
		t.Fatalf("another token's stream: %d", res.StatusCode)
	}
	res, c = open(tokens[1])
	refused(res, "a fourth stream in all")
	c()
	closers[0]() // one closes: a stream of that token is accepted again
	meettest.Eventually(t, 5*time.Second, "a slot freed", func() bool {
		res, c := open(tokens[0])
		c()
		return res.StatusCode == 200
	})
}

// A stream is woken by the store when events are written: with a poll of an hour, the event of a
// room/create still arrives.
func TestEventStreamWokenByStore(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{EventsPoll: time.Hour})
	token, _ := meettest.Keys.PurposeToken(auth.PurposeEvents, time.Now(), time.Minute)
	client := &http.Client{Timeout: 20 * time.Second} // the bound of a stream that is never woken
	res, err := client.Get(srv.URL + "/auth/events?token=" + token)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	opening := make([]byte, 256)
	if _, err := res.Body.Read(opening); err != nil { // the stream's opening: it reads from here on
		t.Fatal(err)
	}
	if code, body := srv.Signed(t, "room/create", map[string]any{"room_id": "woken", "metadata": map[string]any{"room_title": "W"}}); code != 200 {
		t.Fatalf("room/create: %d %s", code, body)
	}
	var got strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(got.String(), "event: room_created") {
		n, err := res.Body.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			t.Fatalf("%v after:\n%s", err, got.String())
		}
	}
}

// The dashboard's stream counts against its session (the cookie), and is accepted with it.
func TestDashboardEventStreamCapped(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{StreamsPerToken: 1})
	login, err := http.Post(srv.URL+"/dashboard/login", "application/json",
		strings.NewReader(`{"api_key":"`+meettest.Keys.APIKey+`","api_secret":"`+meettest.Keys.APISecret+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	login.Body.Close()
	var cookie string
	for _, c := range login.Cookies() {
		if c.Name == "meetd_dashboard" {
			cookie = c.Value
		}
	}
	if cookie == "" {
		t.Fatalf("sign-in: %d, no cookie", login.StatusCode)
	}
	open := func() *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/dashboard/api/events", nil)
		req.AddCookie(&http.Cookie{Name: "meetd_dashboard", Value: cookie})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	if res := open(); res.StatusCode != 200 {
		t.Fatalf("dashboard stream: %d", res.StatusCode)
	}
	if res := open(); res.StatusCode != 429 {
		t.Errorf("a second stream of the session: %d, want 429", res.StatusCode)
	}
}
