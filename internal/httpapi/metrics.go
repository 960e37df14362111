package httpapi

import (
	"context"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// Metrics are meetd's Prometheus metrics: API requests by route and status, and what runs now.
// Labels are route patterns and status codes only: never a room or a user, so the series stay few.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	stats    func(ctx context.Context) (meet.Stats, error)

	mu      sync.Mutex // the last store read, kept statsCache: scrapes cost no more than one read per 5 s
	cached  meet.Stats
	readAt  time.Time
	timeNow func() time.Time
}

// statsCache is how long a store read serves scrapes: each costs three queries (counts over the
// deliveries among them), and scrapers may be many or fast.
const statsCache = 5 * time.Second

var statsDesc = map[string]*prometheus.Desc{
	"rooms":         prometheus.NewDesc("meetd_rooms_active", "Running sessions.", nil, nil),
	"participants":  prometheus.NewDesc("meetd_participants_connected", "Participant connections open now.", nil, nil),
	"recordings":    prometheus.NewDesc("meetd_recordings_running", "Recordings in progress.", nil, nil),
	"broadcasts":    prometheus.NewDesc("meetd_rtmp_running", "RTMP broadcasts in progress.", nil, nil),
	"webhooks":      prometheus.NewDesc("meetd_webhook_deliveries", "Webhook deliveries not delivered, by status.", []string{"status"}, nil),
	"webhookOldest": prometheus.NewDesc("meetd_webhook_oldest_pending_seconds", "Age of the oldest pending webhook delivery.", nil, nil),
}

// NewMetrics registers meetd's metrics with reg; stats is read at every scrape.
func NewMetrics(reg prometheus.Registerer, stats func(ctx context.Context) (meet.Stats, error)) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meetd_http_requests_total", Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "meetd_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		stats:   stats,
		timeNow: time.Now,
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Describe implements prometheus.Collector for the state gauges.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range statsDesc {
		ch <- d
	}
}

// read is the store's stats, read again when the last read is older than statsCache.
func (m *Metrics) read() (meet.Stats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if now := m.timeNow(); !m.readAt.IsZero() && now.Sub(m.readAt) < statsCache {
		return m.cached, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := m.stats(ctx)
	if err != nil {
		return st, err
	}
	m.cached, m.readAt = st, m.timeNow()
	return st, nil
}

// Collect implements prometheus.Collector: the store's stats, at most one read per statsCache.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	st, err := m.read()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(statsDesc["rooms"], err)
		return
	}
	gauge := func(name string, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(statsDesc[name], prometheus.GaugeValue, v, labels...)
	}
	gauge("rooms", float64(st.RoomsActive))
	gauge("participants", float64(st.ParticipantsConnected))
	gauge("recordings", float64(st.Recordings))
	gauge("broadcasts", float64(st.Broadcasts))
	gauge("webhooks", float64(st.WebhooksPending), "pending")
	gauge("webhooks", float64(st.WebhooksFailed), "failed")
	gauge("webhookOldest", st.OldestPendingWebhook.Seconds())
}

// localScraper reports whether r comes from this machine directly: a loopback peer, with none of
// the headers a reverse proxy adds.
func localScraper(r *http.Request) bool {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

// statusWriter remembers the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets the event stream flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument counts every request by the route pattern the mux chose.
func (m *Metrics) instrument(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		m.latency.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// metricsAuth guards /metrics with HTTP basic auth (user "metrics") when a password is set. A
// scraper, not an API client: a refusal is basic auth's, with the probe door's status. Without a
// password, only a scraper on this machine is answered: a loopback peer, and not through a
// reverse proxy (no forwarding header), since a proxy on this machine would make the world's
// requests look local (doc/security.md).
func metricsAuth(password string, next http.Handler) http.Handler {
	if password == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !localScraper(r) {
				http.Error(w, "metrics: set metrics_password to scrape from another host",
					status(meet.DoorProbe, meet.CodeInvalidTokenOrSignature))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != "metrics" || !auth.Equal(pass, password) {
			w.Header().Set("WWW-Authenticate", `Basic realm="meetd metrics"`)
			http.Error(w, "unauthorized", status(meet.DoorProbe, meet.CodeInvalidTokenOrSignature))
			return
		}
		next.ServeHTTP(w, r)
	})
}
