package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"meetd/internal/meettest"
)

func bearerHeader(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/json"}}
}

func TestJoinExchange(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.do("POST", "/api/join", nil, nil)
	s.do("POST", "/api/join", bearerHeader("not-a-token"), nil)
	s.signed("room/create", `{"room_id":"r1","max_participants":1,"metadata":{"room_title":"Small"}}`)
	ann := joinToken(s, "r1", "ann", true)
	bob := joinToken(s, "r1", "bob", false)
	s.post("/api/join", bearerHeader(ann), nil)
	join(s, "r1", "ann")
	s.post("/api/join", bearerHeader(bob), nil) // the room is full
	s.post("/api/join", bearerHeader(ann), nil) // ann may reconnect
	s.signed("room/endRoom", `{"room_id":"r1"}`)
	s.post("/api/join", bearerHeader(ann), nil)
	s.signed("room/create", `{"room_id":"r1","metadata":{"room_title":"Again"}}`)
	s.post("/api/join", bearerHeader(ann), nil) // a token of the ended session
	s.check()
}

func TestHand(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.do("POST", "/api/hand", nil, `{"raised":true}`)
	create(s, "r1")
	page := s.post("/api/join", bearerHeader(joinToken(s, "r1", "ann", false)), nil)["page_token"].(string)
	s.post("/api/hand", bearerHeader(page), `{}`)
	s.post("/api/hand", bearerHeader(page), `{"raised":true}`)
	s.post("/api/hand", bearerHeader(page), `{"raised":false}`)
	s.signed("room/create", `{"room_id":"nohands","metadata":{"room_title":"No hands","room_features":{"allow_raise_hand":false}}}`)
	other := joinToken(s, "nohands", "bob", false)
	s.post("/api/hand", bearerHeader(other), `{"raised":true}`)
	s.check()
	if got := s.srv.Media.Attributes(); !slices.Equal(got, []string{"r1/ann hand=1", "r1/ann hand="}) {
		t.Errorf("attributes %v", got)
	}
}

func TestModerate(t *testing.T) {
	s := newScript(t, meettest.Options{})
	pathWithFFmpeg(t, false)
	s.do("POST", "/api/moderate", nil, `{"action":"end"}`)
	create(s, "r1")
	admin := s.post("/api/join", bearerHeader(joinToken(s, "r1", "ann", true)), nil)["page_token"].(string)
	user := s.post("/api/join", bearerHeader(joinToken(s, "r1", "bob", false)), nil)["page_token"].(string)
	join(s, "r1", "bob")
	s.post("/api/moderate", bearerHeader(user), `{"action":"end"}`)
	s.post("/api/moderate", bearerHeader(admin), `{"action":"dance"}`)
	s.post("/api/moderate", bearerHeader(admin), `{"action":"mute","user_id":"bob"}`)
	s.post("/api/moderate", bearerHeader(admin), `{"action":"remove","user_id":"nobody"}`)
	s.post("/api/moderate", bearerHeader(admin), `{"action":"record_start"}`)
	s.post("/api/moderate", bearerHeader(admin), `{"action":"rtmp_stop"}`)
	s.post("/api/moderate", bearerHeader(admin), `{"action":"remove","user_id":"bob","block":true}`)
	s.post("/api/moderate", bearerHeader(admin), `{"action":"end"}`)
	s.post("/api/moderate", bearerHeader(admin), `{"action":"end"}`)
	s.check()
}

