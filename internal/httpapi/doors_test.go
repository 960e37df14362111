package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"meetd/internal/auth"
)

// The doors answer what they refuse with the status of meet.Codes, before any handler runs (the
// room service is nil here).
func TestDoors(t *testing.T) {
	draining := false
	s := &Server{
		Keys:     auth.Keys{APIKey: "key", APISecret: "secret-0123456789abcdef0123456789abcdef"},
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Draining: func() bool { return draining },
	}
	h := s.Handler()
	signedBy := func(secret, body string) map[string]string {
		return map[string]string{"API-KEY": "key", "HASH-SIGNATURE": auth.SignBody(secret, []byte(body))}
	}
	big := `{"pad":"` + strings.Repeat("x", maxBody) + `"}`

	cases := []struct {
		name, method, path, body string
		headers                  map[string]string
		drain                    bool
		wantHTTP                 int
		wantCode                 string
	}{
		{"no key", "POST", "/auth/room/isRoomActive", `{}`, nil, false, 401, "MISSING_REQUIRED_PARAMETER"},
		{"wrong key", "POST", "/auth/room/isRoomActive", `{}`, map[string]string{"API-KEY": "nope", "HASH-SIGNATURE": "00"}, false, 401, "INVALID_API_KEY"},
		{"wrong signature", "POST", "/auth/room/isRoomActive", `{}`, signedBy("wrong", `{}`), false, 401, "INVALID_TOKEN_OR_SIGNATURE"},
		{"body too large", "POST", "/auth/room/isRoomActive", big, signedBy(s.Keys.APISecret, big), false, 413, "INVALID_PARAMETERS"},
		{"unknown route", "POST", "/auth/room/nope", `{}`, nil, false, 404, "NOT_FOUND"},
		{"draining create", "POST", "/auth/room/create", `{}`, nil, true, 503, "SERVER_DRAINING"},
		{"draining join", "POST", "/api/join", `{}`, nil, true, 503, "SERVER_DRAINING"},
		{"dashboard without header", "POST", "/dashboard/api/room/isRoomActive", `{}`, nil, false, 401, "MISSING_REQUIRED_PARAMETER"},
		{"dashboard without cookie", "POST", "/dashboard/api/room/isRoomActive", `{}`, map[string]string{dashboardHeader: "1"}, false, 401, "INVALID_TOKEN_OR_SIGNATURE"},
		{"dashboard body too large", "POST", "/dashboard/api/room/isRoomActive", big, map[string]string{dashboardHeader: "1"}, false, 413, "INVALID_PARAMETERS"},
		{"dashboard wrong password", "POST", "/dashboard/login", `{"password":"x"}`, nil, false, 401, "INVALID_API_KEY"},
		{"dashboard login not JSON", "POST", "/dashboard/login", `{`, nil, false, 200, "INVALID_PARAMETERS"},
		{"dashboard session", "GET", "/dashboard/api/session", ``, nil, false, 401, "INVALID_TOKEN_OR_SIGNATURE"},
		{"page without token", "POST", "/api/hand", `{"raised":true}`, nil, false, 401, "MISSING_REQUIRED_PARAMETER"},
		{"stream without token", "GET", "/auth/events", ``, nil, false, 401, "INVALID_TOKEN_OR_SIGNATURE"},
		{"dashboard stream without cookie", "GET", "/dashboard/api/events", ``, nil, false, 401, "INVALID_TOKEN_OR_SIGNATURE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			draining = c.drain
			req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var env Envelope
			err := json.Unmarshal(rec.Body.Bytes(), &env)
			if rec.Code != c.wantHTTP || err != nil || env.Status || string(env.StatusCode) != c.wantCode {
				t.Errorf("HTTP %d %s, want HTTP %d %s", rec.Code, rec.Body, c.wantHTTP, c.wantCode)
			}
			if got := rec.Header().Get("Retry-After"); (got == "30") != c.drain {
				t.Errorf("Retry-After %q", got)
			}
		})
	}
}
