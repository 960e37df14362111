// Package outbox delivers meetd's events as signed webhooks (doc/api.md). The room service writes
// each event in the transaction of the change that causes it; the dispatcher turns new events into
// deliveries (one per event and URL: the global URLs and the room's webhook_url), claims the due
// ones, signs each attempt afresh, POSTs it, and records the outcome in the store: delivered,
// failed for good, or pending again after a backoff. Nothing lives only in memory, so a crash loses
// nothing: a delivery in flight at the crash is attempted again (receivers drop duplicates by id).
//
// Order: one delivery at a time per room and URL, oldest first. A slow or dead receiver holds up
// only its own room's deliveries to that URL, and at most PerURL of the workers.
package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// Config configures the dispatcher. Zero fields take the defaults noted.
type Config struct {
	URLs        []string      // global URLs: every event goes to each
	Keys        auth.Keys     // signs the webhooks
	MaxAge      time.Duration // a delivery not done this long after it was queued fails; 24 h
	BackoffBase time.Duration // delay after the first failed attempt; 1 s
	BackoffMax  time.Duration // longest delay between attempts; 10 min
	Timeout     time.Duration // one attempt, connection to answer; 15 s
	Workers     int           // attempts in flight at once; 32
	PerURL      int           // attempts in flight to one URL at once; Workers/2
	Poll        time.Duration // how often the store is looked at without a wake-up; 1 s
	Client      *http.Client  // default: TLS verified, redirects not followed, no proxy, targets checked
	// AllowPrivate lets webhooks go to loopback, private, link-local, CGNAT and metadata
	// addresses (webhooks.allow_private); refused by default (target.go).
	AllowPrivate bool
	UserAgent    string
	Now          func() time.Time
	Jitter       func() float64 // in [0, 1); rand.Float64
	// Wake is the dispatcher's wake-up, made before it (NewWake) so that the store that writes
	// the events can be given it when it is opened; New makes one when nil.
	Wake Wake
}

// Extension adds deliveries of another part of meetd to the dispatcher's (internal/bbb: the
// BigBlueButton API's callbacks and hooks). Its events are written to the store like the others,
// each with the URL it goes to, and are delivered in order with the rest, durable and retried.
type Extension interface {
	// Feed runs before each fan-out: it may write events of its own from the events written
	// since it last ran.
	Feed(ctx context.Context) error
	// Request makes the HTTP request of one attempt of a delivery of its own; nil (and no
	// error) for any other delivery, which is signed and POSTed as usual.
	Request(ctx context.Context, del Delivery, now time.Time) (*http.Request, error)
	// Delivered reports whether an answer that is not 2xx still counts as delivered for a
	// delivery of its own (bbb-webhooks counts a 401 as delivered).
	Delivered(del Delivery, code int) bool
}

// Wake tells a dispatcher that new events were written.
type Wake chan struct{}

// NewWake makes a wake-up.
func NewWake() Wake { return make(Wake, 1) }

// Notify wakes the dispatcher. It never blocks.
func (w Wake) Notify() {
	select {
	case w <- struct{}{}:
	default:
	}
}

// Dispatcher is the webhook dispatcher. Run it once; Notify it when events were written.
type Dispatcher struct {
	store  Store
	cfg    Config
	log    *slog.Logger
	wake   Wake
	lease  time.Duration
	global []string
	ext    Extension
}

// Extend adds an extension (before Run).
func (d *Dispatcher) Extend(e Extension) { d.ext = e }

