// Package config loads meetd's configuration: defaults, then a YAML file, then MEETD_*
// environment variables, then command-line flags. A bad value stops start-up with a message
// naming the key.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is meetd's configuration.
type Config struct {
	Addr      string `yaml:"addr"`       // HTTP listen address
	DataDir   string `yaml:"data_dir"`   // database and generated secret
	APIKey    string `yaml:"api_key"`    // key of the management API and of LiveKit
	APISecret string `yaml:"api_secret"` // generated into the data directory when empty
	LogLevel  string `yaml:"log_level"`  // debug, info, warn, error

	DashboardPassword string `yaml:"dashboard_password"` // signs in to /dashboard besides the API key and secret
	MetricsPassword   string `yaml:"metrics_password"`   // basic auth (user "metrics") for /metrics; empty = open
	DebugAddr         string `yaml:"debug_addr"`         // Go's profiler (/debug/pprof/) on a loopback address; empty = off

	API API `yaml:"api"`

	LiveKit LiveKit `yaml:"livekit"`

	DepartureTimeout int      `yaml:"departure_timeout"` // seconds a room stays open after the last participant left
	TimerInterval    Duration `yaml:"timer_interval"`    // how often room timers are checked
	NodeTimeout      Duration `yaml:"node_timeout"`      // a meetd silent this long (crashed) loses its media connections

	Webhooks Webhooks `yaml:"webhooks"`

	RTMP      RTMP      `yaml:"rtmp"`      // broadcast targets (recording.go)
	Recording Recording `yaml:"recording"` // free disk space (recording.go)

	Store Store `yaml:"store"` // SQLite (default) or a shared PostgreSQL database (store.go)

	TLS          TLS      `yaml:"tls"`           // HTTPS served by meetd itself
	TURN         TURN     `yaml:"turn"`          // the embedded node's TURN server
	DrainTimeout Duration `yaml:"drain_timeout"` // after SIGTERM, how long running meetings may go on; 0 = stop at once

	// Retention is how long events (the event stream's resume window) and finished webhook
	// deliveries are kept; pending deliveries stay whatever their age. 0 keeps everything.
	Retention Duration `yaml:"retention"`

	HTTP           HTTP     `yaml:"http"`            // connection limits and timeouts (limits.go)
	TrustedProxies CIDRList `yaml:"trusted_proxies"` // X-Forwarded-* is believed only from these

	Embed Embed `yaml:"embed"` // meetings inside other sites' pages (embed.go)

	BBB BBB `yaml:"bbb"` // the BigBlueButton API (bbb.go)
}

// API configures the signed API.
type API struct {
	// Wire is the dialect of answers to a call whose body does not show its dialect (a bare {})
	// from an API key that has not shown one yet: "docs" (default) or "protojson"
	// (doc/api.md, "Two dialects").
	Wire string `yaml:"wire"`
	// RequireV2 is where plugNmeet's signature (HASH-SIGNATURE) is refused and only meetd's v2
	// is accepted: "off" (default), "writes" (the routes a read-only key cannot call) or "all";
	// Keys are API keys besides api_key, each with its secret and scope (doc/api.md, "Signatures").
	RequireV2 string   `yaml:"require_v2"`
	Keys      []APIKey `yaml:"keys"`
}

// APIKey is a key of the signed API besides api_key: scope "read" calls only the routes that read.
type APIKey struct {
	Key    string `yaml:"key"`
	Secret string `yaml:"secret"`
	Scope  string `yaml:"scope"` // read or full
}

// apiKeys reads MEETD_API_KEYS: comma-separated key:scope:secret.
func apiKeys(c *Config, v string) error {
	c.API.Keys = nil
	for _, item := range splitList(v) {
		parts := strings.SplitN(item, ":", 3)
		if len(parts) != 3 {
			return errors.New("each key must be key:scope:secret")
		}
		c.API.Keys = append(c.API.Keys, APIKey{Key: parts[0], Scope: parts[1], Secret: parts[2]})
	}
	return nil
}

