// Package edge is meetd's network edge: the main listener (plain HTTP, or HTTPS with certificates
// from files or Let's Encrypt, and TURN over TLS routed to the media node by name), the plain HTTP
// listener that redirects to HTTPS, the loopback listener where the media node posts its webhooks,
// and the proxy that passes LiveKit's signalling (/rtc) to the media server.
package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"meetd/internal/config"
)

// Edge is meetd's listeners: the main one (plain HTTP, or HTTPS with TURN over TLS routed by
// name); with TLS on, the plain HTTP listener that redirects to HTTPS (and answers ACME
// challenges), and a loopback listener of plain HTTP where the embedded node posts its webhooks
// (it would not trust meetd's certificate for 127.0.0.1).
type Edge struct {
	log      *slog.Logger
	tls      *tls.Config       // nil: the main listener serves plain HTTP
	certs    *autocert.Manager // automatic certificates, or nil
	domain   string            // tls.domain, or ""
	turnName string            // turn.domain, or ""

	main net.Listener
	// internalBase is where meetd is reachable in plain HTTP from this machine (http://host:port).
	internalBase string
	internal     net.Listener // with TLS on, the loopback listener behind internalBase
	redirect     net.Listener // plain HTTP → HTTPS, or nil

	servers []*http.Server // the main listener's first, once serving
	served  chan error     // the main server's end

	limits  config.HTTP  // timeouts and the connection cap (limits.go)
	proxies []*net.IPNet // trusted_proxies: X-Forwarded-* is believed only from these
}

// Open prepares TLS and opens the listeners: the main one on cfg.Addr, and the others TLS needs.
func Open(cfg config.Config, log *slog.Logger) (*Edge, error) {
	main, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	e, err := open(cfg, main, log)
	if err != nil {
		main.Close()
		return nil, err
	}
	return e, nil
}

// open prepares TLS and opens the further listeners; main is the main listener.
func open(cfg config.Config, main net.Listener, log *slog.Logger) (*Edge, error) {
	f := &Edge{log: log, main: main, domain: cfg.TLS.Domain, turnName: cfg.TURN.Domain, served: make(chan error, 1),
		internalBase: "http://" + net.JoinHostPort(loopbackOf(main.Addr()), strconv.Itoa(portOf(main))), limits: cfg.HTTP}
	proxies, err := cfg.TrustedProxies.Nets()
	if err != nil {
		return nil, fmt.Errorf("trusted_proxies: %w", err)
	}
	f.proxies = proxies
	switch {
	case cfg.TLS.Domain != "":
		f.certs = certManager(cfg)
		f.tls = f.certs.TLSConfig()
	case cfg.TLS.CertFile != "":
		cert, err := tls.LoadX509KeyPair(cfg.TLS.CertFile, cfg.TLS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls.cert_file, tls.key_file: %w", err)
		}
		f.tls = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
	default:
		return f, nil
	}
	f.tls.MinVersion = tls.VersionTLS12
	if f.internal, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("listen on loopback for the media node's webhooks: %w", err)
	}
	f.internalBase = "http://" + f.internal.Addr().String()
	if addr := cfg.TLS.RedirectAddr(); addr != "" {
		if f.redirect, err = net.Listen("tcp", addr); err != nil {
			f.internal.Close()
			return nil, fmt.Errorf("tls.http_addr: listen on %s: %w", addr, err)
		}
	}
	if cfg.TURN.TLSOn() && portOf(main) != 443 {
		log.Warn("TURN over TLS: LiveKit tells clients port 443, whatever meetd's port: forward 443/tcp to addr",
			"turn", "turns:"+cfg.TURN.Domain+":443", "addr", cfg.Addr)
	}
	return f, nil
}

// InternalBase is where meetd is reachable in plain HTTP from this machine (http://host:port):
// the media node posts its webhooks there.
func (f *Edge) InternalBase() string { return f.internalBase }

// Base is meetd's base URL, as the start-up lines show it: https://tls.domain, else the main
// listener's address.
func (f *Edge) Base() string {
	port := portOf(f.main)
	if f.domain != "" {
		if port != 443 {
			return "https://" + f.domain + ":" + strconv.Itoa(port)
		}
		return "https://" + f.domain
	}
	return f.scheme() + "://" + net.JoinHostPort(displayHost(f.main.Addr()), strconv.Itoa(port))
}

