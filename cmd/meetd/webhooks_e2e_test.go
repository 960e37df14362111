package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/webhook"
)

// hookEvent is a webhook body as a receiver reads it.
type hookEvent struct {
	Event     string `json:"event"`
	ID        string `json:"id"`
	CreatedAt int64  `json:"created_at"`
	Room      *struct {
		SID             string `json:"sid"`
		RoomID          string `json:"room_id"`
		Name            string `json:"name"`
		EmptyTimeout    int    `json:"empty_timeout"`
		MaxParticipants int    `json:"max_participants"`
		CreationTime    int64  `json:"creation_time"`
		Metadata        string `json:"metadata"`
		NumParticipants int    `json:"num_participants"`
	} `json:"room"`
	Participant *participantInfo `json:"participant"`
	Track       *struct {
		SID    string `json:"sid"`
		Type   string `json:"type"`
		Source string `json:"source"`
	} `json:"track"`
}

// hookRequest is one request a receiver got.
type hookRequest struct {
	At     time.Time
	Event  hookEvent
	Body   []byte
	Header http.Header
	Status int   // what the receiver answered; 0 while it has not
	Verify error // LiveKit's ReceiveWebhookEvent with the API key and secret
}

// hooks is a local webhook receiver: it verifies every request with LiveKit's verifier, records
// it, and answers what answer says (200 when nil).
type hooks struct {
	*httptest.Server
	t      testing.TB
	mu     sync.Mutex
	got    []hookRequest
	answer func(e hookEvent, w http.ResponseWriter) int
}

func newHooks(t testing.TB, env map[string]string, answer func(e hookEvent, w http.ResponseWriter) int) *hooks {
	h := &hooks{t: t, answer: answer}
	provider := auth.NewSimpleKeyProvider(env["MEETD_API_KEY"], env["MEETD_API_SECRET"])
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rq := hookRequest{At: time.Now(), Body: body, Header: r.Header.Clone()}
		if err := json.Unmarshal(body, &rq.Event); err != nil {
			t.Errorf("webhook body is not JSON: %v", err)
		}
		lk := r.Clone(context.Background())
		lk.Body = io.NopCloser(bytes.NewReader(body))
		_, rq.Verify = webhook.ReceiveWebhookEvent(lk, provider)
		h.mu.Lock()
		i := len(h.got)
		h.got = append(h.got, rq) // recorded on arrival, its answer once given
		h.mu.Unlock()
		status := 200
		if h.answer != nil {
			status = h.answer(rq.Event, w)
		}
		h.mu.Lock()
		h.got[i].Status = status
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hooks) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.got)
}

// delivered is the requests answered 2xx, in the order they came.
func (h *hooks) delivered() []hookRequest {
	var out []hookRequest
	for _, r := range h.requests() {
		if r.Status/100 == 2 {
			out = append(out, r)
		}
	}
	return out
}

// deliveredIDs counts the 2xx answers by event id.
func (h *hooks) deliveredIDs() map[string]int {
	out := map[string]int{}
	for _, r := range h.delivered() {
		out[r.Event.ID]++
	}
	return out
}

func (h *hooks) waitDelivered(n int, timeout time.Duration) []hookRequest {
	h.t.Helper()
	eventually(h.t, timeout, fmt.Sprintf("%d webhooks delivered", n), func() bool { return len(h.delivered()) >= n })
	return h.delivered()
}

// checkVerified checks that every request verified with LiveKit's verifier and that a one-byte
// change of its body does not.
func (h *hooks) checkVerified(env map[string]string) {
	h.t.Helper()
	provider := auth.NewSimpleKeyProvider(env["MEETD_API_KEY"], env["MEETD_API_SECRET"])
	for _, r := range h.requests() {
		if r.Verify != nil {
			h.t.Errorf("%s %s does not verify with LiveKit's ReceiveWebhookEvent: %v", r.Event.Event, r.Event.ID, r.Verify)
		}
		if r.Header.Get("Hash-Token") != r.Header.Get("Authorization") {
			h.t.Errorf("Hash-Token differs from Authorization")
		}
		for _, i := range []int{0, len(r.Body) / 2, len(r.Body) - 1} {
			changed := bytes.Clone(r.Body)
			changed[i]++
			req := httptest.NewRequest("POST", "/", bytes.NewReader(changed))
			req.Header = r.Header.Clone()
			if _, err := webhook.ReceiveWebhookEvent(req, provider); err == nil {
				h.t.Errorf("%s with byte %d changed verifies", r.Event.ID, i)
			}
		}
	}
}