func (a *API) validate(mainKey string) error {
	switch a.RequireV2 {
	case "", "false":
		a.RequireV2 = "off"
	case "true":
		a.RequireV2 = "all"
	case "off", "writes", "all":
	default:
		return fmt.Errorf("api.require_v2: %q must be off, writes or all", a.RequireV2)
	}
	seen := map[string]bool{mainKey: true}
	for i, k := range a.Keys {
		switch {
		case k.Key == "" || strings.ContainsAny(k.Key, " ,:\t\r\n"):
			return fmt.Errorf("api.keys[%d].key: %q must be non-empty, without spaces, commas or colons", i, k.Key)
		case seen[k.Key]:
			return fmt.Errorf("api.keys[%d].key: %q is used twice (or is api_key)", i, k.Key)
		case len(k.Secret) < 32:
			return fmt.Errorf("api.keys[%d].secret: must be at least 32 characters", i)
		case k.Scope != "read" && k.Scope != "full":
			return fmt.Errorf("api.keys[%d].scope: %q must be read or full", i, k.Scope)
		}
		seen[k.Key] = true
	}
	return nil
}

// Webhooks configures the delivery of events to HTTP receivers.
type Webhooks struct {
	URLs        URLList  `yaml:"urls"`         // every event goes to each (and to its room's webhook_url)
	MaxAge      Duration `yaml:"max_age"`      // a delivery not done this long after it was queued fails
	BackoffBase Duration `yaml:"backoff_base"` // delay after the first failed attempt; doubles after each
	BackoffMax  Duration `yaml:"backoff_max"`  // longest delay between attempts
	// AllowPrivate lets webhooks go to loopback, private, link-local, CGNAT and metadata addresses.
	AllowPrivate bool `yaml:"allow_private"`
}

// URLList is a list of URLs: a YAML sequence, or one string of comma-separated URLs.
type URLList []string

// UnmarshalYAML reads a sequence or a comma-separated string.
func (l *URLList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = splitList(n.Value)
		return nil
	}
	var list []string
	if err := n.Decode(&list); err != nil {
		return err
	}
	*l = list
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// LiveKit configures the embedded LiveKit node.
type LiveKit struct {
	Port       int    `yaml:"port"`         // signalling (WebSocket) port
	RTCTCPPort int    `yaml:"rtc_tcp_port"` // ICE over TCP; 0 switches it off
	RTCUDPPort int    `yaml:"rtc_udp_port"` // one UDP port for all media
	NodeIP     string `yaml:"node_ip"`      // address announced to clients; empty = detected
	PublicURL  string `yaml:"public_url"`   // ws(s):// URL given to clients; empty = same host as the request, livekit port
	LogLevel   string `yaml:"log_level"`    // LiveKit's own log level (default warn)

	// Redis makes the embedded node one of a LiveKit cluster (LiveKit's own multi-node routing):
	// redis://[user:password@]host:port[/db], or rediss:// for TLS.
	Redis string `yaml:"redis"`

	// URL, APIKey and APISecret make meetd drive an external LiveKit deployment instead of the
	// embedded node: its http(s):// address and its API key pair. Its webhooks must be sent to
	// meetd's /internal/livekit/webhook.
	URL       string `yaml:"url"`
	APIKey    string `yaml:"api_key"`
	APISecret string `yaml:"api_secret"`
}

// External reports whether meetd drives an external LiveKit rather than the embedded node.
func (l LiveKit) External() bool { return l.URL != "" }

// Duration is a time.Duration written as "1s", "250ms".
type Duration time.Duration

