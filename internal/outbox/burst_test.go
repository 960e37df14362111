package outbox_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/meettest"
	"meetd/internal/outbox"
)

// A burst of events into several rooms and URLs is delivered in full, in order per room and URL,
// with the poll out of the picture (an hour): every step must be woken by what caused it (a
// write, a finished attempt, a retry's time). Receivers: a healthy global one, a slow one that
// some rooms have as their webhook_url, and one that fails every room's first request once.
func TestOutboxBurstNeedsNoPoll(t *testing.T) { eachStore(t, burstNeedsNoPoll) }

func burstNeedsNoPoll(t *testing.T, openStore opener) {
	store := openStore(t)
	global := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{})
	slow := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{Respond: func(n int, d meettest.Delivery, w http.ResponseWriter) {
		time.Sleep(5 * time.Millisecond)
	}})
	var mu sync.Mutex
	failed := map[string]bool{}
	flaky := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{Respond: func(n int, d meettest.Delivery, w http.ResponseWriter) {
		mu.Lock()
		defer mu.Unlock()
		if room := d.Event.Room.RoomID; !failed[room] {
			failed[room] = true
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}})
	start(t, store, outbox.Config{
		URLs: []string{global.URL}, Poll: time.Hour,
		BackoffBase: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		Workers: 8, PerURL: 3,
	})

	const rooms, perRoom = 12, 40 // 480 events, 640 deliveries
	own := func(r int) string {
		switch r % 3 {
		case 1:
			return slow.URL
		case 2:
			return flaky.URL
		}
		return ""
	}
	want := make([][]string, rooms)
	var wg sync.WaitGroup
	for r := range rooms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perRoom {
				want[r] = append(want[r], event(t, store, "b"+itoa(r), meet.EventParticipantJoined, own(r)).ID)
			}
		}()
	}
	wg.Wait()

	// Generous deadlines: a stall would wait for the hour's poll.
	check := func(name string, rc *meettest.Receiver, of func(r int) bool) {
		n := 0
		for r := range rooms {
			if of(r) {
				n += perRoom
			}
		}
		got := map[string][]string{}
		for _, d := range rc.WaitDelivered(n, 60*time.Second) {
			got[d.Event.Room.RoomID] = append(got[d.Event.Room.RoomID], d.Event.ID)
		}
		for r := range rooms {
			if !of(r) {
				continue
			}
			if g, w := strings.Join(got["b"+itoa(r)], " "), strings.Join(want[r], " "); g != w {
				t.Errorf("%s, room b%d: delivered\n%s\nwant\n%s", name, r, g, w)
			}
		}
	}
	check("global", global, func(int) bool { return true })
	check("slow", slow, func(r int) bool { return r%3 == 1 })
	check("flaky", flaky, func(r int) bool { return r%3 == 2 })
}

// A receiver that hangs holds up only its own URL: a URL under its PerURL limit whose due
// deliveries fill a claim's candidates does not keep the other URLs' due deliveries waiting for
// the next wake-up (the poll: an hour here). Deterministic: all events are written in one
// transaction before the dispatcher starts, so its first fan-out queues every delivery and its
// first claim sees them all.
func TestOutboxClaimPastBusyURL(t *testing.T) { eachStore(t, claimPastBusyURL) }

func claimPastBusyURL(t *testing.T, openStore opener) {
	store := openStore(t)
	release := make(chan struct{})
	hang := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{Respond: func(int, meettest.Delivery, http.ResponseWriter) {
		<-release
	}})
	t.Cleanup(func() { close(release) })
	ok := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{})
	var events []meet.Event
	for r := range 10 { // ten rooms' first events: ten due deliveries to the hanging URL
		sess := &meet.Session{SID: "RM_h" + itoa(r), RoomID: "h" + itoa(r), CreatedAt: time.Unix(1700000000, 0)}
		e := meet.NewEvent(meet.EventRoomCreated, sess, time.Now())
		e.ID = "EV_h" + itoa(r)
		events = append(events, e)
	}
	sess := &meet.Session{SID: "RM_ok", RoomID: "ok", CreatedAt: time.Unix(1700000000, 0)}
	sess.Metadata.WebhookURL = ok.URL
	e := meet.NewEvent(meet.EventRoomCreated, sess, time.Now())
	e.ID, e.WebhookURL = "EV_ok", ok.URL
	events = append(events, e)
	if err := store.AddEvents(context.Background(), events...); err != nil {
		t.Fatal(err)
	}
	select { // the write's wake-up: the dispatcher starts with the events written
	case <-store.Wake():
	default:
	}
	start(t, store, outbox.Config{URLs: []string{hang.URL}, Poll: time.Hour, Workers: 4, PerURL: 2, Timeout: time.Hour})
	hang.WaitFor(2, 10*time.Second)
	if got := ok.WaitDelivered(1, 10*time.Second); got[0].Event.ID != "EV_ok" {
		t.Fatalf("delivered %s, want EV_ok", got[0].Event.ID)
	}
	if n := len(hang.Requests()); n != 2 {
		t.Errorf("%d attempts in flight to the hanging URL, want PerURL (2)", n)
	}
}
