package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for hostNode
	"github.com/livekit/protocol/livekit"
	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/proto"

	"meetd/internal/media"
	"meetd/internal/store/pgtest"
	"meetd/internal/testbot"
)

// clusterServices gives a test a database of its own on the test PostgreSQL server and an empty
// Redis database (scripts/services.sh starts both; .ci/run installs them). Outside CI a test
// without them is skipped; in CI it fails.
func clusterServices(t *testing.T) (databaseURL, redisURL string) {
	t.Helper()
	rd := os.Getenv("MEETD_TEST_REDIS_URL")
	if rd == "" {
		msg := "MEETD_TEST_REDIS_URL is not set: run eval \"$(scripts/services.sh)\" (Debian package redis-server)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return pgtest.NewDatabase(t), testRedis(t, rd)
}

var redisDBs atomic.Int32

// testRedis picks a Redis database number for the test (1–15: Debian's redis-server has 16) and
// empties it before and after.
func testRedis(t *testing.T, serverURL string) string {
	t.Helper()
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + strconv.Itoa(1+int(redisDBs.Add(1)-1)%15)
	opts, err := redis.ParseURL(u.String())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	flush := func() {
		if err := c.FlushDB(context.Background()).Err(); err != nil {
			t.Fatalf("redis %s: %v", u, err)
		}
	}
	flush()
	t.Cleanup(func() {
		flush()
		c.Close()
	})
	return u.String()
}

// startCluster starts two meetd processes sharing one PostgreSQL database and one Redis: two
// nodes of one LiveKit cluster, and two API servers for the same rooms.
func startCluster(t *testing.T, extra map[string]string) (a, b *meetd, envA map[string]string) {
	t.Helper()
	db, rd := clusterServices(t)
	shared := map[string]string{"MEETD_DATABASE_URL": db, "MEETD_REDIS_URL": rd}
	for k, v := range extra {
		shared[k] = v
	}
	envA, envB := testEnv(t, shared), testEnv(t, shared)
	a = startMeetd(t, envA)
	b = startMeetd(t, envB)
	return a, b, envA
}

// hostNode is the meetd node (its node id) that the store says holds the room's connection of
// user: the media node LiveKit placed the room on. "" until the store has it.
func hostNode(t *testing.T, databaseURL, roomID, userID string) string {
	t.Helper()
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var node string
	err = db.QueryRow(`SELECT p.node FROM presence p JOIN sessions s ON s.sid = p.sid
		WHERE s.room_id = $1 AND s.ended_at IS NULL AND p.user_id = $2 AND p.left_at IS NULL`, roomID, userID).Scan(&node)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("the node holding %s in %s: %v", userID, roomID, err)
	}
	return node
}