type deliveryList struct {
	envelope
	Result struct {
		Total          int `json:"total"`
		From           int `json:"from"`
		Limit          int `json:"limit"`
		DeliveriesList []struct {
			ID             string `json:"id"`
			Event          string `json:"event"`
			RoomID         string `json:"room_id"`
			URL            string `json:"url"`
			Status         string `json:"status"`
			Attempts       int    `json:"attempts"`
			LastStatusCode int    `json:"last_status_code"`
			LastError      string `json:"last_error"`
			NextAttemptAt  int64  `json:"next_attempt_at"`
			CreatedAt      int64  `json:"created_at"`
			DeliveredAt    int64  `json:"delivered_at"`
		} `json:"deliveries_list"`
	} `json:"result"`
}

func (m *meetd) deliveries(body map[string]any) deliveryList {
	m.t.Helper()
	var res deliveryList
	m.post("/auth/webhook/deliveries", body, &res)
	return res
}

// Acceptance 1 and 2: a meeting with real bots sends each event once, in a valid order, with the
// session's sid and the participants filled, every request verified by LiveKit's own verifier.
func TestWebhooksMeeting(t *testing.T) {
	env := testEnv(t, nil)
	h := newHooks(t, env, nil)
	env["MEETD_WEBHOOK_URLS"] = h.URL
	m := startMeetd(t, env)

	created := m.create("hooked", nil)
	b1, b2 := m.bot("hooked", "u1"), m.bot("hooked", "u2")
	for _, pub := range []func() error{
		func() error { _, err := b1.PublishAudio(); return err },
		func() error { _, err := b1.PublishVideo(); return err },
		func() error { _, err := b2.PublishAudio(); return err },
	} {
		if err := pub(); err != nil {
			t.Fatal(err)
		}
	}
	count := func(name string) int {
		n := 0
		for _, r := range h.delivered() {
			if r.Event.Event == name {
				n++
			}
		}
		return n
	}
	eventually(t, 15*time.Second, "3 tracks published", func() bool { return count("track_published") == 3 })
	b1.Leave()
	b2.Leave()
	// Who LiveKit has not reported gone by then, the end reports: participant_left comes once either way.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && count("participant_left") < 2; {
		time.Sleep(50 * time.Millisecond)
	}
	var end struct{ envelope }
	m.post("/auth/room/endRoom", map[string]any{"room_id": "hooked"}, &end)
	if !end.Status {
		t.Fatalf("endRoom: %+v", end)
	}
	eventually(t, 10*time.Second, "room_finished", func() bool { return count("room_finished") == 1 })
	time.Sleep(300 * time.Millisecond) // anything extra would have come by now

	got := h.delivered()
	if len(got) != len(h.requests()) {
		t.Errorf("%d requests for %d events: a healthy receiver got retries", len(h.requests()), len(got))
	}
	var names []string
	ids := map[string]bool{}
	type key struct{ event, who, track string }
	seen := map[key]int{} // position
	for i, r := range got {
		e := r.Event
		names = append(names, e.Event)
		if ids[e.ID] || e.ID == "" {
			t.Errorf("event id %q twice or empty", e.ID)
		}
		ids[e.ID] = true
		if e.Room == nil || e.Room.SID != created.SID || e.Room.RoomID != "hooked" || e.Room.Name != "Room hooked" || e.CreatedAt == 0 {
			t.Errorf("%s: room %+v", e.Event, e.Room)
		}
		k := key{event: e.Event}
		if strings.HasPrefix(e.Event, "participant_") || strings.HasPrefix(e.Event, "track_") {
			p := e.Participant
			if p == nil || p.SID == "" || p.Name == "" || p.JoinedAt == 0 || p.State == "" || (p.Identity != "u1" && p.Identity != "u2") {
				t.Errorf("%s: participant %+v", e.Event, p)
				continue
			}
			k.who = p.Identity
		}
		if strings.HasPrefix(e.Event, "track_") {
			if e.Track == nil || e.Track.SID == "" || e.Track.Type == "" || e.Track.Source == "" {
				t.Errorf("%s: track %+v", e.Event, e.Track)
				continue
			}
			k.track = e.Track.Source
		}
		if _, dup := seen[k]; dup {
			t.Errorf("%v twice", k)
		}
		seen[k] = i
	}
	t.Logf("events: %v", names)
	want := map[string]int{"room_created": 1, "room_started": 1, "participant_joined": 2, "track_published": 3,
		"participant_left": 2, "room_finished": 1, "session_ended": 1}
	for _, n := range names {
		if _, ok := want[n]; !ok && n != "track_unpublished" && n != "analytics_proceeded" && n != "artifact_created" {
			t.Errorf("unexpected event %s", n)
		}
	}
	for name, n := range want {
		if count(name) != n {
			t.Errorf("%d %s, want %d", count(name), name, n)
		}
	}
	if n := count("track_unpublished"); n > 3 {
		t.Errorf("%d track_unpublished for 3 tracks", n)
	}
	// A valid order: created, started, then per participant joined → tracks → left; finished
	// last, but for what the end itself produces (session_ended right after it, the attendance
	// report and its artifact).
	finished := seen[key{event: "room_finished"}]
	if finished+1 >= len(names) || names[finished+1] != "session_ended" {
		t.Errorf("session_ended does not follow room_finished: %v", names)
	}
	if names[0] != "room_created" || seen[key{event: "room_started"}] > min(seen[key{"participant_joined", "u1", ""}], seen[key{"participant_joined", "u2", ""}]) {
		t.Errorf("order: %v", names)
	}
	for _, name := range names[finished+1:] {
		if name != "session_ended" && name != "analytics_proceeded" && name != "artifact_created" && name != "end_recording" && name != "recording_proceeded" {
			t.Errorf("%s after room_finished: %v", name, names)
		}
	}
	for k, i := range seen {
		if k.who == "" {
			continue
		}
		joined, left := seen[key{"participant_joined", k.who, ""}], seen[key{"participant_left", k.who, ""}]
		switch {
		case k.event == "track_published" && !(joined < i && i < left),
			k.event == "track_unpublished" && !(seen[key{"track_published", k.who, k.track}] < i && i < left):
			t.Errorf("%v at %d: joined at %d, left at %d; order %v", k, i, joined, left, names)
		}
	}
	h.checkVerified(env)

	list := m.deliveries(map[string]any{"room_id": "hooked", "status": "delivered", "limit": 100})
	if !list.Status || list.Result.Total != len(got) || len(list.Result.DeliveriesList) != len(got) {
		t.Errorf("deliveries: %+v", list)
	}
}

