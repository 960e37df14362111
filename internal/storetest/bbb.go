package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"meetd/internal/bbbdata"
	"meetd/internal/meet"
	"meetd/internal/outbox"
)

// BBBStore is a store with the BigBlueButton API's rows (internal/bbb): recordings' state, hooks
// and the feed that turns events into BBB callbacks.
type BBBStore interface {
	OutboxStore
	BBBAddRecording(ctx context.Context, r bbbdata.Recording) (bool, error)
	BBBRecording(ctx context.Context, recordID string) (*bbbdata.Recording, error)
	BBBRecordingOfSession(ctx context.Context, sid string) (*bbbdata.Recording, error)
	BBBRecordings(ctx context.Context, meetingIDs, recordIDs []string) ([]bbbdata.Recording, error)
	BBBUpdateRecordings(ctx context.Context, recordIDs []string, change func(*bbbdata.Recording)) (bool, error)
	BBBDeleteRecording(ctx context.Context, recordID string) (bool, error)
	BBBCreateHook(ctx context.Context, h bbbdata.Hook) (bbbdata.Hook, bool, error)
	BBBHooks(ctx context.Context) ([]bbbdata.Hook, error)
	BBBDeleteHook(ctx context.Context, id int64) (bool, error)
	BBBFeed(ctx context.Context, limit int, turn func([]bbbdata.FeedEvent) (bbbdata.Feed, error)) (int, error)
}

// RunBBB runs the BBB part of the suite; open returns a new, empty store.
func RunBBB(t *testing.T, open func(t *testing.T) BBBStore) {
	t.Run("Recordings", func(t *testing.T) { bbbRecordings(t, open(t)) })
	t.Run("Hooks", func(t *testing.T) { bbbHooks(t, open(t)) })
	t.Run("Feed", func(t *testing.T) { bbbFeed(t, open(t)) })
}

func bbbRecording(id, sid, meeting string, start time.Time) bbbdata.Recording {
	return bbbdata.Recording{RecordID: id, SID: sid, RoomID: "room-" + meeting, MeetingID: meeting, Name: "Name " + meeting,
		Published: true, Metadata: map[string]string{"meetingid": meeting, "x": "1"}, StartTime: start, CreatedAt: start}
}

func recordIDs(list []bbbdata.Recording) []string {
	var ids []string
	for _, r := range list {
		ids = append(ids, r.RecordID)
	}
	return ids
}

