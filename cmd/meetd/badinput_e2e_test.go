package main

import (
	"database/sql"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"meetd/internal/auth"
	"meetd/internal/testbot"
)

// counts reads how many rows each table of meetd's database has.
func counts(t *testing.T, env map[string]string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+dataDirFile(env, "meetd.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, table := range []string{"sessions", "session_users", "presence", "events"} {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s=%d", table, n))
	}
	return strings.Join(out, " ")
}

// Every bad request answers exactly as doc/api.md says, and changes nothing.
func TestBadInput(t *testing.T) {
	env := testEnv(t, nil)
	m := startMeetd(t, env)
	m.create("real", nil)
	m.create("gone", nil)
	oldToken := m.joinToken("gone", "u1", "U1", false)
	m.post("/auth/room/endRoom", map[string]any{"room_id": "gone"}, nil)
	m.create("gone", nil) // a new session: the old token must not join it

	key, secret := env["MEETD_API_KEY"], env["MEETD_API_SECRET"]
	sign := func(body string) map[string]string {
		return map[string]string{"API-KEY": key, "HASH-SIGNATURE": auth.SignBody(secret, []byte(body))}
	}
	createBody := `{"room_id":"new1","metadata":{"room_title":"T"}}`
	big := `{"room_id":"real","pad":"` + strings.Repeat("x", 1<<20) + `"}`
	expired, _ := auth.Sign(secret, auth.JoinClaims{
		Times: auth.Times{ExpiresAt: time.Now().Add(-time.Minute).Unix()}, UserID: "u1", RoomID: "real", Name: "U1",
	})
	forged, _ := auth.Sign("another-secret-0123456789abcdef0123456789", auth.JoinClaims{
		Times: auth.NewTimes(key, time.Now(), time.Minute), UserID: "u1", RoomID: "real", Name: "U1",
	})

	cases := []struct {
		name       string
		path       string
		body       string
		headers    map[string]string // nil: signed body
		wantHTTP   int
		wantStatus bool
		wantCode   string
		wantMsg    string
	}{
		{"missing key", "room/create", createBody, map[string]string{"HASH-SIGNATURE": auth.SignBody(secret, []byte(createBody))}, 401, false, "MISSING_REQUIRED_PARAMETER", "API-KEY"},
		{"missing signature", "room/create", createBody, map[string]string{"API-KEY": key}, 401, false, "MISSING_REQUIRED_PARAMETER", "HASH-SIGNATURE"},
		{"wrong key", "room/create", createBody, map[string]string{"API-KEY": "nope", "HASH-SIGNATURE": auth.SignBody(secret, []byte(createBody))}, 401, false, "INVALID_API_KEY", "key"},
		{"wrong signature", "room/create", createBody, map[string]string{"API-KEY": key, "HASH-SIGNATURE": auth.SignBody("wrong-secret", []byte(createBody))}, 401, false, "INVALID_TOKEN_OR_SIGNATURE", "signature"},
		{"signature of another body", "room/create", createBody, sign(`{"room_id":"other"}`), 401, false, "INVALID_TOKEN_OR_SIGNATURE", "signature"},
		{"empty body", "room/create", "", nil, 200, false, "INVALID_PARAMETERS", "not valid JSON"},
		{"malformed JSON", "room/create", `{"room_id":"new1",`, nil, 200, false, "INVALID_PARAMETERS", "not valid JSON"},
		{"trailing data", "room/create", createBody + `{}`, nil, 200, false, "INVALID_PARAMETERS", "after the JSON"},
		{"array body", "room/create", `[1,2]`, nil, 200, false, "INVALID_PARAMETERS", "JSON object"},
		{"room_id a number", "room/create", `{"room_id":5,"metadata":{"room_title":"T"}}`, nil, 200, false, "INVALID_PARAMETERS", "room_id must be a string"},
		{"max_participants a string", "room/create", `{"room_id":"new1","max_participants":"ten","metadata":{"room_title":"T"}}`, nil, 200, false, "INVALID_PARAMETERS", "max_participants must be a number"},
		{"nested bool a string", "room/create", `{"room_id":"new1","metadata":{"room_title":"T","room_features":{"allow_webcams":"yes"}}}`, nil, 200, false, "INVALID_PARAMETERS", "metadata.room_features.allow_webcams must be a boolean"},
		{"missing room_id", "room/create", `{"metadata":{"room_title":"T"}}`, nil, 200, false, "INVALID_PARAMETERS", "room_id is required"},
		{"room_id with path", "room/create", `{"room_id":"../x","metadata":{"room_title":"T"}}`, nil, 200, false, "INVALID_PARAMETERS", "room_id must match"},
		{"room_id 65 chars", "room/create", `{"room_id":"` + strings.Repeat("a", 65) + `","metadata":{"room_title":"T"}}`, nil, 200, false, "INVALID_PARAMETERS", "room_id must match"},
		{"room_id unicode", "room/create", `{"room_id":"réunion","metadata":{"room_title":"T"}}`, nil, 200, false, "INVALID_PARAMETERS", "room_id must match"},
		{"missing metadata", "room/create", `{"room_id":"new1"}`, nil, 200, false, "INVALID_PARAMETERS", "metadata is required"},
		{"missing title", "room/create", `{"room_id":"new1","metadata":{}}`, nil, 200, false, "INVALID_PARAMETERS", "metadata.room_title is required"},
		{"bad webhook_url", "room/create", `{"room_id":"new1","metadata":{"room_title":"T","webhook_url":"ftp://x/y"}}`, nil, 200, false, "INVALID_PARAMETERS", "metadata.webhook_url"},
		{"negative max_participants", "room/create", `{"room_id":"new1","max_participants":-1,"metadata":{"room_title":"T"}}`, nil, 200, false, "INVALID_PARAMETERS", "max_participants"},
		{"body over 1 MiB", "room/isRoomActive", big, nil, 413, false, "INVALID_PARAMETERS", "1 MiB"},
		{"unknown room info", "room/getActiveRoomInfo", `{"room_id":"nosuch"}`, nil, 200, false, "ROOM_NOT_FOUND", "room not found"},
		{"unknown room end", "room/endRoom", `{"room_id":"nosuch"}`, nil, 200, false, "ROOM_NOT_FOUND", "room not found"},
		{"unknown room token", "room/getJoinToken", `{"room_id":"nosuch","user_info":{"user_id":"u","name":"U"}}`, nil, 200, false, "ROOM_NOT_FOUND", "room not found"},
		{"unknown room active", "room/isRoomActive", `{"room_id":"nosuch"}`, nil, 200, true, "ROOM_NOT_FOUND", "room not found"},
		{"token without user_info", "room/getJoinToken", `{"room_id":"real"}`, nil, 200, false, "INVALID_PARAMETERS", "user_info is required"},
		{"token without name", "room/getJoinToken", `{"room_id":"real","user_info":{"user_id":"u"}}`, nil, 200, false, "INVALID_PARAMETERS", "user_info.name is required"},
		{"token without user_id", "room/getJoinToken", `{"room_id":"real","user_info":{"name":"U"}}`, nil, 200, false, "INVALID_PARAMETERS", "user_info.user_id is required"},
		{"token bad user_id", "room/getJoinToken", `{"room_id":"real","user_info":{"user_id":"a b","name":"U"}}`, nil, 200, false, "INVALID_PARAMETERS", "user_info.user_id must match"},
		// an unknown order_by is DESC, as in plugNmeet (the fast layer's TestFetchPastRooms)
		{"limit not a number", "room/fetchPastRooms", `{"limit":"many"}`, nil, 200, false, "INVALID_PARAMETERS", "limit must be a number"},
		{"bad room_ids", "room/fetchPastRooms", `{"room_ids":["../etc"]}`, nil, 200, false, "INVALID_PARAMETERS", "room_ids"},
		{"unknown route", "room/nope", `{}`, nil, 404, false, "NOT_FOUND", "no such API route"},
	}
	before := counts(t, env)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := c.headers
			if h == nil {
				h = sign(c.body)
			}
			var res envelope
			code := m.raw("/auth/"+c.path, []byte(c.body), h, &res)
			if code != c.wantHTTP || res.Status != c.wantStatus || res.StatusCode != c.wantCode || !strings.Contains(res.Msg, c.wantMsg) {
				t.Errorf("got HTTP %d %+v, want HTTP %d status %v %s with %q", code, res, c.wantHTTP, c.wantStatus, c.wantCode, c.wantMsg)
			}
		})
	}

	joins := []struct {
		name, auth string
		wantHTTP   int
		wantCode   string
	}{
		{"no token", "", 401, "MISSING_REQUIRED_PARAMETER"},
		{"garbage", "Bearer not.a.token", 401, "INVALID_TOKEN_OR_SIGNATURE"},
		{"expired", "Bearer " + expired, 401, "INVALID_TOKEN_OR_SIGNATURE"},
		{"forged", "Bearer " + forged, 401, "INVALID_TOKEN_OR_SIGNATURE"},
		{"token of an ended session", "Bearer " + oldToken, 200, "ROOM_NOT_ACTIVE"},
	}
	for _, c := range joins {
		t.Run("join "+c.name, func(t *testing.T) {
			var res joinAnswer
			code := m.raw("/api/join", []byte("{}"), map[string]string{"Authorization": c.auth}, &res)
			if code != c.wantHTTP || res.Status || res.StatusCode != c.wantCode || res.LiveKitToken != "" {
				t.Errorf("got HTTP %d %+v, want HTTP %d %s", code, res.envelope, c.wantHTTP, c.wantCode)
			}
		})
	}
	if after := counts(t, env); after != before {
		t.Errorf("bad requests changed the store: %s, then %s", before, after)
	}
	if active, _ := m.isActive("new1"); active {
		t.Error("a bad create made a room")
	}
}