// Acceptance 7, and the deliveries and redeliver calls: a room's webhook_url gets only its room's
// events, the global URLs get all; a failed delivery can be sent again.
func TestWebhooksRoutingAndAPI(t *testing.T) {
	env := testEnv(t, nil)
	var mu sync.Mutex
	refuse := true
	global := newHooks(t, env, nil)
	roomA := newHooks(t, env, func(e hookEvent, w http.ResponseWriter) int {
		mu.Lock()
		defer mu.Unlock()
		if refuse && e.Event == "room_finished" {
			w.WriteHeader(422)
			return 422
		}
		return 200
	})
	roomB := newHooks(t, env, nil)
	env["MEETD_WEBHOOK_URLS"] = global.URL
	m := startMeetd(t, env)

	a := m.create("room-a", map[string]any{"metadata": map[string]any{"room_title": "A", "webhook_url": roomA.URL}})
	b := m.create("room-b", map[string]any{"metadata": map[string]any{"room_title": "B", "webhook_url": roomB.URL}})
	m.create("room-c", nil)
	for _, id := range []string{"room-a", "room-b", "room-c"} {
		m.post("/auth/room/endRoom", map[string]any{"room_id": id}, nil)
	}
	eventually(t, 10*time.Second, "room-a's room_finished failed", func() bool {
		l := m.deliveries(map[string]any{"room_id": "room-a", "status": "failed"})
		return l.Result.Total == 1
	})
	// Every delivery is done (the end may add events after room_finished: the attendance report).
	eventually(t, 10*time.Second, "all done", func() bool { return m.deliveries(map[string]any{"status": "pending"}).Result.Total == 0 })
	time.Sleep(200 * time.Millisecond)
	ids := func(h *hooks, sid string) (out []string) {
		for _, r := range h.requests() {
			if sid == "" || r.Event.Room.SID == sid {
				out = append(out, r.Event.ID)
			}
		}
		return out
	}
	for _, c := range []struct {
		name string
		h    *hooks
		sid  string
	}{{"room-a", roomA, a.SID}, {"room-b", roomB, b.SID}} {
		own, all := ids(c.h, c.sid), ids(c.h, "")
		if len(own) < 2 || len(own) != len(all) {
			t.Errorf("%s's webhook_url got %d events, %d of its room", c.name, len(all), len(own))
		}
		if g := ids(global, c.sid); !slices.Equal(g, own) {
			t.Errorf("%s: its URL got %v, the global URL %v", c.name, own, g)
		}
		c.h.checkVerified(env)
	}
	if n := len(ids(global, "")); n != len(ids(roomA, ""))+len(ids(roomB, ""))+len(ids(global, ""))-len(ids(global, a.SID))-len(ids(global, b.SID)) || n < 6 {
		t.Errorf("global got %d", n)
	}
	var cEvents []string
	for _, r := range global.requests() {
		if r.Event.Room.RoomID == "room-c" {
			cEvents = append(cEvents, r.Event.Event)
		}
	}
	if len(cEvents) < 2 || cEvents[0] != "room_created" || cEvents[1] != "room_finished" {
		t.Errorf("global got room-c's %v", cEvents)
	}
	global.checkVerified(env)
	total := len(global.requests()) + len(roomA.requests()) + len(roomB.requests())

	// The list: everything, per room, per status, paged.
	all := m.deliveries(map[string]any{"limit": 100})
	if !all.Status || all.StatusCode != "SUCCESS" || all.Result.Total != total || all.Result.Limit != 100 || len(all.Result.DeliveriesList) != total {
		t.Fatalf("all deliveries (%d requests): %+v", total, all)
	}
	if d := m.deliveries(map[string]any{}); d.Result.Limit != 20 {
		t.Errorf("default limit %d", d.Result.Limit)
	}
	failed := m.deliveries(map[string]any{"roomId": "room-a", "status": "failed"})
	if failed.Result.Total != 1 {
		t.Fatalf("failed: %+v", failed)
	}
	f := failed.Result.DeliveriesList[0]
	if f.Event != "room_finished" || f.URL != roomA.URL || f.Attempts != 1 || f.LastStatusCode != 422 ||
		!strings.Contains(f.LastError, "422") || f.NextAttemptAt != 0 || f.DeliveredAt != 0 || f.CreatedAt == 0 {
		t.Errorf("failed delivery: %+v", f)
	}
	page := m.deliveries(map[string]any{"from": 2, "limit": 3})
	if page.Result.Total != total || page.Result.From != 2 || len(page.Result.DeliveriesList) != 3 ||
		page.Result.DeliveriesList[0].ID != all.Result.DeliveriesList[2].ID {
		t.Errorf("page: %+v", page.Result)
	}
	if l := m.deliveries(map[string]any{"room_id": "nobody"}); !l.Status || l.Result.Total != 0 || l.Result.DeliveriesList == nil {
		t.Errorf("no deliveries: %+v", l)
	}

	// Sending a failed delivery again.
	mu.Lock()
	refuse = false
	mu.Unlock()
	var redo struct {
		envelope
		Requeued int `json:"requeued"`
	}
	m.post("/auth/webhook/redeliver", map[string]any{"id": f.ID}, &redo)
	if !redo.Status || redo.Requeued != 1 {
		t.Fatalf("redeliver: %+v", redo)
	}
	eventually(t, 10*time.Second, "redelivered", func() bool { return roomA.deliveredIDs()[f.ID] == 1 })
	eventually(t, 5*time.Second, "delivered", func() bool { return m.deliveries(map[string]any{"status": "delivered"}).Result.Total == total })

	// Bad input.
	for _, c := range []struct {
		path string
		body string
		code string
		word string
	}{
		{"deliveries", `{"status":"lost"}`, "INVALID_PARAMETERS", "status"},
		{"deliveries", `{"room_id":"a b"}`, "INVALID_PARAMETERS", "room_id"},
		{"deliveries", `{"from":-1}`, "INVALID_PARAMETERS", "from"},
		{"deliveries", `{"limit":-5}`, "INVALID_PARAMETERS", "limit"},
		{"deliveries", `{"limit":"ten"}`, "INVALID_PARAMETERS", "limit"},
		{"deliveries", `[1]`, "INVALID_PARAMETERS", "object"},
		{"redeliver", `{}`, "INVALID_PARAMETERS", "id"},
		{"redeliver", `{"id":5}`, "INVALID_PARAMETERS", "id"},
		{"redeliver", `{"id":"` + f.ID + `","url":"not a url"}`, "INVALID_PARAMETERS", "url"},
		{"redeliver", `{"id":"EV_unknown"}`, "NOT_FOUND", "EV_unknown"},
		{"redeliver", `{"id":"` + f.ID + `"}`, "CONFLICT", "no failed delivery"},
	} {
		var res envelope
		if code := m.post("/auth/webhook/"+c.path, []byte(c.body), &res); code != 200 || res.Status || res.StatusCode != c.code || !strings.Contains(res.Msg, c.word) {
			t.Errorf("%s %s: HTTP %d %+v, want %s naming %q", c.path, c.body, code, res, c.code, c.word)
		}
	}
	var res envelope
	if code := m.raw("/auth/webhook/deliveries", []byte(`{}`), map[string]string{"API-KEY": "test-key", "HASH-SIGNATURE": "00"}, &res); code != 401 {
		t.Errorf("unsigned: %d %+v", code, res)
	}
}

