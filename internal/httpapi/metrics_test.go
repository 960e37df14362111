package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"meetd/internal/meet"
)

// Without metrics_password, /metrics answers a scraper on this machine only: not another host,
// not a request relayed by a reverse proxy (doc/security.md).
func TestMetricsLocalOnlyWithoutPassword(t *testing.T) {
	h := metricsAuth("", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("metrics")) }))
	for _, c := range []struct {
		remote, header string
		want           int
	}{
		{"127.0.0.1:5000", "", 200},
		{"[::1]:5000", "", 200},
		{"192.0.2.7:5000", "", 401},
		{"[2001:db8::1]:5000", "", 401},
		{"127.0.0.1:5000", "X-Forwarded-For", 401},
		{"127.0.0.1:5000", "Forwarded", 401},
		{"127.0.0.1:5000", "X-Real-Ip", 401},
	} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.RemoteAddr = c.remote
		if c.header != "" {
			req.Header.Set(c.header, "203.0.113.9")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != c.want {
			t.Errorf("%s %s: %d, want %d", c.remote, c.header, w.Code, c.want)
		}
	}
	// with a password, from anywhere with it
	h = metricsAuth("pw", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.RemoteAddr = "192.0.2.7:5000"
	req.SetBasicAuth("metrics", "pw")
	w := httptest.NewRecorder()
	if h.ServeHTTP(w, req); w.Code != 200 {
		t.Errorf("with the password: %d", w.Code)
	}
}

// Scrapes within 5 s share one store read.
func TestMetricsStatsCached(t *testing.T) {
	reads := 0
	m, err := NewMetrics(prometheus.NewRegistry(), func(context.Context) (meet.Stats, error) {
		reads++
		return meet.Stats{RoomsActive: reads}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 0)
	m.timeNow = func() time.Time { return now }
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	for range 3 {
		if _, err := reg.Gather(); err != nil {
			t.Fatal(err)
		}
	}
	if reads != 1 {
		t.Errorf("3 scrapes at once: %d store reads, want 1", reads)
	}
	now = now.Add(6 * time.Second)
	if _, err := reg.Gather(); err != nil || reads != 2 {
		t.Errorf("a scrape 6 s later: %d store reads, want 2 (%v)", reads, err)
	}
}