// MarshalYAML writes the duration as a string, as it is read.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Default is the configuration with nothing set.
func Default() Config {
	return Config{
		Addr:     ":8080",
		DataDir:  "./data",
		APIKey:   "meetd",
		LogLevel: "info",
		LiveKit: LiveKit{
			Port:       7880,
			RTCTCPPort: 7881,
			RTCUDPPort: 7882,
			LogLevel:   "warn",
		},
		API:              API{Wire: "docs", RequireV2: "off"},
		DepartureTimeout: 20,
		TimerInterval:    Duration(time.Second),
		NodeTimeout:      Duration(30 * time.Second),
		Webhooks: Webhooks{
			MaxAge:      Duration(24 * time.Hour),
			BackoffBase: Duration(time.Second),
			BackoffMax:  Duration(10 * time.Minute),
		},
		Recording:    Recording{MinFreeMB: 1024, MaxConcurrent: 4, Size: "1280x720", FPS: 25},
		TURN:         TURN{UDPPort: 3478, TLSPort: 5349},
		DrainTimeout: Duration(10 * time.Minute),
		Retention:    Duration(7 * 24 * time.Hour),
		HTTP:         DefaultHTTP(),
		// a TLS proxy on the same machine (doc/deploy.md); a load balancer elsewhere is configured
		TrustedProxies: CIDRList{"127.0.0.0/8", "::1"},
		Embed:          Embed{AllowedOrigins: URLList{"*"}},
		BBB:            BBB{Enabled: true},
	}
}

