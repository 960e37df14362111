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

	LiveKit LiveKit `yaml:"livekit"`

	DepartureTimeout int      `yaml:"departure_timeout"` // seconds a room stays open after the last participant left
	TimerInterval    Duration `yaml:"timer_interval"`    // how often room timers are checked

	Webhooks Webhooks `yaml:"webhooks"`
}

// Webhooks configures the delivery of events to HTTP receivers.
type Webhooks struct {
	URLs        URLList  `yaml:"urls"`         // every event goes to each (and to its room's webhook_url)
	MaxAge      Duration `yaml:"max_age"`      // a delivery not done this long after it was queued fails
	BackoffBase Duration `yaml:"backoff_base"` // delay after the first failed attempt; doubles after each
	BackoffMax  Duration `yaml:"backoff_max"`  // longest delay between attempts
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
}

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
		DepartureTimeout: 20,
		TimerInterval:    Duration(time.Second),
		Webhooks: Webhooks{
			MaxAge:      Duration(24 * time.Hour),
			BackoffBase: Duration(time.Second),
			BackoffMax:  Duration(10 * time.Minute),
		},
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
	{"MEETD_LOG_LEVEL", "log_level", func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{"MEETD_DASHBOARD_PASSWORD", "dashboard_password", func(c *Config, v string) error { c.DashboardPassword = v; return nil }},
	{"MEETD_METRICS_PASSWORD", "metrics_password", func(c *Config, v string) error { c.MetricsPassword = v; return nil }},
	{"MEETD_LIVEKIT_PORT", "livekit.port", intSetter(func(c *Config) *int { return &c.LiveKit.Port })},
	{"MEETD_RTC_TCP_PORT", "livekit.rtc_tcp_port", intSetter(func(c *Config) *int { return &c.LiveKit.RTCTCPPort })},
	{"MEETD_RTC_UDP_PORT", "livekit.rtc_udp_port", intSetter(func(c *Config) *int { return &c.LiveKit.RTCUDPPort })},
	{"MEETD_NODE_IP", "livekit.node_ip", func(c *Config, v string) error { c.LiveKit.NodeIP = v; return nil }},
	{"MEETD_LIVEKIT_PUBLIC_URL", "livekit.public_url", func(c *Config, v string) error { c.LiveKit.PublicURL = v; return nil }},
	{"MEETD_LIVEKIT_LOG_LEVEL", "livekit.log_level", func(c *Config, v string) error { c.LiveKit.LogLevel = v; return nil }},
	{"MEETD_DEPARTURE_TIMEOUT", "departure_timeout", intSetter(func(c *Config) *int { return &c.DepartureTimeout })},
	{"MEETD_TIMER_INTERVAL", "timer_interval", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		c.TimerInterval = Duration(d)
		return err
	}},
	{"MEETD_WEBHOOK_URLS", "webhooks.urls", func(c *Config, v string) error { c.Webhooks.URLs = splitList(v); return nil }},
	{"MEETD_WEBHOOK_MAX_AGE", "webhooks.max_age", durationSetter(func(c *Config) *Duration { return &c.Webhooks.MaxAge })},
	{"MEETD_WEBHOOK_BACKOFF_BASE", "webhooks.backoff_base", durationSetter(func(c *Config) *Duration { return &c.Webhooks.BackoffBase })},
	{"MEETD_WEBHOOK_BACKOFF_MAX", "webhooks.backoff_max", durationSetter(func(c *Config) *Duration { return &c.Webhooks.BackoffMax })},
}

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
	if c.DepartureTimeout < 0 {
		return fmt.Errorf("departure_timeout: %d must not be negative", c.DepartureTimeout)
	}
	if c.TimerInterval <= 0 {
		return errors.New("timer_interval: must be positive")
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
	if c.Webhooks.BackoffMax < c.Webhooks.BackoffBase {
		return fmt.Errorf("webhooks.backoff_max: %s is shorter than webhooks.backoff_base %s",
			time.Duration(c.Webhooks.BackoffMax), time.Duration(c.Webhooks.BackoffBase))
	}
	for key, lvl := range map[string]string{"log_level": c.LogLevel, "livekit.log_level": c.LiveKit.LogLevel} {
		if _, err := ParseLevel(lvl); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
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
