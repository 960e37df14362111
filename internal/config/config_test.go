package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadLayers(t *testing.T) {
	file := configFile(t, "addr: 127.0.0.1:9000\nlivekit:\n  port: 9001\n  rtc_udp_port: 9002\ndeparture_timeout: 5\ntimer_interval: 250ms\n")
	env := map[string]string{"MEETD_LIVEKIT_PORT": "9101", "MEETD_DEPARTURE_TIMEOUT": "7"}
	c, err := load([]string{"-config", file, "-departure_timeout", "9"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9000" || c.LiveKit.Port != 9101 || c.LiveKit.RTCUDPPort != 9002 || c.DepartureTimeout != 9 ||
		time.Duration(c.TimerInterval) != 250*time.Millisecond || c.LiveKit.RTCTCPPort != 7881 {
		t.Fatalf("layers: %+v", c)
	}
}

func TestLoadRefusesBadValues(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.yaml")
	_ = os.WriteFile(unknown, []byte("adress: x\n"), 0o600)
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"MEETD_LIVEKIT_PORT": "abc"}, nil, "MEETD_LIVEKIT_PORT"},
		{map[string]string{"MEETD_RTC_UDP_PORT": "70000"}, nil, "livekit.rtc_udp_port"},
		{map[string]string{"MEETD_NODE_IP": "not-an-ip"}, nil, "livekit.node_ip"},
		{map[string]string{"MEETD_API_SECRET": "short"}, nil, "api_secret"},
		{map[string]string{"MEETD_ADDR": "8080"}, nil, "addr"},
		{map[string]string{"MEETD_DEPARTURE_TIMEOUT": "-1"}, nil, "departure_timeout"},
		{map[string]string{"MEETD_LOG_LEVEL": "loud"}, nil, "log_level"},
		{map[string]string{"MEETD_TIMER_INTERVAL": "soon"}, nil, "MEETD_TIMER_INTERVAL"},
		{map[string]string{"MEETD_RETENTION": "-1h"}, nil, "retention"},
		{map[string]string{"MEETD_RETENTION": "5m"}, nil, "retention"},
		{map[string]string{"MEETD_RETENTION": "a week"}, nil, "MEETD_RETENTION"},
		{map[string]string{"MEETD_DEBUG_ADDR": "0.0.0.0:6060"}, nil, "debug_addr"},
		{map[string]string{"MEETD_DEBUG_ADDR": "10.0.0.5:6060"}, nil, "debug_addr"},
		{map[string]string{"MEETD_DEBUG_ADDR": "6060"}, nil, "debug_addr"},
		{nil, []string{"-config", unknown}, "adress"},
		{nil, []string{"-config", filepath.Join(dir, "missing.yaml")}, "config file"},
		{nil, []string{"extra"}, "unexpected argument"},
	} {
		_, err := load(c.args, c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("env %v args %v: error %v, want one naming %q", c.env, c.args, err, c.want)
		}
	}
}

func TestEnsureSecret(t *testing.T) {
	c := Default()
	c.DataDir = t.TempDir()
	generated, err := c.EnsureSecret()
	if err != nil || !generated || len(c.APISecret) < 64 {
		t.Fatalf("generated=%v err=%v secret length %d", generated, err, len(c.APISecret))
	}
	st, _ := os.Stat(filepath.Join(c.DataDir, "api_secret"))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode %v", st.Mode())
	}
	d := Default()
	d.DataDir = c.DataDir
	if generated, err := d.EnsureSecret(); err != nil || generated || d.APISecret != c.APISecret {
		t.Errorf("second start: generated=%v err=%v same=%v", generated, err, d.APISecret == c.APISecret)
	}
	c.Webhooks.URLs = URLList{"https://user:pw@hooks.example.org/in?token=abc", "http://plain.example.org/x"}
	r := c.Redacted()
	if strings.Contains(r.APISecret, c.APISecret) {
		t.Error("redacted config shows the secret")
	}
	if got := strings.Join(r.Webhooks.URLs, " "); strings.Contains(got, "pw") || strings.Contains(got, "abc") ||
		!strings.Contains(got, "hooks.example.org/in") || !strings.Contains(got, "http://plain.example.org/x") {
		t.Errorf("redacted webhook URLs: %s", got)
	}
}

