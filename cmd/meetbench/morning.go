package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"meetd/internal/testbot"
)

// A school's morning (doc/performance-notes.md): many rooms created at once, their participants
// joining within a minute, everybody's microphone on and a few cameras per room, while a
// dashboard polls the room lists and a webhook receiver takes meetd's events.

// morningStep is one load: rooms × participants per room.
type morningStep struct{ rooms, people int }

// morningSteps reads "5x5,10x5": rooms x participants, in order.
func morningSteps(s string) ([]morningStep, error) {
	var out []morningStep
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		r, p, ok := strings.Cut(f, "x")
		rooms, err1 := strconv.Atoi(r)
		people, err2 := strconv.Atoi(p)
		if !ok || err1 != nil || err2 != nil || rooms < 1 || people < 1 {
			return nil, fmt.Errorf("-morning: %q must be rooms x participants, like 10x5", f)
		}
		out = append(out, morningStep{rooms, people})
	}
	return out, nil
}

// hookBox is a webhook receiver in the bench process: it notes when each participant_joined
// arrived, by identity.
type hookBox struct {
	url string
	srv *http.Server

	mu     sync.Mutex
	joined map[string]time.Time // room_id/identity → when its participant_joined arrived
	count  int
}

func startHookBox() (*hookBox, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	h := &hookBox{url: "http://" + l.Addr().String() + "/hook", joined: map[string]time.Time{}}
	h.srv = &http.Server{Handler: http.HandlerFunc(h.serve), ReadHeaderTimeout: 10 * time.Second}
	go h.srv.Serve(l)
	return h, nil
}

func (h *hookBox) serve(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	data, _ := io.ReadAll(r.Body)
	var ev struct {
		Event string `json:"event"`
		Room  *struct {
			RoomID string `json:"room_id"`
		} `json:"room"`
		Participant *struct {
			Identity string `json:"identity"`
		} `json:"participant"`
	}
	if json.Unmarshal(data, &ev) == nil {
		h.mu.Lock()
		h.count++
		if ev.Event == "participant_joined" && ev.Room != nil && ev.Participant != nil {
			key := ev.Room.RoomID + "/" + ev.Participant.Identity
			if _, seen := h.joined[key]; !seen {
				h.joined[key] = at
			}
		}
		h.mu.Unlock()
	}
	w.WriteHeader(http.StatusOK)
}

// joinedAt is when the participant_joined of identity in room arrived (false: not yet).
func (h *hookBox) joinedAt(room, identity string) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.joined[room+"/"+identity]
	return t, ok
}

func (h *hookBox) close() { h.srv.Close() }

// profileWhile takes a CPU profile of meetd (its debug_addr) for d while work runs; work is told
// to stop by done. The profile goes to <pprof dir>/<name>.pprof.
func (b *bench) profileWhile(ctx context.Context, name string, d time.Duration, work func(done <-chan struct{}) error) error {
	done := make(chan struct{})
	var perr error
	go func() {
		defer close(done)
		perr = b.profile(ctx, name, d)
	}()
	werr := work(done)
	<-done
	if werr != nil {
		return werr
	}
	return perr
}

// profile writes a CPU profile of meetd over the next d into <pprof dir>/<name>.pprof.
func (b *bench) profile(ctx context.Context, name string, d time.Duration) error {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", b.debugAddr, int(d.Seconds()))
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("profile %s: %w", name, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("profile %s: HTTP %d", name, res.StatusCode)
	}
	path := filepath.Join(b.pprofDir, name+".pprof")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	b.say("profile written to %s", path)
	return f.Close()
}

// poller calls fn every interval until stop, keeping the latencies.
type poller struct {
	mu  sync.Mutex
	lat []time.Duration
	err error
}

func (p *poller) run(stop <-chan struct{}, every time.Duration, fn func() error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		start := time.Now()
		err := fn()
		p.mu.Lock()
		if err != nil {
			p.err = err
		} else {
			p.lat = append(p.lat, time.Since(start))
		}
		p.mu.Unlock()
	}
}

func (p *poller) result() ([]time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lat, p.err
}

