package outbox_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/webhook"

	meetauth "meetd/internal/auth"
	"meetd/internal/meet"
	"meetd/internal/meettest"
	"meetd/internal/outbox"
	"meetd/internal/store"
	"meetd/internal/store/pgtest"
)

var keys = meetauth.Keys{APIKey: "hook-key", APISecret: "hook-secret-0123456789abcdef0123456789"}

// clock is a fake clock; the dispatcher looks at it whenever it wakes up.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock starts a minute ago, on a whole second: the signatures it makes are valid now.
func newClock() *clock { return &clock{t: time.Now().Add(-time.Minute).Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

// eventStore is what these tests need of a store: the dispatcher's part, writing events as the room
// service does, and the wake-up it calls after events were written.
type eventStore interface {
	outbox.Store
	AddEvents(ctx context.Context, events ...meet.Event) error
	Wake() outbox.Wake
}

// wakingStore is a store opened with a wake-up for the dispatcher.
type wakingStore struct {
	*store.Store
	wake outbox.Wake
}

func (s wakingStore) Wake() outbox.Wake { return s.wake }

// opener opens a new, empty store for a test.
type opener func(testing.TB) eventStore

// stores are the stores the dispatcher is tested on. The PostgreSQL tests are skipped when no
// server is given (see pgtest).
var stores = []struct {
	name string
	open opener
}{
	{"sqlite", openSQLite},
	{"postgres", openPostgres},
}

// eachStore runs a test once on each store, as subtests.
func eachStore(t *testing.T, test func(t *testing.T, openStore opener)) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) { test(t, s.open) })
	}
}

func openSQLite(t testing.TB) eventStore {
	t.Helper()
	wake := outbox.NewWake()
	s, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "meetd.db"), store.WakeUp(wake.Notify))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return wakingStore{s, wake}
}

func openPostgres(t testing.TB) eventStore {
	t.Helper()
	wake := outbox.NewWake()
	s, err := store.OpenPostgres(context.Background(), pgtest.NewDatabase(t), store.WakeUp(wake.Notify))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return wakingStore{s, wake}
}

// start runs a dispatcher on store until the test ends.
func start(t testing.TB, store eventStore, cfg outbox.Config) *outbox.Dispatcher {
	t.Helper()
	cfg.Keys, cfg.Wake = keys, store.Wake()
	cfg.AllowPrivate = true // the receivers are on loopback
	if cfg.Poll == 0 {
		cfg.Poll = 20 * time.Millisecond
	}
	d := outbox.New(store, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx, 100*time.Millisecond) }()
	t.Cleanup(func() { cancel(); <-done })
	return d
}

var evSeq atomic.Int64