// env lists the environment variables, each with the key it sets.
var env = []struct {
	name, key string
	set       func(*Config, string) error
}{
	{"MEETD_ADDR", "addr", func(c *Config, v string) error { c.Addr = v; return nil }},
	{"MEETD_DATA_DIR", "data_dir", func(c *Config, v string) error { c.DataDir = v; return nil }},
	{"MEETD_API_KEY", "api_key", func(c *Config, v string) error { c.APIKey = v; return nil }},
	{"MEETD_API_SECRET", "api_secret", func(c *Config, v string) error { c.APISecret = v; return nil }},
	{"MEETD_API_WIRE", "api.wire", func(c *Config, v string) error { c.API.Wire = v; return nil }},
	{"MEETD_API_REQUIRE_V2", "api.require_v2", func(c *Config, v string) error { c.API.RequireV2 = v; return nil }},
	{"MEETD_API_KEYS", "api.keys", apiKeys},
	{"MEETD_LOG_LEVEL", "log_level", func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{"MEETD_DASHBOARD_PASSWORD", "dashboard_password", func(c *Config, v string) error { c.DashboardPassword = v; return nil }},
	{"MEETD_METRICS_PASSWORD", "metrics_password", func(c *Config, v string) error { c.MetricsPassword = v; return nil }},
	{"MEETD_DEBUG_ADDR", "debug_addr", func(c *Config, v string) error { c.DebugAddr = v; return nil }},
	{"MEETD_LIVEKIT_PORT", "livekit.port", intSetter(func(c *Config) *int { return &c.LiveKit.Port })},
	{"MEETD_RTC_TCP_PORT", "livekit.rtc_tcp_port", intSetter(func(c *Config) *int { return &c.LiveKit.RTCTCPPort })},
	{"MEETD_RTC_UDP_PORT", "livekit.rtc_udp_port", intSetter(func(c *Config) *int { return &c.LiveKit.RTCUDPPort })},
	{"MEETD_NODE_IP", "livekit.node_ip", func(c *Config, v string) error { c.LiveKit.NodeIP = v; return nil }},
	{"MEETD_LIVEKIT_PUBLIC_URL", "livekit.public_url", func(c *Config, v string) error { c.LiveKit.PublicURL = v; return nil }},
	{"MEETD_LIVEKIT_LOG_LEVEL", "livekit.log_level", func(c *Config, v string) error { c.LiveKit.LogLevel = v; return nil }},
	{"MEETD_REDIS_URL", "livekit.redis", func(c *Config, v string) error { c.LiveKit.Redis = v; return nil }},
	{"MEETD_LIVEKIT_URL", "livekit.url", func(c *Config, v string) error { c.LiveKit.URL = v; return nil }},
	{"MEETD_LIVEKIT_API_KEY", "livekit.api_key", func(c *Config, v string) error { c.LiveKit.APIKey = v; return nil }},
	{"MEETD_LIVEKIT_API_SECRET", "livekit.api_secret", func(c *Config, v string) error { c.LiveKit.APISecret = v; return nil }},
	{"MEETD_DEPARTURE_TIMEOUT", "departure_timeout", intSetter(func(c *Config) *int { return &c.DepartureTimeout })},
	{"MEETD_TIMER_INTERVAL", "timer_interval", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		c.TimerInterval = Duration(d)
		return err
	}},
	{"MEETD_NODE_TIMEOUT", "node_timeout", durationSetter(func(c *Config) *Duration { return &c.NodeTimeout })},
	{"MEETD_WEBHOOK_URLS", "webhooks.urls", func(c *Config, v string) error { c.Webhooks.URLs = splitList(v); return nil }},
	{"MEETD_WEBHOOK_MAX_AGE", "webhooks.max_age", durationSetter(func(c *Config) *Duration { return &c.Webhooks.MaxAge })},
	{"MEETD_WEBHOOK_BACKOFF_BASE", "webhooks.backoff_base", durationSetter(func(c *Config) *Duration { return &c.Webhooks.BackoffBase })},
	{"MEETD_WEBHOOK_BACKOFF_MAX", "webhooks.backoff_max", durationSetter(func(c *Config) *Duration { return &c.Webhooks.BackoffMax })},
	{"MEETD_WEBHOOK_ALLOW_PRIVATE", "webhooks.allow_private", boolSetter(func(c *Config) *bool { return &c.Webhooks.AllowPrivate })},
	{"MEETD_RTMP_ALLOWED_HOSTS", "rtmp.allowed_hosts", func(c *Config, v string) error { c.RTMP.AllowedHosts = splitList(v); return nil }},
	{"MEETD_RECORDING_MIN_FREE_MB", "recording.min_free_mb", intSetter(func(c *Config) *int { return &c.Recording.MinFreeMB })},
	{"MEETD_RECORDING_MAX_CONCURRENT", "recording.max_concurrent", intSetter(func(c *Config) *int { return &c.Recording.MaxConcurrent })},
	{"MEETD_RECORDING_SIZE", "recording.size", func(c *Config, v string) error { c.Recording.Size = v; return nil }},
	{"MEETD_RECORDING_FPS", "recording.fps", intSetter(func(c *Config) *int { return &c.Recording.FPS })},
	{"MEETD_DATABASE_URL", "store.url", func(c *Config, v string) error { c.Store.URL = v; return nil }},
	{"MEETD_TLS_CERT_FILE", "tls.cert_file", func(c *Config, v string) error { c.TLS.CertFile = v; return nil }},
	{"MEETD_TLS_KEY_FILE", "tls.key_file", func(c *Config, v string) error { c.TLS.KeyFile = v; return nil }},
	{"MEETD_TLS_DOMAIN", "tls.domain", func(c *Config, v string) error { c.TLS.Domain = v; return nil }},
	{"MEETD_TLS_HTTP_ADDR", "tls.http_addr", func(c *Config, v string) error { c.TLS.HTTPAddr = v; return nil }},
	{"MEETD_TURN_ENABLED", "turn.enabled", boolSetter(func(c *Config) *bool { return &c.TURN.Enabled })},
	{"MEETD_TURN_UDP_PORT", "turn.udp_port", intSetter(func(c *Config) *int { return &c.TURN.UDPPort })},
	{"MEETD_TURN_TLS_PORT", "turn.tls_port", intSetter(func(c *Config) *int { return &c.TURN.TLSPort })},
	{"MEETD_TURN_DOMAIN", "turn.domain", func(c *Config, v string) error { c.TURN.Domain = v; return nil }},
	{"MEETD_DRAIN_TIMEOUT", "drain_timeout", durationSetter(func(c *Config) *Duration { return &c.DrainTimeout })},
	{"MEETD_RETENTION", "retention", durationSetter(func(c *Config) *Duration { return &c.Retention })},
	{"MEETD_HTTP_IDLE_TIMEOUT", "http.idle_timeout", durationSetter(func(c *Config) *Duration { return &c.HTTP.IdleTimeout })},
	{"MEETD_HTTP_READ_TIMEOUT", "http.read_timeout", durationSetter(func(c *Config) *Duration { return &c.HTTP.ReadTimeout })},
	{"MEETD_HTTP_WRITE_TIMEOUT", "http.write_timeout", durationSetter(func(c *Config) *Duration { return &c.HTTP.WriteTimeout })},
	{"MEETD_HTTP_MAX_CONNECTIONS", "http.max_connections", intSetter(func(c *Config) *int { return &c.HTTP.MaxConnections })},
	{"MEETD_TRUSTED_PROXIES", "trusted_proxies", func(c *Config, v string) error { c.TrustedProxies = CIDRList(splitList(v)); return nil }},
	{"MEETD_EMBED_ALLOWED_ORIGINS", "embed.allowed_origins", func(c *Config, v string) error { c.Embed.AllowedOrigins = splitList(v); return nil }},
	{"MEETD_EMBED_ASSETS_URL", "embed.assets_url", func(c *Config, v string) error { c.Embed.AssetsURL = v; return nil }},
	{"MEETD_BBB_ENABLED", "bbb.enabled", boolSetter(func(c *Config) *bool { return &c.BBB.Enabled })},
	{"MEETD_BBB_SECRETS", "bbb.secrets", func(c *Config, v string) error { c.BBB.Secrets = splitList(v); return nil }},
	{"MEETD_BBB_CHECKSUM_ALGORITHMS", "bbb.checksum_algorithms", func(c *Config, v string) error { c.BBB.ChecksumAlgorithms = splitList(v); return nil }},
}

