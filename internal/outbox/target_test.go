package outbox_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/meettest"
	"meetd/internal/outbox"
)

func TestRefusedAddresses(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.9.9.9": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true,
		"169.254.169.254": true, "100.64.0.1": true, "100.100.100.200": true, "192.0.0.192": true, "0.0.0.0": true,
		"0.1.2.3": true, "198.18.0.1": true, "240.0.0.1": true, "255.255.255.255": true, "224.0.0.1": true,
		"::1": true, "::": true, "fe80::1": true, "fd00:ec2::254": true, "::ffff:127.0.0.1": true, "::ffff:10.0.0.1": true,
		"64:ff9b::7f00:1": true, "64:ff9b::a9fe:a9fe": true,
		"8.8.8.8": false, "1.1.1.1": false, "100.63.255.255": false, "100.128.0.0": false, "2606:4700::1111": false,
		"64:ff9b::808:808": false, "::ffff:8.8.8.8": false,
	} {
		if got := outbox.Refused(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Refused(%s) = %v, want %v", addr, got, want)
		}
	}
}

// With the default, a webhook to a loopback receiver, by address or by a name that resolves to
// it, is refused at dial time and fails at once with a coarse error; with AllowPrivate it is
// delivered.
func TestOutboxRefusesPrivateTargets(t *testing.T) {
	for _, allow := range []bool{false, true} {
		store := openSQLite(t)
		rc := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{})
		byName := strings.Replace(rc.URL, "127.0.0.1", "localhost", 1) + "/by-name"
		d := outbox.New(store, outbox.Config{Keys: keys, Wake: store.Wake(), Poll: 20 * time.Millisecond, AllowPrivate: allow},
			slog.New(slog.DiscardHandler))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = d.Run(ctx, 100*time.Millisecond) }()
		event(t, store, "p1", meet.EventRoomCreated, rc.URL)
		event(t, store, "p2", meet.EventRoomCreated, byName)
		for _, room := range []string{"p1", "p2"} {
			want := outbox.Failed
			if allow {
				want = outbox.Delivered
			}
			var got outbox.Info
			meettest.Eventually(t, 5*time.Second, "finished", func() bool {
				list := deliveries(t, d, room)
				if len(list) == 1 {
					got = list[0]
				}
				return got.Status == outbox.Delivered || got.Status == outbox.Failed
			})
			if got.Status != want {
				t.Errorf("allow_private %v, %s: %s %q, want %s", allow, room, got.Status, got.LastError, want)
			}
			if !allow && (got.LastError != outbox.ErrRefusedTarget.Error() || got.Attempts != 1) {
				t.Errorf("%s: error %q after %d attempts, want %q after 1", room, got.LastError, got.Attempts, outbox.ErrRefusedTarget)
			}
		}
		if n := len(rc.Requests()); (n == 2) != allow {
			t.Errorf("allow_private %v: the receiver got %d requests", allow, n)
		}
		cancel()
		<-done
	}
}

func TestCheckURL(t *testing.T) {
	d := outbox.New(nil, outbox.Config{}, slog.New(slog.DiscardHandler))
	open := outbox.New(nil, outbox.Config{AllowPrivate: true}, slog.New(slog.DiscardHandler))
	for raw, refused := range map[string]bool{
		"http://127.0.0.1:9/x": true, "http://[::1]:8080/": true, "https://169.254.169.254/latest": true,
		"http://localhost/x": true, "http://api.localhost./x": true, "http://10.0.0.5/x?token=a": true,
		"http://[fe80::1%25eth0]/": true, "https://example.com/hook": false, "https://8.8.8.8/hook": false,
		"": false, "not a url": false,
	} {
		err := d.CheckURL("metadata.webhook_url", raw)
		if (err != nil) != refused {
			t.Errorf("%q: %v", raw, err)
		}
		if e, ok := err.(*meet.Error); err != nil && (!ok || e.Code != meet.CodeInvalidParameters || !strings.Contains(e.Msg, "metadata.webhook_url")) {
			t.Errorf("%q: %v, want INVALID_PARAMETERS naming the field", raw, err)
		}
		if err := open.CheckURL("metadata.webhook_url", raw); err != nil {
			t.Errorf("allow_private: %q: %v", raw, err)
		}
	}
}

// The log lines of webhook deliveries (failed for good, failed and pending again) never carry a
// URL's user info or query, where receivers keep their credentials.
func TestOutboxLogsRedactURLs(t *testing.T) {
	store := openSQLite(t)
	rc := meettest.NewReceiver(t, keys, meettest.ReceiverOptions{Respond: func(_ int, _ meettest.Delivery, w http.ResponseWriter) {
		w.WriteHeader(400)
	}})
	refusing := strings.Replace(rc.URL, "http://", "http://user:PASSLEAK@", 1) + "/x?token=LEAKME"
	closed := "http://user:PASSLEAK2@127.0.0.1:1/y?token=LEAKME2"
	var logs syncBuffer
	d := outbox.New(store, outbox.Config{Keys: keys, Wake: store.Wake(), Poll: 20 * time.Millisecond, AllowPrivate: true,
		URLs: []string{closed}, BackoffBase: time.Hour, BackoffMax: time.Hour},
		slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx, 100*time.Millisecond) }()
	defer func() { cancel(); <-done }()
	event(t, store, "l1", meet.EventRoomCreated, refusing)
	meettest.Eventually(t, 5*time.Second, "both logged", func() bool {
		s := logs.String()
		return strings.Contains(s, "webhook delivery failed") && strings.Contains(s, "webhook attempt failed")
	})
	s := logs.String()
	for _, secret := range []string{"PASSLEAK", "LEAKME", "user:"} {
		if strings.Contains(s, secret) {
			t.Errorf("the log shows %q:\n%s", secret, s)
		}
	}
	if !strings.Contains(s, "[credentials redacted]") || !strings.Contains(s, "127.0.0.1:1/y") {
		t.Errorf("the log does not say where the webhooks went:\n%s", s)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
