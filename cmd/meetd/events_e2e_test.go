package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

type sseEvent struct {
	ID    int64
	Event string
	Data  map[string]any
}

// readSSE connects to the event stream and sends what arrives on a channel until ctx ends.
func readSSE(t *testing.T, url, lastID string) (<-chan sseEvent, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("event stream: HTTP %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 1000)
	go func() {
		defer res.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var e sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if e.Event != "" {
					out <- e
				}
				e = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				e.ID, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				e.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(line[6:]), &e.Data)
			}
		}
	}()
	return out, cancel
}

func (m *meetd) streamURL() string {
	m.t.Helper()
	var res struct {
		envelope
		Token string `json:"token"`
	}
	m.post("/auth/events/token", map[string]any{}, &res)
	if !res.Status || res.Token == "" {
		m.t.Fatalf("events/token: %+v", res.envelope)
	}
	return m.base + "/auth/events?token=" + res.Token
}

// collect reads events until one satisfies done or the timeout passes.
func collect(t *testing.T, ch <-chan sseEvent, timeout time.Duration, done func(sseEvent) bool) []sseEvent {
	t.Helper()
	var got []sseEvent
	deadline := time.After(timeout)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("stream closed after %d events", len(got))
			}
			got = append(got, e)
			if done(e) {
				return got
			}
		case <-deadline:
			t.Fatalf("stream: not done after %s (%d events)", timeout, len(got))
		}
	}
}

// The event stream delivers every event exactly once, in order, across a reconnect.
func TestEventStream(t *testing.T) {
	env := testEnv(t, nil)
	m := startMeetd(t, env)
	m.create("before", nil) // happened before the stream: not sent

	r, err := http.Get(m.base + "/auth/events?token=forged")
	if err != nil || r.StatusCode != 401 {
		t.Fatalf("forged stream token: %v %v", err, r.StatusCode)
	}
	r.Body.Close()

	ch, stop := readSSE(t, m.streamURL(), "")
	m.create("live", nil)
	a := m.bot("live", "a")
	b := m.bot("live", "b")
	joined := map[string]bool{}
	first := collect(t, ch, 15*time.Second, func(e sseEvent) bool {
		if p, ok := e.Data["participant"].(map[string]any); ok && e.Event == "participant_joined" {
			joined[p["identity"].(string)] = true
		}
		return joined["a"] && joined["b"]
	})
	stop()

	// while disconnected
	a.Leave()
	b.Leave()
	var ended envelope
	m.post("/auth/room/endRoom", map[string]any{"room_id": "live"}, &ended)
	m.create("after", nil)

	last := first[len(first)-1].ID
	ch2, stop2 := readSSE(t, m.streamURL(), strconv.FormatInt(last, 10))
	defer stop2()
	second := collect(t, ch2, 15*time.Second, func(e sseEvent) bool {
		return e.Event == "room_created" && e.Data["room"].(map[string]any)["room_id"] == "after"
	})

	got := append(first, second...)
	// the store's own record of what happened since the stream started
	db, err := sql.Open("sqlite", "file:"+dataDirFile(env, "meetd.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT seq, name FROM events WHERE seq >= ? AND seq <= ? ORDER BY seq`, got[0].ID, got[len(got)-1].ID)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for rows.Next() {
		var seq int64
		var name string
		_ = rows.Scan(&seq, &name)
		want = append(want, strconv.FormatInt(seq, 10)+":"+name)
	}
	rows.Close()
	var have []string
	for _, e := range got {
		have = append(have, strconv.FormatInt(e.ID, 10)+":"+e.Event)
	}
	if strings.Join(have, " ") != strings.Join(want, " ") {
		t.Fatalf("stream\n%v\nstore\n%v", have, want)
	}
	if got[0].Event != "room_created" || got[0].Data["room"].(map[string]any)["room_id"] != "live" {
		t.Errorf("the stream began with %+v, want room_created of live", got[0])
	}
	names := strings.Join(have, " ")
	for _, must := range []string{"room_started", "participant_left", "room_finished"} {
		if !strings.Contains(names, must) {
			t.Errorf("no %s in %s", must, names)
		}
	}
}

// A stream resumed from before the oldest event kept (older ones were pruned, see `retention`)
// starts with a gap event, so that the client reads the state again.
func TestEventStreamGap(t *testing.T) {
	env := testEnv(t, nil)
	m := startMeetd(t, env)
	for _, id := range []string{"g1", "g2", "g3"} {
		m.create(id, nil)
	}
	// what pruning does to old events (store.Prune itself is tested in the store suite)
	db, err := sql.Open("sqlite", "file:"+dataDirFile(env, "meetd.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM events WHERE seq <= (SELECT min(seq) + 1 FROM events)`); err != nil {
		t.Fatal(err)
	}
	var oldest int64
	if err := db.QueryRow(`SELECT min(seq) FROM events`).Scan(&oldest); err != nil {
		t.Fatal(err)
	}
	db.Close()

	ch, stop := readSSE(t, m.streamURL(), "1")
	defer stop()
	got := collect(t, ch, 10*time.Second, func(e sseEvent) bool { return e.Event == "room_created" })
	if len(got) < 2 || got[0].Event != "gap" || got[0].Data["after"] != float64(1) || got[0].Data["oldest"] != float64(oldest) {
		t.Fatalf("resumed from before the oldest event: %+v", got)
	}
}
