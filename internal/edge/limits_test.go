package edge

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"meetd/internal/config"
)

// closedByServer reads c until the server closes it; the deadline only keeps a broken server
// from hanging the test.
func closedByServer(t *testing.T, c net.Conn, what string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("%s: still open", what)
	}
}

// An idle keep-alive connection and a body sent a byte at a time are cut off (short limits
// here; 120 s idle and 30 s read by default).
func TestSlowClientsCutOff(t *testing.T) {
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.HTTP = config.HTTP{IdleTimeout: config.Duration(300 * time.Millisecond),
		ReadTimeout: config.Duration(300 * time.Millisecond), WriteTimeout: config.Duration(time.Second)}
	e, err := Open(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "slow", http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte("ok"))
	}), "")
	addr := e.main.Addr().String()

	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	_, _ = io.WriteString(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	res, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("first request: %v %v", res, err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	closedByServer(t, idle, "idle keep-alive connection")

	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	_, _ = io.WriteString(slow, "POST /api/hand HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
	go func() { // a byte now and then, as long as the connection takes it
		for range 100 {
			time.Sleep(100 * time.Millisecond)
			if _, err := slow.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	closedByServer(t, slow, "slow body")
}

// The connection cap: once n connections are open, the next is accepted only after one closed.
func TestConnectionCap(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := limitConns(ln, 1)
	defer l.Close()
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	second := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			second <- c
		}
	}()
	select {
	case <-second:
		t.Fatal("a second connection accepted while the first is open")
	case <-time.After(200 * time.Millisecond):
	}
	first.Close()
	first.Close() // twice frees one slot
	(<-second).Close()
}

// Over TLS every answer carries Strict-Transport-Security; over plain HTTP none does.
func TestHSTS(t *testing.T) {
	f := &Edge{limits: config.DefaultHTTP()}
	h := f.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "https://meet.example.org/", nil)
	r.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Header().Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over TLS")
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://meet.example.org/", nil))
	if rec.Header().Get("Strict-Transport-Security") != "" {
		t.Error("HSTS over plain HTTP")
	}
}
