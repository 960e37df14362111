package postgres

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"meetd/internal/auth"
	"meetd/internal/meet"
	"meetd/internal/outbox"
	"meetd/internal/postgres/pgtest"
	"meetd/internal/rooms"
)

func openOutboxStore(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func roomEvent(roomID, name, id string) meet.Event {
	sess := &meet.Session{SID: "RM_" + roomID, RoomID: roomID}
	return meet.NewEvent(name, id, sess, time.Now())
}

func toURL(url string) func(outbox.Event) []string {
	return func(outbox.Event) []string { return []string{url} }
}

// Only the oldest pending delivery of a room and URL is claimable; the next one becomes due when
// it is done, and a requeued delivery goes behind what is pending.
func TestOutboxQueueOrder(t *testing.T) {
	s := openOutboxStore(t, pgtest.NewDatabase(t))
	ctx := context.Background()
	now := time.Now()
	for _, e := range []meet.Event{roomEvent("a", "room_created", "EV_a1"), roomEvent("a", "room_started", "EV_a2"),
		roomEvent("b", "room_created", "EV_b1"), roomEvent("a", "room_finished", "EV_a3")} {
		if err := s.AddEvents(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.FanOut(ctx, now, 10, toURL("http://r")); err != nil || n != 4 {
		t.Fatalf("fan out %d %v", n, err)
	}
	if n, _ := s.FanOut(ctx, now, 10, toURL("http://r")); n != 0 {
		t.Fatalf("fanned out twice: %d", n)
	}
	claim := func() []string {
		t.Helper()
		list, err := s.Claim(ctx, now, now.Add(time.Minute), 10, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range list {
			ids = append(ids, d.EventID)
			if len(d.Body) == 0 {
				t.Errorf("%s: no body", d.EventID)
			}
		}
		return ids
	}
	first := claim()
	if len(first) != 2 || first[0] != "EV_a1" || first[1] != "EV_b1" {
		t.Fatalf("claimed %v, want the heads EV_a1 EV_b1", first)
	}
	if again := claim(); len(again) != 0 {
		t.Fatalf("claimed again while in flight: %v", again)
	}
	list, _ := s.Claim(ctx, now.Add(2*time.Minute), now.Add(3*time.Minute), 10, 10, nil) // leases ran out
	if len(list) != 2 {
		t.Fatalf("after the leases: %d", len(list))
	}
	a1 := list[0]
	if ok, err := s.Record(ctx, a1, outbox.Outcome{Status: outbox.Failed, At: now, StatusCode: 400, Error: "HTTP 400"}); !ok || err != nil {
		t.Fatalf("record: %v %v", ok, err)
	}
	if next := claim(); len(next) != 1 || next[0] != "EV_a2" {
		t.Fatalf("after a1 failed: %v", next)
	}
	// EV_a1 again: behind EV_a3, which is still pending.
	if n, found, err := s.Requeue(ctx, "EV_a1", "", now); n != 1 || !found || err != nil {
		t.Fatalf("requeue: %d %v %v", n, found, err)
	}
	if n, found, _ := s.Requeue(ctx, "EV_zz", "", now); n != 0 || found {
		t.Fatalf("requeue unknown: %d %v", n, found)
	}
	infos, total, err := s.Deliveries(ctx, outbox.Filter{RoomID: "a", Limit: 10})
	if err != nil || total != 3 || infos[0].EventID != "EV_a1" || infos[0].Status != outbox.Pending || infos[0].Attempts != 0 || !infos[0].NextAttemptAt.IsZero() {
		t.Fatalf("deliveries of a: %d %+v %v", total, infos, err)
	}
	if _, total, _ := s.Deliveries(ctx, outbox.Filter{Status: outbox.Pending, Limit: 10}); total != 4 {
		t.Errorf("pending: %d", total)
	}
	// Per URL, no more than the cap less what is in flight.
	for i := range 3 {
		if err := s.AddEvents(ctx, roomEvent("c"+strconv.Itoa(i), "room_created", "EV_c"+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.FanOut(ctx, now, 10, toURL("http://capped")); err != nil {
		t.Fatal(err)
	}
	capped, err := s.Claim(ctx, now.Add(4*time.Minute), now.Add(5*time.Minute), 10, 2, map[string]int{"http://capped": 1})
	n := 0
	for _, d := range capped {
		if d.URL == "http://capped" {
			n++
		}
	}
	if err != nil || n != 1 {
		t.Errorf("claimed %d to a URL with 1 of 2 in flight, want 1 (%v)", n, err)
	}
}

// On a database that had events before webhooks existed, they are not sent.
func TestOutboxCursorStartsAfterOldEvents(t *testing.T) {
	url := pgtest.NewDatabase(t)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	if _, err := db.Exec(schema); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO events (id, room_id, sid, name, body, created_at) VALUES ('EV_old', 'r', 'RM_r', 'room_created', '{}', 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s := openOutboxStore(t, url)
	if err := s.AddEvents(context.Background(), roomEvent("r", "room_finished", "EV_new")); err != nil {
		t.Fatal(err)
	}
	var got []string
	n, err := s.FanOut(context.Background(), time.Now(), 10, func(e outbox.Event) []string { got = append(got, e.ID); return nil })
	if err != nil || n != 1 || len(got) != 1 || got[0] != "EV_new" {
		t.Fatalf("fanned out %v (%d, %v)", got, n, err)
	}
}

// A track event of a participant who already left, or of an ended session, is not written.
func TestLateTrackEvents(t *testing.T) {
	s := openOutboxStore(t, pgtest.NewDatabase(t))
	ctx := context.Background()
	now := time.Now()
	sess := &meet.Session{SID: "RM_t", RoomID: "t", CreatedAt: now}
	if _, _, err := s.CreateSession(ctx, sess, func(*meet.Session) []meet.Event { return nil }); err != nil {
		t.Fatal(err)
	}
	p := rooms.Presence{ParticipantSID: "PA_1", UserID: "u1", Name: "U", At: now}
	if err := s.ParticipantJoined(ctx, sess.SID, p, func(*meet.Session, rooms.JoinFacts) []meet.Event { return nil }); err != nil {
		t.Fatal(err)
	}
	track := func(name, id string) meet.Event {
		e := meet.NewEvent(name, id, sess, now)
		e.Participant = &meet.ParticipantInfo{SID: "PA_1", Identity: "u1"}
		e.Track = &meet.Track{SID: "TR_1"}
		return e
	}
	count := func() int {
		var n int
		_ = s.db.QueryRow(`SELECT count(*) FROM events`).Scan(&n)
		return n
	}
	if err := s.AddEvents(ctx, track("track_published", "EV_1")); err != nil || count() != 1 {
		t.Fatalf("published: %v, %d events", err, count())
	}
	if c, err := s.Connection(ctx, sess.SID, "PA_1"); err != nil || c == nil || c.At.UnixMilli() != now.UnixMilli() || c.Name != "U" {
		t.Fatalf("connection: %+v %v", c, err)
	}
	if err := s.ParticipantLeft(ctx, sess.SID, p, func(*meet.Session) []meet.Event { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.AddEvents(ctx, track("track_unpublished", "EV_2")); err != nil || count() != 1 {
		t.Fatalf("after the participant left: %v, %d events", err, count())
	}
	if err := s.AddEvents(ctx, roomEvent("t", "room_finished", "EV_3")); err != nil || count() != 2 {
		t.Fatalf("other events: %v, %d events", err, count())
	}
}

// Two meetd processes, each with its dispatcher, share one database and write events of the same
// rooms: every event is fanned out once and delivered, one delivery per room in flight at a
// time, in each room's order, although attempts fail now and then.
func TestOutboxTwoProcesses(t *testing.T) {
	url := pgtest.NewDatabase(t)
	stores := []*Store{openOutboxStore(t, url), openOutboxStore(t, url)}
	var mu sync.Mutex
	inFlight := map[string]int{}
	var overlap []string
	got := map[string][]string{} // by room: event ids in the order they arrived, a retry once
	received := 0
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e meet.Event
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &e)
		room := e.Room.RoomID
		mu.Lock()
		received++
		n := received
		if inFlight[room]++; inFlight[room] > 1 {
			overlap = append(overlap, room)
		}
		if l := got[room]; len(l) == 0 || l[len(l)-1] != e.ID {
			got[room] = append(l, e.ID)
		}
		mu.Unlock()
		time.Sleep(time.Duration(n%3) * time.Millisecond)
		mu.Lock()
		inFlight[room]--
		mu.Unlock()
		if n%7 == 0 {
			w.WriteHeader(500) // some need a second attempt
		}
	}))
	defer rc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var running sync.WaitGroup
	defer func() { cancel(); running.Wait() }()
	for _, s := range stores {
		d := outbox.New(s, outbox.Config{URLs: []string{rc.URL}, Keys: auth.Keys{APIKey: "k", APISecret: strings.Repeat("s", 32)},
			BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, Workers: 8, Poll: 20 * time.Millisecond},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		s.OnEvents(d.Notify)
		running.Go(func() { _ = d.Run(ctx, 100*time.Millisecond) })
	}

	const roomCount, perRoom = 20, 10
	want := map[string][]string{}
	var wg sync.WaitGroup
	var wmu sync.Mutex
	for r := range roomCount {
		room := "o" + strconv.Itoa(r)
		wg.Go(func() {
			for i := range perRoom {
				e := roomEvent(room, meet.EventParticipantJoined, "EV_"+room+"_"+strconv.Itoa(i))
				if err := stores[i%2].AddEvents(context.Background(), e); err != nil { // both processes write each room's events
					t.Error(err)
					return
				}
				wmu.Lock()
				want[room] = append(want[room], e.ID)
				wmu.Unlock()
			}
		})
	}
	wg.Wait()
	delivered := func() int {
		_, n, err := stores[0].Deliveries(context.Background(), outbox.Filter{Status: outbox.Delivered, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for deadline := time.Now().Add(20 * time.Second); delivered() < roomCount*perRoom; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d delivered", delivered(), roomCount*perRoom)
		}
	}
	if _, total, _ := stores[1].Deliveries(context.Background(), outbox.Filter{Limit: 1}); total != roomCount*perRoom {
		t.Errorf("%d deliveries for %d events and one URL", total, roomCount*perRoom)
	}
	mu.Lock()
	defer mu.Unlock()
	for room, ids := range want {
		if strings.Join(got[room], " ") != strings.Join(ids, " ") {
			t.Errorf("room %s out of order:\n%v\nwant\n%v", room, got[room], ids)
		}
	}
	if len(overlap) > 0 {
		t.Errorf("two deliveries of one room in flight at once: %v", overlap)
	}
}