// morning runs the steps in order and stops after the first that saturates the machine (audio
// loss ≥ 1 % or join p95 ≥ 1 s); its last row names the largest step that held.
func (b *bench) morning(ctx context.Context, steps []morningStep, spread time.Duration, cameras int, window time.Duration) error {
	held := ""
	for i, st := range steps {
		ok, err := b.morningStep(ctx, i, st, spread, cameras, window)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		held = fmt.Sprintf("%d×%d", st.rooms, st.people)
	}
	if held == "" {
		held = "none of the steps"
	}
	b.rows = append(b.rows, benchRow{Section: "morning", Name: "largest that holds", Extra: held +
		" (audio loss < 1 % and join p95 < 1 s; the bots run on the same cores as meetd)"})
	return nil
}

// morningStep creates st.rooms rooms at once, joins st.people bots to each spread over spread
// (each publishes audio, cameras of them a camera too, and subscribes to everything), measures the
// load over window once everybody is in, and ends the rooms. ok is false when the step saturated.
func (b *bench) morningStep(ctx context.Context, index int, st morningStep, spread time.Duration, cameras int, window time.Duration) (ok bool, err error) {
	label := fmt.Sprintf("%d rooms × %d", st.rooms, st.people)
	b.say("morning: %s participants, joins spread over %s", label, spread)
	var rss0 int64
	if b.pid != 0 {
		_, rss0, _ = procStat(b.pid)
	}
	t0 := time.Now()
	rooms := make([]string, st.rooms)
	var wg sync.WaitGroup
	errs := make(chan error, st.rooms)
	for r := range rooms {
		rooms[r] = fmt.Sprintf("morning%d-%03d", index, r)
		wg.Go(func() {
			if err := b.call(ctx, "room/create", map[string]any{"room_id": rooms[r], "metadata": map[string]any{"room_title": rooms[r]}}, nil); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	created := time.Since(t0)
	select {
	case err := <-errs:
		return false, err
	default:
	}

	// a dashboard polling both lists while people join and talk
	stop := make(chan struct{})
	var all, one poller
	var pollers sync.WaitGroup
	pollers.Go(func() {
		all.run(stop, 200*time.Millisecond, func() error {
			return b.call(ctx, "room/getActiveRoomsInfo", map[string]any{}, nil)
		})
	})
	pollers.Go(func() {
		one.run(stop, 100*time.Millisecond, func() error { return b.activeRoomRaw(ctx, rooms[0]) })
	})
	stopPollers := func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		pollers.Wait()
	}
	defer stopPollers()

	var (
		mu        sync.Mutex
		bots      []*testbot.Bot
		joins     []time.Duration
		connected = map[string]time.Time{} // room/identity → when its bot was connected
		inRoom    = map[string]int{}       // bots connected per room
		failed    []string                 // joins or publications that failed
	)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, bot := range bots {
			bot.Leave()
		}
		for _, room := range rooms {
			if e := b.call(ctx, "room/endRoom", map[string]any{"room_id": room}, nil); e != nil && err == nil {
				err = e
			}
		}
	}()
	total := st.rooms * st.people
	start := time.Now()
	for i := range total {
		room, user := rooms[i%st.rooms], fmt.Sprintf("m%03d", i/st.rooms)
		camera := i/st.rooms < cameras
		at := start.Add(spread * time.Duration(i) / time.Duration(total))
		wg.Go(func() {
			time.Sleep(time.Until(at))
			t := time.Now()
			bot, err := b.join(ctx, room, user, true)
			if err != nil {
				// a join that fails under load (a connection timeout) saturates the step
				mu.Lock()
				failed = append(failed, err.Error())
				mu.Unlock()
				return
			}
			took, now := time.Since(t), time.Now()
			mu.Lock()
			bots = append(bots, bot)
			joins = append(joins, took)
			connected[room+"/"+user] = now
			inRoom[room]++
			mu.Unlock()
			_, err = bot.PublishAudio()
			if err == nil && camera {
				_, err = bot.PublishVideo()
			}
			if err != nil {
				mu.Lock()
				failed = append(failed, err.Error())
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, room := range rooms {
		if err := b.waitActive(ctx, room, inRoom[room]); err != nil {
			failed = append(failed, err.Error())
		}
	}
	time.Sleep(2 * time.Second) // let subscriptions settle

	var recv0, lost0 int64
	for _, bot := range bots {
		r, l := bot.Packets()
		recv0, lost0 = recv0+r, lost0+l
	}
	var cpu1 time.Duration
	if b.pid != 0 {
		cpu1, _, _ = procStat(b.pid)
	}
	bots0, _, _ := procStat(os.Getpid())
	measure := func(done <-chan struct{}) error {
		select {
		case <-time.After(window):
		case <-ctx.Done():
			return ctx.Err()
		}
		if done != nil {
			<-done
		}
		return nil
	}
	if b.pprofDir != "" && b.debugAddr != "" {
		err = b.profileWhile(ctx, fmt.Sprintf("morning-%dx%d", st.rooms, st.people), window, measure)
	} else {
		err = measure(nil)
	}
	if err != nil {
		return false, err
	}
	elapsed := time.Since(start) // joins and window, for the API pollers
	bots1, _, _ := procStat(os.Getpid())
	var recv, lost int64
	for _, bot := range bots {
		r, l := bot.Packets()
		recv, lost = recv+r, lost+l
	}
	recv, lost = recv-recv0, lost-lost0
	loss := 0.0
	if recv+lost > 0 {
		loss = 100 * float64(lost) / float64(recv+lost)
	}
	stopPollers()
	allLat, err := all.result()
	if err != nil {
		return false, fmt.Errorf("getActiveRoomsInfo under load: %w", err)
	}
	oneLat, err := one.result()
	if err != nil {
		return false, fmt.Errorf("getActiveRoomInfo under load: %w", err)
	}

	// webhook delay: the bot connected (in the bench) → its participant_joined arrived
	var delays []time.Duration
	missing := 0
	deadline := time.Now().Add(10 * time.Second)
	mu.Lock()
	for key, t := range connected {
		room, user, _ := strings.Cut(key, "/")
		for {
			got, ok := b.hooks.joinedAt(room, user)
			if ok {
				delays = append(delays, max(got.Sub(t), 0))
				break
			}
			if time.Now().After(deadline) {
				missing++
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	mu.Unlock()

	rows := []benchRow{
		{Section: "morning", Name: label + ": room/create", Conc: st.rooms, N: st.rooms,
			Extra: fmt.Sprintf("all %d created in %.0f ms", st.rooms, float64(created.Microseconds())/1000)},
		{Section: "morning", Name: label + ": join", N: len(joins), P50ms: percentile(joins, 0.5), P95ms: percentile(joins, 0.95), P99ms: percentile(joins, 0.99),
			Extra: fmt.Sprintf("getJoinToken → connected, joins spread over %s", spread)},
		{Section: "morning", Name: label + ": getActiveRoomsInfo", N: len(allLat), P50ms: percentile(allLat, 0.5), P95ms: percentile(allLat, 0.95), P99ms: percentile(allLat, 0.99),
			Extra: fmt.Sprintf("every 200 ms during the joins and the window (%.0f s)", elapsed.Seconds())},
		{Section: "morning", Name: label + ": getActiveRoomInfo", N: len(oneLat), P50ms: percentile(oneLat, 0.5), P95ms: percentile(oneLat, 0.95), P99ms: percentile(oneLat, 0.99),
			Extra: fmt.Sprintf("one room of %d, every 100 ms", st.people)},
	}
	hook := benchRow{Section: "morning", Name: label + ": webhook delay", N: len(delays), P50ms: percentile(delays, 0.5), P95ms: percentile(delays, 0.95), P99ms: percentile(delays, 0.99),
		Extra: "bot connected → its participant_joined at the bench's receiver"}
	if missing > 0 {
		hook.Extra += fmt.Sprintf("; %d never arrived within 10 s after the window", missing)
	}
	if b.pid == 0 {
		hook.Extra = "not measured: the meetd at -url does not send its webhooks to the bench"
	}
	rows = append(rows, hook)
	media := benchRow{Section: "morning", Name: label + ": audio", N: len(bots),
		Extra: fmt.Sprintf("%d cameras per room; packets received %d, loss %.2f%%, bots CPU %.0f%% of one core", min(cameras, st.people), recv, loss,
			100*(bots1-bots0).Seconds()/window.Seconds())}
	if b.pid != 0 {
		cpu2, rss, _ := procStat(b.pid)
		cpu := (cpu2 - cpu1).Seconds() / window.Seconds()
		mib := float64(rss-rss0) / (1 << 20)
		media.Extra += fmt.Sprintf(", meetd CPU %.0f%% of one core (%.1f%% per room, %.2f%% per participant), memory %+.0f MiB (%.1f MiB per room, %.2f MiB per participant)",
			100*cpu, 100*cpu/float64(st.rooms), 100*cpu/float64(max(len(bots), 1)), mib, mib/float64(st.rooms), mib/float64(max(len(bots), 1)))
	}
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		media.Extra += ", load average " + strings.Join(strings.Fields(string(load))[:3], " ")
	}
	if len(failed) > 0 {
		media.Extra += fmt.Sprintf("; %d joins or publications failed (first: %s)", len(failed), failed[0])
	}
	rows = append(rows, media)
	b.rows = append(b.rows, rows...)
	holds := loss < 1 && percentile(joins, 0.95) < 1000 && len(failed) == 0
	b.say("morning %s: join p95 %.0f ms, loss %.2f%%: %s", label, percentile(joins, 0.95), loss, map[bool]string{true: "holds", false: "saturated"}[holds])
	return holds, nil
}

// idleRooms creates n rooms nobody joins and reports meetd's memory per idle room and
// getActiveRoomsInfo's latency with them open; then ends them.
func (b *bench) idleRooms(ctx context.Context, n int) error {
	if n <= 0 {
		return nil
	}
	b.say("idle: %d rooms created, nobody in", n)
	var rss0 int64
	if b.pid != 0 {
		time.Sleep(2 * time.Second) // the previous section's rooms let go
		_, rss0, _ = procStat(b.pid)
	}
	rooms := make(chan string, n)
	for i := range n {
		rooms <- fmt.Sprintf("idle-%04d", i)
	}
	close(rooms)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	t0 := time.Now()
	for range 8 {
		wg.Go(func() {
			for room := range rooms {
				if err := b.call(ctx, "room/create", map[string]any{"room_id": room, "metadata": map[string]any{"room_title": room}}, nil); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	created := time.Since(t0)
	select {
	case err := <-errs:
		return err
	default:
	}
	time.Sleep(2 * time.Second)
	var lat []time.Duration
	var bytes int
	for range 20 {
		t := time.Now()
		data, _, err := b.signed(ctx, "room/getActiveRoomsInfo", map[string]any{})
		if err != nil {
			return err
		}
		lat = append(lat, time.Since(t))
		bytes = len(data)
	}
	if b.pprofDir != "" {
		// a profile of meetd answering getActiveRoomsInfo with them, one call after another
		if err := b.profileWhile(ctx, fmt.Sprintf("rooms-%d-idle", n), 10*time.Second, func(done <-chan struct{}) error {
			for {
				select {
				case <-done:
					return nil
				default:
				}
				if _, _, err := b.signed(ctx, "room/getActiveRoomsInfo", map[string]any{}); err != nil {
					return err
				}
			}
		}); err != nil {
			return err
		}
	}
	row := benchRow{Section: "idle", Name: fmt.Sprintf("%d idle rooms", n), N: n,
		Extra: fmt.Sprintf("created in %.1f s at concurrency 8", created.Seconds())}
	if b.pid != 0 {
		_, rss1, _ := procStat(b.pid)
		row.Extra += fmt.Sprintf("; meetd memory %+.1f MiB, %.1f KiB per idle room", float64(rss1-rss0)/(1<<20), float64(rss1-rss0)/1024/float64(n))
	}
	b.rows = append(b.rows, row, benchRow{Section: "idle", Name: fmt.Sprintf("getActiveRoomsInfo, %d idle rooms", n), N: len(lat),
		P50ms: percentile(lat, 0.5), P95ms: percentile(lat, 0.95), P99ms: percentile(lat, 0.99), Extra: fmt.Sprintf("answer %.0f KB", float64(bytes)/1024)})
	for i := range n {
		if err := b.call(ctx, "room/endRoom", map[string]any{"room_id": fmt.Sprintf("idle-%04d", i)}, nil); err != nil {
			return err
		}
	}
	return nil
}