func TestLiveKitClusterAndExternal(t *testing.T) {
	c, err := load(nil, map[string]string{"MEETD_REDIS_URL": "redis://u:pw@10.0.0.5/3"})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := RedisAddress(c.LiveKit.Redis)
	if r.Address != "10.0.0.5:6379" || r.Username != "u" || r.Password != "pw" || r.DB != 3 || r.TLS {
		t.Errorf("redis %+v", r)
	}
	if red := c.Redacted().LiveKit.Redis; strings.Contains(red, "pw") || !strings.Contains(red, "10.0.0.5") {
		t.Errorf("redacted redis URL %q", red)
	}
	c, err = load(nil, map[string]string{"MEETD_LIVEKIT_URL": "https://lk.example.org", "MEETD_LIVEKIT_API_KEY": "k", "MEETD_LIVEKIT_API_SECRET": "lk-secret"})
	if err != nil || !c.LiveKit.External() {
		t.Fatalf("external: %v %+v", err, c.LiveKit)
	}
	if c.Redacted().LiveKit.APISecret == "lk-secret" {
		t.Error("redacted config shows the LiveKit secret")
	}
	for _, bad := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"MEETD_REDIS_URL": "10.0.0.5:6379"}, "livekit.redis"},
		{map[string]string{"MEETD_REDIS_URL": "redis://host/x"}, "livekit.redis"},
		{map[string]string{"MEETD_LIVEKIT_URL": "lk.example.org"}, "livekit.url"},
		{map[string]string{"MEETD_LIVEKIT_URL": "https://lk.example.org"}, "livekit.api_key"},
		{map[string]string{"MEETD_LIVEKIT_API_KEY": "k"}, "livekit.api_key"},
		{map[string]string{"MEETD_LIVEKIT_URL": "https://lk", "MEETD_LIVEKIT_API_KEY": "k", "MEETD_LIVEKIT_API_SECRET": "s", "MEETD_REDIS_URL": "redis://h"}, "livekit.redis"},
		{map[string]string{"MEETD_NODE_TIMEOUT": "1s"}, "node_timeout"},
	} {
		if _, err := load(nil, bad.env); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("env %v: error %v, want one naming %q", bad.env, err, bad.want)
		}
	}
}

// Events and finished deliveries are kept a week unless told otherwise; 0 keeps everything.
func TestRetention(t *testing.T) {
	for env, want := range map[string]time.Duration{"": 7 * 24 * time.Hour, "720h": 720 * time.Hour, "0": 0} {
		c, err := load(nil, map[string]string{"MEETD_RETENTION": env})
		if err != nil || time.Duration(c.Retention) != want {
			t.Errorf("MEETD_RETENTION=%q: %v %v, want %v", env, c.Retention, err, want)
		}
	}
}

// A secret given as a flag draws a warning (the command line is visible in ps); from the
// environment it does not.
func TestSecretFlagWarns(t *testing.T) {
	var stderr strings.Builder
	secret := strings.Repeat("s", 32)
	if _, err := Load([]string{"-api_secret", secret, "-dashboard_password", "correct-horse-battery"}, func(string) string { return "" }, &stderr); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-api_secret", "MEETD_API_SECRET", "-dashboard_password"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q lacks %q", stderr.String(), want)
		}
	}
	if strings.Contains(stderr.String(), secret) {
		t.Errorf("the warning shows the secret: %q", stderr.String())
	}
	stderr.Reset()
	if _, err := Load(nil, func(k string) string { return map[string]string{"MEETD_API_SECRET": secret}[k] }, &stderr); err != nil || stderr.Len() > 0 {
		t.Errorf("from the environment: %v %q", err, stderr.String())
	}
}

func TestAPIKeysAndRequireV2(t *testing.T) {
	file := configFile(t, "api:\n  require_v2: true\n  keys:\n    - {key: monitor, scope: read, secret: monitor-secret-0123456789abcdef0123}\n")
	c, err := load([]string{"-config", file}, nil)
	if err != nil || c.API.RequireV2 != "all" || len(c.API.Keys) != 1 || c.API.Keys[0].Scope != "read" {
		t.Fatalf("from YAML: %+v, %v", c.API, err)
	}
	if r := c.Redacted(); r.API.Keys[0].Secret != "[redacted]" || c.API.Keys[0].Secret == "[redacted]" {
		t.Errorf("redacted: %+v, the original: %+v", r.API.Keys, c.API.Keys)
	}
	env := map[string]string{"MEETD_API_REQUIRE_V2": "writes",
		"MEETD_API_KEYS": "monitor:read:monitor-secret-0123456789abcdef0123, rotate:full:rotate:secret-0123456789abcdef01234"}
	c, err = load(nil, env)
	if err != nil || c.API.RequireV2 != "writes" || len(c.API.Keys) != 2 || c.API.Keys[1].Secret != "rotate:secret-0123456789abcdef01234" {
		t.Fatalf("from the environment: %+v, %v", c.API, err)
	}
	for value, want := range map[string]string{
		"MEETD_API_REQUIRE_V2=sometimes":                                "api.require_v2",
		"MEETD_API_KEYS=monitor:read":                                   "MEETD_API_KEYS",
		"MEETD_API_KEYS=monitor:admin:" + longSecret:                    "api.keys[0].scope",
		"MEETD_API_KEYS=monitor:read:short":                             "api.keys[0].secret",
		"MEETD_API_KEYS=meetd:read:" + longSecret:                       "api.keys[0].key", // the main key's name
		"MEETD_API_KEYS=a:read:" + longSecret + ",a:full:" + longSecret: "api.keys[1].key",
	} {
		name, v, _ := strings.Cut(value, "=")
		_, err := load(nil, map[string]string{name: v})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %s", value, err, want)
		}
	}
}

const longSecret = "secret-0123456789abcdef0123456789"

// The profiler listens on loopback addresses only (the refused ones are in TestLoadRefusesBadValues).
func TestDebugAddrLoopback(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:6060", "[::1]:0", "localhost:6060"} {
		c, err := load(nil, map[string]string{"MEETD_DEBUG_ADDR": addr})
		if err != nil || c.DebugAddr != addr {
			t.Errorf("debug_addr %s: %v %q", addr, err, c.DebugAddr)
		}
	}
}