// event writes an event of a room as the room service does; webhookURL is the room's own.
func event(t testing.TB, store eventStore, roomID, name, webhookURL string) meet.Event {
	t.Helper()
	sess := &meet.Session{SID: "RM_" + roomID, RoomID: roomID, EmptyTimeout: 60, CreatedAt: time.Unix(1700000000, 0)}
	sess.Metadata.RoomTitle = "Room " + roomID
	sess.Metadata.WebhookURL = webhookURL
	e := meet.NewEvent(name, sess, time.Now())
	e.ID = "EV_" + roomID + "_" + strconv.FormatInt(evSeq.Add(1), 10)
	if err := store.AddEvents(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

func itoa(n int) string { return strconv.Itoa(n) }

func deliveries(t testing.TB, d *outbox.Dispatcher, roomID string) []outbox.Info {
	t.Helper()
	list, _, _, err := d.List(context.Background(), outbox.ListRequest{RoomID: roomID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// advanceToNext moves the fake clock to the next due attempt of the only delivery of roomID
// and wakes the dispatcher; it returns that time.
func advanceToNext(t testing.TB, c *clock, d *outbox.Dispatcher, roomID string) time.Time {
	t.Helper()
	var next time.Time
	meettest.Eventually(t, 2*time.Second, "a next attempt is scheduled", func() bool {
		list := deliveries(t, d, roomID)
		if len(list) == 1 && list[0].Status == outbox.Pending && !list[0].NextAttemptAt.IsZero() && list[0].LastAttemptAt.Equal(c.Now()) {
			next = list[0].NextAttemptAt
			return true
		}
		return false
	})
	c.Set(next)
	d.Notify()
	return next
}

// Acceptance 4: 500, 500, 500, 200 → delivered on the fourth attempt with the same id, each
// attempt signed afresh, the attempts spaced by the backoff.
func TestOutboxRetriesUntilDelivered(t *testing.T) { eachStore(t, retriesUntilDelivered) }

func retriesUntilDelivered(t *testing.T, openStore opener) {
	store := openStore(t)
	c := newClock()
	rc := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{Clock: c.Now, Respond: func(n int, _ meettest.Delivery, w http.ResponseWriter) {
		if n <= 3 {
			w.WriteHeader(500)
		}
	}})
	d := start(t, store, outbox.Config{Now: c.Now, BackoffBase: 2 * time.Second, BackoffMax: time.Minute, Jitter: func() float64 { return 0.5 }})
	e := event(t, store, "r4", meet.EventRoomCreated, rc.URL)

	rc.WaitFor(1, 2*time.Second)
	for i := 1; i <= 3; i++ {
		advanceToNext(t, c, d, "r4")
		rc.WaitFor(i+1, 2*time.Second)
	}
	meettest.Eventually(t, 2*time.Second, "delivered", func() bool { return deliveries(t, d, "r4")[0].Status == outbox.Delivered })
	got := rc.Requests()
	if len(got) != 4 {
		t.Fatalf("%d requests, want 4", len(got))
	}
	exps := map[int64]bool{}
	for i, r := range got {
		if r.Event.ID != e.ID || !bytes.Equal(r.Body, got[0].Body) {
			t.Errorf("attempt %d: id %s (want %s) or body changed", i+1, r.Event.ID, e.ID)
		}
		if r.Verify != nil {
			t.Errorf("attempt %d does not verify: %v", i+1, r.Verify)
		}
		exps[jwtExp(t, r.Header.Get("Authorization"))] = true
	}
	if len(exps) != 4 {
		t.Errorf("the 4 attempts carry %d distinct expiries, want a fresh signature each", len(exps))
	}
	// equal jitter at 0.5: ¾ of 2 s, 4 s, 8 s
	for i, want := range []time.Duration{1500 * time.Millisecond, 3 * time.Second, 6 * time.Second} {
		if gap := got[i+1].At.Sub(got[i].At); gap != want {
			t.Errorf("gap before attempt %d = %s, want %s", i+2, gap, want)
		}
	}
	info := deliveries(t, d, "r4")[0]
	if info.Attempts != 4 || info.LastStatusCode != 200 || info.LastError != "" || info.DeliveredAt.IsZero() || info.EventID != e.ID {
		t.Errorf("delivery: %+v", info)
	}
}

func jwtExp(t testing.TB, token string) int64 {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Exp int64 `json:"exp"`
	}
	_ = json.Unmarshal(payload, &c)
	return c.Exp
}

// Acceptance 4: a 400 fails at once, without retry; the room's next event is not held up by it.
func TestOutboxClientErrorFailsAtOnce(t *testing.T) { eachStore(t, clientErrorFailsAtOnce) }

func clientErrorFailsAtOnce(t *testing.T, openStore opener) {
	store := openStore(t)
	c := newClock()
	rc := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{Clock: c.Now, Respond: func(n int, r meettest.Delivery, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(400)
		}
	}})
	d := start(t, store, outbox.Config{Now: c.Now})
	first := event(t, store, "r400", meet.EventRoomCreated, rc.URL)
	second := event(t, store, "r400", meet.EventRoomFinished, rc.URL)
	rc.WaitFor(2, 2*time.Second)
	meettest.Eventually(t, 2*time.Second, "both recorded", func() bool {
		l := deliveries(t, d, "r400")
		return len(l) == 2 && l[0].Status != outbox.Pending && l[1].Status != outbox.Pending
	})
	c.Set(c.Now().Add(48 * time.Hour)) // no retry, however long we wait
	d.Notify()
	time.Sleep(100 * time.Millisecond)
	got := rc.Requests()
	if len(got) != 2 || got[0].Event.ID != first.ID || got[1].Event.ID != second.ID {
		t.Fatalf("requests: %d", len(got))
	}
	byID := map[string]outbox.Info{}
	for _, i := range deliveries(t, d, "r400") {
		byID[i.EventID] = i
	}
	if f := byID[first.ID]; f.Status != outbox.Failed || f.Attempts != 1 || f.LastStatusCode != 400 || f.LastError != "HTTP 400 Bad Request" || !f.NextAttemptAt.IsZero() {
		t.Errorf("400: %+v", f)
	}
	if s := byID[second.ID]; s.Status != outbox.Delivered {
		t.Errorf("next event: %+v", s)
	}
	for _, code := range []int{408, 429, 503} { // these are worth another try
		store := openStore(t)
		rc := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{Clock: c.Now, Respond: func(n int, r meettest.Delivery, w http.ResponseWriter) { w.WriteHeader(code) }})
		d := start(t, store, outbox.Config{Now: c.Now})
		event(t, store, "rx", meet.EventRoomCreated, rc.URL)
		rc.WaitFor(1, 2*time.Second)
		meettest.Eventually(t, 2*time.Second, "attempt recorded", func() bool { return deliveries(t, d, "rx")[0].Attempts == 1 })
		if i := deliveries(t, d, "rx")[0]; i.Status != outbox.Pending || i.NextAttemptAt.IsZero() {
			t.Errorf("%d: %+v", code, i)
		}
	}
}

