package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"meetd/internal/auth"
	"meetd/internal/testbot"
)

// TestMain lets a test start this test binary as a real meetd process (for kill -9).
func TestMain(m *testing.M) {
	if os.Getenv("MEETD_E2E_LIVEKIT") == "1" { // a LiveKit server of its own (TestExternalLiveKit)
		if err := runLiveKitChild(); err != nil {
			fmt.Fprintln(os.Stderr, "livekit:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv("MEETD_E2E_CHILD") == "1" {
		// Without MEETD_E2E_SIGNALS a signal ends the child at once (the restart tests rely on it);
		// with it, SIGTERM drains the child as it does the meetd command.
		ctx, drain, stop := context.Background(), (<-chan struct{})(nil), func() {}
		if os.Getenv("MEETD_E2E_SIGNALS") == "1" {
			ctx, drain, stop = onSignals()
		}
		err := runDraining(ctx, drain, nil, os.Getenv, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "meetd:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const testSecret = "test-secret-0123456789abcdef0123456789abcdef"

// freePort asks the kernel for a free loopback port of the network ("tcp" or "udp").
func freePort(t testing.TB, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// meetd is a meetd under test: in this process, or a child process.
type meetd struct {
	t    testing.TB
	env  map[string]string
	base string

	cancel context.CancelFunc
	done   chan error
	cmd    *exec.Cmd
	logs   *bytes.Buffer

	// client makes the calls to meetd (nil: http.DefaultClient); a meetd with a test certificate
	// is called over HTTPS by a client that trusts it (see useTestCertificate).
	client *http.Client
}

func (m *meetd) httpClient() *http.Client {
	if m.client != nil {
		return m.client
	}
	return http.DefaultClient
}

// testEnv is the environment of a meetd on loopback ports in a fresh data directory.
func testEnv(t testing.TB, extra map[string]string) map[string]string {
	env := map[string]string{
		"MEETD_ADDR":                  "127.0.0.1:" + strconv.Itoa(freePort(t, "tcp")),
		"MEETD_DATA_DIR":              t.TempDir(),
		"MEETD_API_KEY":               "test-key",
		"MEETD_API_SECRET":            testSecret,
		"MEETD_NODE_IP":               "127.0.0.1",
		"MEETD_LIVEKIT_PORT":          strconv.Itoa(freePort(t, "tcp")),
		"MEETD_RTC_TCP_PORT":          "0",
		"MEETD_RTC_UDP_PORT":          strconv.Itoa(freePort(t, "udp")),
		"MEETD_TIMER_INTERVAL":        "100ms",
		"MEETD_LOG_LEVEL":             "warn",
		"MEETD_LIVEKIT_LOG_LEVEL":     "error",
		"MEETD_RECORDING_MIN_FREE_MB": "64", // CI machines may have less than the default 1 GiB free
		// a quarter of 720p's pixels at 15 frames/s: the live compositions of the recording and
		// broadcast tests cost a fraction of the default's CPU (TestRecordingBench keeps 720p25)
		"MEETD_RECORDING_SIZE": "640x360",
		"MEETD_RECORDING_FPS":  "15",
		// the tests' webhook receivers are on loopback, which meetd refuses by default
		"MEETD_WEBHOOK_ALLOW_PRIVATE": "1",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// startMeetd runs meetd for a test, as a child process whose race reports are checked (see
// startIsolated): LiveKit v1.13.5 has data races of its own (seen: updateRidsFromSDP against the
// signal writer) that any publish can trigger, and in this process they would fail tests under
// -race although meetd is not at fault.
func startMeetd(t testing.TB, env map[string]string) *meetd {
	t.Helper()
	return startIsolated(t, env)
}

// startInProcess runs meetd in this process with env and waits until it is healthy.
func startInProcess(t testing.TB, env map[string]string) *meetd {
	t.Helper()
	m := &meetd{t: t, env: env, base: "http://" + env["MEETD_ADDR"], done: make(chan error, 1), logs: &bytes.Buffer{}}
	m.useTestCertificate()
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go func() {
		m.done <- run(ctx, nil, func(k string) string { return env[k] }, io.Discard, testLog{t})
	}()
	m.waitHealthy()
	t.Cleanup(m.stop)
	return m
}

// startProcess runs meetd as a child process (the test binary itself) with env.
func startProcess(t testing.TB, env map[string]string) *meetd {
	t.Helper()
	m := &meetd{t: t, env: env, base: "http://" + env["MEETD_ADDR"], logs: &bytes.Buffer{}}
	m.useTestCertificate()
	m.cmd = exec.Command(os.Args[0], "-test.run=^$")
	m.cmd.Env = append(os.Environ(), "MEETD_E2E_CHILD=1")
	for k, v := range env {
		m.cmd.Env = append(m.cmd.Env, k+"="+v)
	}
	m.cmd.Stdout, m.cmd.Stderr = m.logs, m.logs
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m.waitHealthy()
	t.Cleanup(func() {
		if m.cmd.ProcessState == nil {
			_ = m.cmd.Process.Kill()
			_ = m.cmd.Wait()
		}
	})
	return m
}

// startIsolated runs meetd as a child process and checks its race reports when the test ends:
// a race in meetd's own code fails the test, one entirely inside LiveKit or pion (which real media
// triggers, see TestBrowser) is only logged.
func startIsolated(t testing.TB, env map[string]string) *meetd {
	t.Helper()
	races := t.TempDir()
	env["GORACE"] = "log_path=" + filepath.Join(races, "race")
	var m *meetd
	t.Cleanup(func() { // runs after the child was stopped
		if t.Failed() && m != nil {
			t.Logf("meetd's output:\n%s", m.logs)
		}
		checkRaceReports(t, races)
	})
	m = startProcess(t, env)
	return m
}

// pid is meetd's process: the child's, or this one's.
func (m *meetd) pid() int {
	if m.cmd != nil {
		return m.cmd.Process.Pid
	}
	return os.Getpid()
}

type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (m *meetd) waitHealthy() {
	m.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := m.httpClient().Get(m.base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		select {
		case err := <-m.done:
			m.t.Fatalf("meetd stopped during start-up: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	m.t.Fatalf("meetd not healthy after 30 s; logs:\n%s", m.logs)
}

// stop shuts meetd down gracefully.
func (m *meetd) stop() {
	// Connections the client dialled but never used would hold up the server's graceful shutdown.
	m.httpClient().CloseIdleConnections()
	if m.cmd != nil {
		if m.cmd.ProcessState == nil {
			_ = m.cmd.Process.Signal(syscall.SIGTERM)
			_ = m.cmd.Wait()
		}
		return
	}
	if m.cancel == nil {
		return
	}
	m.cancel()
	m.cancel = nil
	if err := <-m.done; err != nil {
		m.t.Errorf("meetd stopped with %v", err)
	}
}

// kill9 kills the child process with SIGKILL.
func (m *meetd) kill9() {
	_ = m.cmd.Process.Signal(syscall.SIGKILL)
	_ = m.cmd.Wait()
}

// post sends a signed API call and decodes the answer into out; it returns the HTTP status.
func (m *meetd) post(path string, body any, out any) int {
	m.t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			m.t.Fatal(err)
		}
	}
	return m.raw(path, raw, map[string]string{"API-KEY": m.env["MEETD_API_KEY"], "HASH-SIGNATURE": auth.SignBody(m.env["MEETD_API_SECRET"], raw)}, out)
}

func (m *meetd) raw(path string, body []byte, headers map[string]string, out any) int {
	m.t.Helper()
	req, err := http.NewRequest("POST", m.base+path, bytes.NewReader(body))
	if err != nil {
		m.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := m.httpClient().Do(req)
	if err != nil {
		m.t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			m.t.Fatalf("POST %s: %d %s: %v", path, res.StatusCode, b, err)
		}
	}
	return res.StatusCode
}

// envelope is the start of every answer.
type envelope struct {
	Status     bool   `json:"status"`
	Msg        string `json:"msg"`
	StatusCode string `json:"status_code"`
}

type roomInfo struct {
	RoomTitle          string `json:"room_title"`
	RoomID             string `json:"room_id"`
	SID                string `json:"sid"`
	JoinedParticipants int    `json:"joined_participants"`
	IsRunning          bool   `json:"is_running"`
	IsRecording        bool   `json:"is_recording"`
	IsActiveRTMP       bool   `json:"is_active_rtmp"`
	CreationTime       int64  `json:"creation_time"`
	Metadata           string `json:"metadata"`
	WebhookURL         string `json:"webhook_url"`
}

type participantInfo struct {
	SID      string `json:"sid"`
	Identity string `json:"identity"`
	Name     string `json:"name"`
	State    string `json:"state"`
	Metadata string `json:"metadata"`
	JoinedAt int64  `json:"joined_at"`
	Version  int    `json:"version"`
	IsAdmin  bool   `json:"is_admin"`
	// Permission is what LiveKit lets the participant do.
	Permission struct {
		CanPublishData bool `json:"can_publish_data"`
	} `json:"permission"`
	Tracks []struct {
		SID    string `json:"sid"`
		Type   string `json:"type"`
		Source string `json:"source"`
		Muted  bool   `json:"muted"`
	} `json:"tracks"`
}

type activeRoom struct {
	envelope
	Room *struct {
		RoomInfo         roomInfo          `json:"room_info"`
		ParticipantsInfo []participantInfo `json:"participants_info"`
	} `json:"room"`
}

func (m *meetd) create(roomID string, extra map[string]any) roomInfo {
	m.t.Helper()
	body := map[string]any{"room_id": roomID, "metadata": map[string]any{"room_title": "Room " + roomID}}
	for k, v := range extra {
		body[k] = v
	}
	var res struct {
		envelope
		RoomInfo roomInfo `json:"room_info"`
	}
	m.post("/auth/room/create", body, &res)
	if !res.Status {
		m.t.Fatalf("create %s: %+v", roomID, res.envelope)
	}
	return res.RoomInfo
}

func (m *meetd) activeRoom(roomID string) activeRoom {
	m.t.Helper()
	var res activeRoom
	m.post("/auth/room/getActiveRoomInfo", map[string]any{"room_id": roomID}, &res)
	return res
}

func (m *meetd) joinToken(roomID, userID, name string, admin bool) string {
	m.t.Helper()
	var res struct {
		envelope
		Token string `json:"token"`
	}
	m.post("/auth/room/getJoinToken", map[string]any{"room_id": roomID, "user_info": map[string]any{
		"user_id": userID, "name": name, "is_admin": admin,
		"user_metadata": map[string]any{"extra_data": "data of " + userID},
	}}, &res)
	if !res.Status {
		m.t.Fatalf("getJoinToken %s/%s: %+v", roomID, userID, res.envelope)
	}
	return res.Token
}

type joinAnswer struct {
	envelope
	LiveKitURL   string `json:"livekit_url"`
	LiveKitToken string `json:"livekit_token"`
	UserID       string `json:"user_id"`
	IsAdmin      bool   `json:"is_admin"`
	PageToken    string `json:"page_token"`
}

// exchange is the meeting page's join exchange.
func (m *meetd) exchange(token string) (joinAnswer, int) {
	m.t.Helper()
	var res joinAnswer
	code := m.raw("/api/join", []byte("{}"), map[string]string{"Authorization": "Bearer " + token}, &res)
	return res, code
}

// bot joins roomID as userID through getJoinToken and /api/join, like a browser would.
func (m *meetd) bot(roomID, userID string) *testbot.Bot {
	m.t.Helper()
	return m.botWithToken(m.joinToken(roomID, userID, "Name "+userID, false))
}

func (m *meetd) botWithToken(token string) *testbot.Bot {
	m.t.Helper()
	j, _ := m.exchange(token)
	if !j.Status {
		m.t.Fatalf("join: %+v", j.envelope)
	}
	b, err := testbot.Join(j.LiveKitURL, j.LiveKitToken)
	if err != nil {
		m.t.Fatal(err)
	}
	m.t.Cleanup(b.Leave)
	return b
}

// eventually polls cond every 50 ms until it holds or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not after %s: %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func dataDirFile(env map[string]string, name string) string {
	return filepath.Join(env["MEETD_DATA_DIR"], name)
}