// secretKeys are the keys whose flag draws a warning.
var secretKeys = map[string]bool{"bbb.secrets": true, "api_secret": true, "dashboard_password": true, "metrics_password": true, "livekit.api_secret": true}

func durationSetter(field func(*Config) *Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a duration (like 1s, 10m, 24h)", v)
		}
		*field(c) = Duration(d)
		return nil
	}
}

func intSetter(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*field(c) = n
		return nil
	}
}

// Load builds the configuration from a YAML file (flag -config), the environment and the flags.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c := Default()
	fs := flag.NewFlagSet("meetd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", "", "YAML configuration file")
	// Flags carry the same names as the YAML keys; only those given override.
	flags := map[string]*string{}
	for _, e := range env {
		flags[e.key] = fs.String(e.key, "", "overrides "+e.key+" (env "+e.name+")")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			return c, fmt.Errorf("config file: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return c, fmt.Errorf("config file %s: %w", *file, err)
		}
	}
	for _, e := range env {
		if v := getenv(e.name); v != "" {
			if err := e.set(&c, v); err != nil {
				return c, fmt.Errorf("%s (%s): %w", e.name, e.key, err)
			}
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, e := range env {
		if set[e.key] {
			if err := e.set(&c, *flags[e.key]); err != nil {
				return c, fmt.Errorf("flag -%s: %w", e.key, err)
			}
			if secretKeys[e.key] { // the command line is visible to every user (ps, /proc)
				fmt.Fprintf(stderr, "meetd: warning: -%s on the command line is visible to other users of this machine; use %s or the configuration file\n", e.key, e.name)
			}
		}
	}
	return c, c.validate()
}

func validPort(key string, p int, zeroOK bool) error {
	if p < 0 || p > 65535 || (p == 0 && !zeroOK) {
		return fmt.Errorf("%s: %d is not a valid port", key, p)
	}
	return nil
}

func (c *Config) validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("addr: %q is not host:port: %v", c.Addr, err)
	}
	if c.DataDir == "" {
		return errors.New("data_dir: must not be empty")
	}
	if c.APIKey == "" {
		return errors.New("api_key: must not be empty")
	}
	if c.API.Wire != "docs" && c.API.Wire != "protojson" {
		return fmt.Errorf("api.wire: %q must be docs or protojson", c.API.Wire)
	}
	if err := c.API.validate(c.APIKey); err != nil {
		return err
	}
	if c.DashboardPassword != "" && len(c.DashboardPassword) < 12 {
		return errors.New("dashboard_password: must be at least 12 characters")
	}
	if c.APISecret != "" && len(c.APISecret) < 32 {
		return errors.New("api_secret: must be at least 32 characters")
	}
	if err := errors.Join(
		validPort("livekit.port", c.LiveKit.Port, false),
		validPort("livekit.rtc_tcp_port", c.LiveKit.RTCTCPPort, true),
		validPort("livekit.rtc_udp_port", c.LiveKit.RTCUDPPort, false),
	); err != nil {
		return err
	}
	if c.LiveKit.NodeIP != "" && net.ParseIP(c.LiveKit.NodeIP) == nil {
		return fmt.Errorf("livekit.node_ip: %q is not an IP address", c.LiveKit.NodeIP)
	}
	if u := c.LiveKit.PublicURL; u != "" && !strings.HasPrefix(u, "ws://") && !strings.HasPrefix(u, "wss://") {
		return fmt.Errorf("livekit.public_url: %q must start with ws:// or wss://", u)
	}
	if err := c.LiveKit.validate(); err != nil {
		return err
	}
	if err := c.validateServing(); err != nil {
		return err
	}
	if err := c.Store.validate(); err != nil {
		return err
	}
	if err := c.validateRecording(); err != nil {
		return err
	}
	if err := c.Embed.validate(); err != nil {
		return err
	}
	if err := c.BBB.validate(); err != nil {
		return err
	}
	if err := validDebugAddr(c.DebugAddr); err != nil {
		return err
	}
	if c.DepartureTimeout < 0 {
		return fmt.Errorf("departure_timeout: %d must not be negative", c.DepartureTimeout)
	}
	if c.TimerInterval <= 0 {
		return errors.New("timer_interval: must be positive")
	}
	if c.NodeTimeout < 3*c.TimerInterval {
		return fmt.Errorf("node_timeout: %s must be at least 3 × timer_interval (%s): each meetd beats once per timer_interval",
			time.Duration(c.NodeTimeout), time.Duration(c.TimerInterval))
	}
	for _, u := range c.Webhooks.URLs {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("webhooks.urls: %q is not an absolute http(s) URL", u)
		}
	}
	for key, d := range map[string]Duration{"webhooks.max_age": c.Webhooks.MaxAge,
		"webhooks.backoff_base": c.Webhooks.BackoffBase, "webhooks.backoff_max": c.Webhooks.BackoffMax} {
		if d <= 0 {
			return fmt.Errorf("%s: must be positive", key)
		}
	}
	if c.Retention < 0 || (c.Retention > 0 && c.Retention < Duration(time.Hour)) {
		return fmt.Errorf("retention: %s is too short: at least 1h, or 0 to keep everything", time.Duration(c.Retention))
	}
	if c.Webhooks.BackoffMax < c.Webhooks.BackoffBase {
		return fmt.Errorf("webhooks.backoff_max: %s is shorter than webhooks.backoff_base %s",
			time.Duration(c.Webhooks.BackoffMax), time.Duration(c.Webhooks.BackoffBase))
	}
	if err := c.HTTP.validate(); err != nil {
		return err
	}
	if _, err := c.TrustedProxies.Nets(); err != nil {
		return fmt.Errorf("trusted_proxies: %w", err)
	}
	for key, lvl := range map[string]string{"log_level": c.LogLevel, "livekit.log_level": c.LiveKit.LogLevel} {
		if _, err := ParseLevel(lvl); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
}

