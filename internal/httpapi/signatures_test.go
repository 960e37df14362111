package httpapi_test

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meettest"
)

// The signed API's two schemes, api.require_v2 and scoped keys (doc/api.md, "Signatures").

// replay sends req again with the same headers and body, to path (its own if "").
func replay(t *testing.T, srv *meettest.Server, req *http.Request, path string) (int, map[string]any) {
	t.Helper()
	body, err := req.GetBody()
	if err != nil {
		t.Fatal(err)
	}
	if path == "" {
		path = req.URL.Path
	}
	again, err := http.NewRequest(req.Method, srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	again.Header = req.Header.Clone()
	res, b := srv.Do(t, again)
	return res.StatusCode, answer(t, b)
}

// v1Request is a plugNmeet-signed request (API-KEY, HASH-SIGNATURE) as an eavesdropper captures it.
func v1Request(t *testing.T, srv *meettest.Server, path, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+path, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("API-KEY", srv.Keys.APIKey)
	req.Header.Set("HASH-SIGNATURE", auth.SignBody(srv.Keys.APISecret, []byte(body)))
	return req
}

func wantRefused(t *testing.T, what string, status int, a map[string]any, code string) {
	t.Helper()
	if status != http.StatusUnauthorized && code != "PERMISSION_DENIED" || a["status"] != false || a["status_code"] != code {
		t.Errorf("%s: HTTP %d %v, want %s", what, status, a, code)
	} else {
		t.Logf("%s: HTTP %d %s: %v", what, status, a["status_code"], a["msg"])
	}
}

func wantSuccess(t *testing.T, what string, status int, a map[string]any) {
	t.Helper()
	if status != http.StatusOK || a["status"] != true {
		t.Errorf("%s: HTTP %d %v, want success", what, status, a)
	}
}

// S1: a v1 signature captured on a read call is valid on every route taking the same body. With
// api.require_v2 "writes" it still reads, but no longer ends the room; with "all" it does nothing.
func TestRequireV2RefusesCapturedV1(t *testing.T) {
	for _, mode := range []auth.RequireV2{auth.V1Allowed, auth.V1RefusedOnWrites, auth.V1Refused} {
		t.Run(strconv.Itoa(int(mode)), func(t *testing.T) {
			srv := meettest.Start(t, meettest.Options{RequireV2: mode})
			_, status, b := srv.SignedV2(t, srv.Keys.APIKey, srv.Keys.APISecret, "room/create", `{"room_id":"r1","metadata":{"room_title":"R"}}`, time.Now())
			wantSuccess(t, "create (v2)", status, answer(t, b))

			captured := v1Request(t, srv, "/auth/room/getActiveRoomInfo", `{"room_id":"r1"}`)
			status, a := replay(t, srv, captured, "")
			if mode == auth.V1Refused {
				wantRefused(t, "v1 on a read route", status, a, "INVALID_TOKEN_OR_SIGNATURE")
			} else {
				wantSuccess(t, "v1 on a read route", status, a)
			}
			status, a = replay(t, srv, captured, "/auth/room/endRoom")
			if mode == auth.V1Allowed { // plugNmeet's scheme, the default: the captured read ends the room
				wantSuccess(t, "captured v1 replayed on endRoom", status, a)
				return
			}
			wantRefused(t, "captured v1 replayed on endRoom", status, a, "INVALID_TOKEN_OR_SIGNATURE")
			_, status, b = srv.SignedV2(t, srv.Keys.APIKey, srv.Keys.APISecret, "room/isRoomActive", `{"room_id":"r1"}`, time.Now())
			if a := answer(t, b); a["is_active"] != true {
				t.Errorf("the room was ended by the refused call: HTTP %d %v", status, a)
			}
		})
	}
}

// A v2 request is good once, within 5 minutes of the server's clock, on its own route only.
func TestSignatureV2(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{RequireV2: auth.V1Refused})
	key, secret := srv.Keys.APIKey, srv.Keys.APISecret
	now := time.Now()
	_, status, b := srv.SignedV2(t, key, secret, "room/create", `{"room_id":"r1","metadata":{"room_title":"R"}}`, now)
	wantSuccess(t, "create", status, answer(t, b))

	req, status, b := srv.SignedV2(t, key, secret, "room/getActiveRoomInfo", `{"room_id":"r1"}`, now.Add(-4*time.Minute))
	wantSuccess(t, "4 minutes old", status, answer(t, b))
	status, a := replay(t, srv, req, "")
	wantRefused(t, "replayed", status, a, "INVALID_TOKEN_OR_SIGNATURE")
	// a fresh nonce does not help on another route: the path is signed
	req.Header.Set(auth.HeaderNonce, "another-nonce-0123456789")
	status, a = replay(t, srv, req, "/auth/room/endRoom")
	wantRefused(t, "on another route", status, a, "INVALID_TOKEN_OR_SIGNATURE")

	for _, age := range []time.Duration{6 * time.Minute, -6 * time.Minute, 24 * time.Hour} {
		_, status, b = srv.SignedV2(t, key, secret, "room/getActiveRoomInfo", `{"room_id":"r1"}`, now.Add(-age))
		wantRefused(t, "timestamp off by "+age.String(), status, answer(t, b), "INVALID_TOKEN_OR_SIGNATURE")
	}
	_, status, b = srv.SignedV2(t, key, "another secret of 32 characters or more", "room/getActiveRoomInfo", `{"room_id":"r1"}`, now)
	wantRefused(t, "wrong secret", status, answer(t, b), "INVALID_TOKEN_OR_SIGNATURE")

	// the headers are checked: a short nonce, a timestamp that is not Unix seconds, none at all
	sign := func(ts, nonce string) *http.Request {
		body := []byte(`{"room_id":"r1"}`)
		req, _ := http.NewRequest("POST", srv.URL+"/auth/room/isRoomActive", bytes.NewReader(body))
		req.Header.Set("API-KEY", key)
		req.Header.Set(auth.HeaderTimestamp, ts)
		req.Header.Set(auth.HeaderNonce, nonce)
		req.Header.Set(auth.HeaderSignature, auth.SignV2(secret, "POST", "/auth/room/isRoomActive", ts, nonce, body))
		return req
	}
	unix := strconv.FormatInt(now.Unix(), 10)
	for name, c := range map[string]struct {
		req  *http.Request
		code string
	}{
		"short nonce":       {sign(unix, "short"), "INVALID_TOKEN_OR_SIGNATURE"},
		"nonce with space":  {sign(unix, "a nonce 0123456789abcdef"), "INVALID_TOKEN_OR_SIGNATURE"},
		"timestamp in ms":   {sign(strconv.FormatInt(now.UnixMilli(), 10), "nonce-0123456789abcdef"), "INVALID_TOKEN_OR_SIGNATURE"},
		"timestamp as date": {sign(now.Format(time.RFC3339), "nonce-0123456789abcdef"), "INVALID_TOKEN_OR_SIGNATURE"},
		"no nonce":          {sign(unix, ""), "MISSING_REQUIRED_PARAMETER"},
		"no timestamp":      {sign("", "nonce-0123456789abcdef"), "MISSING_REQUIRED_PARAMETER"},
	} {
		res, b := srv.Do(t, c.req)
		wantRefused(t, name, res.StatusCode, answer(t, b), c.code)
	}
	res, b := srv.Do(t, sign(unix, "nonce-0123456789abcdef"))
	wantSuccess(t, "the same, well formed", res.StatusCode, answer(t, b))
}

