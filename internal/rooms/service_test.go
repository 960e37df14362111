package rooms_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
	"meetd/internal/rooms"
	"meetd/internal/store"
)

// media stands in for LiveKit, a boundary meetd does not own; the end-to-end tests in cmd/meetd
// use the real one. It records the rooms it was told to close.
type media struct {
	mu       sync.Mutex
	closed   []string
	closeErr error // CloseRoom fails with it (the room's media node is gone)
}

func (m *media) Participants(context.Context, string) ([]meet.ParticipantInfo, error) {
	return nil, nil
}
func (m *media) RemoveParticipant(context.Context, string, string) error                { return nil }
func (m *media) UpdateParticipant(context.Context, rooms.Grant) error                   { return nil }
func (m *media) MuteTrack(context.Context, string, string, string, bool) error          { return nil }
func (m *media) Grant(rooms.Grant) (string, error)                                      { return "media-token", nil }
func (m *media) SendData(context.Context, string, string, []byte, []string) error       { return nil }
func (m *media) SetAttributes(context.Context, string, string, map[string]string) error { return nil }
func (m *media) CloseRoom(_ context.Context, roomID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closeErr != nil {
		return m.closeErr
	}
	m.closed = append(m.closed, roomID)
	return nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	store *store.Store
	svc   *rooms.Service
	clock *clock
	media *media
	path  string
}