func TestDashboard(t *testing.T) {
	s := newScript(t, meettest.Options{DashboardPassword: "open sesame"})
	s.do("GET", "/dashboard/api/session", nil, nil)
	s.do("POST", "/dashboard/login", nil, `{"api_key":"meettest-key","api_secret":"wrong"}`)
	s.do("POST", "/dashboard/login", nil, `{"password":"wrong"}`)
	s.do("POST", "/dashboard/login", nil, `{`)
	res, _ := s.do("POST", "/dashboard/login", nil, `{"password":"open sesame"}`)
	var cookie string
	for _, c := range res.Cookies() {
		if c.Name == "meetd_dashboard" && c.HttpOnly && c.SameSite == http.SameSiteStrictMode && c.Path == "/dashboard" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if cookie == "" {
		t.Fatalf("no session cookie: %v", res.Header["Set-Cookie"])
	}
	s.do("GET", "/dashboard/api/session", http.Header{"Cookie": {cookie}}, nil)
	s.do("POST", "/dashboard/api/room/isRoomActive", http.Header{"Cookie": {cookie}}, `{"room_id":"r1"}`)
	s.do("POST", "/dashboard/api/room/isRoomActive", http.Header{"X-Meetd-Dashboard": {"1"}}, `{"room_id":"r1"}`)
	s.do("POST", "/dashboard/api/room/create", http.Header{"Cookie": {cookie}, "X-Meetd-Dashboard": {"1"}}, `{"room_id":"r1","metadata":{"room_title":"From the dashboard"}}`)
	s.do("POST", "/dashboard/api/room/isRoomActive", http.Header{"Cookie": {"meetd_dashboard=forged"}, "X-Meetd-Dashboard": {"1"}}, `{"room_id":"r1"}`)
	s.do("POST", "/dashboard/logout", nil, nil)
	s.check()
}

// The answers of a server that drains: new rooms and joins are refused with 503, the rest goes on.
func TestDraining(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.do("GET", "/healthz", nil, nil)
	create(s, "r1")
	token := joinToken(s, "r1", "ann", false)
	s.srv.Drain()
	s.do("GET", "/healthz", nil, nil)
	s.signed("room/create", `{"room_id":"r2","metadata":{"room_title":"Too late"}}`)
	s.signed("room/getJoinToken", `{"room_id":"r1","user_info":{"name":"Bob","user_id":"bob"}}`)
	s.do("POST", "/api/join", bearerHeader(token), nil)
	s.signed("room/isRoomActive", `{"room_id":"r1"}`)
	s.signed("room/endRoom", `{"room_id":"r1"}`)
	s.check()
}

func TestPagesAndMetrics(t *testing.T) {
	s := newScript(t, meettest.Options{MetricsPassword: "m"})
	s.do("GET", "/", nil, nil)
	s.do("GET", "/?access_token=anything", nil, nil)
	s.do("GET", "/metrics", nil, nil)
	req, _ := http.NewRequest("GET", s.srv.URL+"/metrics", nil)
	req.SetBasicAuth("metrics", "m")
	res, body := s.srv.Do(t, req)
	if res.StatusCode != 200 || !strings.Contains(string(body), "meetd_rooms_active 0") {
		t.Errorf("/metrics with the password: %d\n%s", res.StatusCode, body)
	}
	s.check()
}

// The event stream: a token from /auth/events/token, then the events as Server-Sent Events.
func TestEventStream(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.do("GET", "/auth/events", nil, nil)
	s.do("GET", "/auth/events?token=forged", nil, nil)
	s.do("GET", "/dashboard/api/events", nil, nil)
	token := s.signed("events/token", `{}`)["token"].(string)
	s.do("GET", "/auth/events?token="+token+"&last_event_id=minus", nil, nil)
	create(s, "r1")
	joinToken(s, "r1", "ann", false)
	join(s, "r1", "ann")
	s.signed("room/endRoom", `{"room_id":"r1"}`)
	// room_created, room_started, participant_joined, participant_left, room_finished, session_ended, …
	res, body := stream(t, s.srv.URL+"/auth/events?token="+token+"&last_event_id=0", 5)
	s.record("GET /auth/events?token=<jwt>&last_event_id=0 (the first 5 events)", res.StatusCode, res.Header, body)
	res, body = stream(t, s.srv.URL+"/auth/events?token="+token, 0)
	s.record("GET /auth/events?token=<jwt> (only new events)", res.StatusCode, res.Header, body)
	s.check()
}

// stream reads an event stream until it has n events (and its opening), then hangs up.
func stream(t *testing.T, url string, n int) (*http.Response, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got []byte
	buf := make([]byte, 4096)
	for strings.Count(string(got), "\nevent: ") < n || !strings.Contains(string(got), "resuming after") || !strings.HasSuffix(string(got), "\n\n") {
		k, err := res.Body.Read(buf)
		got = append(got, buf[:k]...)
		if err == io.EOF || ctx.Err() != nil {
			t.Fatalf("the stream ended after %q: %v", got, err)
		}
	}
	return res, got
}

// TestJoinPreferredLang: the language of user_metadata.preferred_lang reaches the meeting page in
// /api/join's answer, also while the user waits (doc/web.md, "Languages"); none asked, none sent.
func TestJoinPreferredLang(t *testing.T) {
	s := newScript(t, meettest.Options{})
	create(s, "r1")
	token := func(userID, lang string) string {
		md := map[string]any{}
		if lang != "" {
			md["preferred_lang"] = lang
		}
		a := s.signed("room/getJoinToken", map[string]any{"room_id": "r1",
			"user_info": map[string]any{"name": userID, "user_id": userID, "user_metadata": md}})
		return a["token"].(string)
	}
	if got := s.post("/api/join", bearerHeader(token("ann", "fr")), nil)["preferred_lang"]; got != "fr" {
		t.Errorf("/api/join preferred_lang %v, want fr", got)
	}
	if a := s.post("/api/join", bearerHeader(token("bob", "")), nil); a["preferred_lang"] != nil || a["status"] != true {
		t.Errorf("/api/join without a language: %v", a)
	}
	s.signed("room/create", map[string]any{"room_id": "w1", "metadata": map[string]any{"room_title": "W",
		"room_features": map[string]any{"waiting_room_features": map[string]any{"is_active": true}}}})
	a := s.signed("room/getJoinToken", map[string]any{"room_id": "w1",
		"user_info": map[string]any{"name": "Cy", "user_id": "cy", "user_metadata": map[string]any{"preferred_lang": "ar"}}})
	if w := s.post("/api/join", bearerHeader(a["token"].(string)), nil); w["waiting"] != true || w["preferred_lang"] != "ar" {
		t.Errorf("/api/join while waiting: %v, want waiting with preferred_lang ar", w)
	}
}
