package bbb_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/meettest"
	"meetd/internal/recorder"
)

// received is one request a receiver got.
type received struct {
	Method string
	URL    string // path and query as received
	Header http.Header
	Body   string
	Status int // what the receiver answered
}

// receiver is a callback server on loopback: it keeps every request and answers 200, or what
// answer says.
type receiver struct {
	URL    string
	mu     sync.Mutex
	got    []received
	answer func(r received) int
}

func newReceiver(t testing.TB) *receiver {
	rc := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rq := received{Method: r.Method, URL: r.URL.RequestURI(), Header: r.Header.Clone(), Body: string(b), Status: 200}
		rc.mu.Lock()
		if rc.answer != nil {
			rq.Status = rc.answer(rq)
		}
		rc.got = append(rc.got, rq)
		rc.mu.Unlock()
		w.WriteHeader(rq.Status)
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

func (rc *receiver) setAnswer(f func(received) int) { rc.mu.Lock(); rc.answer = f; rc.mu.Unlock() }

// requests are the requests so far, those answered 2xx only if ok.
func (rc *receiver) requests(ok bool) []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []received
	for _, r := range rc.got {
		if !ok || r.Status/100 == 2 {
			out = append(out, r)
		}
	}
	return out
}

// wait waits until n requests were answered 2xx, and returns them.
func (rc *receiver) wait(t testing.TB, n int) []received {
	t.Helper()
	meettest.Eventually(t, 20*time.Second, "callbacks received", func() bool { return len(rc.requests(true)) >= n })
	return rc.requests(true)
}

// verifyJWT checks an HS256 or HS512 token with the secret, and returns its claims.
func verifyJWT(t testing.TB, token, alg, secret string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	var header map[string]string
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if err := json.Unmarshal(h, &header); err != nil || header["alg"] != alg || header["typ"] != "JWT" {
		t.Fatalf("JWT header %s, want alg %s", h, alg)
	}
	var fn func() hash.Hash = sha256.New
	if alg == "HS512" {
		fn = sha512.New
	}
	mac := hmac.New(fn, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	if !hmac.Equal(sig, mac.Sum(nil)) {
		t.Fatalf("JWT signature does not verify with the secret")
	}
	var claims map[string]any
	p, _ := base64.RawURLEncoding.DecodeString(parts[1])
	if err := json.Unmarshal(p, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// addRecording puts a finished recording of the room's running session in the store, as the
// recorder does once a recording is composed (the fake media records nothing): its file holds
// content.
func addRecording(t testing.TB, srv *meettest.Server, roomID, id, content string, d time.Duration) recorder.File {
	t.Helper()
	ctx := context.Background()
	sess, err := srv.Store.Session(ctx, roomID)
	if err != nil || sess == nil {
		t.Fatalf("session of %s: %v %v", roomID, sess, err)
	}
	dir := filepath.Join(srv.RecordingsDir, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, id+".mp4"), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	f := recorder.File{RecordID: id, SID: sess.SID, RoomID: roomID, FileName: id + ".mp4", FileSize: int64(len(content)),
		Duration: d, CreatedAt: now, RoomCreationTime: sess.CreatedAt}
	err = srv.Store.SaveRecording(ctx, f, func(sess *meet.Session) meet.Event {
		e := meet.NewEvent(meet.EventRecordingProceeded, sess, now)
		e.RecordingInfo = &meet.EventRecording{RecordID: id}
		return e
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// play fetches a playback URL: its status and body.
func play(t testing.TB, u string) (int, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}