// Recordings: one per session and record id; listed by record id prefix or meeting; updated in
// one transaction, all or nothing; deleted once.
func bbbRecordings(t *testing.T, s BBBStore) {
	ctx := context.Background()
	a := bbbRecording("aaaa-1000", "RM_a", "m[1]", t0)
	b := bbbRecording("aaab-2000", "RM_b", "m[1]", t0.Add(time.Minute))
	c := bbbRecording("cccc-3000", "RM_c", "other", t0.Add(2*time.Minute))
	for _, r := range []bbbdata.Recording{c, a, b} {
		if ok, err := s.BBBAddRecording(ctx, r); err != nil || !ok {
			t.Fatalf("add %s: %v %v", r.RecordID, ok, err)
		}
	}
	if ok, _ := s.BBBAddRecording(ctx, bbbRecording("zzzz-1", "RM_a", "m[1]", t0)); ok {
		t.Error("a second recording of a session was added")
	}
	got, err := s.BBBRecording(ctx, "aaaa-1000")
	if err != nil || got == nil || got.SID != "RM_a" || got.MeetingID != "m[1]" || !got.Published || got.Protected ||
		got.Metadata["x"] != "1" || !got.StartTime.Equal(t0) {
		t.Fatalf("recording %+v %v", got, err)
	}
	if got, _ := s.BBBRecordingOfSession(ctx, "RM_b"); got == nil || got.RecordID != "aaab-2000" {
		t.Errorf("of session: %+v", got)
	}
	if got, err := s.BBBRecording(ctx, "nope"); got != nil || err != nil {
		t.Errorf("unknown: %+v %v", got, err)
	}
	list := func(meetings, records []string) []string {
		t.Helper()
		l, err := s.BBBRecordings(ctx, meetings, records)
		if err != nil {
			t.Fatal(err)
		}
		return recordIDs(l)
	}
	for _, c := range []struct {
		meetings, records, want []string
	}{
		{nil, nil, []string{"aaaa-1000", "aaab-2000", "cccc-3000"}},
		{[]string{"m[1]"}, nil, []string{"aaaa-1000", "aaab-2000"}},
		{[]string{"other", "none"}, nil, []string{"cccc-3000"}},
		{nil, []string{"aaa"}, []string{"aaaa-1000", "aaab-2000"}},
		{nil, []string{"aaab", "cccc-3000"}, []string{"aaab-2000", "cccc-3000"}},
		{[]string{"other"}, []string{"aaaa"}, []string{"aaaa-1000"}}, // recordID wins
		{nil, []string{"aaaa-1000-"}, nil},
	} {
		if got := list(c.meetings, c.records); !slices.Equal(got, c.want) {
			t.Errorf("list %v %v: %v, want %v", c.meetings, c.records, got, c.want)
		}
	}
	ok, err := s.BBBUpdateRecordings(ctx, []string{"aaaa-1000", "cccc-3000"}, func(r *bbbdata.Recording) {
		r.Published, r.Protected = false, true
		r.Metadata["name"] = "new"
		delete(r.Metadata, "x")
	})
	if err != nil || !ok {
		t.Fatalf("update: %v %v", ok, err)
	}
	got, _ = s.BBBRecording(ctx, "cccc-3000")
	if got.Published || !got.Protected || got.Metadata["name"] != "new" || got.Metadata["x"] != "" || got.Metadata["meetingid"] != "other" {
		t.Errorf("updated: %+v", got)
	}
	ok, err = s.BBBUpdateRecordings(ctx, []string{"aaab-2000", "unknown"}, func(r *bbbdata.Recording) { r.Published = false })
	if err != nil || ok {
		t.Fatalf("update with an unknown id: %v %v", ok, err)
	}
	if got, _ := s.BBBRecording(ctx, "aaab-2000"); !got.Published {
		t.Error("an update naming an unknown recording changed another")
	}
	if ok, err := s.BBBDeleteRecording(ctx, "aaaa-1000"); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if ok, _ := s.BBBDeleteRecording(ctx, "aaaa-1000"); ok {
		t.Error("deleted twice")
	}
	if got := list(nil, nil); !slices.Equal(got, []string{"aaab-2000", "cccc-3000"}) {
		t.Errorf("after delete: %v", got)
	}
}

// Hooks: one per callback URL (a second create returns the first), each after the newest event
// when it was made, listed by id, deleted once.
func bbbHooks(t *testing.T, s BBBStore) {
	ctx := context.Background()
	if err := s.AddEvents(ctx, roomEvent("h", meet.EventRoomCreated, "EV_h1"), roomEvent("h", meet.EventRoomStarted, "EV_h2")); err != nil {
		t.Fatal(err)
	}
	h1, created, err := s.BBBCreateHook(ctx, bbbdata.Hook{CallbackURL: "http://a/1", CreatedAt: t0})
	if err != nil || !created || h1.ID == 0 || h1.AfterSeq < 2 {
		t.Fatalf("create: %+v %v %v", h1, created, err)
	}
	h2, created, err := s.BBBCreateHook(ctx, bbbdata.Hook{CallbackURL: "http://a/2", MeetingID: "m", EventIDs: []string{"user-joined", "meeting-ended"}, Raw: true, CreatedAt: t0})
	if err != nil || !created || h2.ID == h1.ID || h2.AfterSeq != h1.AfterSeq {
		t.Fatalf("create 2: %+v %v %v", h2, created, err)
	}
	again, created, err := s.BBBCreateHook(ctx, bbbdata.Hook{CallbackURL: "http://a/1", MeetingID: "other"})
	if err != nil || created || again.ID != h1.ID || again.MeetingID != "" {
		t.Fatalf("duplicate: %+v %v %v", again, created, err)
	}
	list, err := s.BBBHooks(ctx)
	if err != nil || len(list) != 2 || list[0].ID != h1.ID || list[1].MeetingID != "m" || !slices.Equal(list[1].EventIDs, []string{"user-joined", "meeting-ended"}) ||
		!list[1].Raw || list[0].Raw || !list[0].CreatedAt.Equal(t0) {
		t.Fatalf("list: %+v %v", list, err)
	}
	if ok, err := s.BBBDeleteHook(ctx, h1.ID); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if ok, _ := s.BBBDeleteHook(ctx, h1.ID); ok {
		t.Error("deleted twice")
	}
	if list, _ := s.BBBHooks(ctx); len(list) != 1 || list[0].ID != h2.ID {
		t.Errorf("after delete: %+v", list)
	}
}