func (l LiveKit) validate() error {
	if l.Redis != "" {
		if _, err := RedisAddress(l.Redis); err != nil {
			return fmt.Errorf("livekit.redis: %w", err)
		}
		if l.External() {
			return errors.New("livekit.redis: set it on the LiveKit deployment itself when livekit.url drives an external one")
		}
	}
	if !l.External() {
		if l.APIKey != "" || l.APISecret != "" {
			return errors.New("livekit.api_key, livekit.api_secret: only with livekit.url (an external LiveKit); the embedded node uses api_key and api_secret")
		}
		return nil
	}
	if p, err := url.Parse(l.URL); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("livekit.url: %q is not an absolute http(s) URL", l.URL)
	}
	if l.APIKey == "" || l.APISecret == "" {
		return errors.New("livekit.api_key and livekit.api_secret: both are needed with livekit.url")
	}
	return nil
}

// Redis is a parsed livekit.redis URL.
type Redis struct {
	Address, Username, Password string
	DB                          int
	TLS                         bool
}

// RedisAddress parses a redis:// or rediss:// URL.
func RedisAddress(raw string) (Redis, error) {
	var r Redis
	u, err := url.Parse(raw)
	if err != nil {
		return r, fmt.Errorf("not a URL: %v", err)
	}
	switch u.Scheme {
	case "redis":
	case "rediss":
		r.TLS = true
	default:
		return r, fmt.Errorf("%q must start with redis:// or rediss://", redactURL(raw))
	}
	if u.Hostname() == "" {
		return r, fmt.Errorf("%q has no host", redactURL(raw))
	}
	r.Address = u.Host
	if u.Port() == "" {
		r.Address = net.JoinHostPort(u.Hostname(), "6379")
	}
	r.Username = u.User.Username()
	r.Password, _ = u.User.Password()
	if db := strings.Trim(u.Path, "/"); db != "" {
		if r.DB, err = strconv.Atoi(db); err != nil || r.DB < 0 {
			return r, fmt.Errorf("database %q is not a number", db)
		}
	}
	return r, nil
}

