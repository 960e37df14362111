package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lkauth "github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"google.golang.org/protobuf/proto"

	"meetd/internal/auth"
	"meetd/internal/store"
	"meetd/internal/testbot"
)

type benchRow struct {
	Section string  `json:"section"`
	Name    string  `json:"name"`
	Conc    int     `json:"concurrency,omitempty"`
	N       int     `json:"n"`
	PerSec  float64 `json:"per_second,omitempty"`
	P50ms   float64 `json:"p50_ms,omitempty"`
	P95ms   float64 `json:"p95_ms,omitempty"`
	P99ms   float64 `json:"p99_ms,omitempty"`
	Extra   string  `json:"extra,omitempty"`
}

type bench struct {
	base, livekitURL string
	databaseURL      string // PostgreSQL for the meetd the bench starts; "" for SQLite
	keys             auth.Keys
	client           *http.Client
	meetd            string // the meetd binary to start; "" builds one from the module
	pid              int    // the meetd process, when the bench started it
	dur              time.Duration
	progress         io.Writer
	rows             []benchRow

	// the sizes of the last answers of activeRoomRaw and listParticipantsRaw
	oursBytes, theirsBytes int

	samples   int      // interleaved calls per room size
	debugAddr string   // meetd's profiler (config debug_addr), when -pprof is given
	pprofDir  string   // where CPU profiles are written; "" = none
	hooks     *hookBox // the webhook receiver in the bench process (morning.go)
}