// Acceptance 4: 429 with Retry-After: 2 → the next attempt no sooner than 2 s later.
func TestOutboxRetryAfter(t *testing.T) { eachStore(t, retryAfter) }

func retryAfter(t *testing.T, openStore opener) {
	store := openStore(t)
	c := newClock()
	rc := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{Clock: c.Now, Respond: func(n int, r meettest.Delivery, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(429)
		}
	}})
	// The backoff alone would retry after 10 ms: the answer's Retry-After wins.
	d := start(t, store, outbox.Config{Now: c.Now, BackoffBase: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond})
	event(t, store, "r429", meet.EventRoomCreated, rc.URL)
	first := rc.WaitFor(1, 2*time.Second)[0].At
	meettest.Eventually(t, 2*time.Second, "retry scheduled", func() bool { return deliveries(t, d, "r429")[0].Attempts == 1 })
	if next := deliveries(t, d, "r429")[0].NextAttemptAt; next.Sub(first) < 2*time.Second {
		t.Fatalf("next attempt %s after the 429, want ≥ 2 s", next.Sub(first))
	}
	c.Set(first.Add(1999 * time.Millisecond))
	d.Notify()
	time.Sleep(150 * time.Millisecond)
	if n := len(rc.Requests()); n != 1 {
		t.Fatalf("%d requests before Retry-After passed", n)
	}
	c.Set(first.Add(2 * time.Second))
	d.Notify()
	got := rc.WaitFor(2, 2*time.Second)
	if gap := got[1].At.Sub(got[0].At); gap < 2*time.Second {
		t.Errorf("second attempt %s after the 429", gap)
	}
	meettest.Eventually(t, 2*time.Second, "delivered", func() bool { return deliveries(t, d, "r429")[0].Status == outbox.Delivered })
}

// Acceptance 3: the receiver is down for a while, then up: nothing is lost, each room's order is
// kept, and the attempts are spaced by the backoff (base doubling up to the cap, equal jitter).
func TestOutboxReceiverDownThenUp(t *testing.T) { eachStore(t, receiverDownThenUp) }

