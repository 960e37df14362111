package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"testing"
)

// The dashboard signs in with the API key and secret and then calls the same API with its cookie.
func TestDashboardSession(t *testing.T) {
	env := testEnv(t, map[string]string{"MEETD_DASHBOARD_PASSWORD": "correct horse battery"})
	m := startMeetd(t, env)
	m.create("watched", nil)

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	post := func(path string, body any, header bool) (int, envelope, *http.Response) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", m.base+path, bytes.NewReader(b))
		if header {
			req.Header.Set("X-Meetd-Dashboard", "1")
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var env envelope
		_ = json.NewDecoder(res.Body).Decode(&env)
		return res.StatusCode, env, res
	}

	if code, _, _ := post("/dashboard/api/room/getActiveRoomsInfo", map[string]any{}, true); code != 401 {
		t.Errorf("API without signing in: HTTP %d", code)
	}
	for _, wrong := range []map[string]any{
		{"api_key": env["MEETD_API_KEY"], "api_secret": "nope"},
		{"api_key": "nope", "api_secret": env["MEETD_API_SECRET"]},
		{"password": "wrong"},
		{},
	} {
		if code, res, _ := post("/dashboard/login", wrong, false); code != 401 || res.Status {
			t.Errorf("sign-in with %v: HTTP %d %+v", wrong, code, res)
		}
	}
	if code, _, _ := post("/dashboard/api/room/getActiveRoomsInfo", map[string]any{}, true); code != 401 {
		t.Errorf("API after failed sign-ins: HTTP %d", code)
	}

	code, res, raw := post("/dashboard/login", map[string]any{"password": "correct horse battery"}, false)
	if code != 200 || !res.Status {
		t.Fatalf("sign-in: HTTP %d %+v", code, res)
	}
	ck := raw.Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode || ck[0].Path != "/dashboard" {
		t.Errorf("session cookie %+v", ck)
	}
	if code, _, _ := post("/dashboard/api/room/getActiveRoomsInfo", map[string]any{}, false); code != 401 {
		t.Errorf("API without the dashboard header: HTTP %d", code)
	}
	var rooms struct {
		envelope
		Rooms []struct {
			RoomInfo roomInfo `json:"room_info"`
		} `json:"rooms"`
	}
	b, _ := json.Marshal(map[string]any{})
	req, _ := http.NewRequest("POST", m.base+"/dashboard/api/room/getActiveRoomsInfo", bytes.NewReader(b))
	req.Header.Set("X-Meetd-Dashboard", "1")
	r, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(r.Body).Decode(&rooms)
	r.Body.Close()
	if !rooms.Status || len(rooms.Rooms) != 1 || rooms.Rooms[0].RoomInfo.RoomID != "watched" {
		t.Errorf("rooms through the dashboard: %+v", rooms)
	}
	if code, res, _ := post("/dashboard/api/room/endRoom", map[string]any{"room_id": "watched"}, true); code != 200 || !res.Status {
		t.Errorf("endRoom through the dashboard: %d %+v", code, res)
	}
	if active, _ := m.isActive("watched"); active {
		t.Error("room still active after the dashboard ended it")
	}
	if code, _, _ := post("/dashboard/logout", map[string]any{}, false); code != 200 {
		t.Errorf("sign-out: HTTP %d", code)
	}
	if code, _, _ := post("/dashboard/api/room/getActiveRoomsInfo", map[string]any{}, true); code != 401 {
		t.Errorf("API after sign-out: HTTP %d", code)
	}
}