// run is meetbench: it measures a meetd and prints a table (or JSON) on stdout, its progress on
// stderr. -h prints the usage and returns flag.ErrHelp.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	// The bench process is the load generator, its bots share the cores with the meetd measured:
	// collecting garbage less often leaves them more CPU (memory is not what a bench lacks).
	debug.SetGCPercent(400)
	fs := flag.NewFlagSet("meetbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: meetbench [flags]

meetbench measures a meetd: one it starts itself as a child process (embedded defaults, a temporary
data directory, loopback ports), or one at -url. It prints a table (or JSON) on stdout.

`)
		fs.PrintDefaults()
	}
	url := fs.String("url", "", "meetd base URL to measure (default: start one)")
	meetd := fs.String("meetd", "", "meetd binary to start (default: go build ./cmd/meetd of the module around the working directory)")
	lkURL := fs.String("livekit-url", "", "LiveKit HTTP URL of that meetd, for the ListParticipants comparison")
	key := fs.String("key", getenv("MEETD_API_KEY"), "API key (with -url)")
	secret := fs.String("secret", getenv("MEETD_API_SECRET"), "API secret (with -url)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	dur := fs.Duration("duration", 2*time.Second, "how long each API measurement runs")
	sizes := fs.String("sizes", "0,10,50,100", "room sizes for getActiveRoomInfo")
	media := fs.String("media", "10,25,50", "audio participants for the media measurement")
	samples := fs.Int("samples", 300, "interleaved getActiveRoomInfo/ListParticipants calls per room size")
	sections := fs.String("sections", "size,join,media,morning,idle,api", "the sections to run, in this order: size, join, media, morning, idle, api")
	morning := fs.String("morning", "5x5,10x5,10x10,20x10", "morning steps, rooms x participants each, run in order until one saturates the machine")
	spread := fs.Duration("spread", 60*time.Second, "morning: the joins of a step are spread over this long")
	cameras := fs.Int("cameras", 2, "morning: participants per room who also publish a camera")
	window := fs.Duration("window", 10*time.Second, "morning: how long the load is measured once everybody joined")
	idle := fs.Int("idle", 1000, "idle rooms created (nobody in) for memory per idle room; 0 = none")
	pprofDir := fs.String("pprof", "", "write meetd CPU profiles (room info at the largest size, each morning step) into this directory; needs a meetd the bench starts")
	databaseURL := fs.String("database-url", getenv("MEETD_DATABASE_URL"),
		"PostgreSQL database (an empty one) for the meetd the bench starts; default SQLite in a temporary directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	b := &bench{base: strings.TrimRight(*url, "/"), livekitURL: *lkURL, keys: auth.Keys{APIKey: *key, APISecret: *secret},
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}, dur: *dur, progress: stderr,
		databaseURL: *databaseURL, meetd: *meetd, samples: max(*samples, 1), pprofDir: *pprofDir}
	if b.pprofDir != "" {
		if *url != "" {
			return errors.New("-pprof needs a meetd the bench starts (no -url)")
		}
		if err := os.MkdirAll(b.pprofDir, 0o755); err != nil {
			return err
		}
	}
	steps, err := morningSteps(*morning)
	if err != nil {
		return err
	}
	b.hooks, err = startHookBox()
	if err != nil {
		return err
	}
	defer b.hooks.close()
	if b.base == "" {
		stop, err := b.startMeetd(ctx)
		if err != nil {
			return err
		}
		defer stop()
	} else if b.keys.APIKey == "" || b.keys.APISecret == "" {
		return errors.New("with -url, give -key and -secret (or MEETD_API_KEY and MEETD_API_SECRET)")
	}
	started := time.Now()
	// The API section runs last: it creates thousands of rooms that stay open, which the morning's
	// getActiveRoomsInfo and the idle rooms' memory would otherwise count.
	known := map[string]func(context.Context) error{
		"size":    func(ctx context.Context) error { return b.roomSizes(ctx, ints(*sizes)) },
		"join":    b.joinLatency,
		"media":   func(ctx context.Context) error { return b.mediaLoad(ctx, ints(*media)) },
		"morning": func(ctx context.Context) error { return b.morning(ctx, steps, *spread, *cameras, *window) },
		"idle":    func(ctx context.Context) error { return b.idleRooms(ctx, *idle) },
		"api":     b.apiThroughput,
	}
	var run []func(context.Context) error
	for _, name := range strings.Split(*sections, ",") {
		step, ok := known[strings.TrimSpace(name)]
		if !ok {
			return fmt.Errorf("-sections: unknown section %q (size, join, media, morning, idle, api)", name)
		}
		run = append(run, step)
	}
	for _, step := range run {
		if err := step(ctx); err != nil {
			return err
		}
	}
	b.say("done in %s", time.Since(started).Round(time.Second))
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(b.rows)
	}
	b.table(stdout)
	return nil
}

func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func (b *bench) say(format string, args ...any) {
	fmt.Fprintf(b.progress, "bench: "+format+"\n", args...)
}

// startMeetd runs `meetd serve` (the -meetd binary, or one it builds) on loopback ports in a
// temporary directory.
func (b *bench) startMeetd(ctx context.Context) (func(), error) {
	dir, err := os.MkdirTemp("", "meetd-bench-")
	if err != nil {
		return nil, err
	}
	exe := b.meetd
	if exe == "" {
		exe = filepath.Join(dir, "bin", "meetd")
		b.say("building meetd (go build ./cmd/meetd)")
		if err := buildMeetd(ctx, exe); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	port := func(network string) string {
		if network == "udp" {
			c, _ := net.ListenPacket("udp", "127.0.0.1:0")
			defer c.Close()
			return strconv.Itoa(c.LocalAddr().(*net.UDPAddr).Port)
		}
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		defer l.Close()
		return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	}
	addr, lkPort := "127.0.0.1:"+port("tcp"), port("tcp")
	extra := []string{"MEETD_WEBHOOK_URLS=" + b.hooks.url, "MEETD_WEBHOOK_ALLOW_PRIVATE=true"}
	if b.pprofDir != "" {
		b.debugAddr = "127.0.0.1:" + port("tcp")
		extra = append(extra, "MEETD_DEBUG_ADDR="+b.debugAddr)
	}
	b.base, b.livekitURL = "http://"+addr, "http://127.0.0.1:"+lkPort
	b.keys = auth.Keys{APIKey: "bench", APISecret: "bench-secret-0123456789abcdef0123456789"}
	cmd := exec.CommandContext(ctx, exe, "serve")
	cmd.Env = append(os.Environ(), "MEETD_ADDR="+addr, "MEETD_DATA_DIR="+data, "MEETD_API_KEY="+b.keys.APIKey,
		"MEETD_API_SECRET="+b.keys.APISecret, "MEETD_NODE_IP=127.0.0.1", "MEETD_LIVEKIT_PORT="+lkPort,
		"MEETD_RTC_TCP_PORT=0", "MEETD_RTC_UDP_PORT="+port("udp"), "MEETD_LOG_LEVEL=error", "MEETD_LIVEKIT_LOG_LEVEL=error",
		"MEETD_DATABASE_URL="+b.databaseURL)
	cmd.Env = append(cmd.Env, extra...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &logs
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		os.RemoveAll(dir)
	}
	b.pid = cmd.Process.Pid
	where := "SQLite in " + data
	if b.databaseURL != "" {
		where = "PostgreSQL " + store.Where(b.databaseURL)
	}
	b.say("started meetd (pid %d) at %s, store %s", b.pid, b.base, where)
	for deadline := time.Now().Add(30 * time.Second); ; {
		if res, err := http.Get(b.base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("meetd did not become healthy: %s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// activeRoomRaw asks getActiveRoomInfo and reads the answer whole without decoding it (its
// envelope comes first, so a success is recognised by its first bytes).
func (b *bench) activeRoomRaw(ctx context.Context, roomID string) error {
	data, status, err := b.signed(ctx, "room/getActiveRoomInfo", map[string]any{"room_id": roomID})
	b.oursBytes = len(data)
	if err == nil && !bytes.HasPrefix(data, []byte(`{"status":true`)) {
		err = fmt.Errorf("getActiveRoomInfo: HTTP %d: %.200s", status, data)
	}
	return err
}

// listParticipantsRaw is LiveKit's ListParticipants as the SDK sends it (Twirp, protobuf), its
// answer read whole without decoding it.
func (b *bench) listParticipantsRaw(ctx context.Context, roomID string) error {
	body, _ := proto.Marshal(&livekit.ListParticipantsRequest{Room: roomID})
	lk := b.keys.MediaKeys() // the embedded node's own pair
	token, err := lkauth.NewAccessToken(lk.APIKey, lk.APISecret).
		SetVideoGrant(&lkauth.VideoGrant{RoomAdmin: true, Room: roomID}).SetValidFor(time.Minute).ToJWT()
	if err != nil {
		return err
	}
	data, status, err := b.post(ctx, b.livekitURL+"/twirp/livekit.RoomService/ListParticipants", body,
		map[string]string{"Content-Type": "application/protobuf", "Authorization": "Bearer " + token})
	b.theirsBytes = len(data)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("ListParticipants: HTTP %d: %.200s", status, data)
	}
	return err
}

// post sends body with headers and reads the whole answer.
func (b *bench) post(ctx context.Context, url string, body []byte, headers map[string]string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := b.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return data, res.StatusCode, err
}

// signed makes a signed API call and returns its answer undecoded.
func (b *bench) signed(ctx context.Context, path string, body any) ([]byte, int, error) {
	raw, _ := json.Marshal(body)
	return b.post(ctx, b.base+"/auth/"+path, raw, map[string]string{"Content-Type": "application/json",
		"API-KEY": b.keys.APIKey, "HASH-SIGNATURE": auth.SignBody(b.keys.APISecret, raw)})
}

// call makes a signed API call and decodes its answer into out.
func (b *bench) call(ctx context.Context, path string, body, out any) error {
	data, status, err := b.signed(ctx, path, body)
	if err != nil {
		return err
	}
	var env struct {
		Status     bool   `json:"status"`
		Msg        string `json:"msg"`
		StatusCode string `json:"status_code"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("%s: HTTP %d: %s", path, status, data)
	}
	if !env.Status && path != "room/isRoomActive" {
		return fmt.Errorf("%s: %s %s", path, env.StatusCode, env.Msg)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(p * float64(len(s)-1))
	return float64(s[i].Microseconds()) / 1000
}

// load runs fn from conc workers for the bench's duration and records the latencies.
func (b *bench) load(ctx context.Context, name string, conc int, fn func(ctx context.Context, n int64) error) error {
	var (
		mu   sync.Mutex
		lat  []time.Duration
		seq  atomic.Int64
		errs atomic.Value
		wg   sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(b.dur)
	for range conc {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t := time.Now()
				if err := fn(ctx, seq.Add(1)); err != nil {
					errs.Store(err)
					return
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if err, _ := errs.Load().(error); err != nil {
		return fmt.Errorf("%s at concurrency %d: %w", name, conc, err)
	}
	elapsed := time.Since(start).Seconds()
	b.rows = append(b.rows, benchRow{Section: "api", Name: name, Conc: conc, N: len(lat), PerSec: float64(len(lat)) / elapsed,
		P50ms: percentile(lat, 0.50), P99ms: percentile(lat, 0.99)})
	b.say("%-20s concurrency %2d: %6.0f/s", name, conc, float64(len(lat))/elapsed)
	return nil
}

func (b *bench) apiThroughput(ctx context.Context) error {
	b.say("API throughput, %s per measurement", b.dur)
	if err := b.call(ctx, "room/create", map[string]any{"room_id": "bench", "metadata": map[string]any{"room_title": "Bench"}}, nil); err != nil {
		return err
	}
	calls := []struct {
		name string
		fn   func(ctx context.Context, n int64) error
	}{
		{"room/create", func(ctx context.Context, n int64) error {
			return b.call(ctx, "room/create", map[string]any{"room_id": fmt.Sprintf("bench-%d", n), "metadata": map[string]any{"room_title": "Bench"}}, nil)
		}},
		{"room/getJoinToken", func(ctx context.Context, n int64) error {
			return b.call(ctx, "room/getJoinToken", map[string]any{"room_id": "bench", "user_info": map[string]any{"user_id": fmt.Sprintf("u%d", n), "name": "U"}}, nil)
		}},
		{"room/isRoomActive", func(ctx context.Context, n int64) error {
			return b.call(ctx, "room/isRoomActive", map[string]any{"room_id": "bench"}, nil)
		}},
		{"getActiveRoomInfo", func(ctx context.Context, n int64) error {
			return b.call(ctx, "room/getActiveRoomInfo", map[string]any{"room_id": "bench"}, nil)
		}},
	}
	for _, c := range calls {
		for _, conc := range []int{1, 8, 32} {
			if err := b.load(ctx, c.name, conc, c.fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// join makes a bot for user in room through getJoinToken and /api/join, as a browser would.
func (b *bench) join(ctx context.Context, room, user string, subscribe bool) (*testbot.Bot, error) {
	var tok struct {
		Token string `json:"token"`
	}
	if err := b.call(ctx, "room/getJoinToken", map[string]any{"room_id": room, "user_info": map[string]any{"user_id": user, "name": user}}, &tok); err != nil {
		return nil, err
	}
	req, _ := http.NewRequestWithContext(ctx, "POST", b.base+"/api/join", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	res, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var j struct {
		Status       bool   `json:"status"`
		Msg          string `json:"msg"`
		LiveKitURL   string `json:"livekit_url"`
		LiveKitToken string `json:"livekit_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&j); err != nil || !j.Status {
		return nil, fmt.Errorf("join %s: %v %s", user, err, j.Msg)
	}
	return testbot.JoinWith(j.LiveKitURL, j.LiveKitToken, subscribe)
}

func (b *bench) active(ctx context.Context, room string) (map[string]string, error) {
	var res struct {
		Room *struct {
			Participants []struct {
				Identity string `json:"identity"`
				State    string `json:"state"`
			} `json:"participants_info"`
		} `json:"room"`
	}
	if err := b.call(ctx, "room/getActiveRoomInfo", map[string]any{"room_id": room}, &res); err != nil {
		return nil, err
	}
	out := map[string]string{}
	if res.Room != nil {
		for _, p := range res.Room.Participants {
			out[p.Identity] = p.State
		}
	}
	return out, nil
}

// waitActive waits until n participants of room are ACTIVE.
func (b *bench) waitActive(ctx context.Context, room string, n int) error {
	deadline := time.Now().Add(90 * time.Second)
	for {
		ps, err := b.active(ctx, room)
		if err != nil {
			return err
		}
		active := 0
		for _, st := range ps {
			if st == "ACTIVE" {
				active++
			}
		}
		if active >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %d of %d participants active after 90 s", room, active, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *bench) roomSizes(ctx context.Context, sizes []int) error {
	if b.livekitURL == "" {
		b.say("no -livekit-url: getActiveRoomInfo measured without LiveKit's ListParticipants beside it")
	}
	nodeKeys := b.keys.MediaKeys() // the embedded node's own pair
	lk := lksdk.NewRoomServiceClient(b.livekitURL, nodeKeys.APIKey, nodeKeys.APISecret)
	if err := b.call(ctx, "room/create", map[string]any{"room_id": "sized", "metadata": map[string]any{"room_title": "Sized"}}, nil); err != nil {
		return err
	}
	var bots []*testbot.Bot
	defer func() {
		for _, bot := range bots {
			bot.Leave()
		}
	}()
	for _, size := range sizes {
		for len(bots) < size {
			bot, err := b.join(ctx, "sized", fmt.Sprintf("p%03d", len(bots)), false)
			if err != nil {
				return err
			}
			bots = append(bots, bot)
		}
		b.say("room of %d participants: waiting for all to be active", size)
		if err := b.waitActive(ctx, "sized", size); err != nil {
			return err
		}
		// Four ways, interleaved call by call so that both sides see the same machine (the bots
		// settling after their joins, the SFU's upkeep): meetd and LiveKit each with the answer read
		// whole but not decoded (what the server and the transport cost), and decoded by the client
		// (JSON for meetd, protobuf through the SDK for LiveKit).
		n := b.samples
		ways := []func() error{
			func() error { return b.activeRoomRaw(ctx, "sized") },
			func() error { return b.call(ctx, "room/getActiveRoomInfo", map[string]any{"room_id": "sized"}, nil) },
		}
		if b.livekitURL != "" {
			ways = append(ways,
				func() error { return b.listParticipantsRaw(ctx, "sized") },
				func() error {
					_, err := lk.ListParticipants(ctx, &livekit.ListParticipantsRequest{Room: "sized"})
					return err
				})
		}
		lat := make([][]time.Duration, len(ways))
		for range n {
			for i, fn := range ways {
				t := time.Now()
				if err := fn(); err != nil {
					if i >= 2 {
						return fmt.Errorf("ListParticipants: %w", err)
					}
					return err
				}
				lat[i] = append(lat[i], time.Since(t))
			}
		}
		ours, oursDecoded := lat[0], lat[1]
		row := benchRow{Section: "room size", Name: fmt.Sprintf("getActiveRoomInfo, %d participants", size), N: n,
			P50ms: percentile(ours, 0.5), P99ms: percentile(ours, 0.99)}
		if b.livekitURL != "" {
			theirs, theirsDecoded := lat[2], lat[3]
			row.Extra = fmt.Sprintf("LiveKit ListParticipants p50 %.2f ms p99 %.2f ms; meetd/LiveKit p50 %.2fx; decoded by the client: meetd p50 %.2f ms, LiveKit %.2f ms (%.2fx); answers %.1f KB JSON, %.1f KB protobuf",
				percentile(theirs, 0.5), percentile(theirs, 0.99), percentile(ours, 0.5)/percentile(theirs, 0.5),
				percentile(oursDecoded, 0.5), percentile(theirsDecoded, 0.5), percentile(oursDecoded, 0.5)/percentile(theirsDecoded, 0.5),
				float64(b.oursBytes)/1024, float64(b.theirsBytes)/1024)
		}
		b.rows = append(b.rows, row)
		if b.pprofDir != "" && size == slices.Max(sizes) {
			// a profile of meetd answering getActiveRoomInfo alone, one call after another
			name := fmt.Sprintf("roominfo-%d", size)
			if err := b.profileWhile(ctx, name, 10*time.Second, func(done <-chan struct{}) error {
				for {
					select {
					case <-done:
						return nil
					default:
					}
					if err := b.activeRoomRaw(ctx, "sized"); err != nil {
						return err
					}
				}
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *bench) joinLatency(ctx context.Context) error {
	const n = 20
	b.say("join: %d participants at once", n)
	if err := b.call(ctx, "room/create", map[string]any{"room_id": "joins", "metadata": map[string]any{"room_title": "Joins"}}, nil); err != nil {
		return err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		lat  []time.Duration
		bots []*testbot.Bot
		errs = make(chan error, n)
	)
	for i := range n {
		wg.Go(func() {
			user := fmt.Sprintf("j%02d", i)
			t := time.Now()
			bot, err := b.join(ctx, "joins", user, false)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			bots = append(bots, bot)
			mu.Unlock()
			for {
				ps, err := b.active(ctx, "joins")
				if err != nil {
					errs <- err
					return
				}
				if ps[user] == "ACTIVE" {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			mu.Lock()
			lat = append(lat, time.Since(t))
			mu.Unlock()
		})
	}
	wg.Wait()
	for _, bot := range bots {
		bot.Leave()
	}
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	b.rows = append(b.rows, benchRow{Section: "join", Name: "getJoinToken → ACTIVE", Conc: n, N: len(lat),
		P50ms: percentile(lat, 0.5), P95ms: percentile(lat, 0.95)})
	return nil
}

// procStat returns the CPU time (user+system) and resident memory of a process, from /proc.
// udpRcvbufErrors is the machine's count of UDP datagrams dropped for a full receive buffer
// (/proc/net/snmp, Udp RcvbufErrors); 0 where it cannot be read.
func udpRcvbufErrors() int64 {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0
	}
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, name := range names {
			if name == "RcvbufErrors" && i < len(fields) {
				n, _ := strconv.ParseInt(fields[i], 10, 64)
				return n
			}
		}
	}
	return 0
}

func procStat(pid int) (cpu time.Duration, rss int64, err error) {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0, err
	}
	s := string(stat)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	pages, _ := strconv.ParseInt(f[21], 10, 64)
	const hz = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / hz, pages * int64(os.Getpagesize()), nil
}

func (b *bench) mediaLoad(ctx context.Context, counts []int) error {
	if b.pid == 0 {
		b.say("media: CPU and memory need a meetd started by the bench; measuring packet loss only")
	}
	const window = 10 * time.Second
	for _, n := range counts {
		room := fmt.Sprintf("audio-%d", n)
		if err := b.call(ctx, "room/create", map[string]any{"room_id": room, "metadata": map[string]any{"room_title": room}}, nil); err != nil {
			return err
		}
		var rssBefore int64
		if b.pid != 0 {
			_, rssBefore, _ = procStat(b.pid)
		}
		b.say("media: %d audio participants publishing and subscribing", n)
		bots := make([]*testbot.Bot, 0, n)
		for i := range n {
			bot, err := b.join(ctx, room, fmt.Sprintf("a%02d", i), true)
			if err != nil {
				return err
			}
			if _, err := bot.PublishAudio(); err != nil {
				return err
			}
			bots = append(bots, bot)
		}
		if err := b.waitActive(ctx, room, n); err != nil {
			return err
		}
		time.Sleep(2 * time.Second) // let subscriptions settle
		var recv0, lost0 int64
		for _, bot := range bots {
			r, l := bot.Packets()
			recv0, lost0 = recv0+r, lost0+l
		}
		var cpu0 time.Duration
		if b.pid != 0 {
			cpu0, _, _ = procStat(b.pid)
		}
		bots0, _, _ := procStat(os.Getpid())
		drops0 := udpRcvbufErrors()
		time.Sleep(window)
		drops := udpRcvbufErrors() - drops0
		bots1, _, _ := procStat(os.Getpid())
		var recv, lost int64
		for _, bot := range bots {
			r, l := bot.Packets()
			recv, lost = recv+r, lost+l
		}
		recv, lost = recv-recv0, lost-lost0
		row := benchRow{Section: "media", Name: fmt.Sprintf("%d audio participants", n), N: n}
		loss := 0.0
		if recv+lost > 0 {
			loss = 100 * float64(lost) / float64(recv+lost)
		}
		row.Extra = fmt.Sprintf("packets received %d, loss %.2f%%", recv, loss)
		// Where the loss happens: datagrams the kernel dropped because a socket's receive buffer was
		// full (a reader, a bot or the SFU, that did not keep up), and the bots' own CPU.
		row.Extra += fmt.Sprintf(", UDP receive-buffer drops %d, bots CPU %.0f%% of one core", drops, 100*(bots1-bots0).Seconds()/window.Seconds())
		if b.pid != 0 {
			cpu1, rss, _ := procStat(b.pid)
			row.Extra += fmt.Sprintf(", meetd CPU %.0f%% of one core, memory %+.1f MiB (%.2f MiB per participant)",
				100*(cpu1-cpu0).Seconds()/window.Seconds(), float64(rss-rssBefore)/(1<<20), float64(rss-rssBefore)/(1<<20)/float64(n))
		}
		b.rows = append(b.rows, row)
		for _, bot := range bots {
			bot.Leave()
		}
		if err := b.call(ctx, "room/endRoom", map[string]any{"room_id": room}, nil); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) table(w io.Writer) {
	fmt.Fprintf(w, "%-10s %-38s %5s %7s %9s %8s %8s %8s  %s\n", "section", "measurement", "conc", "n", "per s", "p50 ms", "p95 ms", "p99 ms", "")
	for _, r := range b.rows {
		num := func(v float64, format string) string {
			if v == 0 {
				return "-"
			}
			return fmt.Sprintf(format, v)
		}
		conc := "-"
		if r.Conc > 0 {
			conc = strconv.Itoa(r.Conc)
		}
		fmt.Fprintf(w, "%-10s %-38s %5s %7d %9s %8s %8s %8s  %s\n", r.Section, r.Name, conc, r.N,
			num(r.PerSec, "%.0f"), num(r.P50ms, "%.2f"), num(r.P95ms, "%.2f"), num(r.P99ms, "%.2f"), r.Extra)
	}
}