func newFixture(t *testing.T, path string, c *clock) *fixture {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "meetd.db")
	}
	if c == nil {
		c = &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	}
	store, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m := &media{}
	svc := rooms.New(store, m, rooms.Config{
		Keys:             auth.Keys{APIKey: "k", APISecret: "s-0123456789abcdef0123456789abcdef"},
		DepartureTimeout: 20 * time.Second,
		Now:              c.Now,
	}, rooms.Hooks{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return &fixture{store: store, svc: svc, clock: c, media: m, path: path}
}

func (f *fixture) create(t *testing.T, roomID string, emptyTimeout, durationMin int) *meet.Session {
	t.Helper()
	md := meet.RoomMetadata{RoomTitle: "t"}
	md.RoomFeatures.RoomDuration = &durationMin
	s, err := f.svc.Create(context.Background(), rooms.CreateRequest{RoomID: roomID, EmptyTimeout: emptyTimeout, Metadata: md})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) running(t *testing.T, roomID string) bool {
	t.Helper()
	ok, _, err := f.svc.IsActive(context.Background(), roomID)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// advance moves the clock and runs the timers.
func (f *fixture) advance(t *testing.T, d time.Duration) {
	t.Helper()
	f.clock.Add(d)
	if err := f.svc.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) join(t *testing.T, roomID, psid, user string) {
	t.Helper()
	if err := f.svc.ParticipantJoined(context.Background(), roomID, meet.ParticipantInfo{SID: psid, Identity: user, Name: user}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) leave(t *testing.T, roomID, psid, user string) {
	t.Helper()
	if err := f.svc.ParticipantLeft(context.Background(), roomID, meet.ParticipantInfo{SID: psid, Identity: user}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) reason(t *testing.T, roomID string) string {
	t.Helper()
	s, err := f.store.Session(context.Background(), roomID)
	if err != nil {
		t.Fatal(err)
	}
	return s.EndReason
}

func TestTimers(t *testing.T) {
	t.Run("empty timeout", func(t *testing.T) {
		f := newFixture(t, "", nil)
		f.create(t, "r", 60, 0)
		f.advance(t, 59*time.Second)
		if !f.running(t, "r") {
			t.Fatal("ended before the empty timeout")
		}
		f.advance(t, time.Second)
		if f.running(t, "r") || f.reason(t, "r") != meet.EndEmpty {
			t.Fatalf("not ended by the empty timeout (reason %q)", f.reason(t, "r"))
		}
	})
	t.Run("joined room ignores empty timeout", func(t *testing.T) {
		f := newFixture(t, "", nil)
		f.create(t, "r", 60, 0)
		f.join(t, "r", "PA_1", "u1")
		f.advance(t, time.Hour)
		if !f.running(t, "r") {
			t.Fatal("a room with a participant ended")
		}
	})
	t.Run("departure timeout", func(t *testing.T) {
		f := newFixture(t, "", nil)
		f.create(t, "r", 60, 0)
		f.join(t, "r", "PA_1", "u1")
		f.join(t, "r", "PA_2", "u2")
		f.leave(t, "r", "PA_1", "u1")
		f.advance(t, time.Minute)
		if !f.running(t, "r") {
			t.Fatal("ended while somebody is still in")
		}
		f.leave(t, "r", "PA_2", "u2")
		f.advance(t, 19*time.Second)
		f.join(t, "r", "PA_3", "u1") // back in time
		f.advance(t, time.Minute)
		if !f.running(t, "r") {
			t.Fatal("ended although u1 came back within the departure timeout")
		}
		f.leave(t, "r", "PA_3", "u1")
		f.advance(t, 20*time.Second)
		if f.running(t, "r") || f.reason(t, "r") != meet.EndDeparture {
			t.Fatalf("not ended by the departure timeout (reason %q)", f.reason(t, "r"))
		}
	})
	t.Run("room duration", func(t *testing.T) {
		f := newFixture(t, "", nil)
		f.create(t, "r", 60, 30)
		f.join(t, "r", "PA_1", "u1")
		f.advance(t, 29*time.Minute+59*time.Second)
		if !f.running(t, "r") {
			t.Fatal("ended before room_duration")
		}
		f.advance(t, time.Second)
		if f.running(t, "r") || f.reason(t, "r") != meet.EndDuration {
			t.Fatalf("not ended by room_duration (reason %q)", f.reason(t, "r"))
		}
		if len(f.media.closed) != 1 {
			t.Errorf("media room closed %d times", len(f.media.closed))
		}
	})
	t.Run("room duration counts from the first join", func(t *testing.T) {
		f := newFixture(t, "", nil)
		f.create(t, "r", 3600, 30)
		f.advance(t, 10*time.Minute) // nobody yet: the clock has not started
		f.join(t, "r", "PA_1", "u1")
		f.advance(t, 29*time.Minute+59*time.Second) // 39:59 after the creation
		if !f.running(t, "r") {
			t.Fatalf("ended %q before room_duration counted from the first join", f.reason(t, "r"))
		}
		f.advance(t, time.Second)
		if f.running(t, "r") || f.reason(t, "r") != meet.EndDuration {
			t.Fatalf("not ended 30 minutes after the first join (reason %q)", f.reason(t, "r"))
		}
	})
	t.Run("room duration does not end a room nobody joined", func(t *testing.T) {
		f := newFixture(t, "", nil)
		f.create(t, "r", 3600, 30)
		f.advance(t, 59*time.Minute)
		if !f.running(t, "r") {
			t.Fatalf("ended %q before anybody joined and before the empty timeout", f.reason(t, "r"))
		}
		f.advance(t, time.Minute)
		if f.running(t, "r") || f.reason(t, "r") != meet.EndEmpty {
			t.Fatalf("not ended by the empty timeout (reason %q)", f.reason(t, "r"))
		}
	})
	t.Run("timers survive a restart", func(t *testing.T) {
		f := newFixture(t, "", nil)
		sess := f.create(t, "r", 60, 0)
		f.clock.Add(30 * time.Second)
		f.store.Close()
		g := newFixture(t, f.path, f.clock) // a new process on the same database
		if err := g.svc.MediaRestarted(context.Background()); err != nil {
			t.Fatal(err)
		}
		g.advance(t, 29*time.Second)
		if !g.running(t, "r") {
			t.Fatal("ended early after restart")
		}
		g.advance(t, time.Second)
		if g.running(t, "r") {
			t.Fatal("empty timeout did not resume after restart")
		}
		got, _ := g.store.SessionBySID(context.Background(), sess.SID)
		if got == nil || got.EndReason != meet.EndEmpty {
			t.Fatalf("session after restart: %+v", got)
		}
	})
}

// Ending twice, or by two causes at once, ends once and emits room_finished (and session_ended) once.
func TestEndOnce(t *testing.T) {
	f := newFixture(t, "", nil)
	f.create(t, "r", 1, 0)
	f.join(t, "r", "PA_1", "u1")
	f.leave(t, "r", "PA_1", "u1")
	f.clock.Add(time.Hour)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(2)
		go func() { defer wg.Done(); _ = f.svc.Sweep(context.Background()) }()
		go func() { defer wg.Done(); _ = f.svc.End(context.Background(), "r", meet.EndByAPI) }()
	}
	wg.Wait()
	events, err := f.store.Events(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	var order []string
	for _, e := range events {
		count[e.Event.Event]++
		order = append(order, e.Event.Event)
	}
	want := []string{meet.EventRoomCreated, meet.EventRoomStarted, meet.EventParticipantJoined, meet.EventParticipantLeft, meet.EventRoomFinished, meet.EventSessionEnded}
	if len(order) != len(want) {
		t.Fatalf("events %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("events %v, want %v", order, want)
		}
	}
}

// Participants still connected when a room ends get participant_left before room_finished, and
// session_ended follows room_finished.
func TestEndEmitsLeftBeforeFinished(t *testing.T) {
	f := newFixture(t, "", nil)
	f.create(t, "r", 60, 0)
	f.join(t, "r", "PA_1", "u1")
	f.join(t, "r", "PA_2", "u2")
	if err := f.svc.End(context.Background(), "r", meet.EndByAPI); err != nil {
		t.Fatal(err)
	}
	f.leave(t, "r", "PA_1", "u1") // LiveKit's late report: no second event
	events, _ := f.store.Events(context.Background(), 0, 1000)
	var tail []string
	for _, e := range events[3:] {
		tail = append(tail, e.Event.Event+":"+identity(e.Event))
	}
	want := "[participant_joined:u2 participant_left:u1 participant_left:u2 room_finished: session_ended:]"
	if got := fmtList(tail); got != want {
		t.Fatalf("events %s, want %s", got, want)
	}
}

func identity(e meet.Event) string {
	if e.Participant == nil {
		return ""
	}
	return e.Participant.Identity
}

func fmtList(l []string) string {
	out := "["
	for i, s := range l {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out + "]"
}

// A meetd whose node stops beating loses its connections to the others' sweeps; its rooms then
// end by the departure path even though their media rooms, on the dead node, cannot be closed.
// A room with someone connected is not ended while its media room cannot be closed.
func TestDeadNodeRoomsEnd(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	f.create(t, "on-dead-node", 0, 0)
	f.create(t, "busy", 0, 0)
	// Connections held by another process's node, which beats once and then dies.
	dead := rooms.Presence{ParticipantSID: "PA_d", UserID: "d", Name: "d", At: f.clock.Now(), Node: "node-dead"}
	sess, _ := f.store.Session(ctx, "on-dead-node")
	if err := f.store.ParticipantJoined(ctx, sess.SID, dead, func(*meet.Session, rooms.JoinFacts) []meet.Event { return nil }); err != nil {
		t.Fatal(err)
	}
	_ = f.store.Heartbeat(ctx, "node-dead", f.clock.Now())
	f.join(t, "busy", "PA_b", "b") // on this process's node, which beats at every sweep

	f.media.closeErr = errors.New("no response from servers")
	f.advance(t, 10*time.Second) // within the node timeout (30 s): nothing happens
	if !f.running(t, "on-dead-node") {
		t.Fatal("ended before the node timeout")
	}
	f.advance(t, 25*time.Second) // the node is silent for 35 s: its connection is closed
	if s, _ := f.store.Session(ctx, "on-dead-node"); s.Connected != 0 || s.LastLeftAt.IsZero() {
		t.Fatalf("the dead node's connection is still open: %+v", s)
	}
	f.advance(t, 21*time.Second) // departure timeout
	if f.running(t, "on-dead-node") {
		t.Error("the room of the dead node did not end by the departure path")
	}
	if err := f.svc.End(ctx, "busy", meet.EndByAPI); err == nil || !f.running(t, "busy") {
		t.Errorf("a room with a participant ended although its media room could not be closed (err %v)", err)
	}
}

// A meeting page's token outlives the join token, serves the page's calls, and cannot join.
func TestPageToken(t *testing.T) {
	f := newFixture(t, "", nil)
	f.create(t, "class", 0, 0)
	ctx := context.Background()
	join, err := f.svc.JoinToken(ctx, "class", rooms.UserInfo{UserID: "teacher", Name: "Teacher", IsAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	j, err := f.svc.Join(ctx, join)
	if err != nil || j.PageToken == "" {
		t.Fatalf("join: %+v %v", j, err)
	}
	if _, err := f.svc.Join(ctx, j.PageToken); meet.CodeOf(err) != meet.CodeInvalidTokenOrSignature {
		t.Errorf("joined with a page token: %v", err)
	}
	f.clock.Add(time.Hour) // the join token has expired, the page's has not
	if _, err := f.svc.Moderator(ctx, join); meet.CodeOf(err) != meet.CodeInvalidTokenOrSignature {
		t.Errorf("an expired join token moderated: %v", err)
	}
	if _, err := f.svc.Moderator(ctx, j.PageToken); err != nil {
		t.Errorf("the page token after an hour: %v", err)
	}
	if err := f.svc.Hand(ctx, j.PageToken, true); err != nil {
		t.Errorf("a hand with the page token: %v", err)
	}
	f.clock.Add(rooms.PageTokenTTL)
	if _, err := f.svc.Moderator(ctx, j.PageToken); meet.CodeOf(err) != meet.CodeInvalidTokenOrSignature {
		t.Errorf("an expired page token moderated: %v", err)
	}
}

// A participant publishing and unpublishing a track 1000 times yields a bounded number of track
// events; the rate comes back with time.
func TestTrackEventFlood(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	f.create(t, "flood", 600, 0)
	f.join(t, "flood", "PA_1", "u1")
	count := func() int {
		list, err := f.store.Events(ctx, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range list {
			if e.Event.Event == meet.EventTrackPublished || e.Event.Event == meet.EventTrackUnpublished {
				n++
			}
		}
		return n
	}
	p := meet.ParticipantInfo{SID: "PA_1", Identity: "u1", Name: "u1"}
	for i := range 1000 {
		tr := meet.Track{SID: fmt.Sprintf("TR_%d", i/2), Source: "CAMERA"}
		if err := f.svc.TrackChanged(ctx, "flood", i%2 == 0, p, tr); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n == 0 || n > 100 {
		t.Errorf("1000 track changes wrote %d track events, want 1..100", n)
	}
	before := count()
	f.clock.Add(time.Minute)
	if err := f.svc.TrackChanged(ctx, "flood", true, p, meet.Track{SID: "TR_later", Source: "CAMERA"}); err != nil {
		t.Fatal(err)
	}
	if count() != before+1 {
		t.Error("a track event a minute later was not written")
	}
}

// Joins are limited per user and per session; their rate comes back with time, and each
// connection is recorded either way (ratelimit.go).
func TestJoinEventFlood(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	f.create(t, "flood", 600, 0)
	count := func() (joined, left int) {
		list, err := f.store.Events(ctx, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range list {
			switch e.Event.Event {
			case meet.EventParticipantJoined:
				joined++
			case meet.EventParticipantLeft:
				left++
			}
		}
		return joined, left
	}
	for i := range 30 { // one user: its burst, then nothing
		f.join(t, "flood", fmt.Sprintf("PA_u%d", i), "u")
		f.leave(t, "flood", fmt.Sprintf("PA_u%d", i), "u")
	}
	if j, l := count(); j != 10 || l != 10 {
		t.Errorf("30 rounds of one user: %d participant_joined, %d participant_left, want 10 and 10", j, l)
	}
	for i := range 600 { // many users at one instant: the session's burst
		f.join(t, "flood", fmt.Sprintf("PA_m%d", i), fmt.Sprintf("m%d", i))
	}
	if j, _ := count(); j != 500 { // the user's 10 count against the session's 500 too
		t.Errorf("600 users: %d participant_joined in all, want 500", j)
	}
	f.clock.Add(time.Minute)
	f.join(t, "flood", "PA_later", "u")
	if j, _ := count(); j != 501 {
		t.Error("a join a minute later wrote no participant_joined")
	}
	if got := f.svc.DroppedParticipantEvents(); got != 20+20+110 {
		t.Errorf("DroppedParticipantEvents %d, want 150", got)
	}
	sess, err := f.store.Session(ctx, "flood")
	if err != nil {
		t.Fatal(err)
	}
	in, err := f.store.ReportInput(ctx, sess.SID)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Presence) != 30+600+1 {
		t.Errorf("%d connections recorded, want 631", len(in.Presence))
	}
}

// A page whose connection broke while the meeting ended reconnects with its media token, and the
// media server makes a new room for it: meetd closes that room (and records nothing), so the page
// hears the meeting ended. The server's own participants may open a room before anyone joins.
func TestJoinWithoutRunningSessionClosesMediaRoom(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	f.create(t, "r", 60, 0)
	f.join(t, "r", "PA_1", "u1")
	if got := f.media.closedRooms(); len(got) != 0 {
		t.Fatalf("a join to a running meeting closed %v", got)
	}
	if err := f.svc.End(ctx, "r", meet.EndByAPI); err != nil {
		t.Fatal(err)
	}
	before := len(f.media.closedRooms())
	f.join(t, "r", "PA_2", "u1")
	f.join(t, "never-created", "PA_3", "u2")
	if err := f.svc.ParticipantJoined(ctx, "quiet", meet.ParticipantInfo{SID: "PA_4", Identity: meet.InternalPrefix + "recorder"}); err != nil {
		t.Fatal(err)
	}
	got := f.media.closedRooms()[before:]
	if len(got) != 2 || got[0] != "r" || got[1] != "never-created" {
		t.Errorf("closed %v after the stray joins, want [r never-created]", got)
	}
	events, err := f.store.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	joined := 0
	for _, e := range events {
		if e.Event.Event == meet.EventParticipantJoined {
			joined++
		}
	}
	if joined != 1 {
		t.Errorf("%d participant_joined events, want 1 (the stray joins record nothing)", joined)
	}
}

func (m *media) closedRooms() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.closed...)
}
