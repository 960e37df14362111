package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics with the Prometheus text parser.
func (m *meetd) scrape(t *testing.T, password string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest("GET", m.base+"/metrics", nil)
	if password != "" {
		req.SetBasicAuth("metrics", password)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("/metrics: HTTP %d", res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return families
}

// value is the metric's value with the given labels (all of them), or -1.
func value(f map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	fam := f[name]
	if fam == nil {
		return -1
	}
next:
	for _, m := range fam.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// /metrics parses as Prometheus text, is guarded by its password, and moves with the meetings.
func TestMetrics(t *testing.T) {
	const password = "scrape-me-please"
	m := startMeetd(t, testEnv(t, map[string]string{"MEETD_METRICS_PASSWORD": password}))
	res, err := http.Get(m.base + "/metrics")
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("/metrics without the password: %v %v", err, res.StatusCode)
	}
	res.Body.Close()

	before := m.scrape(t, password)
	create := map[string]string{"route": "POST /auth/room/create", "code": "200"}
	created0 := max(value(before, "meetd_http_requests_total", create), 0)
	if v := value(before, "meetd_rooms_active", nil); v != 0 {
		t.Errorf("rooms active at start: %v", v)
	}
	m.create("m1", nil)
	m.create("m2", nil)
	m.bot("m1", "u1")
	var after map[string]*dto.MetricFamily
	eventually(t, 10*time.Second, "the participant counted", func() bool {
		after = m.scrape(t, password)
		return value(after, "meetd_participants_connected", nil) == 1
	})
	if v := value(after, "meetd_rooms_active", nil); v != 2 {
		t.Errorf("meetd_rooms_active = %v, want 2", v)
	}
	if v := value(after, "meetd_http_requests_total", create); v != created0+2 {
		t.Errorf("create requests counted %v, want %v", v, created0+2)
	}
	if v := value(after, "meetd_http_request_duration_seconds", map[string]string{"route": "POST /auth/room/create"}); v < 2 {
		t.Errorf("create latency samples %v", v)
	}
	if v := value(after, "meetd_webhook_deliveries", map[string]string{"status": "failed"}); v != 0 {
		t.Errorf("failed webhook deliveries %v", v)
	}
	livekit := false
	for name := range after {
		livekit = livekit || strings.HasPrefix(name, "livekit_")
	}
	if !livekit {
		t.Error("no LiveKit metrics beside meetd's")
	}
	for name, fam := range after {
		if strings.HasPrefix(name, "meetd_") {
			for _, mm := range fam.Metric {
				for _, l := range mm.Label {
					if strings.Contains(l.GetValue(), "m1") || strings.Contains(l.GetValue(), "u1") {
						t.Errorf("%s has a per-room or per-user label %s=%s", name, l.GetName(), l.GetValue())
					}
				}
			}
		}
	}
}