func nodeIDOf(t *testing.T, env map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(dataDirFile(env, "node_id"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b[:len(b)-1])
}

// TestCluster: two meetd on one PostgreSQL and one Redis serve the same rooms. A room created
// on A is joined through both nodes' signalling, both APIs tell the same participants, endRoom on
// B disconnects the participant connected through A; creates racing on A and B make one session;
// every webhook goes out exactly once.
func TestCluster(t *testing.T) {
	h := newHooks(t, map[string]string{"MEETD_API_KEY": "test-key", "MEETD_API_SECRET": testSecret}, nil)
	a, b, _ := startCluster(t, map[string]string{"MEETD_WEBHOOK_URLS": h.URL})

	// 20 creates for one room, split across A and B: one session.
	sids := make([]string, 20)
	var wg sync.WaitGroup
	for i := range sids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := a
			if i%2 == 1 {
				m = b
			}
			var res struct {
				envelope
				RoomInfo roomInfo `json:"room_info"`
			}
			m.post("/auth/room/create", map[string]any{"room_id": "shared", "metadata": map[string]any{"room_title": "Shared"}}, &res)
			sids[i] = res.RoomInfo.SID
		}()
	}
	wg.Wait()
	for i, sid := range sids {
		if sid == "" || sid != sids[0] {
			t.Fatalf("create %d (on %s) got sid %q, create 0 got %q", i, map[bool]string{true: "B", false: "A"}[i%2 == 1], sid, sids[0])
		}
	}

	// Tokens from B; one bot joins through A's signalling URL, one through B's.
	viaA := a.botWithToken(b.joinToken("shared", "ann", "Ann", true))
	viaB := b.botWithToken(b.joinToken("shared", "bob", "Bob", false))
	if _, err := viaA.PublishAudio(); err != nil {
		t.Fatal(err)
	}
	if _, err := viaB.PublishAudio(); err != nil {
		t.Fatal(err)
	}
	same := func() bool {
		ra, rb := a.activeRoom("shared"), b.activeRoom("shared")
		pa, pb := participantsByID(ra), participantsByID(rb)
		if len(pa) != 2 || len(pb) != 2 || ra.Room.RoomInfo.SID != sids[0] || rb.Room.RoomInfo.SID != sids[0] {
			return false
		}
		for id, p := range pa {
			q := pb[id]
			if q.SID != p.SID || q.Name != p.Name || q.IsAdmin != p.IsAdmin || q.JoinedAt != p.JoinedAt || len(q.Tracks) != 1 || len(p.Tracks) != 1 {
				return false
			}
		}
		return ra.Room.RoomInfo.JoinedParticipants == 2 && rb.Room.RoomInfo.JoinedParticipants == 2
	}
	eventually(t, 15*time.Second, "A and B tell the same two participants with their tracks", same)

	// endRoom on B disconnects the bot connected through A.
	var end envelope
	b.post("/auth/room/endRoom", map[string]any{"room_id": "shared"}, &end)
	if !end.Status {
		t.Fatalf("endRoom on B: %+v", end)
	}
	for name, bot := range map[string]*testbot.Bot{"the bot connected through A": viaA, "the bot connected through B": viaB} {
		select {
		case <-bot.Gone():
		case <-time.After(10 * time.Second):
			t.Errorf("%s is still connected 10 s after endRoom on B", name)
		}
	}
	if active, _ := a.isActive("shared"); active {
		t.Error("A still says the room is active")
	}

	// Every event exactly once, from whichever process sent it.
	want := map[string]int{"room_created": 1, "room_started": 1, "participant_joined": 2, "track_published": 2,
		"participant_left": 2, "room_finished": 1}
	total := 0
	for _, n := range want {
		total += n
	}
	h.waitDelivered(total-2, 15*time.Second) // track_unpublished may or may not come before the end
	time.Sleep(time.Second)                  // a duplicate would come by now
	counts := map[string]int{}
	for id, n := range h.deliveredIDs() {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
	for _, r := range h.delivered() {
		counts[r.Event.Event]++
	}
	for name, n := range want {
		if counts[name] != n {
			t.Errorf("%s delivered %d times, want %d (all: %v)", name, counts[name], n, counts)
		}
	}
	if len(h.delivered()) != len(h.requests()) {
		t.Errorf("%d requests for %d deliveries: a healthy receiver got retries", len(h.requests()), len(h.delivered()))
	}
}

