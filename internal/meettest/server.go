// Package meettest runs meetd's HTTP API in the test's own process, for tests that need a real
// server but no media: real SQLite in a temporary directory, the real room service, webhook
// dispatcher, attendance reports and recorder, and httpapi's handler on a 127.0.0.1:0 listener.
// The media server is a FakeMedia that the test drives (who is connected, what was closed). It
// also holds the helpers the test packages share: Eventually and a webhook Receiver.
//
// It starts in milliseconds, so a test of an API answer does not need the end-to-end tests'
// child process and LiveKit (see cmd/meetd for those). This package does not import LiveKit.
package meettest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"meetd/internal/analytics"
	"meetd/internal/auth"
	"meetd/internal/bbb"
	"meetd/internal/httpapi"
	"meetd/internal/outbox"
	"meetd/internal/recorder"
	"meetd/internal/rooms"
	"meetd/internal/store"
	"meetd/internal/web"
)

// Keys are the API key and secret of every test server.
var Keys = auth.Keys{APIKey: "meettest-key", APISecret: "meettest-secret-0123456789abcdef0123456789"}

// Options change a test server; the zero value is a server with no webhook URLs.
type Options struct {
	// Webhooks are the webhook URLs every event goes to (besides a room's own webhook_url).
	Webhooks []string
	// DashboardPassword signs in to the dashboard besides the API key and secret.
	DashboardPassword string
	// MetricsPassword protects /metrics (user "metrics").
	MetricsPassword string
	// RefusePrivateWebhooks refuses webhooks to loopback and private addresses, as meetd does by
	// default; test servers allow them (their receivers are on 127.0.0.1).
	RefusePrivateWebhooks bool
	// StreamsPerToken and StreamsMax cap the event streams (0: the server's defaults).
	StreamsPerToken, StreamsMax int
	// EventsPoll is how often an event stream reads the store besides the store's wake-ups (0: 200 ms).
	EventsPoll time.Duration
	// APIKeys are API keys besides Keys (with their scope); RequireV2 refuses v1 signatures.
	APIKeys   []auth.Credential
	RequireV2 auth.RequireV2
	// AllowedOrigins and AssetsURL are config embed.allowed_origins (none: any) and embed.assets_url.
	AllowedOrigins []string
	AssetsURL      string
	// BBB configures the BigBlueButton API, served at /bigbluebutton/api/ (zero: secret = the API
	// secret, all algorithms, and also under /<api_key>/bigbluebutton/).
	BBB bbb.Config
	// Dir is the data directory (the store, recordings, reports); none: a new temporary one.
	// Start again with the same Dir after Stop to restart.
	Dir string
}

// Server is a running test server. It stops when the test ends.
type Server struct {
	URL   string    // http://127.0.0.1:port, no trailing slash
	Keys  auth.Keys // what Signed signs with
	Media *FakeMedia
	// Store is the server's store, for a test to put in what the fake media cannot make (a
	// finished recording: its row, its file under RecordingsDir/<record_id>/).
	Store         *store.Store
	RecordingsDir string
	// Rooms is the room service.
	Rooms *rooms.Service
	// BBB is the BigBlueButton API.
	BBB *bbb.Server

	draining atomic.Bool
	stop     func()
	stopOnce sync.Once
	logs     *logBuffer
}