// redactURL hides a URL's password.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// EnsureSecret fills APISecret from the data directory, generating it on first start (32 random
// bytes, hex, file mode 0600). generated reports a new secret.
func (c *Config) EnsureSecret() (generated bool, err error) {
	if c.APISecret != "" {
		return false, nil
	}
	path := filepath.Join(c.DataDir, "api_secret")
	b, err := os.ReadFile(path)
	if err == nil {
		c.APISecret = strings.TrimSpace(string(b))
		if len(c.APISecret) < 32 {
			return false, fmt.Errorf("%s: secret is shorter than 32 characters", path)
		}
		return false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return false, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return false, err
	}
	c.APISecret = hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(c.APISecret+"\n"), 0o600); err != nil {
		return false, fmt.Errorf("save generated secret: %w", err)
	}
	return true, nil
}

// NodeID names this process's media node in the store, the same across restarts: it is kept in
// the data directory (node_id), made on first start.
func (c *Config) NodeID() (string, error) {
	path := filepath.Join(c.DataDir, "node_id")
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, 8)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	id := "node-" + hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("save node id: %w", err)
	}
	return id, nil
}

// Redacted is the configuration as it may be printed: secrets hidden.
func (c Config) Redacted() Config {
	if c.APISecret != "" {
		c.APISecret = "[redacted]"
	}
	if c.DashboardPassword != "" {
		c.DashboardPassword = "[redacted]"
	}
	if c.MetricsPassword != "" {
		c.MetricsPassword = "[redacted]"
	}
	if c.LiveKit.APISecret != "" {
		c.LiveKit.APISecret = "[redacted]"
	}
	c.API.Keys = append([]APIKey(nil), c.API.Keys...)
	for i := range c.API.Keys {
		c.API.Keys[i].Secret = "[redacted]"
	}
	c.LiveKit.Redis = redactURL(c.LiveKit.Redis)
	if len(c.BBB.Secrets) > 0 {
		c.BBB.Secrets = []string{"[redacted]"}
	}
	c.Store = c.Store.Redacted()
	// webhook URLs often carry a token in their query or user info: show only where they go
	urls := make(URLList, len(c.Webhooks.URLs))
	for i, raw := range c.Webhooks.URLs {
		urls[i] = "[invalid URL]"
		if u, err := url.Parse(raw); err == nil {
			urls[i] = u.Scheme + "://" + u.Host + u.Path
			if u.User != nil || u.RawQuery != "" {
				urls[i] += " [credentials redacted]"
			}
		}
	}
	c.Webhooks.URLs = urls
	return c
}

// ParseLevel reads a log level name.
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q is not a log level (debug, info, warn, error)", s)
	}
	return l, nil
}

// validDebugAddr accepts "" (off) or host:port with a loopback host: the profiler answers anyone
// who reaches it, so it never listens beyond this machine (doc/performance-notes.md).
func validDebugAddr(addr string) error {
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return fmt.Errorf("debug_addr: %q must be host:port", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("debug_addr: %q must be a loopback address (127.0.0.1, ::1 or localhost)", addr)
	}
	return nil
}
