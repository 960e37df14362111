package edge

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/acme/autocert"

	"meetd/internal/config"
)

// Automatic certificates without the network: the manager takes only the configured names, keeps
// its cache in the data directory, and the plain HTTP listener's handler answers ACME's HTTP-01
// challenges and redirects everything else.
func TestTLSAutocertWiring(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.TLS.Domain = "meet.example.org"
	m := certManager(cfg)
	ctx := context.Background()
	if err := m.HostPolicy(ctx, "meet.example.org"); err != nil {
		t.Errorf("the configured domain is refused: %v", err)
	}
	for _, host := range []string{"other.example.org", "turn.example.org", "127.0.0.1", ""} {
		if err := m.HostPolicy(ctx, host); err == nil {
			t.Errorf("HostPolicy accepts %q", host)
		}
	}
	// A TLS hello for another name gets no certificate, and no ACME order is tried for it.
	if _, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: "other.example.org"}); err == nil {
		t.Error("a certificate for another name")
	}
	if dir, ok := m.Cache.(autocert.DirCache); !ok || string(dir) != filepath.Join(cfg.DataDir, "autocert") {
		t.Errorf("cache %#v, want %s", m.Cache, filepath.Join(cfg.DataDir, "autocert"))
	}

	cfg.TURN = config.TURN{Enabled: true, Domain: "turn.example.org", TLSPort: 5349}
	if err := certManager(cfg).HostPolicy(ctx, "turn.example.org"); err != nil {
		t.Errorf("with TURN over TLS, the TURN name is refused: %v", err)
	}

	// The HTTP listener of tls.domain: challenges for unknown tokens are 404, the rest redirects.
	h := m.HTTPHandler(redirectToHTTPS(443))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://meet.example.org/.well-known/acme-challenge/unknown-token", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("unknown ACME challenge: %d, want 404", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://meet.example.org/dashboard?x=1", nil))
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "https://meet.example.org/dashboard?x=1" {
		t.Errorf("redirect: %d %q", rec.Code, rec.Header().Get("Location"))
	}
}

