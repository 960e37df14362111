// Package server is the meetd server: its parts built in dependency order (store, webhook
// dispatcher, listeners, media, reports and recordings, rooms with their hooks, HTTP), started in
// order and stopped in reverse. cmd/meetd reads the flags and signals and calls Run.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gopkg.in/yaml.v3"

	"meetd/internal/analytics"
	"meetd/internal/auth"
	"meetd/internal/bbb"
	"meetd/internal/config"
	"meetd/internal/edge"
	"meetd/internal/httpapi"
	"meetd/internal/media"
	"meetd/internal/meet"
	"meetd/internal/outbox"
	"meetd/internal/recorder"
	"meetd/internal/rooms"
	"meetd/internal/store"
	"meetd/internal/web"
)

// Options are what Run takes besides the configuration.
type Options struct {
	Version string    // in the start-up lines and the webhooks' User-Agent
	Stdout  io.Writer // the start-up lines
	Stderr  io.Writer // the log

	// Drain, when closed, drains the server: /healthz answers 503 and new rooms and joins are
	// refused until no meeting runs on this server or drain_timeout has passed; then Run stops.
	Drain <-chan struct{}
	// Ready, if not nil, receives the base URL (http://127.0.0.1:port) once the server serves.
	Ready chan<- string
	// Media is the media server; nil: the configuration's (media.Engine: the embedded LiveKit node,
	// or the external deployment at livekit.url). With another one, recording and RTMP answer an
	// error, and there is no observer, no LiveKit webhook endpoint and no /rtc proxy.
	Media Media
}

// Media is the media server as the server drives it: the room service's rules, started before
// the HTTP server and stopped after it. *media.Engine is the real one; tests pass a fake.
type Media interface {
	rooms.Media
	Start(ctx context.Context) error
	Stop()
}

// Run runs meetd until ctx ends (after a clean shutdown), or Options.Drain is closed and the
// drain is over, and returns nil; or it returns the start-up error, once what had started is
// stopped.
func Run(ctx context.Context, cfg config.Config, opts Options) error {
	level, _ := config.ParseLevel(cfg.LogLevel)
	s := &server{cfg: cfg, opts: opts, log: slog.New(slog.NewTextHandler(opts.Stderr, &slog.HandlerOptions{Level: level}))}
	err := s.build(ctx)
	if err == nil {
		err = s.start(ctx)
	}
	if err != nil {
		s.stop()
		return err
	}
	s.banner()
	if opts.Ready != nil {
		opts.Ready <- s.edge.Base()
	}
	err = s.wait(ctx)
	s.log.Info("shutting down")
	s.stop()
	return err
}

// server is meetd's parts as built, and the list of them that start and stop.
type server struct {
	cfg  config.Config
	opts Options
	log  *slog.Logger

	parts []part // in the order they start

	generated bool   // the API secret was generated at this start
	nodeID    string // this process's media node, as the store knows it
	storeName string

	store      stateStore
	webhooks   *outbox.Dispatcher
	edge       *edge.Edge
	media      Media
	engine     *media.Engine // the media, when it is the configuration's; else nil
	reports    *analytics.Service
	recordings *recorder.Service
	rooms      *rooms.Service
	handler    http.Handler
	api        atomic.Pointer[httpapi.Server] // for the store's wake-up of the event streams
	draining   atomic.Bool
}

// part is one part of the server that runs: start starts it (nil: it runs once built, like an
// open store), stop stops it.
type part struct {
	name    string
	start   func(ctx context.Context) error
	stop    func()
	running bool
}

// add appends a part that start will start.
func (s *server) add(name string, start func(context.Context) error, stop func()) {
	s.parts = append(s.parts, part{name: name, start: start, stop: stop})
}

// opened appends a part that runs from the moment it was built (an open store, open listeners).
func (s *server) opened(name string, stop func()) {
	s.parts = append(s.parts, part{name: name, stop: stop, running: true})
}

// goroutine appends a part that runs fn in a goroutine of its own until stopped.
func (s *server) goroutine(name string, fn func(ctx context.Context)) {
	var cancel context.CancelFunc
	done := make(chan struct{})
	s.add(name, func(context.Context) error {
		var ctx context.Context
		ctx, cancel = context.WithCancel(context.Background())
		go func() { defer close(done); fn(ctx) }()
		return nil
	}, func() { cancel(); <-done })
}