// RedirectAddr is the address of the listener that redirects to HTTPS; nil if there is none.
func (f *Edge) RedirectAddr() net.Addr {
	if f.redirect == nil {
		return nil
	}
	return f.redirect.Addr()
}

// certManager gets and renews certificates from Let's Encrypt for tls.domain (and turn.domain),
// and no other name; they are kept in <data_dir>/autocert.
func certManager(cfg config.Config) *autocert.Manager {
	names := []string{cfg.TLS.Domain}
	if cfg.TURN.TLSOn() {
		names = append(names, cfg.TURN.Domain)
	}
	return &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(filepath.Join(cfg.DataDir, "autocert")),
		HostPolicy: autocert.HostWhitelist(names...),
	}
}

// scheme is the main listener's: "https" or "http".
func (f *Edge) scheme() string {
	if f.tls != nil {
		return "https"
	}
	return "http"
}

// listener is the main listener as the HTTP server takes it: TLS when on, with the connections
// for the TURN name passed to turnAddr when that is set.
func (f *Edge) listener(turnAddr string) net.Listener {
	main := limitConns(f.main, f.limits.MaxConnections)
	switch {
	case f.tls == nil:
		return main
	case turnAddr == "":
		return tls.NewListener(main, f.tls)
	}
	return newTURNRouter(main, f.tls, f.turnName, turnAddr, f.log)
}

// Serve starts serving h on the main listener (TURN over TLS going to turnAddr, if not ""), and
// on the internal and redirect listeners. Served tells when the main server stops.
func (f *Edge) Serve(h http.Handler, turnAddr string) {
	start := func(ln net.Listener, h http.Handler) *http.Server {
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: serverLog(f.log),
			IdleTimeout: time.Duration(f.limits.IdleTimeout), MaxHeaderBytes: maxHeaderBytes}
		f.servers = append(f.servers, srv)
		return srv
	}
	h = f.guard(h)
	main := start(f.main, h)
	go func() { f.served <- main.Serve(f.listener(turnAddr)) }()
	serve := func(ln net.Listener, h http.Handler) {
		srv := start(ln, h)
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				f.log.Error("http listener stopped", "addr", ln.Addr(), "err", err)
			}
		}()
	}
	if f.internal != nil {
		serve(f.internal, h)
	}
	if f.redirect != nil {
		var redirect http.Handler = redirectToHTTPS(portOf(f.main))
		if f.certs != nil {
			redirect = f.certs.HTTPHandler(redirect) // ACME HTTP-01 challenges, then the redirect
		}
		serve(f.redirect, redirect)
	}
}

// Served receives the main server's error when it stops serving (http.ErrServerClosed after
// Shutdown).
func (f *Edge) Served() <-chan error { return f.served }

// Shutdown stops the servers that Serve started, gracefully.
func (f *Edge) Shutdown(ctx context.Context) {
	for _, srv := range f.servers {
		_ = srv.Shutdown(ctx)
	}
}

// Close stops at once what Shutdown would stop gracefully, and closes the listeners that Open
// opened (when serving never started).
func (f *Edge) Close() {
	for _, srv := range f.servers {
		_ = srv.Close()
	}
	for _, ln := range []net.Listener{f.main, f.internal, f.redirect} {
		if ln != nil {
			_ = ln.Close()
		}
	}
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

func portOf(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

// serverLog sends the HTTP server's own complaints (TLS handshakes that failed, mostly scanners
// and bad clients) to the debug log.
func serverLog(log *slog.Logger) *stdlog.Logger {
	return slog.NewLogLogger(log.Handler(), slog.LevelDebug)
}

// redirectToHTTPS answers every request with a permanent redirect to the same host and path over
// HTTPS on httpsPort.
func redirectToHTTPS(httpsPort int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = strings.TrimSuffix(strings.TrimPrefix(r.Host, "["), "]") // no port
		}
		if host == "" {
			http.Error(w, "a Host header is required", http.StatusBadRequest)
			return
		}
		if httpsPort != 443 {
			host = net.JoinHostPort(host, strconv.Itoa(httpsPort))
		} else if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusMovedPermanently)
	})
}