// Acceptance 3: the receiver is down, then up: nothing is lost, each room's order is kept, and the
// attempts are spaced by the configured backoff.
func TestWebhooksReceiverDownThenUp(t *testing.T) {
	env := testEnv(t, map[string]string{"MEETD_WEBHOOK_BACKOFF_BASE": "100ms", "MEETD_WEBHOOK_BACKOFF_MAX": "400ms"})
	var mu sync.Mutex
	down := true
	h := newHooks(t, env, func(e hookEvent, w http.ResponseWriter) int {
		mu.Lock()
		defer mu.Unlock()
		if down {
			w.WriteHeader(503)
			return 503
		}
		return 200
	})
	env["MEETD_WEBHOOK_URLS"] = h.URL
	m := startMeetd(t, env)
	rooms := []string{"d1", "d2", "d3"}
	sids := map[string]string{}
	for _, id := range rooms {
		sids[id] = m.create(id, nil).SID
	}
	for _, id := range rooms {
		m.post("/auth/room/endRoom", map[string]any{"room_id": id}, nil)
	}
	// Down long enough for the first events to be tried 6 times (0.1 + 0.2 + 0.4 + 0.4 + 0.4 s at most).
	eventually(t, 10*time.Second, "6 attempts each", func() bool { return len(h.requests()) >= 18 })
	mu.Lock()
	down = false
	mu.Unlock()
	h.waitDelivered(6, 10*time.Second)
	eventually(t, 10*time.Second, "all done", func() bool { return m.deliveries(map[string]any{"status": "pending"}).Result.Total == 0 })
	got := h.delivered()

	for _, id := range rooms {
		var order []string
		for _, r := range got {
			if r.Event.Room.RoomID == id {
				order = append(order, r.Event.Event)
				if r.Event.Room.SID != sids[id] {
					t.Errorf("%s: sid %s", id, r.Event.Room.SID)
				}
			}
		}
		if !strings.HasPrefix(strings.Join(order, ",")+",", "room_created,room_finished,") {
			t.Errorf("%s delivered %v", id, order)
		}
		// Attempts of the room's first event: the gap before attempt k+1 is in
		// [½, 1] × min(400 ms, 100 ms × 2^(k-1)), plus the time an attempt takes.
		var at []time.Time
		var finishedBefore bool
		for _, r := range h.requests() {
			if r.Event.Room.RoomID != id {
				continue
			}
			if r.Event.Event == "room_created" {
				at = append(at, r.At)
				if finishedBefore {
					t.Errorf("%s: room_finished was sent before room_created was delivered", id)
				}
			} else {
				finishedBefore = true
			}
		}
		for k := 1; k < len(at); k++ {
			full := min(400*time.Millisecond, 100*time.Millisecond<<(k-1))
			if gap := at[k].Sub(at[k-1]); gap < full/2-5*time.Millisecond || gap > full+300*time.Millisecond {
				t.Errorf("%s: gap before attempt %d = %s, want about [%s, %s]", id, k+1, gap, full/2, full)
			}
		}
	}
	h.checkVerified(env)
}

