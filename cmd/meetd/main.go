// Command meetd runs a complete video meeting server: the management API, the meeting page, an
// embedded LiveKit node for media and a SQLite store, all in one process (or several sharing a
// PostgreSQL store).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gopkg.in/yaml.v3"

	"meetd/internal/analytics"
	"meetd/internal/auth"
	"meetd/internal/config"
	"meetd/internal/httpapi"
	"meetd/internal/media"
	"meetd/internal/outbox"
	"meetd/internal/recorder"
	"meetd/internal/rooms"
	"meetd/internal/web"
)

// main runs meetd until SIGTERM or SIGINT: the first drains it (see serve), a second stops it at once.
func main() {
	ctx, drain, stop := onSignals()
	defer stop()
	if err := runDraining(ctx, drain, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "meetd:", err)
		os.Exit(1)
	}
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// run is meetd: it returns when ctx ends (after a clean shutdown) or on a start-up error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runDraining(ctx, nil, args, getenv, stdout, stderr)
}

// runDraining is run that also drains when drain is closed (see serve).
func runDraining(ctx context.Context, drain <-chan struct{}, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			args = args[1:]
		case "version":
			fmt.Fprintln(stdout, "meetd", version)
			return nil
		}
	}
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	return serve(ctx, drain, cfg, stdout, stderr, nil)
}