// open with tls.domain: automatic certificates on the main listener, the plain HTTP listener
// redirecting to the domain, and a loopback listener for the node's webhooks. No network.
func TestTLSAutocertFront(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.TLS = config.TLS{Domain: "meet.example.org", HTTPAddr: "127.0.0.1:0"}
	main, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer main.Close()
	f, err := open(cfg, main, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.scheme() != "https" || f.certs == nil || f.tls.GetCertificate == nil || f.tls.MinVersion != tls.VersionTLS12 {
		t.Fatalf("TLS: scheme %s, certs %v, config %+v", f.scheme(), f.certs != nil, f.tls)
	}
	if f.redirect == nil || !strings.HasPrefix(f.internalBase, "http://127.0.0.1:") || f.internalBase == "http://"+main.Addr().String() {
		t.Fatalf("listeners: redirect %v, internal %s", f.redirect, f.internalBase)
	}
	f.Serve(http.NotFoundHandler(), "")
	wantLocation := "https://meet.example.org:" + strconv.Itoa(portOf(main)) + "/?access_token=x"
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", "http://"+f.redirect.Addr().String()+"/?access_token=x", nil)
	req.Host = "meet.example.org"
	res, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != wantLocation {
		t.Errorf("redirect: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	// A TLS hello for another name on the main listener gets no certificate.
	conn, err := tls.Dial("tcp", main.Addr().String(), &tls.Config{ServerName: "other.example.org", InsecureSkipVerify: true})
	if err == nil {
		conn.Close()
		t.Error("a TLS handshake for another name succeeded")
	}
	if got := f.Base(); got != "https://meet.example.org:"+strconv.Itoa(portOf(main)) {
		t.Errorf("base %s", got)
	}
	f.Shutdown(context.Background())
	if err := <-f.Served(); err != http.ErrServerClosed {
		t.Errorf("served: %v", err)
	}
}

func TestRedirectToHTTPS(t *testing.T) {
	for _, c := range []struct {
		port       int
		host, path string
		want       string
	}{
		{443, "meet.example.org", "/", "https://meet.example.org/"},
		{443, "meet.example.org:80", "/a/b?c=d&e", "https://meet.example.org/a/b?c=d&e"},
		{8443, "meet.example.org:8080", "/x", "https://meet.example.org:8443/x"},
		{8443, "127.0.0.1:8080", "/?access_token=t", "https://127.0.0.1:8443/?access_token=t"},
		{443, "[::1]:80", "/", "https://[::1]/"},
		{8443, "[::1]", "/", "https://[::1]:8443/"},
	} {
		req := httptest.NewRequest("POST", "http://x"+c.path, nil)
		req.Host = c.host
		rec := httptest.NewRecorder()
		redirectToHTTPS(c.port).ServeHTTP(rec, req)
		if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != c.want {
			t.Errorf("port %d, %s%s: %d %q, want 301 %q", c.port, c.host, c.path, rec.Code, rec.Header().Get("Location"), c.want)
		}
	}
}

func TestOwnOrigin(t *testing.T) {
	f := &Edge{}
	r := httptest.NewRequest("POST", "http://meet.example.org:8080/api/join", nil)
	if got := f.OwnOrigin(r); got != "ws://meet.example.org:8080" {
		t.Errorf("plain HTTP: %s", got)
	}
	r.TLS = &tls.ConnectionState{}
	r.Host = "meet.example.org"
	if got := f.OwnOrigin(r); got != "wss://meet.example.org" {
		t.Errorf("HTTPS: %s", got)
	}
}

// X-Forwarded-Proto and X-Forwarded-Host are believed only from trusted_proxies; from anyone
// else they change nothing (doc/security.md, "Limits, timeouts and proxies").
func TestTrustedProxies(t *testing.T) {
	cfg := config.Default()
	cfg.TrustedProxies = config.CIDRList{"10.0.0.0/8", "192.0.2.7"}
	main, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer main.Close()
	f, err := open(cfg, main, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ remote, want string }{
		{"10.1.2.3:5555", "wss://meet.example.org"},
		{"192.0.2.7:5555", "wss://meet.example.org"},
		{"192.0.2.8:5555", "ws://attacker.example:8080"},
		{"127.0.0.1:5555", "ws://attacker.example:8080"}, // loopback is not in this list
	} {
		r := httptest.NewRequest("POST", "http://attacker.example:8080/api/join", nil)
		r.RemoteAddr = c.remote
		r.Header.Set("X-Forwarded-Proto", "https")
		r.Header.Set("X-Forwarded-Host", "meet.example.org, other.example")
		if got := f.OwnOrigin(r); got != c.want {
			t.Errorf("from %s: %s, want %s", c.remote, got, c.want)
		}
	}
	// the default trusts a proxy on this machine only
	f, err = open(config.Default(), main, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "http://meet.example.org/api/join", nil)
	r.Header.Set("X-Forwarded-Proto", "https")
	r.RemoteAddr = "127.0.0.1:4444"
	if got := f.OwnOrigin(r); got != "wss://meet.example.org" {
		t.Errorf("local proxy: %s", got)
	}
	r.RemoteAddr = "203.0.113.9:4444"
	if got := f.OwnOrigin(r); got != "ws://meet.example.org" {
		t.Errorf("a client's own X-Forwarded-Proto: %s", got)
	}
	cfg.TrustedProxies = config.CIDRList{"10.0.0.0/33"}
	if _, err := open(cfg, main, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("a bad CIDR is accepted")
	}
}

// The signalling proxy logs a media server it cannot reach and answers 502; nothing panics.
func TestSignallingProxyDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens there now
	var logs bytes.Buffer
	p, err := (&Edge{}).SignallingProxy("http://"+addr, nil, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/rtc/validate?access_token=x")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway || !strings.Contains(logs.String(), "signalling proxy") {
		t.Errorf("media server down: %d, log %q", res.StatusCode, logs.String())
	}
}

// Without TLS: one plain HTTP listener, which is also where the node posts its webhooks.
func TestOpenPlain(t *testing.T) {
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	e, err := Open(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	base := "http://127.0.0.1:" + strconv.Itoa(portOf(e.main))
	if e.Base() != base || e.InternalBase() != base || e.RedirectAddr() != nil {
		t.Fatalf("base %s, internal %s, redirect %v", e.Base(), e.InternalBase(), e.RedirectAddr())
	}
	e.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }), "")
	res, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTeapot {
		t.Errorf("status %d", res.StatusCode)
	}
	http.DefaultClient.CloseIdleConnections()
	e.Shutdown(context.Background())
	if err := <-e.Served(); err != http.ErrServerClosed {
		t.Errorf("served: %v", err)
	}
}