// start starts the parts in order, and stops at the first that fails.
func (s *server) start(ctx context.Context) error {
	for i := range s.parts {
		p := &s.parts[i]
		if p.running {
			continue
		}
		if err := p.start(ctx); err != nil {
			return err
		}
		p.running = true
	}
	return nil
}

// stop stops the running parts in reverse order: whatever ended the server (ctx, a drain, a
// failed start, a failed build, the HTTP server's end), it unwinds the same way.
func (s *server) stop() {
	for i := len(s.parts) - 1; i >= 0; i-- {
		if p := &s.parts[i]; p.running {
			s.log.Debug("stop", "part", p.name)
			p.stop()
			p.running = false
		}
	}
}

// build makes the parts in dependency order; each that runs joins the list in the order it
// starts. The store and the listeners are opened here; nothing else runs before start.
func (s *server) build(ctx context.Context) error {
	keys, err := s.prepare()
	if err != nil {
		return err
	}
	cfg, log := s.cfg, s.log

	// The store (PostgreSQL with store.url, else SQLite) wakes the webhook dispatcher and the
	// event streams up after every commit that wrote events.
	wake := outbox.NewWake()
	written := func() {
		wake.Notify()
		if a := s.api.Load(); a != nil {
			a.EventsWritten()
		}
	}
	if s.store, s.storeName, err = openStore(ctx, cfg, store.WakeUp(written)); err != nil {
		return err
	}
	s.opened("store", func() { s.store.Close() })
	s.webhooks = outbox.New(s.store, outbox.Config{
		URLs:         cfg.Webhooks.URLs,
		Keys:         keys,
		MaxAge:       time.Duration(cfg.Webhooks.MaxAge),
		BackoffBase:  time.Duration(cfg.Webhooks.BackoffBase),
		BackoffMax:   time.Duration(cfg.Webhooks.BackoffMax),
		AllowPrivate: cfg.Webhooks.AllowPrivate,
		UserAgent:    "meetd/" + s.opts.Version,
		Wake:         wake,
	}, log)
	s.goroutine("webhooks", func(ctx context.Context) { // attempts in flight get a few seconds to finish
		if err := s.webhooks.Run(ctx, 3*time.Second); err != nil {
			log.Error("webhooks stopped", "err", err)
		}
	})

	// The listeners (TLS, the HTTP → HTTPS redirect, the loopback one for the node's webhooks):
	// the media node is told where to post its webhooks.
	if s.edge, err = edge.Open(cfg, log); err != nil {
		return err
	}
	s.opened("listeners", s.edge.Close)

	// The media server: the embedded node, or an external LiveKit deployment that meetd drives
	// and that sends its webhooks here; or the caller's.
	s.media = s.opts.Media
	if s.media == nil {
		s.engine = media.New(mediaConfig(cfg, s.edge.InternalBase()), log)
		s.media = s.engine
		if s.engine.External() {
			s.nodeID = "external" // every meetd driving it shares it: its connections go only when it says so
		}
	}
	s.add("media", s.startMedia, s.media.Stop)

	if s.reports, err = analytics.New(s.store, filepath.Join(cfg.DataDir, "analytics"), keys, log); err != nil {
		return err
	}
	var joiner recorder.Joiner = noJoiner{}
	if s.engine != nil {
		joiner = s.engine.Subscriber()
	}
	if s.recordings, err = recorder.New(s.store, joiner, s.media, filepath.Join(cfg.DataDir, "recordings"), keys, log); err != nil {
		return err
	}
	w, h, err := cfg.Recording.CanvasSize()
	if err != nil {
		return err
	}
	if err = s.recordings.SetOptions(recorder.Options{RTMPAllowedHosts: cfg.RTMP.AllowedHosts,
		MinFreeBytes: int64(cfg.Recording.MinFreeMB) << 20, MaxConcurrent: cfg.Recording.MaxConcurrent,
		Canvas: recorder.Canvas{W: w, H: h, FPS: cfg.Recording.FPS}}); err != nil {
		return err
	}
	// Recordings the last run left running or not composed; those another meetd runs go on.
	// Closing stops recordings: compositions get 30 s, the rest is composed at the next start.
	s.add("recordings", func(ctx context.Context) error {
		if err := s.recordings.Recover(ctx); err != nil {
			log.Error("recover recordings", "err", err)
		}
		return nil
	}, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s.recordings.Close(ctx)
	})

	s.rooms = rooms.New(s.store, s.media, rooms.Config{
		Keys:             keys,
		DepartureTimeout: time.Duration(cfg.DepartureTimeout) * time.Second,
		Node:             s.nodeID,
		ChatDir:          filepath.Join(cfg.DataDir, "chat"),       // chat files (rooms/chat.go)
		WhiteboardDir:    filepath.Join(cfg.DataDir, "whiteboard"), // whiteboard images (rooms/whiteboard.go)
		NodeTimeout:      time.Duration(cfg.NodeTimeout),
	}, rooms.Hooks{
		Started: s.recordings.Started, // automatic recording
		Ending:  s.recordings.Ending,  // the recording stops (and its file is finished) before the room closes
		Ended:   s.reports.Generate,   // the attendance report
	}, log)

	if s.handler, err = s.httpAPI(keys); err != nil {
		return err
	}
	s.add("http", func(context.Context) error {
		s.edge.Serve(s.handler, s.turnAddr())
		return nil
	}, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.edge.Shutdown(ctx)
	})

	s.goroutine("timers", func(ctx context.Context) { s.rooms.RunTimers(ctx, time.Duration(cfg.TimerInterval)) })
	if s.engine != nil {
		if o := s.engine.Observer(s.rooms.NodeRooms, s.rooms.Activity, log); o != nil {
			// muted tracks and speakers, for attendance reports
			s.goroutine("observer", func(ctx context.Context) { o.Run(ctx, 250*time.Millisecond) })
		}
	}
	s.goroutine("reports", func(ctx context.Context) { s.reports.Run(ctx, time.Minute) }) // reports a crash left unwritten
	s.goroutine("prune", func(ctx context.Context) { prune(ctx, s.store, time.Duration(cfg.Retention), log) })
	return nil
}

