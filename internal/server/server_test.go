package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"meetd/internal/auth"
	"meetd/internal/config"
	"meetd/internal/media"
	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// stubMedia is a media server with no rooms, which records Start and Stop.
type stubMedia struct {
	startErr error

	mu    sync.Mutex
	calls []string
}

func (m *stubMedia) call(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, name)
}

func (m *stubMedia) Start(context.Context) error { m.call("start"); return m.startErr }
func (m *stubMedia) Stop()                       { m.call("stop") }

func (*stubMedia) Participants(context.Context, string) ([]meet.ParticipantInfo, error) {
	return nil, nil
}
func (*stubMedia) CloseRoom(context.Context, string) error                       { return nil }
func (*stubMedia) RemoveParticipant(context.Context, string, string) error       { return nil }
func (*stubMedia) UpdateParticipant(context.Context, rooms.Grant) error          { return nil }
func (*stubMedia) MuteTrack(context.Context, string, string, string, bool) error { return nil }
func (*stubMedia) SetAttributes(context.Context, string, string, map[string]string) error {
	return nil
}
func (*stubMedia) Grant(g rooms.Grant) (string, error) { return "token-of-" + g.Identity, nil }
func (*stubMedia) SendData(context.Context, string, string, []byte, []string) error {
	return nil
}

const testSecret = "test-secret-0123456789abcdef0123456789abcdef"

func testConfig(t *testing.T) config.Config {
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.APIKey, cfg.APISecret = "test-key", testSecret
	cfg.LogLevel = "warn"
	return cfg
}

// The server runs in this process with a stub media: no LiveKit starts. The ready channel gives
// its address; a signed call creates a room; cancelling stops it cleanly.
func TestRunWithStubMedia(t *testing.T) {
	m := &stubMedia{}
	ready := make(chan string, 1)
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, testConfig(t), Options{Version: "test", Stdout: &out, Stderr: io.Discard, Ready: ready, Media: m})
	}()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("Run returned during start-up: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("not ready after 30 s")
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.Contains(out.String(), "API base:   "+base+"/auth/") {
		t.Fatalf("base %q, start-up lines:\n%s", base, out.String())
	}

	body := []byte(`{"room_id":"r1","metadata":{"room_title":"Room 1"}}`)
	req, _ := http.NewRequest("POST", base+"/auth/room/create", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("API-KEY", "test-key")
	req.Header.Set("HASH-SIGNATURE", auth.SignBody(testSecret, body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Status   bool `json:"status"`
		RoomInfo struct {
			RoomID string `json:"room_id"`
			SID    string `json:"sid"`
		} `json:"room_info"`
	}
	err = json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()
	if err != nil || !created.Status || created.RoomInfo.RoomID != "r1" || created.RoomInfo.SID == "" {
		t.Fatalf("room/create: %d %+v %v", res.StatusCode, created, err)
	}

	res, err = http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d", res.StatusCode)
	}
	// Without LiveKit there is no signalling proxy.
	res, err = http.Get(base + "/rtc/validate")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusBadGateway {
		t.Errorf("/rtc is proxied without LiveKit")
	}

	http.DefaultClient.CloseIdleConnections()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if want := []string{"start", "stop"}; !slices.Equal(m.calls, want) {
		t.Errorf("media calls %v, want %v", m.calls, want)
	}
}

// A media that fails to start: Run returns its error, and the parts started before it are
// stopped (the store is closed: the data directory's database can be opened again at once).
func TestRunMediaFails(t *testing.T) {
	m := &stubMedia{startErr: errors.New("no media today")}
	cfg := testConfig(t)
	err := Run(context.Background(), cfg, Options{Stdout: io.Discard, Stderr: io.Discard, Media: m})
	if err == nil || err.Error() != "no media today" {
		t.Fatalf("Run: %v", err)
	}
	if want := []string{"start"}; !slices.Equal(m.calls, want) {
		t.Errorf("media calls %v, want %v (a part that did not start is not stopped)", m.calls, want)
	}
	st, _, err := openStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
}

// Parts start in order; when one fails, those started stop in reverse, and no other.
func TestPartsUnwind(t *testing.T) {
	var got []string
	s := &server{log: slog.New(slog.DiscardHandler)}
	s.opened("opened", func() { got = append(got, "stop opened") })
	for _, name := range []string{"a", "b", "fails", "never"} {
		s.add(name, func(context.Context) error {
			got = append(got, "start "+name)
			if name == "fails" {
				return errors.New(name)
			}
			return nil
		}, func() { got = append(got, "stop "+name) })
	}
	if err := s.start(context.Background()); err == nil || err.Error() != "fails" {
		t.Fatalf("start: %v", err)
	}
	s.stop()
	s.stop() // stopping twice stops nothing more
	want := []string{"start a", "start b", "start fails", "stop b", "stop a", "stop opened"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

// A data directory that existed with 0755 is made 0700 and the database in it 0600; a generated
// secret is not written to an output that is not a terminal (a log), only its file's path.
func TestDataDirPrivateAndSecretNotLogged(t *testing.T) {
	cfg := testConfig(t)
	cfg.APISecret = ""
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(cfg.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, cfg, Options{Version: "test", Stdout: &out, Stderr: io.Discard, Ready: ready, Media: &stubMedia{}})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Run returned during start-up: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	secret, err := os.ReadFile(filepath.Join(cfg.DataDir, "api_secret"))
	if err != nil || len(bytes.TrimSpace(secret)) < 32 {
		t.Fatalf("api_secret: %q %v", secret, err)
	}
	if strings.Contains(out.String(), string(bytes.TrimSpace(secret))) || !strings.Contains(out.String(), filepath.Join(cfg.DataDir, "api_secret")) {
		t.Errorf("start-up lines show the secret or not its file:\n%s", out.String())
	}
	for name, want := range map[string]os.FileMode{".": 0o700, "meetd.db": 0o600, "api_secret": 0o600} {
		fi, err := os.Stat(filepath.Join(cfg.DataDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", name, fi.Mode().Perm(), want)
		}
	}
}

// The embedded node's LiveKit webhook input verifies the node's own key pair: a webhook that
// meetd signed for its receivers (with the API secret), replayed to it, is refused; one the node
// signed is taken (doc/security.md, "Media, TURN and ports").
func TestLiveKitWebhookRefusesMeetdSignature(t *testing.T) {
	cfg := testConfig(t)
	mc := mediaConfig(cfg, "http://127.0.0.1:1")
	handler := media.New(mc, slog.New(slog.NewTextHandler(io.Discard, nil))).WebhookHandler(nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	body := []byte(`{"event":"room_started","room":{"name":"r1"}}`)
	post := func(k auth.Keys) int {
		token, err := k.WebhookToken(body, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/internal/livekit/webhook", bytes.NewReader(body))
		req.Header.Set("Authorization", token)
		req.Header.Set("Content-Type", "application/webhook+json")
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		return w.Code
	}
	if code := post(auth.Keys{APIKey: cfg.APIKey, APISecret: cfg.APISecret}); code != http.StatusUnauthorized {
		t.Errorf("a webhook signed as meetd's outbound ones: HTTP %d, want 401", code)
	}
	if code := post(auth.Keys{APIKey: mc.Node.APIKey, APISecret: mc.Node.APISecret}); code != http.StatusOK {
		t.Errorf("a webhook signed with the node's keys: HTTP %d, want 200", code)
	}
}