// Acceptance 5: a receiver that accepts and never answers delays only its own room.
func TestWebhooksHangingReceiver(t *testing.T) {
	env := testEnv(t, nil)
	release := make(chan struct{})
	hang := newHooks(t, env, func(e hookEvent, w http.ResponseWriter) int {
		select {
		case <-release:
		case <-time.After(time.Minute):
		}
		return 200
	})
	var once sync.Once
	unhang := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unhang)
	ok := newHooks(t, env, nil)
	m := startMeetd(t, env)
	m.create("stuck", map[string]any{"metadata": map[string]any{"room_title": "Stuck", "webhook_url": hang.URL}})
	eventually(t, 5*time.Second, "the hanging receiver has the first event", func() bool { return len(hang.requests()) == 1 })
	start := time.Now()
	for i := range 5 {
		id := "free" + strconv.Itoa(i)
		m.create(id, map[string]any{"metadata": map[string]any{"room_title": "Free", "webhook_url": ok.URL}})
		m.post("/auth/room/endRoom", map[string]any{"room_id": id}, nil)
	}
	m.post("/auth/room/endRoom", map[string]any{"room_id": "stuck"}, nil)
	ok.waitDelivered(10, 5*time.Second)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("other rooms' events took %s", d)
	}
	var l deliveryList
	eventually(t, 5*time.Second, "the stuck room's later events queued", func() bool {
		l = m.deliveries(map[string]any{"room_id": "stuck"})
		return l.Result.Total >= 2
	})
	for _, d := range l.Result.DeliveriesList {
		// room_created is in flight; the later events wait behind it, with no attempt time
		if d.Status != "pending" || d.Attempts != 0 || (d.Event == "room_created") != (d.NextAttemptAt != 0) {
			t.Errorf("stuck: %+v", d)
		}
	}
	if n := len(hang.requests()); n != 1 {
		t.Errorf("the hanging receiver got %d requests", n)
	}
	unhang() // and the stuck room's events follow
	eventually(t, 5*time.Second, "stuck room delivered", func() bool {
		return m.deliveries(map[string]any{"room_id": "stuck", "status": "delivered"}).Result.Total >= l.Result.Total &&
			m.deliveries(map[string]any{"room_id": "stuck", "status": "pending"}).Result.Total == 0
	})
	if got := hang.delivered(); got[0].Event.Event != "room_created" || got[1].Event.Event != "room_finished" {
		t.Errorf("stuck room: %s, %s", got[0].Event.Event, got[1].Event.Event)
	}
}