// prepare makes the data directory, the API secret if there is none, and the node id.
func (s *server) prepare() (auth.Keys, error) {
	if err := os.MkdirAll(s.cfg.DataDir, 0o700); err != nil {
		return auth.Keys{}, fmt.Errorf("data directory: %w", err)
	}
	// MkdirAll leaves the mode of a directory that existed (systemd's StateDirectory= makes it
	// 0755): the database, the secret and the recordings are for meetd's user only.
	if err := os.Chmod(s.cfg.DataDir, 0o700); err != nil {
		s.log.Warn("data directory: could not restrict it to meetd's user (chmod 0700)", "dir", s.cfg.DataDir, "err", err)
	}
	var err error
	if s.generated, err = s.cfg.EnsureSecret(); err != nil {
		return auth.Keys{}, fmt.Errorf("api secret: %w", err)
	}
	if shown, err := yaml.Marshal(s.cfg.Redacted()); err == nil {
		s.log.Debug("effective configuration\n" + string(shown))
	}
	if s.nodeID, err = s.cfg.NodeID(); err != nil {
		return auth.Keys{}, fmt.Errorf("node id: %w", err)
	}
	return auth.Keys{APIKey: s.cfg.APIKey, APISecret: s.cfg.APISecret}, nil
}

// startMedia starts the media server. An embedded node (or a test's fake) starts empty: whoever
// the store thought connected to it is gone.
func (s *server) startMedia(ctx context.Context) error {
	if s.engine == nil || !s.engine.External() {
		if err := s.rooms.MediaRestarted(ctx); err != nil {
			return fmt.Errorf("reset presence: %w", err)
		}
	}
	return s.media.Start(ctx)
}

