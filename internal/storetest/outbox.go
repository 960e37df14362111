package storetest

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/outbox"
	"meetd/internal/rooms"
)

// OutboxStore is a store with the webhook outbox: what the dispatcher (internal/outbox) needs.
type OutboxStore interface {
	rooms.Store
	outbox.Store
	Prune(ctx context.Context, before time.Time) (events, deliveries int64, err error)
}

// RunOutbox runs the outbox part of the suite; open returns a new, empty store.
func RunOutbox(t *testing.T, open func(t *testing.T) OutboxStore) {
	t.Run("QueueOrder", func(t *testing.T) { outboxQueueOrder(t, open(t)) })
	t.Run("RoomURL", func(t *testing.T) { outboxRoomURL(t, open(t)) })
	t.Run("LateTrackEvents", func(t *testing.T) { lateTrackEvents(t, open(t)) })
	t.Run("Prune", func(t *testing.T) { outboxPrune(t, open(t)) })
}

func roomEvent(roomID, name, id string) meet.Event {
	sess := &meet.Session{SID: "RM_" + roomID, RoomID: roomID}
	e := meet.NewEvent(name, sess, time.Now())
	e.ID = id
	return e
}

// Only the oldest pending delivery of a room and URL is claimable; the next one becomes due when
// it is done, and a requeued delivery goes behind what is pending.
func outboxQueueOrder(t *testing.T, s OutboxStore) {
	ctx := context.Background()
	now := time.Now()
	for _, e := range []meet.Event{roomEvent("a", "room_created", "EV_a1"), roomEvent("a", "room_started", "EV_a2"),
		roomEvent("b", "room_created", "EV_b1"), roomEvent("a", "room_finished", "EV_a3")} {
		if err := s.AddEvents(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.FanOut(ctx, now, 10, []string{"http://r"}); err != nil || n != 4 {
		t.Fatalf("fan out %d %v", n, err)
	}
	if n, _ := s.FanOut(ctx, now, 10, []string{"http://r"}); n != 0 {
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
	if _, err := s.FanOut(ctx, now, 10, []string{"http://capped"}); err != nil {
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

// A track event of a participant who already left, or of an ended session, is not written.
func lateTrackEvents(t *testing.T, s OutboxStore) {
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
		e := meet.NewEvent(name, sess, now)
		e.ID = id
		e.Participant = &meet.ParticipantInfo{SID: "PA_1", Identity: "u1"}
		e.Track = &meet.Track{SID: "TR_1"}
		return e
	}
	count := func() int {
		list, _ := s.Events(ctx, 0, 100)
		return len(list)
	}
	tr := meet.Track{SID: "TR_1"}
	if err := s.TrackPublished(ctx, sess.SID, "u1", tr, now, track("track_published", "EV_1")); err != nil || count() != 1 {
		t.Fatalf("published: %v, %d events", err, count())
	}
	if c, err := s.Connection(ctx, sess.SID, "PA_1"); err != nil || c == nil || c.At.UnixMilli() != now.UnixMilli() || c.Name != "U" {
		t.Fatalf("connection: %+v %v", c, err)
	}
	if err := s.ParticipantLeft(ctx, sess.SID, p, func(*meet.Session) []meet.Event { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.TrackUnpublished(ctx, sess.SID, tr, now, track("track_unpublished", "EV_2")); err != nil || count() != 1 {
		t.Fatalf("after the participant left: %v, %d events", err, count())
	}
	p2 := rooms.Presence{ParticipantSID: "PA_2", UserID: "u2", Name: "V", At: now}
	if err := s.ParticipantJoined(ctx, sess.SID, p2, func(*meet.Session, rooms.JoinFacts) []meet.Event { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EndSession(ctx, sess.SID, now, meet.EndByAPI, func(*meet.Session, []rooms.Presence) []meet.Event { return nil }); err != nil {
		t.Fatal(err)
	}
	late := track("track_published", "EV_3")
	late.Participant = &meet.ParticipantInfo{SID: "PA_2", Identity: "u2"}
	if err := s.TrackPublished(ctx, sess.SID, "u2", meet.Track{SID: "TR_2"}, now, late); err != nil || count() != 1 {
		t.Fatalf("after the session ended: %v, %d events", err, count())
	}
	if err := s.AddEvents(ctx, roomEvent("t", "room_finished", "EV_4")); err != nil || count() != 2 {
		t.Fatalf("other events: %v, %d events", err, count())
	}
}

// An event goes to the URLs the fan-out is given and to its room's webhook URL as it was when the
// event was written, each URL once.
func outboxRoomURL(t *testing.T, s OutboxStore) {
	ctx := context.Background()
	now := time.Now()
	withURL := func(roomID, id, url string) meet.Event {
		sess := &meet.Session{SID: "RM_" + roomID, RoomID: roomID}
		sess.Metadata.WebhookURL = url
		e := meet.NewEvent("room_created", sess, now)
		e.ID = id
		return e
	}
	if err := s.AddEvents(ctx, withURL("a", "EV_a", "http://room-a"), withURL("b", "EV_b", "http://global"), withURL("c", "EV_c", "")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.FanOut(ctx, now, 10, []string{"http://global"}); err != nil || n != 3 {
		t.Fatalf("fan out %d %v", n, err)
	}
	infos, _, err := s.Deliveries(ctx, outbox.Filter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, d := range infos {
		got[d.EventID] = append(got[d.EventID], d.URL)
	}
	slices.Sort(got["EV_a"])
	if len(infos) != 4 || !slices.Equal(got["EV_a"], []string{"http://global", "http://room-a"}) ||
		!slices.Equal(got["EV_b"], []string{"http://global"}) || !slices.Equal(got["EV_c"], []string{"http://global"}) {
		t.Errorf("deliveries %v", got)
	}
}

// Prune deletes finished deliveries and the events they were for once older than the cut; pending
// deliveries and their events, recent events and events not fanned out yet stay.
func outboxPrune(t *testing.T, s OutboxStore) {
	ctx := context.Background()
	now := time.Now()
	old := now.Add(-10 * 24 * time.Hour)
	event := func(roomID, id string, at time.Time) meet.Event {
		e := meet.NewEvent("room_created", &meet.Session{SID: "RM_" + roomID, RoomID: roomID}, at)
		e.ID = id
		return e
	}
	for _, e := range []meet.Event{event("a", "EV_delivered", old), event("b", "EV_failed", old),
		event("c", "EV_pending", old), event("d", "EV_recent", now)} {
		if err := s.AddEvents(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.FanOut(ctx, old, 10, []string{"http://r"}); err != nil || n != 4 {
		t.Fatalf("fan out %d %v", n, err)
	}
	if err := s.AddEvents(ctx, event("e", "EV_not_fanned_out", old)); err != nil {
		t.Fatal(err)
	}
	list, err := s.Claim(ctx, now, now.Add(time.Minute), 10, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range list {
		switch d.EventID {
		case "EV_delivered":
			_, err = s.Record(ctx, d, outbox.Outcome{Status: outbox.Delivered, At: old, StatusCode: 200})
		case "EV_failed":
			_, err = s.Record(ctx, d, outbox.Outcome{Status: outbox.Failed, At: old, StatusCode: 400, Error: "HTTP 400"})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	events, deliveries, err := s.Prune(ctx, now.Add(-7*24*time.Hour))
	if err != nil || events != 2 || deliveries != 2 {
		t.Fatalf("pruned %d events and %d deliveries (%v), want 2 and 2", events, deliveries, err)
	}
	kept, err := s.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range kept {
		ids = append(ids, e.Event.ID)
	}
	if len(ids) != 3 || ids[0] != "EV_pending" || ids[1] != "EV_recent" || ids[2] != "EV_not_fanned_out" {
		t.Errorf("events kept: %v", ids)
	}
	if oldest, err := s.OldestEventSeq(ctx); err != nil || oldest != kept[0].Seq {
		t.Errorf("oldest event %d (%v), want %d", oldest, err, kept[0].Seq)
	}
	infos, total, err := s.Deliveries(ctx, outbox.Filter{Limit: 10})
	if err != nil || total != 2 {
		t.Fatalf("deliveries kept: %d %+v %v", total, infos, err)
	}
	for _, d := range infos {
		if d.Status != outbox.Pending {
			t.Errorf("a finished delivery was kept: %+v", d)
		}
	}
	if events, deliveries, err := s.Prune(ctx, now.Add(-7*24*time.Hour)); err != nil || events+deliveries != 0 {
		t.Errorf("pruned again: %d %d %v", events, deliveries, err)
	}
}