// SignallingProxy passes LiveKit's signalling (/rtc and below: the WebSocket, its validation)
// to the media server at target, so that clients need only meetd's own port. The WebSocket
// upgrade goes through (httputil.ReverseProxy hijacks the connection); meetd's server has no
// read or write timeout that would cut it. watch, if not nil, is told each WebSocket's client
// messages (doc/architecture.md, "Leaving"); the bytes pass unchanged.
func (f *Edge) SignallingProxy(target string, watch ClientMessages, log *slog.Logger) (http.Handler, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("media server address %q: %w", target, err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			if f.Trusted(r.In) { // keep the chain a trusted proxy sent
				r.Out.Header["X-Forwarded-For"] = r.In.Header["X-Forwarded-For"]
			}
			r.SetXForwarded() // LiveKit logs the client's address from X-Forwarded-For
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Warn("signalling proxy", "path", r.URL.Path, "err", err)
			w.WriteHeader(http.StatusBadGateway)
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if watch == nil {
		return proxy, nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			if on := watch(r); on != nil {
				w = watchedWriter{ResponseWriter: w, on: on}
			}
		}
		proxy.ServeHTTP(w, r)
	}), nil
}

// OwnOrigin is the signalling URL of a client that reached meetd with r: meetd's own origin,
// whose /rtc is proxied to the media server. wss:// when the client came over HTTPS (to meetd,
// or to a trusted proxy in front of it that says so in X-Forwarded-Proto). The host is the
// request's (X-Forwarded-Host from a trusted proxy): it goes back only to this requester; set
// livekit.public_url to give every client a fixed URL (doc/security.md).
func (f *Edge) OwnOrigin(r *http.Request) string {
	host, proto := r.Host, ""
	if f.Trusted(r) {
		if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" {
			host = h
		}
		proto = firstValue(r.Header.Get("X-Forwarded-Proto"))
	}
	if r.TLS != nil || strings.EqualFold(proto, "https") {
		return "wss://" + host
	}
	return "ws://" + host
}

// firstValue is the first of a comma-separated header's values (the client's side of a chain
// of proxies).
func firstValue(v string) string {
	v, _, _ = strings.Cut(v, ",")
	return strings.TrimSpace(v)
}

// turnRouter is the HTTPS listener when meetd also carries TURN over TLS: it finishes each TLS
// handshake itself, passes the connections for the TURN name, decrypted, to the TURN server's
// TCP port, and hands the others to the HTTP server.
type turnRouter struct {
	tcp      net.Listener
	config   *tls.Config
	turnName string
	turnAddr string
	log      *slog.Logger

	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newTURNRouter(tcp net.Listener, config *tls.Config, turnName, turnAddr string, log *slog.Logger) *turnRouter {
	l := &turnRouter{tcp: tcp, config: config, turnName: turnName, turnAddr: turnAddr, log: log,
		conns: make(chan net.Conn), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

func (l *turnRouter) acceptLoop() {
	for {
		c, err := l.tcp.Accept()
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				l.Close()
				return
			}
			l.log.Warn("accept", "err", err) // out of file descriptors, say: wait a little
			time.Sleep(50 * time.Millisecond)
			continue
		}
		go l.handshake(c)
	}
}

func (l *turnRouter) handshake(c net.Conn) {
	tc := tls.Server(c, l.config)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		l.log.Debug("tls handshake", "remote", c.RemoteAddr(), "err", err)
		_ = c.Close()
		return
	}
	if strings.EqualFold(tc.ConnectionState().ServerName, l.turnName) {
		l.relay(tc)
		return
	}
	select {
	case l.conns <- tc:
	case <-l.done:
		_ = tc.Close()
	}
}

// relay copies a TURN client's connection to the TURN server and back until either side closes.
func (l *turnRouter) relay(client *tls.Conn) {
	server, err := net.DialTimeout("tcp", l.turnAddr, 5*time.Second)
	if err != nil {
		l.log.Warn("TURN over TLS: the TURN server is not reachable", "addr", l.turnAddr, "err", err)
		_ = client.Close()
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(server, client); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, server); done <- struct{}{} }()
	<-done
	_ = client.Close()
	_ = server.Close()
	<-done
}

// Accept returns the next HTTPS connection, its handshake done.
func (l *turnRouter) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops accepting; connections being relayed go on until either side closes them.
func (l *turnRouter) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.done)
		err = l.tcp.Close()
	})
	return err
}

// Addr is the TCP listener's address.
func (l *turnRouter) Addr() net.Addr { return l.tcp.Addr() }