func receiverDownThenUp(t *testing.T, openStore opener) {
	store := openStore(t)
	c := newClock()
	var mu sync.Mutex
	down := true
	rc := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{Clock: c.Now, Respond: func(n int, r meettest.Delivery, w http.ResponseWriter) {
		mu.Lock()
		defer mu.Unlock()
		if down {
			w.WriteHeader(503)
		}
	}})
	base, ceiling := time.Second, 8*time.Second
	d := start(t, store, outbox.Config{URLs: []string{rc.URL}, Now: c.Now, BackoffBase: base, BackoffMax: ceiling})
	rooms := []string{"ra", "rb", "rc"}
	want := map[string][]string{}
	for i := 0; i < 5; i++ {
		for _, room := range rooms {
			want[room] = append(want[room], event(t, store, room, meet.EventParticipantJoined, "").ID)
		}
	}
	all := func() []outbox.Info { return deliveries(t, d, "") }
	attempts := func() (n int) {
		for _, i := range all() {
			n += i.Attempts
		}
		return n
	}
	// step moves the clock to the earliest scheduled attempt and waits until one more is
	// recorded; false if none is scheduled.
	step := func() bool {
		before := attempts()
		var next time.Time
		for _, i := range all() {
			if i.Status == outbox.Pending && !i.NextAttemptAt.IsZero() && (next.IsZero() || i.NextAttemptAt.Before(next)) {
				next = i.NextAttemptAt
			}
		}
		if next.IsZero() {
			return false
		}
		c.Set(next)
		d.Notify()
		meettest.Eventually(t, 2*time.Second, "an attempt", func() bool { return attempts() > before })
		return true
	}
	meettest.Eventually(t, 2*time.Second, "first attempts", func() bool { return attempts() == 3 })
	for attempts() < 3*6 {
		step()
	}
	mu.Lock()
	down = false
	mu.Unlock()
	for i := 0; ; i++ {
		done := 0
		for _, i := range all() {
			if i.Status == outbox.Delivered {
				done++
			}
		}
		if done == 15 {
			break
		}
		if i > 500 {
			t.Fatalf("%d of 15 delivered", done)
		}
		if !step() {
			time.Sleep(5 * time.Millisecond) // attempts in flight
		}
	}

	byRoom := map[string][]meettest.Delivery{}
	for _, r := range rc.Requests() {
		byRoom[r.Event.Room.RoomID] = append(byRoom[r.Event.Room.RoomID], r)
	}
	for _, room := range rooms {
		var order []string
		for _, r := range byRoom[room] {
			if len(order) == 0 || order[len(order)-1] != r.Event.ID {
				order = append(order, r.Event.ID)
			}
		}
		if strings.Join(order, " ") != strings.Join(want[room], " ") {
			t.Errorf("room %s: order\n%v\nwant\n%v", room, order, want[room])
		}
		// The first event waited out the outage: its attempts follow the backoff.
		var head []time.Time
		for _, r := range byRoom[room] {
			if r.Event.ID == want[room][0] {
				head = append(head, r.At)
			}
		}
		if len(head) < 6 {
			t.Fatalf("room %s: first event attempted %d times", room, len(head))
		}
		for k := 1; k < len(head); k++ {
			full := min(ceiling, base<<(k-1))
			if gap := head[k].Sub(head[k-1]); gap < full/2-time.Millisecond || gap > full {
				t.Errorf("room %s: gap before attempt %d = %s, want in [%s, %s]", room, k+1, gap, full/2, full)
			}
		}
	}
}

// Acceptance 5: a receiver that accepts and never answers delays only its own room (and only
// up to the attempt timeout); another room's events arrive meanwhile, even with every worker
// but one busy, and even when the hanging URL is a global one.
func TestOutboxHangingReceiverDelaysOnlyItsRoom(t *testing.T) {
	eachStore(t, hangingReceiverDelaysOnlyItsRoom)
}