// TestClusterNodeDies: kill -9 one meetd of two. The other keeps answering; rooms its own media
// node hosts go on; rooms the dead node hosted follow the departure path once node_timeout says
// the node is gone: one room_finished each.
func TestClusterNodeDies(t *testing.T) {
	h := newHooks(t, map[string]string{"MEETD_API_KEY": "test-key", "MEETD_API_SECRET": testSecret}, nil)
	a, b, envA := startCluster(t, map[string]string{
		"MEETD_WEBHOOK_URLS": h.URL, "MEETD_NODE_TIMEOUT": "2s", "MEETD_DEPARTURE_TIMEOUT": "2",
	})
	dbURL := envA["MEETD_DATABASE_URL"]
	nodeA := nodeIDOf(t, envA)

	// Rooms until LiveKit has placed at least one on each node (it picks a node at random).
	type room struct {
		id  string
		bot *testbot.Bot
		onA bool
	}
	var rooms []room
	var onA, onB int
	for i := 0; i < 12 && (onA == 0 || onB == 0); i++ {
		id := fmt.Sprintf("placed-%d", i)
		a.create(id, nil)
		bot := b.bot(id, "u") // signalling through B
		eventually(t, 10*time.Second, id+" has its participant", func() bool { return len(participantsByID(b.activeRoom(id))) == 1 })
		var node string
		eventually(t, 10*time.Second, id+"'s connection in the store", func() bool {
			node = hostNode(t, dbURL, id, "u")
			return node != ""
		})
		r := room{id: id, bot: bot, onA: node == nodeA}
		rooms = append(rooms, r)
		if r.onA {
			onA++
		} else {
			onB++
		}
	}
	if onA == 0 || onB == 0 {
		t.Fatalf("LiveKit placed all %d rooms on one node (on A: %d)", len(rooms), onA)
	}
	t.Logf("%d rooms on A's media node, %d on B's", onA, onB)

	a.kill9()
	for _, r := range rooms {
		if r.onA {
			r.bot.Leave() // its media node is gone: the person gives up
		}
	}

	for _, r := range rooms {
		if r.onA {
			b.waitEnded(r.id, 30*time.Second)
		}
	}
	for _, r := range rooms {
		if r.onA {
			continue
		}
		if got := participantsByID(b.activeRoom(r.id)); len(got) != 1 {
			t.Errorf("room %s on B's node lost its participant when A died: %+v", r.id, got)
		}
		select {
		case <-r.bot.Gone():
			t.Errorf("the bot of %s (on B's node) was disconnected when A died: %v", r.id, r.bot.Reason())
		default:
		}
	}
	finished := func() map[string]int {
		n := map[string]int{}
		for _, r := range h.delivered() {
			if r.Event.Event == "room_finished" && r.Event.Room != nil {
				n[r.Event.Room.RoomID]++
			}
		}
		return n
	}
	// A's deliveries in flight when it died, and the rest of their room's queue, wait for their
	// lease (the attempt timeout, 15 s, + 10 s) to run out; then B delivers them.
	eventually(t, 45*time.Second, "room_finished of each room on A", func() bool {
		got := finished()
		for _, r := range rooms {
			if r.onA && got[r.id] == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second)
	got := finished()
	for _, r := range rooms {
		want := 0
		if r.onA {
			want = 1
		}
		if got[r.id] != want {
			t.Errorf("room %s (on A: %v): room_finished %d times, want %d", r.id, r.onA, got[r.id], want)
		}
	}
}

// runLiveKitChild is the test binary as a LiveKit server of its own (MEETD_E2E_LIVEKIT=1): the
// same LiveKit code as the livekit-server command, in another process than meetd, for the test
// of meetd driving an external LiveKit. It stops on SIGTERM.
func runLiveKitChild() error {
	atoi := func(name string) int { n, _ := strconv.Atoi(os.Getenv(name)); return n }
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	node := media.New(media.Config{Node: media.NodeConfig{
		APIKey: os.Getenv("LK_API_KEY"), APISecret: os.Getenv("LK_API_SECRET"),
		Port: atoi("LK_PORT"), RTCUDPPort: atoi("LK_UDP_PORT"), NodeIP: "127.0.0.1",
		WebhookURL: os.Getenv("LK_WEBHOOK_URL"), LogLevel: slog.LevelError,
	}}, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := node.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	node.Stop()
	return nil
}

// TestExternalLiveKit: meetd drives a LiveKit server it does not run (another process, its own
// API key pair) and learns who joins from that server's webhooks.
func TestExternalLiveKit(t *testing.T) {
	env := testEnv(t, nil)
	lkPort := freePort(t, "tcp")
	lk := exec.Command(os.Args[0], "-test.run=^$")
	lk.Env = append(os.Environ(), "MEETD_E2E_LIVEKIT=1", "LK_API_KEY=lk-key", "LK_API_SECRET=lk-secret-0123456789abcdef0123456789",
		"LK_PORT="+strconv.Itoa(lkPort), "LK_UDP_PORT="+strconv.Itoa(freePort(t, "udp")),
		"LK_WEBHOOK_URL=http://"+env["MEETD_ADDR"]+"/internal/livekit/webhook")
	var lkLog bytes.Buffer
	lk.Stdout, lk.Stderr = &lkLog, &lkLog
	if err := lk.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = lk.Process.Signal(syscall.SIGTERM)
		_ = lk.Wait()
		if t.Failed() {
			t.Logf("LiveKit's output:\n%s", lkLog.String())
		}
	})
	lkURL := "http://127.0.0.1:" + strconv.Itoa(lkPort)
	eventually(t, 20*time.Second, "the external LiveKit answers", func() bool {
		res, err := http.Get(lkURL)
		if err == nil {
			res.Body.Close()
		}
		return err == nil
	})

	env["MEETD_LIVEKIT_URL"] = lkURL
	env["MEETD_LIVEKIT_API_KEY"] = "lk-key"
	env["MEETD_LIVEKIT_API_SECRET"] = "lk-secret-0123456789abcdef0123456789"
	m := startMeetd(t, env)

	m.create("outside", nil)
	j, _ := m.exchange(m.joinToken("outside", "ext", "Ext", false))
	if j.LiveKitURL != "ws://127.0.0.1:"+strconv.Itoa(lkPort) {
		t.Errorf("join hands out %q, want the external LiveKit's address", j.LiveKitURL)
	}
	bot := m.botWithToken(m.joinToken("outside", "ext", "Ext", false))
	if _, err := bot.PublishAudio(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the participant listed with its track, and counted from the webhook", func() bool {
		r := m.activeRoom("outside")
		p := participantsByID(r)["ext"]
		return p.SID != "" && len(p.Tracks) == 1 && r.Room.RoomInfo.JoinedParticipants == 1
	})
	var end envelope
	m.post("/auth/room/endRoom", map[string]any{"room_id": "outside"}, &end)
	if !end.Status {
		t.Fatalf("endRoom: %+v", end)
	}
	select {
	case <-bot.Gone():
	case <-time.After(10 * time.Second):
		t.Fatal("the bot is still connected to the external LiveKit 10 s after endRoom")
	}
	if active, _ := m.isActive("outside"); active {
		t.Error("the room is still active")
	}
}