// New makes a dispatcher.
func New(store Store, cfg Config, log *slog.Logger) *Dispatcher {
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = time.Second
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 10 * time.Minute
	}
	cfg.BackoffMax = max(cfg.BackoffMax, cfg.BackoffBase)
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 32
	}
	if cfg.PerURL <= 0 {
		cfg.PerURL = max(1, cfg.Workers/2)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Client == nil {
		// TLS verified (the default). Connections kept for every worker, not the default two
		// per host: a busy receiver would otherwise see a new connection for most requests.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = cfg.Workers
		// No proxy from the environment (HTTP_PROXY would carry the webhooks, and their tokens,
		// elsewhere, past the address check), and the address check on every connection.
		tr.Proxy = nil
		tr.DialContext = dialer(cfg.AllowPrivate).DialContext
		cfg.Client = &http.Client{
			Transport: tr,
			// A webhook is a POST: following a redirect would turn it into a GET without a
			// body, so a redirect is an answer like any other.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "meetd-webhooks"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	if cfg.Wake == nil {
		cfg.Wake = NewWake()
	}
	for _, u := range cfg.URLs {
		if !cfg.AllowPrivate && literalRefused(u) {
			log.Warn("webhooks: this URL's address is private or loopback: its deliveries will be refused unless webhooks.allow_private is on",
				"url", RedactURL(u))
		}
	}
	return &Dispatcher{
		store: store, cfg: cfg, log: log,
		wake: cfg.Wake,
		// A lease outlives the attempt it covers (timeout) with room to record the outcome. With
		// several processes, the lease of one that died is how long its deliveries in flight (and
		// the rest of their room's queue) wait before another process attempts them again.
		lease:  cfg.Timeout + 10*time.Second,
		global: dedupe(cfg.URLs),
	}
}

// ValidURL reports whether s is an absolute http(s) URL, as webhook URLs must be.
func ValidURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Notify tells the dispatcher that new events were written. It never blocks.
func (d *Dispatcher) Notify() { d.wake.Notify() }

func dedupe(list []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range list {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

const fanOutBatch = 500

// Run dispatches until ctx ends, then stops claiming and waits for the attempts in flight, up to
// grace after ctx ended; those still unanswered are cancelled and attempted again after a restart.
func (d *Dispatcher) Run(ctx context.Context, grace time.Duration) error {
	if err := d.store.ReleaseLeases(ctx); err != nil {
		return fmt.Errorf("webhooks: release leases: %w", err)
	}
	reqCtx, cancelReqs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelReqs()
	finished := make(chan string, d.cfg.Workers) // the URL of an attempt that ended and was recorded
	busy := map[string]int{}                     // attempts in flight by URL
	inFlight := 0
	finish := func(url string) {
		inFlight--
		if busy[url]--; busy[url] <= 0 {
			delete(busy, url)
		}
	}

	timer := time.NewTimer(0)
	defer timer.Stop()
	fanOut := true
	for ctx.Err() == nil {
		if fanOut {
			fanOut = false
			d.fanOut(ctx)
		}
		full := false
		now := d.cfg.Now()
		// Claim until the workers are busy or nothing more is due. A claim takes the oldest due
		// deliveries, then cuts each URL to its PerURL share: the candidates a URL lost to the cut
		// may have hidden other URLs' due deliveries, which the next claim (with that URL now at
		// its limit, left out) takes. Without it those would wait for a wake-up, the poll at worst,
		// behind a slow receiver's backlog.
		for free := d.cfg.Workers - inFlight; free > 0; free = d.cfg.Workers - inFlight {
			list, err := d.store.Claim(ctx, now, now.Add(d.lease), free, d.cfg.PerURL, busy)
			if err != nil && ctx.Err() == nil {
				d.log.Error("webhooks: claim deliveries", "err", err)
			}
			for _, del := range list {
				inFlight++
				busy[del.URL]++
				go func() {
					d.record(context.WithoutCancel(ctx), del, d.attempt(reqCtx, del))
					finished <- del.URL
				}()
			}
			if full = len(list) == free; full || len(list) == 0 {
				break
			}
		}
		// Sleep until something may be claimable: new events, a finished attempt (the next
		// delivery of its room and URL is due now), the next delivery's time, or the poll.
		wait := d.cfg.Poll
		if !full {
			// Only what becomes due after this claim: what was due by now was claimed or waits
			// for its URL to have a worker free, which a finished attempt tells.
			if at, ok, err := d.store.NextDue(ctx, now); err == nil && ok {
				wait = min(wait, max(0, at.Sub(d.cfg.Now())))
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
		case <-d.wake:
			fanOut = true
		case <-timer.C:
			fanOut = true
		case url := <-finished:
			finish(url)
			for more := true; more; { // and every other finished attempt, then claim once
				select {
				case url := <-finished:
					finish(url)
				default:
					more = false
				}
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}

	// Shutdown: no new claims; the attempts in flight get grace to finish, then are cancelled.
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	for inFlight > 0 {
		select {
		case url := <-finished:
			finish(url)
		case <-deadline.C:
			cancelReqs()
		}
	}
	return nil
}

func (d *Dispatcher) fanOut(ctx context.Context) {
	if d.ext != nil {
		if err := d.ext.Feed(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("webhooks: feed extension", "err", err)
		}
	}
	for {
		n, err := d.store.FanOut(ctx, d.cfg.Now(), fanOutBatch, d.global)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Error("webhooks: fan out events", "err", err)
			}
			return
		}
		if n < fanOutBatch {
			return
		}
	}
}

// record stores the outcome of an attempt (nil: abandoned) and logs a delivery that failed for good.
func (d *Dispatcher) record(ctx context.Context, del Delivery, o *Outcome) {
	if o == nil {
		if err := d.store.Abandon(ctx, del); err != nil {
			d.log.Error("webhooks: release delivery", "event_id", del.EventID, "url", RedactURL(del.URL), "err", err)
		}
		return
	}
	ok, err := d.store.Record(ctx, del, *o)
	switch {
	case err != nil:
		// The lease runs out and the delivery is attempted again: at least once, maybe twice.
		d.log.Error("webhooks: record attempt", "event_id", del.EventID, "url", RedactURL(del.URL), "err", err)
	case !ok:
		d.log.Warn("webhooks: lease lost during attempt", "event_id", del.EventID, "url", RedactURL(del.URL))
	case o.Status == Failed:
		d.log.Warn("webhook delivery failed", "event", del.Event, "event_id", del.EventID, "room_id", del.RoomID,
			"url", RedactURL(del.URL), "attempts", del.Attempts+1, "status_code", o.StatusCode, "err", o.Error)
	case o.Status == Pending:
		d.log.Debug("webhook attempt failed", "event_id", del.EventID, "url", RedactURL(del.URL),
			"attempts", del.Attempts+1, "status_code", o.StatusCode, "err", o.Error, "next", o.Next)
	}
}

// attempt signs and POSTs one delivery and decides what happens next; nil if it was cancelled
// by the shutdown (not the receiver's fault: it does not count).
func (d *Dispatcher) attempt(ctx context.Context, del Delivery) *Outcome {
	now := d.cfg.Now()
	code, retryAfter, err := d.post(ctx, del, now)
	if err != nil && ctx.Err() != nil {
		return nil
	}
	o := d.decide(del, now, code, retryAfter, err)
	return &o
}

func (d *Dispatcher) post(ctx context.Context, del Delivery, now time.Time) (code int, retryAfter time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	var req *http.Request
	if d.ext != nil {
		if req, err = d.ext.Request(ctx, del, now); err != nil {
			return 0, 0, err
		}
	}
	if req == nil {
		token, err := d.cfg.Keys.WebhookToken(del.Body, now) // a fresh expiry for every attempt
		if err != nil {
			return 0, 0, fmt.Errorf("sign: %w", err)
		}
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, del.URL, bytes.NewReader(del.Body))
		if err != nil {
			return 0, 0, errors.New("invalid URL") // its parse error would quote it, credentials and all
		}
		req.Header.Set("Authorization", token)
		req.Header.Set("Hash-Token", token)
		req.Header.Set("Content-Type", "application/webhook+json")
		req.Header.Set("User-Agent", d.cfg.UserAgent)
	}
	res, err := d.cfg.Client.Do(req)
	if err != nil {
		if errors.Is(err, ErrRefusedTarget) {
			return 0, 0, ErrRefusedTarget // no address, no port: not a scanner's answer
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return 0, 0, fmt.Errorf("no answer within %s", d.cfg.Timeout)
		}
		return 0, 0, errors.Unwrap(err) // drop the *url.Error prefix: method and URL are known
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	if res.StatusCode == http.StatusTooManyRequests {
		retryAfter = parseRetryAfter(res.Header.Get("Retry-After"), now)
	}
	return res.StatusCode, retryAfter, nil
}

// decide turns an attempt's answer into the delivery's next state.
func (d *Dispatcher) decide(del Delivery, now time.Time, code int, retryAfter time.Duration, err error) Outcome {
	o := Outcome{At: now, StatusCode: code}
	switch {
	case err == nil && code >= 200 && code < 300,
		err == nil && d.ext != nil && d.ext.Delivered(del, code):
		o.Status = Delivered
		return o
	case errors.Is(err, ErrRefusedTarget):
		o.Status = Failed // the address will not change by asking again; redeliver once allowed
		o.Error = err.Error()
		return o
	case err != nil:
		o.Error = err.Error()
		if o.Error == "" {
			o.Error = "request failed"
		}
	default:
		o.Error = "HTTP " + strconv.Itoa(code)
		if t := http.StatusText(code); t != "" {
			o.Error += " " + t
		}
		if code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests {
			o.Status = Failed // the receiver refuses this event: asking again would not help
			return o
		}
	}
	deadline := del.QueuedAt.Add(d.cfg.MaxAge)
	if !now.Before(deadline) {
		o.Status = Failed
		o.Error = fmt.Sprintf("gave up after %s: %s", d.cfg.MaxAge, o.Error)
		return o
	}
	delay := d.Backoff(del.Attempts + 1)
	if retryAfter > 0 {
		delay = retryAfter // the receiver said when; it knows its load best
	}
	o.Status = Pending
	o.Next = now.Add(delay)
	if o.Next.After(deadline) {
		o.Next = deadline // one last attempt at the deadline
	}
	return o
}

// Backoff is the delay after the n-th failed attempt (n ≥ 1): BackoffBase doubled for every
// earlier failure, at most BackoffMax, with "equal jitter": a random point in its upper half,
// so receivers recovering from an outage are not hit by every sender at once.
func (d *Dispatcher) Backoff(n int) time.Duration {
	delay := d.cfg.BackoffMax
	if n < 1 {
		n = 1
	}
	if n <= 40 {
		if x := d.cfg.BackoffBase << (n - 1); x > 0 && x < delay {
			delay = x
		}
	}
	half := delay / 2
	return half + time.Duration(d.cfg.Jitter()*float64(delay-half))
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; 0 if absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, 7*24*3600)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// ListRequest is webhook/deliveries.
type ListRequest struct {
	RoomID string
	Status string
	From   int
	Limit  int
}

// List lists deliveries for the API.
func (d *Dispatcher) List(ctx context.Context, r ListRequest) ([]Info, Filter, int, error) {
	f := Filter{RoomID: r.RoomID, Status: Status(r.Status), From: r.From, Limit: r.Limit}
	if r.RoomID != "" && !meet.ValidID(r.RoomID) {
		return nil, f, 0, meet.BadID("room_id")
	}
	switch f.Status {
	case "", Pending, Delivered, Failed:
	default:
		return nil, f, 0, meet.Errorf(meet.CodeInvalidParameters, "status must be pending, delivered or failed")
	}
	if f.From < 0 {
		return nil, f, 0, meet.Errorf(meet.CodeInvalidParameters, "from must not be negative")
	}
	switch {
	case f.Limit < 0:
		return nil, f, 0, meet.Errorf(meet.CodeInvalidParameters, "limit must not be negative")
	case f.Limit == 0:
		f.Limit = 20
	case f.Limit > 100:
		f.Limit = 100
	}
	list, total, err := d.store.Deliveries(ctx, f)
	if err != nil {
		return nil, f, 0, fmt.Errorf("list webhook deliveries: %w", err)
	}
	return list, f, total, nil
}

// Redeliver queues the failed deliveries of an event again (only the one to url, if given).
func (d *Dispatcher) Redeliver(ctx context.Context, eventID, url string) (int, error) {
	switch {
	case eventID == "":
		return 0, meet.Errorf(meet.CodeInvalidParameters, "id is required")
	case len(eventID) > 64:
		return 0, meet.Errorf(meet.CodeInvalidParameters, "id is longer than 64 bytes")
	case url != "" && !ValidURL(url):
		return 0, meet.Errorf(meet.CodeInvalidParameters, "url must be an absolute http(s) URL")
	}
	n, found, err := d.store.Requeue(ctx, eventID, url, d.cfg.Now())
	switch {
	case err != nil:
		return 0, fmt.Errorf("redeliver %s: %w", eventID, err)
	case !found:
		return 0, meet.Errorf(meet.CodeNotFound, "no event with id %q", eventID)
	case n == 0 && url != "":
		return 0, meet.Errorf(meet.CodeConflict, "event %q has no failed delivery to %s", eventID, url)
	case n == 0:
		return 0, meet.Errorf(meet.CodeConflict, "event %q has no failed delivery", eventID)
	}
	d.Notify()
	return n, nil
}