func hangingReceiverDelaysOnlyItsRoom(t *testing.T, openStore opener) {
	store := openStore(t)
	release := make(chan struct{})
	hang := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{Respond: func(n int, r meettest.Delivery, w http.ResponseWriter) {
		select {
		case <-release:
		case <-time.After(time.Minute):
		}
	}})
	t.Cleanup(func() { close(release) }) // before the servers close (cleanups run last first)
	ok := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{})
	d := start(t, store, outbox.Config{URLs: []string{hang.URL}, Workers: 4, PerURL: 2, Timeout: 300 * time.Millisecond})

	slow := event(t, store, "slow", meet.EventRoomCreated, "")
	hang.WaitFor(1, 2*time.Second)
	var fast []string
	for _, room := range []string{"f1", "f2", "f3", "f4", "f5"} {
		for _, name := range []string{meet.EventRoomCreated, meet.EventRoomStarted, meet.EventRoomFinished} {
			fast = append(fast, event(t, store, room, name, ok.URL).ID)
		}
	}
	got := ok.WaitFor(len(fast), 2*time.Second) // well within the hanging attempts' timeout
	seen := map[string]bool{}
	for _, r := range got {
		seen[r.Event.ID] = true
	}
	for _, id := range fast {
		if !seen[id] {
			t.Errorf("event %s did not arrive while the other receiver hung", id)
		}
	}
	// The hanging attempt times out and is tried again; the slow room's next event waits for it.
	later := event(t, store, "slow", meet.EventRoomFinished, "")
	meettest.Eventually(t, 5*time.Second, "timed-out attempt recorded", func() bool {
		for _, i := range deliveries(t, d, "slow") {
			if i.EventID == slow.ID && i.Attempts >= 1 {
				return i.Status == outbox.Pending && strings.Contains(i.LastError, "no answer within 300ms")
			}
		}
		return false
	})
	for _, r := range hang.Requests() {
		if r.Event.ID == later.ID {
			t.Fatal("the room's later event was sent while its first was not delivered")
		}
	}
}

// Acceptance 7: a room's webhook_url receives only that room's events; global URLs receive all.
func TestOutboxRouting(t *testing.T) { eachStore(t, routing) }

func routing(t *testing.T, openStore opener) {
	store := openStore(t)
	g1, g2 := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{}), meettest.NewReceiver(t, keys, meettest.ReceiverOptions{})
	ra, rb := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{}), meettest.NewReceiver(t, keys, meettest.ReceiverOptions{})
	start(t, store, outbox.Config{URLs: []string{g1.URL, g2.URL, g1.URL}}) // a URL given twice gets each event once
	var all, onlyA, onlyB []string
	for i := 0; i < 3; i++ {
		a := event(t, store, "a", meet.EventRoomCreated, ra.URL).ID
		b := event(t, store, "b", meet.EventRoomCreated, rb.URL).ID
		n := event(t, store, "n", meet.EventRoomCreated, "").ID
		all, onlyA, onlyB = append(all, a, b, n), append(onlyA, a), append(onlyB, b)
	}
	// a room whose URL is also a global one gets each event there once
	dup := event(t, store, "dup", meet.EventRoomCreated, g2.URL).ID
	ids := func(rc *meettest.Receiver, n int) []string {
		var out []string
		for _, r := range rc.WaitFor(n, 2*time.Second) {
			out = append(out, r.Event.ID)
		}
		return out
	}
	same := func(what string, got, want []string) {
		t.Helper()
		g, w := map[string]int{}, map[string]int{}
		for _, id := range got {
			g[id]++
		}
		for _, id := range want {
			w[id]++
		}
		if len(got) != len(want) || len(g) != len(w) {
			t.Errorf("%s got %v, want %v", what, got, want)
			return
		}
		for id, n := range w {
			if g[id] != n {
				t.Errorf("%s got %v, want %v", what, got, want)
				return
			}
		}
	}
	time.Sleep(100 * time.Millisecond) // anything extra would have arrived by now
	same("global 1", ids(g1, 10), append(all, dup))
	same("global 2", ids(g2, 10), append(all, dup))
	same("room a", ids(ra, 3), onlyA)
	same("room b", ids(rb, 3), onlyB)
}

// Acceptance 2: every request verifies with LiveKit's own verifier (ReceiveWebhookEvent with the
// API key and secret), which reads the fields meetd shares with LiveKit; a one-byte change of the
// body, or another secret, fails.
func TestOutboxLiveKitVerifier(t *testing.T) { eachStore(t, liveKitVerifier) }

