package outbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/outbox"
)

// BenchmarkWebhooks200Rooms is the figure of acceptance 8: 200 rooms write 10 events each, as fast
// as the store takes them, while the dispatcher delivers them to a healthy local receiver (one
// global URL). It reports delivered events per second (first write to last receipt), how fast the
// events were written meanwhile, and the delay from the start of the state change's transaction
// to the receipt (p50, p99, max).
//
//	go test ./internal/outbox -run '^$' -bench Webhooks200Rooms -benchtime 5x
func BenchmarkWebhooks200Rooms(b *testing.B) {
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) { benchWebhooks(b, s.open, 0) })
	}
}

// BenchmarkWebhooks200RoomsPaced is the same load spread over 4 s (each room writes an event every
// 400 ms, 500 events/s in all): the delay a receiver sees when the dispatcher keeps up.
func BenchmarkWebhooks200RoomsPaced(b *testing.B) {
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) { benchWebhooks(b, s.open, 400*time.Millisecond) })
	}
}

func benchWebhooks(b *testing.B, openStore opener, every time.Duration) {
	const rooms, perRoom = 200, 10
	var delays []time.Duration
	var rates, writeRates []float64
	for b.Loop() {
		store := openStore(b)
		var mu sync.Mutex
		written := make(map[string]time.Time, rooms*perRoom)
		received := make(map[string]time.Time, rooms*perRoom)
		all := make(chan struct{})
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			at := time.Now()
			var e struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(body, &e)
			mu.Lock()
			if _, dup := received[e.ID]; !dup {
				received[e.ID] = at
				if len(received) == rooms*perRoom {
					close(all)
				}
			}
			mu.Unlock()
		}))
		start(b, store, outbox.Config{URLs: []string{rc.URL}, Poll: time.Second})

		begin := time.Now()
		var wg sync.WaitGroup
		for r := range rooms {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sess := &meet.Session{SID: "RM_" + strconv.Itoa(r), RoomID: "room" + strconv.Itoa(r), CreatedAt: begin}
				sess.Metadata.RoomTitle = "Load"
				if every > 0 {
					time.Sleep(time.Duration(r) * every / rooms) // spread the rooms over the period
				}
				for i := range perRoom {
					if every > 0 && i > 0 {
						time.Sleep(every)
					}
					e := meet.NewEvent(meet.EventParticipantJoined, sess, time.Now())
					e.ID = "EV_" + strconv.Itoa(r) + "_" + strconv.Itoa(i)
					e.Participant = &meet.ParticipantInfo{SID: "PA_" + strconv.Itoa(i), Identity: "u" + strconv.Itoa(i), Name: "User", State: "ACTIVE"}
					t0 := time.Now()
					if err := store.AddEvents(context.Background(), e); err != nil {
						b.Error(err)
						return
					}
					mu.Lock()
					written[e.ID] = t0
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		writeRates = append(writeRates, float64(rooms*perRoom)/time.Since(begin).Seconds())
		select {
		case <-all:
		case <-time.After(60 * time.Second):
			b.Fatalf("%d of %d received", len(received), rooms*perRoom)
		}
		mu.Lock()
		var last time.Time
		for id, at := range received {
			delays = append(delays, at.Sub(written[id]))
			if at.After(last) {
				last = at
			}
		}
		mu.Unlock()
		rates = append(rates, float64(rooms*perRoom)/last.Sub(begin).Seconds())
		rc.Close()
	}
	slices.Sort(delays)
	pct := func(p float64) float64 {
		return float64(delays[min(len(delays)-1, int(p*float64(len(delays))))]) / float64(time.Millisecond)
	}
	mean := func(l []float64) float64 {
		var sum float64
		for _, x := range l {
			sum += x
		}
		return sum / float64(len(l))
	}
	b.ReportMetric(mean(rates), "events/s")
	b.ReportMetric(mean(writeRates), "written/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(delays[len(delays)-1])/float64(time.Millisecond), "max-ms")
}