// A full room refuses the join at entry.
func TestJoinLimits(t *testing.T) {
	m := startMeetd(t, testEnv(t, nil))
	m.create("small", map[string]any{"max_participants": 1})
	m.bot("small", "first")
	eventually(t, 10*time.Second, "first in", func() bool { return len(participantsByID(m.activeRoom("small"))) == 1 })
	j, code := m.exchange(m.joinToken("small", "second", "Second", false))
	if code != http.StatusOK || j.Status || j.StatusCode != "PERMISSION_DENIED" || !strings.Contains(j.Msg, "full") {
		t.Errorf("join of a full room: HTTP %d %+v", code, j.envelope)
	}
	// the one inside may come back (a reconnect is not a new participant)
	if j, _ := m.exchange(m.joinToken("small", "first", "First", false)); !j.Status {
		t.Errorf("rejoin of the participant inside: %+v", j.envelope)
	}

	// Three users get their media tokens before anyone connected, then connect at once: the
	// media server enforces the limit too, so one stays.
	m.create("race", map[string]any{"max_participants": 1})
	var joins []joinAnswer
	for _, u := range []string{"d1", "d2", "d3"} {
		j, _ := m.exchange(m.joinToken("race", u, "Name "+u, false))
		if !j.Status {
			t.Fatalf("exchange for %s: %+v", u, j.envelope)
		}
		joins = append(joins, j)
	}
	var wg sync.WaitGroup
	for _, j := range joins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if b, err := testbot.Join(j.LiveKitURL, j.LiveKitToken); err == nil {
				t.Cleanup(b.Leave)
			}
		}()
	}
	wg.Wait() // each bot is in, or was refused
	if in := participantsByID(m.activeRoom("race")); len(in) != 1 {
		t.Errorf("participants connected to a room of max_participants 1: %v", slices.Collect(maps.Keys(in)))
	}
}