// TestClusterRecordingStop: a recording that meetd A runs is stopped through meetd B. B removes A's
// recorder from the room; A stops it as requested and composes the file, which every process lists
// and A serves.
func TestClusterRecordingStop(t *testing.T) {
	needFFmpeg(t)
	ivf, ogg := testMedia(t, "green", 440, 320, 240, 20)
	h := newHooks(t, map[string]string{"MEETD_API_KEY": "test-key", "MEETD_API_SECRET": testSecret}, nil)
	a, b, _ := startCluster(t, map[string]string{"MEETD_WEBHOOK_URLS": h.URL})
	a.create("recorded", nil)
	a.mediaBot("recorded", "speaker", ivf, ogg)
	eventually(t, 40*time.Second, "the bot publishes", func() bool {
		p := participantsByID(b.activeRoom("recorded"))["speaker"]
		return len(p.Tracks) == 2
	})
	if res := a.call("/auth/recording/start", map[string]any{"room_id": "recorded"}); !res.Status {
		t.Fatalf("recording/start on A: %+v", res)
	}
	if !b.isRecording("recorded") {
		t.Fatal("B does not see the recording A started")
	}
	time.Sleep(3 * time.Second)
	if res := b.call("/auth/recording/stop", map[string]any{"room_id": "recorded"}); !res.Status {
		t.Fatalf("recording/stop on B: %+v", res)
	}
	eventually(t, 15*time.Second, "is_recording false on A and B", func() bool {
		return !a.isRecording("recorded") && !b.isRecording("recorded")
	})
	rec := b.waitRecording("recorded", 1)
	if rec.FileSize <= 0 {
		t.Fatalf("listed on B: %+v", rec)
	}
	if path := a.downloadMP4(rec.RecordID); path == "" {
		t.Fatal("A does not serve the file it composed")
	}
	reason := func() string {
		for _, r := range h.delivered() {
			if r.Event.Event == "end_recording" {
				var body struct {
					RecordingInfo struct {
						Reason string `json:"reason"`
					} `json:"recording_info"`
				}
				_ = json.Unmarshal(r.Body, &body)
				return body.RecordingInfo.Reason
			}
		}
		return ""
	}
	eventually(t, 10*time.Second, "end_recording delivered", func() bool { return reason() != "" })
	if got := reason(); got != "stopped by request" {
		t.Errorf("end_recording reason %q, want %q", got, "stopped by request")
	}
	if res := b.call("/auth/recording/stop", map[string]any{"room_id": "recorded"}); res.Status || res.StatusCode != "NOT_FOUND" {
		t.Errorf("a second stop on B: %+v, want NOT_FOUND", res)
	}
}

