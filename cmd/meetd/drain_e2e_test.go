package main

import (
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Graceful drain: on SIGTERM meetd refuses new rooms and joins with
// SERVER_DRAINING and answers /healthz 503, the running meeting goes on until its room ends (or
// the drain timeout passes, or a second signal comes), then meetd exits 0; webhooks pending at
// exit go out after the next start.
func TestDrain(t *testing.T) {
	t.Run("until the meeting ends", func(t *testing.T) {
		var mu sync.Mutex
		up := false // the webhook receiver is down until meetd has drained
		env := testEnv(t, map[string]string{"MEETD_E2E_SIGNALS": "1", "MEETD_DRAIN_TIMEOUT": "2m", "MEETD_LOG_LEVEL": "info"})
		h := newHooks(t, env, func(e hookEvent, w http.ResponseWriter) int {
			mu.Lock()
			defer mu.Unlock()
			if !up {
				w.WriteHeader(http.StatusServiceUnavailable)
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		env["MEETD_WEBHOOK_URLS"] = h.URL
		m := startIsolated(t, env)
		m.create("drain-meeting", nil)
		m.create("drain-empty", nil) // created, nobody in: it does not hold the drain up
		bot := m.bot("drain-meeting", "stays")
		if _, err := bot.PublishAudio(); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "the bot in the room", func() bool {
			return len(participantsByID(m.activeRoom("drain-meeting"))) == 1
		})
		late := m.joinToken("drain-meeting", "late", "Late Comer", false) // got before the drain
		exited := m.signal(syscall.SIGTERM)

		eventually(t, 10*time.Second, "/healthz answers 503", func() bool { return m.health() == http.StatusServiceUnavailable })
		var res envelope
		if code := m.post("/auth/room/create", map[string]any{"room_id": "drain-new", "metadata": map[string]any{"room_title": "New"}}, &res); code != http.StatusServiceUnavailable || res.Status || res.StatusCode != "SERVER_DRAINING" {
			t.Errorf("room/create while draining: HTTP %d %+v, want 503 SERVER_DRAINING", code, res)
		}
		res = envelope{}
		if code := m.post("/auth/room/getJoinToken", map[string]any{"room_id": "drain-meeting", "user_info": map[string]any{"user_id": "new", "name": "New"}}, &res); code != http.StatusServiceUnavailable || res.StatusCode != "SERVER_DRAINING" {
			t.Errorf("getJoinToken while draining: HTTP %d %+v, want 503 SERVER_DRAINING", code, res)
		}
		if j, code := m.exchange(late); code != http.StatusServiceUnavailable || j.StatusCode != "SERVER_DRAINING" || j.LiveKitToken != "" {
			t.Errorf("/api/join while draining: HTTP %d %+v, want 503 SERVER_DRAINING", code, j.envelope)
		}
		// The meeting goes on: the API still serves it, the bot stays connected.
		time.Sleep(2 * time.Second)
		select {
		case <-bot.Gone():
			t.Fatalf("the bot was disconnected during the drain: %v", bot.Reason())
		case err := <-exited:
			t.Fatalf("meetd exited during a meeting: %v", err)
		default:
		}
		if r := m.activeRoom("drain-meeting"); !r.Status || len(r.Room.ParticipantsInfo) != 1 {
			t.Fatalf("getActiveRoomInfo while draining: %+v", r)
		}

		// The room ends: nothing runs any more, meetd stops and exits 0.
		if m.post("/auth/room/endRoom", map[string]any{"room_id": "drain-meeting"}, &res); !res.Status {
			t.Fatalf("endRoom while draining: %+v", res)
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("meetd exited with %v, want 0; logs:\n%s", err, m.logs)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("meetd still runs 20 s after the last room ended; logs:\n%s", m.logs)
		}
		// (the child's output is read once it has exited)
		if logs := m.logs.String(); !strings.Contains(logs, "msg=draining rooms=1 participants=1") || !strings.Contains(logs, "no meeting left") {
			t.Errorf("the log does not show the drain's progress and end:\n%s", logs)
		}

		// The webhooks still pending at exit are delivered after the next start.
		if n := len(h.delivered()); n != 0 {
			t.Fatalf("%d webhooks delivered while the receiver was down", n)
		}
		mu.Lock()
		up = true
		mu.Unlock()
		delete(env, "MEETD_E2E_SIGNALS")
		startIsolated(t, env)
		eventually(t, 20*time.Second, "room_finished of the drained room delivered after the restart", func() bool {
			for _, r := range h.delivered() {
				if r.Event.Event == "room_finished" && r.Event.Room != nil && r.Event.Room.RoomID == "drain-meeting" {
					return true
				}
			}
			return false
		})
	})

	t.Run("until the timeout", func(t *testing.T) {
		env := testEnv(t, map[string]string{"MEETD_E2E_SIGNALS": "1", "MEETD_DRAIN_TIMEOUT": "3s", "MEETD_LOG_LEVEL": "info"})
		m := startIsolated(t, env)
		m.create("drain-long", nil)
		m.bot("drain-long", "stays")
		eventually(t, 10*time.Second, "the bot in the room", func() bool {
			return len(participantsByID(m.activeRoom("drain-long"))) == 1
		})
		start := time.Now()
		exited := m.signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("meetd exited with %v, want 0", err)
			}
			if d := time.Since(start); d < 3*time.Second {
				t.Errorf("meetd stopped %s after SIGTERM, before the 3 s drain timeout", d)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("meetd still runs 30 s after SIGTERM with a 3 s drain timeout; logs:\n%s", m.logs)
		}
		if !strings.Contains(m.logs.String(), "drain timeout") {
			t.Errorf("the log does not say the drain timed out:\n%s", m.logs)
		}
	})

	t.Run("second signal", func(t *testing.T) {
		env := testEnv(t, map[string]string{"MEETD_E2E_SIGNALS": "1", "MEETD_DRAIN_TIMEOUT": "10m", "MEETD_LOG_LEVEL": "info"})
		m := startIsolated(t, env)
		m.create("drain-forever", nil)
		m.bot("drain-forever", "stays")
		eventually(t, 10*time.Second, "the bot in the room", func() bool {
			return len(participantsByID(m.activeRoom("drain-forever"))) == 1
		})
		exited := m.signal(syscall.SIGTERM)
		eventually(t, 10*time.Second, "/healthz answers 503", func() bool { return m.health() == http.StatusServiceUnavailable })
		_ = m.cmd.Process.Signal(syscall.SIGINT)
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("meetd exited with %v, want 0", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("meetd still runs 30 s after a second signal; logs:\n%s", m.logs)
		}
		if !strings.Contains(m.logs.String(), "second signal") {
			t.Errorf("the log does not say why meetd stopped at once:\n%s", m.logs)
		}
	})
}

// signal sends sig to the child meetd; the channel gets its exit (nil for status 0).
func (m *meetd) signal(sig syscall.Signal) <-chan error {
	m.t.Helper()
	exited := make(chan error, 1)
	if err := m.cmd.Process.Signal(sig); err != nil {
		m.t.Fatal(err)
	}
	go func() { exited <- m.cmd.Wait() }()
	return exited
}

// health is the HTTP status of /healthz, 0 if meetd does not answer.
func (m *meetd) health() int {
	res, err := m.httpClient().Get(m.base + "/healthz")
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}