func liveKitVerifier(t *testing.T, openStore opener) {
	store := openStore(t)
	rc := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{})
	start(t, store, outbox.Config{URLs: []string{rc.URL}})
	sess := &meet.Session{SID: "RM_lk", RoomID: "lk", EmptyTimeout: 1800, MaxParticipants: 5, CreatedAt: time.Unix(1700000000, 0), Connected: 1}
	sess.Metadata.RoomTitle = "LiveKit check"
	e := meet.NewEvent(meet.EventTrackPublished, sess, time.Now())
	e.ID = "EV_lkcheck"
	e.Participant = &meet.ParticipantInfo{SID: "PA_1", Identity: "ann", Name: "Ann", State: "ACTIVE", Metadata: `{"is_admin":true}`,
		JoinedAt: 1700000001, Version: 3, IsAdmin: true, IsPublisher: true,
		Permission: meet.Permission{CanPublish: true, CanSubscribe: true, CanPublishData: true},
		Tracks:     []meet.Track{{SID: "TR_1", Type: "VIDEO", Source: "CAMERA", MimeType: "video/VP8", Width: 320, Height: 240}}}
	e.Track = &e.Participant.Tracks[0]
	if err := store.AddEvents(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	r := rc.WaitFor(1, 2*time.Second)[0]
	provider := auth.NewSimpleKeyProvider(keys.APIKey, keys.APISecret)
	receive := func(body []byte, h http.Header, p auth.KeyProvider) (*http.Request, error) {
		req := httptest.NewRequest("POST", "/hook", bytes.NewReader(body))
		req.Header = h.Clone()
		_, err := webhook.ReceiveWebhookEvent(req, p)
		return req, err
	}
	req := httptest.NewRequest("POST", "/hook", bytes.NewReader(r.Body))
	req.Header = r.Header.Clone()
	ev, err := webhook.ReceiveWebhookEvent(req, provider)
	if err != nil {
		t.Fatalf("ReceiveWebhookEvent: %v", err)
	}
	if ev.Event != "track_published" || ev.Id != "EV_lkcheck" || ev.Room.GetSid() != "RM_lk" || ev.Room.GetName() != "LiveKit check" ||
		ev.Room.GetEmptyTimeout() != 1800 || ev.Room.GetMaxParticipants() != 5 || ev.Room.GetNumParticipants() != 1 ||
		ev.Participant.GetIdentity() != "ann" || ev.Participant.GetState().String() != "ACTIVE" || ev.Participant.GetVersion() != 3 ||
		ev.Track.GetSid() != "TR_1" || ev.Track.GetType().String() != "VIDEO" || ev.Track.GetSource().String() != "CAMERA" || ev.Track.GetWidth() != 320 {
		t.Errorf("LiveKit read %v", ev)
	}
	if h := r.Header.Get("Hash-Token"); h == "" || h != r.Header.Get("Authorization") {
		t.Errorf("Hash-Token %q, Authorization %q", h, r.Header.Get("Authorization"))
	}
	for i := range r.Body {
		changed := bytes.Clone(r.Body)
		changed[i] ^= 0x01
		if _, err := receive(changed, r.Header, provider); err == nil {
			t.Fatalf("a body with byte %d changed verifies", i)
		}
	}
	if _, err := receive(r.Body, r.Header, auth.NewSimpleKeyProvider(keys.APIKey, "another-secret-0123456789abcdef0123")); err == nil {
		t.Error("verifies with another secret")
	}
}

// Redeliver queues a failed delivery again; it is then delivered with the same id.
func TestOutboxRedeliver(t *testing.T) { eachStore(t, redeliver) }