// httpAPI is the HTTP handler: every route (httpapi), the LiveKit webhooks and the signalling proxy.
func (s *server) httpAPI(keys auth.Keys) (http.Handler, error) {
	cfg := s.cfg
	// meetd's metrics in a registry of this server's own; LiveKit's are in the default one
	registry := prometheus.NewRegistry()
	metrics, err := httpapi.NewMetrics(registry, s.store.Stats)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	mounts := map[string]http.Handler{"GET /": web.Handler()}
	if s.engine != nil {
		signalling, err := s.edge.SignallingProxy(s.engine.URL(), s.engine.ClientMessages(s.log), s.log) // clients need only meetd's port
		if err != nil {
			return nil, err
		}
		mounts["POST /internal/livekit/webhook"] = s.engine.WebhookHandler(s.rooms, s.log)
		mounts["GET /rtc"] = signalling // the WebSocket and its validation are GETs
		mounts["GET /rtc/"] = signalling
	}
	if cfg.BBB.Enabled { // the BigBlueButton API (doc/bbb.md)
		b := bbb.New(bbb.Config{Secrets: cfg.BBB.Secrets, Algorithms: cfg.BBB.ChecksumAlgorithms, APIKey: cfg.APIKey},
			bbb.Deps{Store: s.store, Rooms: s.rooms, Keys: keys, Log: s.log, Draining: s.draining.Load,
				// the page's origin: the client's own (ws:// → http://, wss:// → https://)
				PageURL:  func(r *http.Request) string { return "http" + strings.TrimPrefix(s.edge.OwnOrigin(r), "ws") + "/" },
				Recorder: s.recordings, Domain: cfg.TLS.Domain})
		s.webhooks.Extend(b.Extension()) // its callbacks and hooks, through the outbox
		for pattern, h := range b.Mounts() {
			mounts[pattern] = h
		}
	}
	wire, _ := httpapi.ParseWire(cfg.API.Wire) // checked by config
	api := &httpapi.Server{
		Rooms:             s.rooms,
		Webhooks:          s.webhooks,
		Analytics:         s.reports,
		Recordings:        s.recordings,
		Keys:              keys,
		Log:               s.log,
		DashboardPassword: cfg.DashboardPassword,
		Metrics:           metrics,
		MetricsHandler:    promhttp.HandlerFor(prometheus.Gatherers{registry, prometheus.DefaultGatherer}, promhttp.HandlerOpts{}),
		MetricsPassword:   cfg.MetricsPassword,
		LiveKitURL: func(r *http.Request) string {
			if cfg.LiveKit.PublicURL != "" {
				return cfg.LiveKit.PublicURL
			}
			if cfg.LiveKit.External() { // its own address, as a WebSocket URL
				return "ws" + strings.TrimPrefix(cfg.LiveKit.URL, "http")
			}
			return s.edge.OwnOrigin(r) // its /rtc is the signalling proxy
		},
		Wire:      wire,
		WireStore: s.store,
		APIKeys:   apiKeys(cfg.API.Keys),
		RequireV2: map[string]auth.RequireV2{"writes": auth.V1RefusedOnWrites, "all": auth.V1Refused}[cfg.API.RequireV2],
		Nonces:    s.store, // v2 nonces are spent once in the whole cluster
		SignOuts:  s.store, // and dashboard sign-outs hold in all of it, across restarts
		Draining:  s.draining.Load,
		Ready: func(ctx context.Context) error { // the media is up: HTTP starts after it
			_, err := s.store.Session(ctx, "_")
			return err
		},
		Mounts:         mounts,
		AllowedOrigins: cfg.Embed.AllowedOrigins,
		AssetsURL:      cfg.Embed.AssetsURL,
		// woken by this process's writes; events another meetd of a cluster wrote within 1 s
		EventsPoll: time.Second,
	}
	s.api.Store(api)
	return api.Handler(), nil
}

// apiKeys are the signed API's keys of config api.keys.
func apiKeys(keys []config.APIKey) []auth.Credential {
	var out []auth.Credential
	for _, k := range keys {
		out = append(out, auth.Credential{Key: k.Key, Secret: k.Secret, Scope: auth.Scope(k.Scope)})
	}
	return out
}

// turnAddr is where the HTTPS listener passes TURN over TLS; "" when there is none.
func (s *server) turnAddr() string {
	if s.engine == nil {
		return ""
	}
	return s.engine.TURNAddr()
}

// wait returns when ctx ends, when a drain (Options.Drain closed) is over, or when the HTTP
// server stopped by itself (with its error).
func (s *server) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
	case <-s.opts.Drain:
		s.draining.Store(true)
		if s.engine != nil {
			s.engine.Drain() // in a cluster, new rooms go to the other nodes
		}
		drainMeetings(ctx, meetingsOn(s.rooms, s.engine), time.Duration(s.cfg.DrainTimeout), s.log)
	case err := <-s.edge.Served():
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	return nil
}