// Start starts a server for the test; the test's cleanup stops it, and prints its log if the test
// failed.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	ctx := context.Background()
	dir := opt.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	s := &Server{Keys: Keys, logs: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("meetd log:\n%s", s.logs.String())
		}
	})

	wake := outbox.NewWake() // made first: the store rings it, the dispatcher listens
	var api *httpapi.Server  // and the event streams, once the API is made
	var apiMade atomic.Bool
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "meetd.db"), store.WakeUp(func() {
		wake.Notify()
		if apiMade.Load() {
			api.EventsWritten()
		}
	}))
	if err != nil {
		t.Fatalf("meettest: open store: %v", err)
	}
	s.stop = func() { st.Close() } // until all is started
	t.Cleanup(func() { s.Stop() })
	webhooks := outbox.New(st, outbox.Config{
		URLs: opt.Webhooks, Keys: s.Keys, UserAgent: "meetd/test", AllowPrivate: !opt.RefusePrivateWebhooks,
		BackoffBase: 50 * time.Millisecond, BackoffMax: time.Second, Wake: wake,
	}, log)

	s.Media = &FakeMedia{}
	reports, err := analytics.New(st, filepath.Join(dir, "analytics"), s.Keys, log)
	if err != nil {
		t.Fatalf("meettest: analytics: %v", err)
	}
	s.Store, s.RecordingsDir = st, filepath.Join(dir, "recordings")
	recordings, err := recorder.New(st, noRecorder{}, s.Media, s.RecordingsDir, s.Keys, log)
	if err != nil {
		t.Fatalf("meettest: recorder: %v", err)
	}
	svc := rooms.New(st, s.Media, rooms.Config{Keys: s.Keys, Node: "meettest", DepartureTimeout: time.Minute,
		ChatDir: filepath.Join(dir, "chat"), WhiteboardDir: filepath.Join(dir, "whiteboard")},
		rooms.Hooks{Started: recordings.Started, Ending: recordings.Ending, Ended: reports.Generate}, log)
	s.Media.rooms = svc // what the media server tells the room service: joins and departures

	s.Rooms = svc
	if opt.BBB.APIKey == "" {
		opt.BBB.APIKey = s.Keys.APIKey
	}
	mounts := map[string]http.Handler{"GET /": web.Handler()}
	s.BBB = bbb.New(opt.BBB, bbb.Deps{Store: st, Rooms: svc, Keys: s.Keys, Log: log, Draining: s.draining.Load, Recorder: recordings})
	webhooks.Extend(s.BBB.Extension()) // the BBB API's callbacks and hooks, through the outbox
	for pattern, h := range s.BBB.Mounts() {
		mounts[pattern] = h
	}

	registry := prometheus.NewRegistry()
	metrics, err := httpapi.NewMetrics(registry, st.Stats)
	if err != nil {
		t.Fatalf("meettest: metrics: %v", err)
	}
	api = &httpapi.Server{
		Rooms: svc, Webhooks: webhooks, Analytics: reports, Recordings: recordings, Keys: s.Keys, Log: log,
		DashboardPassword: opt.DashboardPassword,
		Metrics:           metrics,
		MetricsHandler:    promhttp.HandlerFor(registry, promhttp.HandlerOpts{}),
		MetricsPassword:   opt.MetricsPassword,
		LiveKitURL:        func(r *http.Request) string { return "ws://" + r.Host },
		Draining:          s.draining.Load,
		StreamsPerToken:   opt.StreamsPerToken,
		StreamsMax:        opt.StreamsMax,
		WireStore:         st,
		APIKeys:           opt.APIKeys,
		RequireV2:         opt.RequireV2,
		Nonces:            st,
		SignOuts:          st,
		Ready: func(ctx context.Context) error {
			_, err := st.Session(ctx, "_")
			return err
		},
		Mounts:         mounts,
		EventsPoll:     opt.EventsPoll,
		AllowedOrigins: opt.AllowedOrigins,
		AssetsURL:      opt.AssetsURL,
	}
	apiMade.Store(true)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("meettest: listen: %v", err)
	}
	s.URL = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	dispatch, stopDispatch := context.WithCancel(context.Background())
	dispatched := make(chan struct{})
	go func() { defer close(dispatched); _ = webhooks.Run(dispatch, time.Second) }()
	s.stop = func() {
		_ = srv.Close() // event streams never end by themselves
		closing, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		recordings.Close(closing)
		cancel()
		stopDispatch()
		<-dispatched
		st.Close()
	}
	return s
}

// Stop stops the server as a shutdown does (HTTP, recordings, webhook dispatcher, then the
// store); the test's cleanup does it too. A server started with the same Options.Dir afterwards
// is a restart.
func (s *Server) Stop() { s.stopOnce.Do(func() { s.stop() }) }

// Log is what the server logged so far.
func (s *Server) Log() string { return s.logs.String() }

// Drain makes the server drain, as a first SIGTERM does: /healthz answers 503, and new rooms and
// joins are refused.
func (s *Server) Drain() { s.draining.Store(true) }

// Signed posts body to an API path ("room/create" or "/auth/room/create") signed with the API key
// and secret as a plugNmeet client signs (API-KEY and HASH-SIGNATURE headers), and returns the
// HTTP status and the answer. body is sent as is if it is a string or []byte, else as JSON.
func (s *Server) Signed(t testing.TB, path string, body any) (int, []byte) {
	t.Helper()
	req, b := s.post(t, path, body)
	req.Header.Set("API-KEY", s.Keys.APIKey)
	req.Header.Set("HASH-SIGNATURE", auth.SignBody(s.Keys.APISecret, b))
	res, answer := s.Do(t, req)
	return res.StatusCode, answer
}

// SignedV2 posts body to an API path as Signed does, signed with meetd's v2 scheme by key and
// secret at now (X-Meetd-Timestamp, a random X-Meetd-Nonce, X-Meetd-Signature), and returns the
// request (to replay it: its body can be read again) with the HTTP status and the answer.
func (s *Server) SignedV2(t testing.TB, key, secret, path string, body any, now time.Time) (*http.Request, int, []byte) {
	t.Helper()
	req, b := s.post(t, path, body)
	auth.SignRequestV2(req, key, secret, b, now)
	res, answer := s.Do(t, req)
	return req, res.StatusCode, answer
}

// post is an unsigned JSON POST of body (see Body) to an API path ("room/create" is
// "/auth/room/create"), with the body's bytes for signing.
func (s *Server) post(t testing.TB, path string, body any) (*http.Request, []byte) {
	t.Helper()
	b := Body(t, body)
	if !strings.HasPrefix(path, "/") {
		path = "/auth/" + path
	}
	req, err := http.NewRequest("POST", s.URL+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return req, b
}

// Do sends a request and returns its response and the whole body.
func (s *Server) Do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("meettest: %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("meettest: read the answer of %s: %v", req.URL.Path, err)
	}
	return res, b
}

// Body is body as bytes: a string or []byte as is, anything else as JSON.
func Body(t testing.TB, body any) []byte {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return []byte(b)
	case []byte:
		return b
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("meettest: body: %v", err)
	}
	return b
}

// logBuffer keeps the server's log for a failing test.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