// serve starts every part of meetd in order and stops them in reverse: at once when ctx ends,
// and when drain is closed after a drain (/healthz answers 503, new rooms and joins are refused)
// that lasts until no meeting runs on this server or drain_timeout has passed. ready, if not
// nil, receives the HTTP address once meetd serves.
func serve(ctx context.Context, drain <-chan struct{}, cfg config.Config, stdout, stderr io.Writer, ready chan<- string) error {
	level, _ := config.ParseLevel(cfg.LogLevel)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	generated, err := cfg.EnsureSecret()
	if err != nil {
		return fmt.Errorf("api secret: %w", err)
	}
	if shown, err := yaml.Marshal(cfg.Redacted()); err == nil {
		log.Debug("effective configuration\n" + string(shown))
	}
	keys := auth.Keys{APIKey: cfg.APIKey, APISecret: cfg.APISecret}
	nodeID, err := cfg.NodeID()
	if err != nil {
		return fmt.Errorf("node id: %w", err)
	}

	store, storeName, err := openStore(ctx, cfg) // PostgreSQL with store.url, else SQLite
	if err != nil {
		return err
	}
	defer store.Close()
	webhooks := outbox.New(store, outbox.Config{
		URLs:        cfg.Webhooks.URLs,
		Keys:        keys,
		MaxAge:      time.Duration(cfg.Webhooks.MaxAge),
		BackoffBase: time.Duration(cfg.Webhooks.BackoffBase),
		BackoffMax:  time.Duration(cfg.Webhooks.BackoffMax),
		UserAgent:   "meetd/" + version,
	}, log)
	store.OnEvents(webhooks.Notify)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	httpPort := ln.Addr().(*net.TCPAddr).Port
	front, err := openFront(cfg, ln, log) // TLS, the HTTP → HTTPS redirect
	if err != nil {
		return err
	}
	defer front.close()

	nodeCfg := media.NodeConfig{
		APIKey: cfg.APIKey, APISecret: cfg.APISecret,
		Port: cfg.LiveKit.Port, RTCTCPPort: cfg.LiveKit.RTCTCPPort, RTCUDPPort: cfg.LiveKit.RTCUDPPort,
		NodeIP:     cfg.LiveKit.NodeIP,
		WebhookURL: front.internalBase + "/internal/livekit/webhook",
	}
	nodeCfg.LogLevel, _ = config.ParseLevel(cfg.LiveKit.LogLevel)
	nodeCfg.TURN = media.TURN{Enabled: cfg.TURN.Enabled, UDPPort: cfg.TURN.UDPPort, TLSPort: cfg.TURN.TLSPort, Domain: cfg.TURN.Domain}
	if cfg.LiveKit.Redis != "" {
		r, _ := config.RedisAddress(cfg.LiveKit.Redis) // validated with the configuration
		nodeCfg.Redis = media.Redis{Address: r.Address, Username: r.Username, Password: r.Password, DB: r.DB, TLS: r.TLS}
	}
	// The media server: the embedded node, or an external LiveKit deployment that meetd drives
	// and that sends its webhooks here.
	lk := struct{ url, key, secret string }{nodeCfg.URL(), cfg.APIKey, cfg.APISecret}
	if cfg.LiveKit.External() {
		lk.url, lk.key, lk.secret = cfg.LiveKit.URL, cfg.LiveKit.APIKey, cfg.LiveKit.APISecret
		nodeID = "external" // every meetd driving it shares it: its connections go only when it says so
	}
	adapter := media.NewAdapter(lk.url, lk.key, lk.secret)
	svc := rooms.New(store, adapter, rooms.Config{
		Keys:             keys,
		DepartureTimeout: time.Duration(cfg.DepartureTimeout) * time.Second,
		Node:             nodeID,
		NodeTimeout:      time.Duration(cfg.NodeTimeout),
	}, log)
	reports, err := analytics.New(store, filepath.Join(cfg.DataDir, "analytics"), keys, log)
	if err != nil {
		return err
	}
	svc.OnEnded(reports.Generate)
	recordings, err := recorder.New(store, media.NewSubscriber(lk.url, lk.key, lk.secret),
		filepath.Join(cfg.DataDir, "recordings"), keys, log)
	if err != nil {
		return err
	}
	svc.OnEnding(recordings.Ending) // the recording stops (and its file is finished) before the room closes
	svc.OnStarted(recordings.Started)

	// meetd's metrics in a registry of this server's own; LiveKit's are in the default one
	registry := prometheus.NewRegistry()
	metrics, err := httpapi.NewMetrics(registry, store.Stats)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}

	signalling, err := signallingProxy(lk.url, log) // clients need only meetd's port
	if err != nil {
		return err
	}
	var mediaUp, draining atomic.Bool
	api := &httpapi.Server{
		Rooms:             svc,
		Webhooks:          webhooks,
		Analytics:         reports,
		Recordings:        recordings,
		Keys:              keys,
		Log:               log,
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
			return ownOrigin(r) // its /rtc is the signalling proxy
		},
		Draining: draining.Load,
		Ready: func(ctx context.Context) error {
			if !mediaUp.Load() {
				return errors.New("media node is starting")
			}
			_, err := store.Session(ctx, "_")
			return err
		},
		Mounts: map[string]http.Handler{
			"POST /internal/livekit/webhook": media.WebhookHandler(lk.key, lk.secret, svc, log),
			"GET /":                          web.Handler(),
			"GET /rtc":                       signalling, // the WebSocket and its validation are GETs
			"GET /rtc/":                      signalling,
		},
	}
	srv := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: serverLog(log)}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(front.listener(ln, cfg.TURN.Domain, nodeCfg.TURNAddr())) }()
	front.serve(srv.Handler, httpPort)

	// The embedded node starts empty: whoever the store thought connected to it is gone.
	if !cfg.LiveKit.External() {
		if err := svc.MediaRestarted(ctx); err != nil {
			return fmt.Errorf("reset presence: %w", err)
		}
	}
	var node *media.Node
	if !cfg.LiveKit.External() {
		if node, err = media.StartNode(ctx, nodeCfg, log); err != nil {
			_ = srv.Close()
			return err
		}
		adapter.UseNode(node)
	}
	// Recordings the last run left running or not composed; those another meetd runs go on.
	recordings.UseRoom(adapter)
	if err := recordings.Recover(ctx); err != nil {
		log.Error("recover recordings", "err", err)
	}
	mediaUp.Store(true)

	timers, stopTimers := context.WithCancel(context.Background())
	timersDone := make(chan struct{})
	go func() { defer close(timersDone); svc.RunTimers(timers, time.Duration(cfg.TimerInterval)) }()
	observerDone := make(chan struct{})
	go func() {
		defer close(observerDone)
		if node != nil { // muted tracks and speakers, for attendance reports
			media.NewObserver(node, svc.NodeRooms, svc.Activity, log).Run(timers, 250*time.Millisecond)
		}
	}()
	reportsDone := make(chan struct{})
	go func() { defer close(reportsDone); reports.Run(timers, time.Minute) }() // reports a crash left unwritten
	pruneDone := make(chan struct{})
	go func() { defer close(pruneDone); prune(timers, store, time.Duration(cfg.Retention), log) }()
	dispatch, stopDispatch := context.WithCancel(context.Background())
	dispatchDone := make(chan struct{})
	go func() {
		defer close(dispatchDone)
		if err := webhooks.Run(dispatch, 3*time.Second); err != nil {
			log.Error("webhooks stopped", "err", err)
		}
	}()

	base := front.scheme() + "://" + net.JoinHostPort(displayHost(ln.Addr()), strconv.Itoa(httpPort))
	if cfg.TLS.Domain != "" {
		base = "https://" + cfg.TLS.Domain
		if httpPort != 443 {
			base += ":" + strconv.Itoa(httpPort)
		}
	}
	fmt.Fprintf(stdout, "meetd %s serving\n  API base:   %s/auth/\n  API key:    %s\n", version, base, cfg.APIKey)
	if generated {
		fmt.Fprintf(stdout, "  API secret: %s  (generated, saved in %s)\n", cfg.APISecret, filepath.Join(cfg.DataDir, "api_secret"))
	} else {
		fmt.Fprintf(stdout, "  API secret: in %s or your configuration\n", cfg.DataDir)
	}
	switch {
	case node == nil:
		fmt.Fprintf(stdout, "  LiveKit:    %s (external)\n", lk.url)
	case nodeCfg.Clustered():
		fmt.Fprintf(stdout, "  LiveKit:    %s (cluster node %s, Redis %s)\n", node.URL(), nodeID, nodeCfg.Redis.Address)
	default:
		fmt.Fprintf(stdout, "  LiveKit:    %s\n", node.URL())
	}
	if front.redirect != nil {
		fmt.Fprintf(stdout, "  HTTP:       %s redirects to %s\n", front.redirect.Addr(), base)
	}
	if cfg.TURN.Enabled {
		fmt.Fprintf(stdout, "  TURN:       %s\n", turnSummary(cfg.TURN))
	}
	fmt.Fprintf(stdout, "  Store:      %s\n", storeName)
	if ready != nil {
		ready <- base
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case <-drain:
		draining.Store(true)
		if node != nil {
			node.Drain() // in a cluster, new rooms go to the other nodes
		}
		drainMeetings(ctx, meetingsOn(svc, node), time.Duration(cfg.DrainTimeout), log)
	case serveErr = <-served:
	}
	log.Info("shutting down")
	stopTimers()
	<-timersDone
	<-observerDone
	<-reportsDone
	<-pruneDone
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	front.shutdown(shutdownCtx)
	recCtx, recCancel := context.WithTimeout(context.Background(), 30*time.Second)
	recordings.Close(recCtx) // stops recordings; compositions get 30 s, the rest is composed at the next start
	recCancel()
	if node != nil {
		node.Stop()
	}
	stopDispatch() // attempts in flight get a few seconds to finish
	<-dispatchDone
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}

// loopbackOf is an address of this machine at which the listener is reachable.
func loopbackOf(a net.Addr) string {
	ip := a.(*net.TCPAddr).IP
	if ip == nil || ip.IsUnspecified() {
		return "127.0.0.1"
	}
	return ip.String()
}

func displayHost(a net.Addr) string {
	ip := a.(*net.TCPAddr).IP
	if ip == nil || ip.IsUnspecified() {
		return "localhost"
	}
	return ip.String()
}

// pruneEvery is how often events and finished webhook deliveries past the retention are deleted.
const pruneEvery = 10 * time.Minute

// prune deletes, now and every pruneEvery until ctx ends, the events and finished webhook
// deliveries older than keep (0: keeps everything).
func prune(ctx context.Context, st stateStore, keep time.Duration, log *slog.Logger) {
	if keep <= 0 {
		return
	}
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		events, deliveries, err := st.Prune(ctx, time.Now().Add(-keep))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("prune events and deliveries", "err", err)
		case events+deliveries > 0:
			log.Info("pruned", "events", events, "deliveries", deliveries, "older_than", keep.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
