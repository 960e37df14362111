package httpapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"meetd/internal/auth"
)

// The hardening of the page door and the dashboard (doc/security.md, "The meeting page and the
// dashboard"), on a server without rooms: these answers come before the room service.

// countingBody is a request body that counts what was read of it.
type countingBody struct {
	r    io.Reader
	read int
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}
func (c *countingBody) Close() error { return nil }

// wideBody is a 1 MiB JSON object of many keys, the costliest thing to decode.
func wideBody() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; b.Len() < maxBody-32; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `":0`)
	}
	b.WriteByte('}')
	return b.Bytes()
}

type testServer struct {
	*Server
	h    http.Handler
	logs *bytes.Buffer
	at   time.Time
}

func newTestServer(t *testing.T) *testServer {
	logs := &bytes.Buffer{}
	ts := &testServer{logs: logs, at: time.Unix(1_800_000_000, 0)}
	ts.Server = &Server{
		Keys:              auth.Keys{APIKey: "k", APISecret: "a-secret-of-forty-two-characters-0123456"},
		Log:               slog.New(slog.NewTextHandler(logs, nil)),
		DashboardPassword: "correct-horse-battery",
	}
	ts.clock = func() time.Time { return ts.at }
	ts.h = ts.Handler()
	return ts
}

func (ts *testServer) do(method, path string, h http.Header, body io.ReadCloser, edit ...func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, body)
	r.RemoteAddr = "192.0.2.7:40000"
	for k, v := range h {
		r.Header[k] = v
	}
	for _, e := range edit {
		e(r)
	}
	w := httptest.NewRecorder()
	ts.h.ServeHTTP(w, r)
	return w
}