// mediaConfig is the media engine's configuration; webhooks is where meetd takes the embedded
// node's webhooks (http://host:port, on this machine).
func mediaConfig(cfg config.Config, webhooks string) media.Config {
	// the node's own key pair, not the API secret (auth.Keys.MediaKeys)
	keys := auth.Keys{APIKey: cfg.APIKey, APISecret: cfg.APISecret}.MediaKeys()
	node := media.NodeConfig{
		APIKey: keys.APIKey, APISecret: keys.APISecret,
		Port: cfg.LiveKit.Port, RTCTCPPort: cfg.LiveKit.RTCTCPPort, RTCUDPPort: cfg.LiveKit.RTCUDPPort,
		NodeIP:     cfg.LiveKit.NodeIP,
		WebhookURL: webhooks + "/internal/livekit/webhook",
		TURN:       media.TURN{Enabled: cfg.TURN.Enabled, UDPPort: cfg.TURN.UDPPort, TLSPort: cfg.TURN.TLSPort, Domain: cfg.TURN.Domain},
	}
	node.LogLevel, _ = config.ParseLevel(cfg.LiveKit.LogLevel)
	if cfg.LiveKit.Redis != "" {
		r, _ := config.RedisAddress(cfg.LiveKit.Redis) // validated with the configuration
		node.Redis = media.Redis{Address: r.Address, Username: r.Username, Password: r.Password, DB: r.DB, TLS: r.TLS}
	}
	c := media.Config{Node: node}
	if cfg.LiveKit.External() {
		c.URL, c.APIKey, c.APISecret = cfg.LiveKit.URL, cfg.LiveKit.APIKey, cfg.LiveKit.APISecret
	}
	return c
}

// banner writes the start-up lines.
func (s *server) banner() {
	cfg, out, base := s.cfg, s.opts.Stdout, s.edge.Base()
	fmt.Fprintf(out, "meetd %s serving\n  API base:   %s/auth/\n  API key:    %s\n", s.opts.Version, base, cfg.APIKey)
	switch secretFile := filepath.Join(cfg.DataDir, "api_secret"); {
	case s.generated && isTerminal(out):
		fmt.Fprintf(out, "  API secret: %s  (generated, saved in %s)\n", cfg.APISecret, secretFile)
	case s.generated: // stdout is a log (journald, a file): the secret stays in its file
		fmt.Fprintf(out, "  API secret: generated, saved in %s\n", secretFile)
	default:
		fmt.Fprintf(out, "  API secret: in %s or your configuration\n", cfg.DataDir)
	}
	switch e := s.engine; {
	case e == nil:
		fmt.Fprintf(out, "  LiveKit:    none (the caller's media)\n")
	case e.External():
		fmt.Fprintf(out, "  LiveKit:    %s (external)\n", e.URL())
	case e.Clustered():
		redis, _ := config.RedisAddress(cfg.LiveKit.Redis)
		fmt.Fprintf(out, "  LiveKit:    %s (cluster node %s, Redis %s)\n", e.URL(), s.nodeID, redis.Address)
	default:
		fmt.Fprintf(out, "  LiveKit:    %s\n", e.URL())
	}
	if a := s.edge.RedirectAddr(); a != nil {
		fmt.Fprintf(out, "  HTTP:       %s redirects to %s\n", a, base)
	}
	if cfg.TURN.Enabled {
		fmt.Fprintf(out, "  TURN:       %s\n", turnSummary(cfg.TURN))
	}
	fmt.Fprintf(out, "  Store:      %s\n", s.storeName)
}

// isTerminal reports whether w is a terminal (a character device), where a secret may be shown.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// turnSummary says where TURN is served, for the start-up output.
func turnSummary(t config.TURN) string {
	var parts []string
	if t.UDPPort != 0 {
		parts = append(parts, fmt.Sprintf("turn:<node ip>:%d (UDP)", t.UDPPort))
	}
	if t.TLSOn() {
		parts = append(parts, "turns:"+t.Domain+":443 (TLS, through meetd's HTTPS port)")
	}
	return strings.Join(parts, ", ")
}

// noJoiner is the recorder's joiner when the media is not the configuration's: recording and
// RTMP need LiveKit's subscriber.
type noJoiner struct{}

func (noJoiner) Join(roomID, _ string, _ media.SubscriberEvents) (*media.Subscription, error) {
	return nil, meet.Errorf(meet.CodeConflict, "recording and RTMP need the LiveKit media server, which this server runs without")
}
