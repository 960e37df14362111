package store

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
	"meetd/internal/store/pgtest"
	"meetd/internal/storetest"
)

// TestOutboxStorePostgres runs the store suite's outbox part on PostgreSQL.
func TestOutboxStorePostgres(t *testing.T) {
	storetest.RunOutbox(t, func(t *testing.T) storetest.OutboxStore { return openPostgresOutboxStore(t, pgtest.NewDatabase(t)) })
}

func openPostgresOutboxStore(t *testing.T, url string, opts ...Option) *Store {
	t.Helper()
	s, err := OpenPostgres(context.Background(), url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// On a database that had events before webhooks existed, they are not sent.
func TestOutboxCursorStartsAfterOldEventsPostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	if _, err := db.Exec(beforeWebhooks(oldSchema(t, "postgres"))); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO events (id, room_id, sid, name, body, created_at) VALUES ('EV_old', 'r', 'RM_r', 'room_created', '{}', 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s := openPostgresOutboxStore(t, url)
	if err := s.AddEvents(context.Background(), roomEvent("r", "room_finished", "EV_new")); err != nil {
		t.Fatal(err)
	}
	if got := fanOut(t, s); len(got) != 1 || got[0] != "EV_new" {
		t.Fatalf("fanned out %v", got)
	}
}

// Two meetd processes, each with its dispatcher, share one database and write events of the same
// rooms: every event is fanned out once and delivered, one delivery per room in flight at a
// time, in each room's order, although attempts fail now and then.
func TestOutboxTwoProcesses(t *testing.T) {
	url := pgtest.NewDatabase(t)
	wakes := []outbox.Wake{outbox.NewWake(), outbox.NewWake()}
	stores := []*Store{openPostgresOutboxStore(t, url, WakeUp(wakes[0].Notify)), openPostgresOutboxStore(t, url, WakeUp(wakes[1].Notify))}
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
	for i, s := range stores {
		d := outbox.New(s, outbox.Config{URLs: []string{rc.URL}, Keys: auth.Keys{APIKey: "k", APISecret: strings.Repeat("s", 32)},
			AllowPrivate: true, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond, Workers: 8, Poll: 20 * time.Millisecond, Wake: wakes[i]},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
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