func text(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

// S3: a 1 MiB body without a valid token costs no JSON decoding: the answer is the token's error
// and not a byte of the body was read; with a valid token the page's calls take at most 4 KiB.
func TestPageTokenBeforeBody(t *testing.T) {
	ts := newTestServer(t)
	wide := wideBody()
	for _, path := range []string{"/api/hand", "/api/moderate", "/api/join"} {
		for _, token := range []string{"x", "eyJhbGciOiJIUzI1NiJ9.e30.forged"} {
			body := &countingBody{r: bytes.NewReader(wide)}
			w := ts.do("POST", path, http.Header{"Authorization": {"Bearer " + token}}, body)
			if w.Code != 401 || !strings.Contains(w.Body.String(), "invalid or expired access token") || body.read != 0 {
				t.Errorf("%s with token %q: %d %s, %d bytes of the body read", path, token, w.Code, w.Body, body.read)
			}
		}
	}
	// a token of the right signature: the body is read, but not past 4 KiB
	page, err := auth.Sign(ts.Keys.APISecret, auth.JoinClaims{
		Times: auth.NewTimes("k", ts.now(), time.Hour), UserID: "ann", RoomID: "r1", SID: "RM_1", Use: auth.UsePage,
	})
	if err != nil {
		t.Fatal(err)
	}
	body := &countingBody{r: bytes.NewReader(wide)}
	w := ts.do("POST", "/api/hand", http.Header{"Authorization": {"Bearer " + page}}, body)
	if w.Code != 413 || !strings.Contains(w.Body.String(), "larger than 4 KiB") || body.read > smallBody+4096 {
		t.Errorf("/api/hand with a page token and 1 MiB: %d %s, %d bytes read", w.Code, w.Body, body.read)
	}
	// a join token signed right cannot be used as another use
	other, _ := auth.Sign(ts.Keys.APISecret, auth.JoinClaims{Times: auth.NewTimes("k", ts.now(), time.Hour), Use: "download"})
	if w := ts.do("POST", "/api/hand", http.Header{"Authorization": {"Bearer " + other}}, text(`{}`)); w.Code != 401 {
		t.Errorf("a token of another use: %d %s", w.Code, w.Body)
	}
	// the sign-in: 4 KiB
	body = &countingBody{r: bytes.NewReader(wide)}
	if w := ts.do("POST", "/dashboard/login", nil, body); w.Code != 413 || body.read > smallBody+4096 {
		t.Errorf("/dashboard/login with 1 MiB: %d %s, %d bytes read", w.Code, w.Body, body.read)
	}
}

// S3: the signed API's decode refuses an object of too many keys before decoding it.
func TestDecodeKeysCapped(t *testing.T) {
	var v struct{}
	if err := decodeJSON(wideBody(), &v); err == nil || !strings.Contains(err.Error(), "more than 1000 keys") {
		t.Errorf("wide body: %v", err)
	}
	ok := `{"a":[1,2,3],"b":"x,y,{\"z\",","c":{"d":1,"e":2}}`
	if tooManyKeys([]byte(ok), 3) {
		t.Errorf("%s has at most 3 keys per object", ok)
	}
	if !tooManyKeys([]byte(`{"a":{"b":1,"c":2,"d":3,"e":4}}`), 3) {
		t.Error("the inner object has 4 keys")
	}
}

func (ts *testServer) login(t *testing.T, body string, edit ...func(*http.Request)) (*httptest.ResponseRecorder, *http.Cookie) {
	t.Helper()
	w := ts.do("POST", "/dashboard/login", nil, text(body), edit...)
	for _, c := range w.Result().Cookies() {
		if c.Name == dashboardCookie && c.Value != "" {
			return w, c
		}
	}
	return w, nil
}

// S5: 200 wrong dashboard passwords are throttled, and the right one is refused until the
// back-off ends; the log has a few lines, not 200.
func TestDashboardSignInBackoff(t *testing.T) {
	ts := newTestServer(t)
	codes := map[int]int{}
	for range 200 {
		w, _ := ts.login(t, `{"password":"guess-xxxxxxxx"}`)
		codes[w.Code]++
	}
	if codes[401] != signinFreeFailures || codes[429] != 200-signinFreeFailures {
		t.Errorf("answers to 200 wrong passwords: %v", codes)
	}
	w, c := ts.login(t, `{"password":"correct-horse-battery"}`)
	if w.Code != 429 || c != nil || !strings.Contains(w.Body.String(), "TOO_MANY_ATTEMPTS") {
		t.Errorf("the right password during the back-off: %d %s", w.Code, w.Body)
	}
	if n := strings.Count(ts.logs.String(), "dashboard sign-in"); n > 3 {
		t.Errorf("%d log lines for 200 failures:\n%s", n, ts.logs)
	}
	// another client may still try (the global count is not reached)
	if w, c := ts.login(t, `{"password":"correct-horse-battery"}`, func(r *http.Request) { r.RemoteAddr = "198.51.100.1:1" }); w.Code != 200 || c == nil {
		t.Errorf("another client: %d %s", w.Code, w.Body)
	}
	ts.at = ts.at.Add(signinFirstBackoff + time.Second)
	// after the back-off, the next failure doubles it
	if w, _ := ts.login(t, `{"password":"wrong"}`); w.Code != 401 {
		t.Errorf("after the back-off: %d %s", w.Code, w.Body)
	}
	ts.at = ts.at.Add(signinFirstBackoff + time.Second)
	if w, _ := ts.login(t, `{"password":"correct-horse-battery"}`); w.Code != 429 {
		t.Errorf("the doubled back-off: %d %s", w.Code, w.Body)
	}
	ts.at = ts.at.Add(signinFirstBackoff)
	if w, c := ts.login(t, `{"password":"correct-horse-battery"}`); w.Code != 200 || c == nil {
		t.Errorf("after the doubled back-off: %d %s", w.Code, w.Body)
	}
	// a success forgets the client's failures
	if w, _ := ts.login(t, `{"password":"wrong"}`); w.Code != 401 {
		t.Errorf("a failure after a success: %d %s", w.Code, w.Body)
	}
}

// S5: many clients together back off too.
func TestDashboardSignInGlobalBackoff(t *testing.T) {
	ts := newTestServer(t)
	for i := range signinGlobalFree {
		addr := func(r *http.Request) {
			r.RemoteAddr = "203.0.113." + string(rune('0'+i%10)) + string(rune('0'+i/10)) + ":1"
		}
		ts.login(t, `{"password":"wrong"}`, addr)
	}
	if w, _ := ts.login(t, `{"password":"correct-horse-battery"}`, func(r *http.Request) { r.RemoteAddr = "[2001:db8::1]:1" }); w.Code != 429 {
		t.Errorf("after %d failures of many clients: %d %s", signinGlobalFree, w.Code, w.Body)
	}
}

// S13: a session ends at sign-out, at a changed dashboard password and at a changed API secret;
// the cookie is Secure on HTTPS.
func TestDashboardSessionRevoked(t *testing.T) {
	ts := newTestServer(t)
	session := func(c *http.Cookie) int {
		return ts.do("GET", "/dashboard/api/session", http.Header{"Cookie": {c.Name + "=" + c.Value}}, nil).Code
	}
	_, c := ts.login(t, `{"password":"correct-horse-battery"}`)
	_, other := ts.login(t, `{"api_key":"k","api_secret":"a-secret-of-forty-two-characters-0123456"}`)
	if c == nil || other == nil || c.Secure || session(c) != 200 || session(other) != 200 {
		t.Fatalf("sign-in: %v %v", c, other)
	}
	if w := ts.do("POST", "/dashboard/logout", http.Header{"Cookie": {c.Name + "=" + c.Value}}, nil); w.Code != 200 {
		t.Fatalf("logout: %d %s", w.Code, w.Body)
	}
	if session(c) != 401 {
		t.Error("the session still works after sign-out")
	}
	if session(other) != 200 {
		t.Error("sign-out ended another session")
	}
	ts.DashboardPassword = "a-new-password-of-some-length"
	if session(other) != 401 {
		t.Error("the session still works after the dashboard password changed")
	}
	_, c = ts.login(t, `{"password":"a-new-password-of-some-length"}`, func(r *http.Request) { r.TLS = &tls.ConnectionState{} })
	if c == nil || !c.Secure || session(c) != 200 {
		t.Fatalf("sign-in over TLS: %v", c)
	}
	ts.Keys.APISecret = "another-secret-of-forty-two-characters-01"
	if session(c) != 401 {
		t.Error("the session still works after the API secret changed")
	}
}

// signOuts is a SignOutStore in memory, standing for the store that a cluster's processes share.
type signOuts struct{ ids map[string]time.Time }

func (s *signOuts) RevokeDashboardSession(_ context.Context, id string, until time.Time) error {
	s.ids[id] = until
	return nil
}

func (s *signOuts) DashboardSessionRevoked(_ context.Context, id string) (bool, error) {
	_, ok := s.ids[id]
	return ok, nil
}

// S13: a sign-out holds for the meetd that restarted, or another of the cluster, through the store.
func TestDashboardSignOutPersists(t *testing.T) {
	shared := &signOuts{ids: map[string]time.Time{}}
	a, b := newTestServer(t), newTestServer(t) // b: a after a restart, or another process
	a.SignOuts, b.SignOuts = shared, shared
	session := func(ts *testServer, c *http.Cookie) int {
		return ts.do("GET", "/dashboard/api/session", http.Header{"Cookie": {c.Name + "=" + c.Value}}, nil).Code
	}
	_, c := a.login(t, `{"password":"correct-horse-battery"}`)
	_, other := a.login(t, `{"password":"correct-horse-battery"}`)
	if c == nil || other == nil || session(b, c) != 200 {
		t.Fatalf("sign-in: %v %v", c, other)
	}
	if w := a.do("POST", "/dashboard/logout", http.Header{"Cookie": {c.Name + "=" + c.Value}}, nil); w.Code != 200 {
		t.Fatalf("logout: %d %s", w.Code, w.Body)
	}
	if session(b, c) != 401 {
		t.Error("the signed-out session still works on another process")
	}
	if session(b, other) != 200 {
		t.Error("sign-out ended another session")
	}
}