// TestClusterDrain: SIGTERM on A drains it in the cluster. LiveKit places no new room on A's node
// (new meetings go to B while A's go on), and A waits only for the rooms its own node hosts: it
// exits 0 once they end, although B's rooms still run.
func TestClusterDrain(t *testing.T) {
	db, rd := clusterServices(t)
	shared := map[string]string{"MEETD_DATABASE_URL": db, "MEETD_REDIS_URL": rd}
	envA := testEnv(t, shared)
	envA["MEETD_E2E_SIGNALS"], envA["MEETD_DRAIN_TIMEOUT"] = "1", "2m"
	a, b := startMeetd(t, envA), startMeetd(t, testEnv(t, shared))
	nodeA := nodeIDOf(t, envA)
	host := func(roomID string) string {
		var node string
		eventually(t, 10*time.Second, roomID+"'s connection in the store", func() bool {
			node = hostNode(t, db, roomID, "u")
			return node != ""
		})
		return node
	}

	// A room that LiveKit placed on A's node, with its participant.
	onA := ""
	for i := 0; i < 12 && onA == ""; i++ {
		id := fmt.Sprintf("before-%d", i)
		b.create(id, nil)
		b.bot(id, "u")
		if host(id) == nodeA {
			onA = id
		}
	}
	if onA == "" {
		t.Fatal("LiveKit placed none of 12 rooms on A")
	}

	exited := a.signal(syscall.SIGTERM)
	eventually(t, 10*time.Second, "A's /healthz answers 503", func() bool { return a.health() == http.StatusServiceUnavailable })
	eventually(t, 20*time.Second, "A's media node shown shutting down in the cluster", func() bool {
		return clusterNodesShuttingDown(t, rd) == 1 // with its next stats update
	})
	for i := range 6 {
		id := fmt.Sprintf("after-%d", i)
		b.create(id, nil)
		b.bot(id, "u")
		if host(id) == nodeA {
			t.Errorf("room %s was placed on the draining node", id)
		}
	}
	select {
	case err := <-exited:
		t.Fatalf("A exited while its room %s runs: %v", onA, err)
	default:
	}
	if got := participantsByID(b.activeRoom(onA)); len(got) != 1 {
		t.Errorf("the room on the draining node lost its participant: %+v", got)
	}

	var end envelope
	b.post("/auth/room/endRoom", map[string]any{"room_id": onA}, &end)
	if !end.Status {
		t.Fatalf("endRoom %s: %+v", onA, end)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("A exited with %v, want 0", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("A still runs 30 s after the last room on its node ended (rooms on B still run)")
	}
}

// clusterNodesShuttingDown counts the LiveKit nodes that the cluster's Redis lists as shutting
// down (LiveKit keeps each node, protobuf-encoded, in the hash "nodes").
func clusterNodesShuttingDown(t *testing.T, redisURL string) int {
	t.Helper()
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	nodes, err := c.HGetAll(context.Background(), "nodes").Result()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, raw := range nodes {
		var node livekit.Node
		if err := proto.Unmarshal([]byte(raw), &node); err == nil && node.State == livekit.NodeState_SHUTTING_DOWN {
			n++
		}
	}
	return n
}