// Feed: each event is read once, in order, without the callbacks it wrote; what it turned into
// is written with the cursor's move (a failed turn writes nothing and moves nothing); the
// callbacks go to their URL alone, not to the global URLs, and stay out of the event stream.
func bbbFeed(t *testing.T, s BBBStore) {
	ctx := context.Background()
	if err := s.AddEvents(ctx, roomEvent("f", meet.EventRoomCreated, "EV_f1"), roomEvent("f", meet.EventRoomFinished, "EV_f2")); err != nil {
		t.Fatal(err)
	}
	var seen []string
	turn := func(events []bbbdata.FeedEvent) (bbbdata.Feed, error) {
		var feed bbbdata.Feed
		for _, e := range events {
			seen = append(seen, e.ID)
			if e.Name == meet.EventRoomFinished && strings.Contains(string(e.Body), `"room_finished"`) {
				feed.Callbacks = append(feed.Callbacks, bbbdata.Callback{ID: "EV_cb_" + e.ID, RoomID: e.RoomID, SID: e.SID,
					URL: "http://cb/end", Body: []byte(`{"event":"bbb_callback","id":"EV_cb_` + e.ID + `"}`), CreatedAt: e.CreatedAt})
				feed.Recordings = append(feed.Recordings, bbbRecording("ffff-1", e.SID, "f", t0))
			}
		}
		return feed, nil
	}
	if _, err := s.BBBFeed(ctx, 10, func([]bbbdata.FeedEvent) (bbbdata.Feed, error) { return bbbdata.Feed{}, context.Canceled }); err == nil {
		t.Fatal("a failed turn did not fail the feed")
	}
	// a turn that holds the feed before its first event consumes nothing: it is read again
	held := func(events []bbbdata.FeedEvent) (bbbdata.Feed, error) {
		return bbbdata.Feed{Hold: true, Through: events[0].Seq - 1}, nil
	}
	if n, err := s.BBBFeed(ctx, 10, held); err != nil || n != 0 {
		t.Fatalf("held feed: %d %v", n, err)
	}
	if n, err := s.BBBFeed(ctx, 1, turn); err != nil || n != 1 {
		t.Fatalf("feed: %d %v", n, err)
	}
	if n, err := s.BBBFeed(ctx, 10, turn); err != nil || n != 1 {
		t.Fatalf("feed 2: %d %v", n, err)
	}
	if n, err := s.BBBFeed(ctx, 10, turn); err != nil || n != 1 { // its own callback, passed over
		t.Fatalf("feed 3: %d %v", n, err)
	}
	if n, err := s.BBBFeed(ctx, 10, turn); err != nil || n != 0 {
		t.Fatalf("feed 4: %d %v", n, err)
	}
	if !slices.Equal(seen, []string{"EV_f1", "EV_f2"}) {
		t.Errorf("seen %v", seen)
	}
	if r, _ := s.BBBRecording(ctx, "ffff-1"); r == nil || r.SID != "RM_f" {
		t.Errorf("recording of the feed: %+v", r)
	}
	if got := names(t, s); slices.Contains(got, bbbdata.CallbackEvent) || len(got) != 2 {
		t.Errorf("event stream: %v", got)
	}
	if _, err := s.FanOut(ctx, time.Now(), 10, []string{"http://global"}); err != nil {
		t.Fatal(err)
	}
	infos, _, err := s.Deliveries(ctx, outbox.Filter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range infos {
		got = append(got, d.EventID+" "+d.URL)
	}
	slices.Sort(got)
	want := []string{"EV_cb_EV_f2 http://cb/end", "EV_f1 http://global", "EV_f2 http://global"}
	if !slices.Equal(got, want) {
		t.Errorf("deliveries %v, want %v", got, want)
	}
}