func redeliver(t *testing.T, openStore opener) {
	store := openStore(t)
	var mu sync.Mutex
	refuse := true
	rc := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{Respond: func(n int, r meettest.Delivery, w http.ResponseWriter) {
		mu.Lock()
		defer mu.Unlock()
		if refuse {
			w.WriteHeader(410)
		}
	}})
	other := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{})
	d := start(t, store, outbox.Config{URLs: []string{other.URL}})
	e := event(t, store, "re", meet.EventRoomCreated, rc.URL)
	meettest.Eventually(t, 2*time.Second, "failed", func() bool {
		for _, i := range deliveries(t, d, "re") {
			if i.URL == rc.URL {
				return i.Status == outbox.Failed
			}
		}
		return false
	})
	ctx := context.Background()
	if _, err := d.Redeliver(ctx, "EV_nope", ""); meet.CodeOf(err) != meet.CodeNotFound {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := d.Redeliver(ctx, "", ""); meet.CodeOf(err) != meet.CodeInvalidParameters || !strings.Contains(err.Error(), "id") {
		t.Errorf("no id: %v", err)
	}
	if _, err := d.Redeliver(ctx, e.ID, "ftp://x"); meet.CodeOf(err) != meet.CodeInvalidParameters || !strings.Contains(err.Error(), "url") {
		t.Errorf("bad url: %v", err)
	}
	if _, err := d.Redeliver(ctx, e.ID, other.URL); meet.CodeOf(err) != meet.CodeConflict {
		t.Errorf("a delivered one: %v", err)
	}
	mu.Lock()
	refuse = false
	mu.Unlock()
	if n, err := d.Redeliver(ctx, e.ID, ""); err != nil || n != 1 {
		t.Fatalf("redeliver: %d %v", n, err)
	}
	got := rc.WaitFor(2, 2*time.Second)
	if got[1].Event.ID != e.ID || !bytes.Equal(got[0].Body, got[1].Body) {
		t.Errorf("redelivered %s", got[1].Event.ID)
	}
	meettest.Eventually(t, 2*time.Second, "delivered", func() bool {
		for _, i := range deliveries(t, d, "re") {
			if i.URL == rc.URL {
				return i.Status == outbox.Delivered && i.Attempts == 1
			}
		}
		return false
	})
	if _, err := d.Redeliver(ctx, e.ID, ""); meet.CodeOf(err) != meet.CodeConflict {
		t.Errorf("nothing failed any more: %v", err)
	}
}

// After max_age a delivery fails for good, its last attempt at the deadline, and the failure names it.
func TestOutboxGivesUpAfterMaxAge(t *testing.T) { eachStore(t, givesUpAfterMaxAge) }

func givesUpAfterMaxAge(t *testing.T, openStore opener) {
	store := openStore(t)
	c := newClock()
	rc := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{Clock: c.Now, Respond: func(n int, r meettest.Delivery, w http.ResponseWriter) { w.WriteHeader(502) }})
	d := start(t, store, outbox.Config{Now: c.Now, MaxAge: 10 * time.Second, BackoffBase: 4 * time.Second, BackoffMax: 4 * time.Second})
	event(t, store, "old", meet.EventRoomCreated, rc.URL)
	queued := rc.WaitFor(1, 2*time.Second)[0].At
	for i := 1; i < 10; i++ {
		meettest.Eventually(t, 2*time.Second, "attempt recorded", func() bool { return deliveries(t, d, "old")[0].Attempts == i })
		if deliveries(t, d, "old")[0].Status == outbox.Failed {
			break
		}
		advanceToNext(t, c, d, "old")
		rc.WaitFor(i+1, 2*time.Second)
	}
	meettest.Eventually(t, 2*time.Second, "failed", func() bool { return deliveries(t, d, "old")[0].Status == outbox.Failed })
	info := deliveries(t, d, "old")[0]
	got := rc.Requests()
	if last := got[len(got)-1].At; !last.Equal(queued.Add(10*time.Second)) || !strings.Contains(info.LastError, "gave up after 10s: HTTP 502") {
		t.Errorf("last attempt %s after queueing; %+v", last.Sub(queued), info)
	}
}

// One delivery in flight per room and URL, in order, while many rooms go in parallel.
func TestOutboxOrderPerRoom(t *testing.T) { eachStore(t, orderPerRoom) }

