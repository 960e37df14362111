package edge

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxHeaderBytes bounds a request's header (the path with its query included).
const maxHeaderBytes = 64 << 10

// guard is what every listener's handler goes through: per-route deadlines (doc/security.md,
// "Limits, timeouts and proxies") and, over TLS, Strict-Transport-Security.
func (f *Edge) guard(h http.Handler) http.Handler {
	read, write := time.Duration(f.limits.ReadTimeout), time.Duration(f.limits.WriteTimeout)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil {
			w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		}
		if !longLived(r.URL.Path) && read > 0 {
			// a short request and answer: a client sending its body (or reading the answer) a
			// byte at a time is cut off. Servers that cannot set deadlines answer an error: ignored.
			rc := http.NewResponseController(w)
			now := time.Now()
			_ = rc.SetReadDeadline(now.Add(read))
			_ = rc.SetWriteDeadline(now.Add(write))
		}
		h.ServeHTTP(w, r)
	})
}

// longLived reports the routes whose connection may stay open as long as the client wants:
// the signalling WebSocket, the event streams and downloads.
func longLived(path string) bool {
	return path == "/rtc" || strings.HasPrefix(path, "/rtc/") ||
		path == "/auth/events" || path == "/dashboard/api/events" ||
		strings.HasPrefix(path, "/download/")
}

// Trusted reports whether r came straight from one of trusted_proxies, whose X-Forwarded-*
// headers are then believed. Without trusted_proxies, nobody's are.
func (f *Edge) Trusted(r *http.Request) bool {
	if len(f.proxies) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, n := range f.proxies {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// limitConns caps the connections ln has open at once at n (0: no cap); Accept waits for one to
// close once n are open.
func limitConns(ln net.Listener, n int) net.Listener {
	if n <= 0 {
		return ln
	}
	return &connLimit{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{})}
}

type connLimit struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *connLimit) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, free: func() { <-l.slots }}, nil
}

func (l *connLimit) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

type limitedConn struct {
	net.Conn
	once sync.Once
	free func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.free)
	return err
}