// Acceptance 6: kill -9 with 200 undelivered events; after the restart all 200 are delivered,
// each id at most twice.
func TestWebhooksKill9(t *testing.T) {
	env := testEnv(t, map[string]string{"MEETD_WEBHOOK_BACKOFF_BASE": "50ms", "MEETD_WEBHOOK_BACKOFF_MAX": "200ms"})
	var mu sync.Mutex
	up := false
	h := newHooks(t, env, func(e hookEvent, w http.ResponseWriter) int {
		mu.Lock()
		isUp := up
		mu.Unlock()
		if !isUp {
			w.WriteHeader(503)
			return 503
		}
		time.Sleep(5 * time.Millisecond) // slow enough to be killed in the middle
		return 200
	})
	env["MEETD_WEBHOOK_URLS"] = h.URL
	m := startProcess(t, env)
	for i := range 200 {
		m.create("k"+strconv.Itoa(i), nil)
	}
	eventually(t, 10*time.Second, "200 pending", func() bool {
		l := m.deliveries(map[string]any{"status": "pending"})
		return l.Result.Total == 200
	})
	if n := len(h.deliveredIDs()); n != 0 {
		t.Fatalf("%d delivered while the receiver was down", n)
	}
	mu.Lock()
	up = true
	mu.Unlock()
	eventually(t, 10*time.Second, "some delivered", func() bool { return len(h.deliveredIDs()) >= 40 })
	m.kill9()
	before := len(h.deliveredIDs())
	if before >= 200 {
		t.Fatalf("all delivered before the kill: make the receiver slower")
	}
	m = startProcess(t, env)
	eventually(t, 20*time.Second, "all 200 delivered", func() bool { return len(h.deliveredIDs()) == 200 })
	time.Sleep(200 * time.Millisecond)
	twice := 0
	for id, n := range h.deliveredIDs() {
		if n > 2 {
			t.Errorf("%s delivered %d times", id, n)
		}
		if n == 2 {
			twice++
		}
	}
	t.Logf("%d delivered before the kill, %d delivered twice", before, twice)
	if l := m.deliveries(map[string]any{"status": "delivered"}); l.Result.Total != 200 {
		t.Errorf("deliveries: %d delivered", l.Result.Total)
	}
}