func orderPerRoom(t *testing.T, openStore opener) {
	store := openStore(t)
	var mu sync.Mutex
	inFlight := map[string]int{}
	var overlap []string
	rc := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{Respond: func(n int, r meettest.Delivery, w http.ResponseWriter) {
		room := r.Event.Room.RoomID
		mu.Lock()
		if inFlight[room]++; inFlight[room] > 1 {
			overlap = append(overlap, room)
		}
		mu.Unlock()
		time.Sleep(time.Duration(n%3) * time.Millisecond)
		mu.Lock()
		inFlight[room]--
		mu.Unlock()
		if n%7 == 0 {
			w.WriteHeader(500) // some need a second attempt
		}
	}})
	start(t, store, outbox.Config{URLs: []string{rc.URL}, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, Workers: 8})
	want := map[string][]string{}
	var wg sync.WaitGroup
	var wmu sync.Mutex
	for r := 0; r < 20; r++ {
		room := "o" + itoa(r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				id := event(t, store, room, meet.EventParticipantJoined, "").ID
				wmu.Lock()
				want[room] = append(want[room], id)
				wmu.Unlock()
			}
		}()
	}
	wg.Wait()
	got := map[string][]string{}
	meettest.Eventually(t, 10*time.Second, "all delivered", func() bool {
		got = map[string][]string{}
		for _, r := range rc.Requests() {
			l := got[r.Event.Room.RoomID]
			if len(l) == 0 || l[len(l)-1] != r.Event.ID {
				got[r.Event.Room.RoomID] = append(l, r.Event.ID)
			}
		}
		n := 0
		for _, l := range got {
			n += len(l)
		}
		return n >= 200
	})
	for room, ids := range want {
		if strings.Join(got[room], " ") != strings.Join(ids, " ") {
			t.Errorf("room %s out of order:\n%v\nwant\n%v", room, got[room], ids)
		}
	}
	if len(overlap) > 0 {
		t.Errorf("two deliveries of one room in flight at once: %v", overlap)
	}
}

// Deliveries claimed by a dispatcher that died are attempted again by the next one, and events
// written while no dispatcher ran are delivered when one starts.
func TestOutboxRecoversAfterCrash(t *testing.T) { eachStore(t, recoversAfterCrash) }

func recoversAfterCrash(t *testing.T, openStore opener) {
	store := openStore(t)
	rc := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{})
	ctx := context.Background()
	a := event(t, store, "crash", meet.EventRoomCreated, "")
	if n, err := store.FanOut(ctx, time.Now(), 10, []string{rc.URL}); err != nil || n != 1 {
		t.Fatalf("fan out: %d %v", n, err)
	}
	// The lease of the dispatcher that dies: SQLite (one process per file) releases it when the
	// next dispatcher starts; PostgreSQL's other processes may hold leases, so there it runs out.
	lease := 2 * time.Second
	claimed, err := store.Claim(ctx, time.Now(), time.Now().Add(lease), 10, 10, nil)
	if err != nil || len(claimed) != 1 || claimed[0].EventID != a.ID {
		t.Fatalf("claim: %+v %v", claimed, err)
	}
	if again, _ := store.Claim(ctx, time.Now(), time.Now().Add(time.Hour), 10, 10, nil); len(again) != 0 {
		t.Fatalf("claimed twice: %+v", again)
	}
	// ... and the dispatcher that claimed it is gone. Another event comes while none runs.
	b := event(t, store, "crash", meet.EventRoomFinished, "")
	start(t, store, outbox.Config{URLs: []string{rc.URL}})
	got := rc.WaitFor(2, lease+2*time.Second)
	if got[0].Event.ID != a.ID || got[1].Event.ID != b.ID {
		t.Errorf("after the crash: %s, %s", got[0].Event.ID, got[1].Event.ID)
	}
	// A stale completion (its lease was taken over) changes nothing.
	if ok, err := store.Record(ctx, claimed[0], outbox.Outcome{Status: outbox.Failed, At: time.Now()}); err != nil || ok {
		t.Errorf("stale record: ok=%v err=%v", ok, err)
	}
}

func TestBackoff(t *testing.T) {
	for _, jitter := range []float64{0, 0.5, 0.999999} {
		d := outbox.New(nil, outbox.Config{BackoffBase: time.Second, BackoffMax: 10 * time.Minute, Jitter: func() float64 { return jitter }}, slog.Default())
		for n, full := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 5: 16 * time.Second, 10: 512 * time.Second,
			11: 10 * time.Minute, 60: 10 * time.Minute, 1000: 10 * time.Minute} {
			if got := d.Backoff(n); got < full/2 || got > full {
				t.Errorf("jitter %v: Backoff(%d) = %s, want in [%s, %s]", jitter, n, got, full/2, full)
			}
		}
	}
}
