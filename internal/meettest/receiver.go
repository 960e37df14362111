package meettest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// Eventually waits until cond holds, checking every 10 ms, and fails the test after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not after %s: %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Delivery is one request a Receiver got.
type Delivery struct {
	At     time.Time // on the receiver's clock, when it arrived
	Event  meet.Event
	Body   []byte
	Header http.Header
	// Verify is the signature check (see VerifyWebhook); nil when the request is signed right.
	Verify error
	Status int // what the receiver answered; 0 while it has not
}

// ReceiverOptions change a Receiver; the zero value answers 200 and uses time.Now.
type ReceiverOptions struct {
	// Clock stamps each delivery's At (the dispatcher's clock, when a test fakes it).
	Clock func() time.Time
	// Respond answers a request (n counts this receiver's requests from 1); nil answers 200. What
	// it writes with WriteHeader is recorded as the delivery's Status.
	Respond func(n int, d Delivery, w http.ResponseWriter)
}

// Receiver is a webhook receiver: a real HTTP server on 127.0.0.1:0 that checks each request's
// signature with keys, records it, and answers with Respond.
type Receiver struct {
	URL string

	t       testing.TB
	keys    auth.Keys
	opt     ReceiverOptions
	mu      sync.Mutex
	got     []Delivery
	arrived chan struct{}
}

// NewReceiver starts a receiver for webhooks signed with keys; it stops when the test ends.
func NewReceiver(t testing.TB, keys auth.Keys, opt ReceiverOptions) *Receiver {
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	rc := &Receiver{t: t, keys: keys, opt: opt, arrived: make(chan struct{}, 1)}
	srv := httptest.NewServer(http.HandlerFunc(rc.serve)) // listens on 127.0.0.1:0
	t.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	d := Delivery{At: rc.opt.Clock(), Body: body, Header: r.Header.Clone()}
	_ = json.Unmarshal(body, &d.Event)
	d.Verify = VerifyWebhook(rc.keys, r.Header.Get("Authorization"), body, time.Now())
	rc.mu.Lock()
	i := len(rc.got)
	rc.got = append(rc.got, d) // recorded on arrival, its answer once given
	rc.mu.Unlock()
	select {
	case rc.arrived <- struct{}{}:
	default:
	}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	if rc.opt.Respond != nil {
		rc.opt.Respond(i+1, d, sw)
	}
	rc.mu.Lock()
	rc.got[i].Status = sw.status
	rc.mu.Unlock()
}

// Requests are the requests received so far, in the order they came.
func (rc *Receiver) Requests() []Delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// Delivered are the requests answered with a 2xx, in the order they came.
func (rc *Receiver) Delivered() []Delivery {
	var out []Delivery
	for _, d := range rc.Requests() {
		if d.Status/100 == 2 {
			out = append(out, d)
		}
	}
	return out
}

// WaitFor waits until the receiver has at least n requests, and returns them.
func (rc *Receiver) WaitFor(n int, timeout time.Duration) []Delivery {
	rc.t.Helper()
	deadline := time.After(timeout)
	for {
		if got := rc.Requests(); len(got) >= n {
			return got
		}
		select {
		case <-rc.arrived:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			rc.t.Fatalf("receiver got %d requests, want %d", len(rc.Requests()), n)
		}
	}
}

// WaitDelivered waits until at least n requests were answered with a 2xx, and returns those.
func (rc *Receiver) WaitDelivered(n int, timeout time.Duration) []Delivery {
	rc.t.Helper()
	Eventually(rc.t, timeout, fmt.Sprintf("%d webhooks delivered", n), func() bool { return len(rc.Delivered()) >= n })
	return rc.Delivered()
}

// VerifyWebhook checks a webhook's Authorization header as a LiveKit receiver does, written here
// from the format rather than with meetd's own auth package: an HS256 JWT signed with the API
// secret, issued by the API key, not expired at now, whose sha256 claim is the body's SHA-256
// (standard base64). See doc/api.md, "Webhooks".
func VerifyWebhook(keys auth.Keys, authorization string, body []byte, now time.Time) error {
	parts := strings.Split(authorization, ".")
	if len(parts) != 3 {
		return errors.New("authorization is not a JWT")
	}
	m := hmac.New(sha256.New, []byte(keys.APISecret))
	m.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, m.Sum(nil)) {
		return errors.New("signature does not match the API secret")
	}
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	var h struct{ Alg string }
	if err != nil || json.Unmarshal(header, &h) != nil || h.Alg != "HS256" {
		return fmt.Errorf("JWT header %q is not HS256", header)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Iss    string `json:"iss"`
		Exp    int64  `json:"exp"`
		Nbf    int64  `json:"nbf"`
		SHA256 string `json:"sha256"`
	}
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return errors.New("JWT payload is not JSON")
	}
	sum := sha256.Sum256(body)
	switch {
	case c.Iss != keys.APIKey:
		return fmt.Errorf("issuer %q is not the API key", c.Iss)
	case now.Unix() >= c.Exp:
		return errors.New("token expired")
	case c.Nbf != 0 && now.Unix() < c.Nbf:
		return errors.New("token not valid yet")
	case c.SHA256 != base64.StdEncoding.EncodeToString(sum[:]):
		return errors.New("sha256 claim is not the body's")
	}
	return nil
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