// A key of scope read calls the routes that read and gets PERMISSION_DENIED on the others; a
// second key of scope full calls everything. Both sign in either scheme with their own secret.
func TestScopedAPIKeys(t *testing.T) {
	monitor := auth.Credential{Key: "monitor", Secret: "monitor-secret-0123456789abcdef01234", Scope: auth.ScopeRead}
	backend := auth.Credential{Key: "backend2", Secret: "backend2-secret-0123456789abcdef0123", Scope: auth.ScopeFull}
	srv := meettest.Start(t, meettest.Options{APIKeys: []auth.Credential{monitor, backend}})
	v1 := func(c auth.Credential, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", srv.URL+"/auth/"+path, bytes.NewReader([]byte(body)))
		req.Header.Set("API-KEY", c.Key)
		req.Header.Set("HASH-SIGNATURE", auth.SignBody(c.Secret, []byte(body)))
		res, b := srv.Do(t, req)
		return res.StatusCode, answer(t, b)
	}
	v2 := func(c auth.Credential, path, body string) (int, map[string]any) {
		_, status, b := srv.SignedV2(t, c.Key, c.Secret, path, body, time.Now())
		return status, answer(t, b)
	}
	status, a := v1(backend, "room/create", `{"room_id":"r1","metadata":{"room_title":"R"}}`)
	wantSuccess(t, "create by the second full key", status, a)

	for _, path := range []string{"room/isRoomActive", "room/getActiveRoomInfo", "room/getActiveRoomsInfo", "room/fetchPastRooms",
		"recording/fetch", "analytics/fetch", "webhook/deliveries", "events/token"} {
		status, a := v1(monitor, path, `{"room_id":"r1"}`)
		if status != http.StatusOK || a["status_code"] == "PERMISSION_DENIED" {
			t.Errorf("read key on %s (v1): HTTP %d %v", path, status, a)
		}
		status, a = v2(monitor, path, `{"room_id":"r1"}`)
		if status != http.StatusOK || a["status_code"] == "PERMISSION_DENIED" {
			t.Errorf("read key on %s (v2): HTTP %d %v", path, status, a)
		}
	}
	for _, path := range []string{"room/endRoom", "room/create", "room/getJoinToken", "recording/start", "recording/delete",
		"recording/getDownloadToken", "analytics/getDownloadToken", "rtmp/start", "webhook/redeliver"} {
		status, a := v1(monitor, path, `{"room_id":"r1"}`)
		wantRefused(t, "read key on "+path+" (v1)", status, a, "PERMISSION_DENIED")
		status, a = v2(monitor, path, `{"room_id":"r1"}`)
		wantRefused(t, "read key on "+path+" (v2)", status, a, "PERMISSION_DENIED")
	}
	// a key signs with its own secret only
	status, a = v1(auth.Credential{Key: monitor.Key, Secret: srv.Keys.APISecret}, "room/isRoomActive", `{"room_id":"r1"}`)
	wantRefused(t, "read key with the main secret", status, a, "INVALID_TOKEN_OR_SIGNATURE")
	status, a = v2(backend, "room/isRoomActive", `{"room_id":"r1"}`)
	if a["is_active"] != true {
		t.Errorf("the room was ended by the read key: HTTP %d %v", status, a)
	}
}
