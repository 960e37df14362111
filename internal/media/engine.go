package media

import (
	"context"
	"log/slog"
	"net/http"

	"meetd/internal/rooms"
)

// Config configures the media engine. URL decides which media server meetd drives: an external
// LiveKit deployment when it is set, else the embedded node that Node configures.
type Config struct {
	// URL is an external LiveKit deployment's address (http(s)://host:port), driven with APIKey
	// and APISecret; it sends its webhooks to meetd's /internal/livekit/webhook. Empty: meetd
	// runs its own node.
	URL               string
	APIKey, APISecret string

	// Node is the embedded node, when URL is empty; its keys are meetd's own.
	Node NodeConfig
}

// External reports whether the engine drives an external LiveKit deployment.
func (c Config) External() bool { return c.URL != "" }

// Engine is meetd's media server, the embedded LiveKit node or an external deployment, seen as
// one object: the room service API (rooms.Media, through the embedded Adapter), the recorder's
// subscriber, the webhook receiver and the observer. Start it before use; Stop stops the node.
type Engine struct {
	*Adapter
	cfg              Config
	url, key, secret string
	subscriber       *Subscriber
	log              *slog.Logger
	node             *Node // the embedded node once started; nil with an external deployment
}

var _ rooms.Media = (*Engine)(nil)

// New makes the engine; nothing runs before Start.
func New(c Config, log *slog.Logger) *Engine {
	e := &Engine{cfg: c, url: c.Node.URL(), key: c.Node.APIKey, secret: c.Node.APISecret, log: log}
	if c.External() {
		e.url, e.key, e.secret = c.URL, c.APIKey, c.APISecret
	}
	e.Adapter = newAdapter(e.url, e.key, e.secret)
	e.subscriber = &Subscriber{url: e.url, apiKey: e.key, apiSecret: e.secret}
	return e
}

// Start starts the embedded node and returns once it serves; with an external deployment it
// does nothing.
func (e *Engine) Start(ctx context.Context) error {
	if e.cfg.External() {
		return nil
	}
	n, err := startNode(ctx, e.cfg.Node, e.log)
	if err != nil {
		return err
	}
	e.node = n
	e.Adapter.useNode(n)
	return nil
}

// Stop disconnects everyone from the embedded node and stops it.
func (e *Engine) Stop() {
	if e.node != nil {
		e.node.Stop()
	}
}

// External reports whether the engine drives an external LiveKit deployment.
func (e *Engine) External() bool { return e.cfg.External() }

// URL is the media server's address, reachable from this machine: the embedded node's or the
// external deployment's.
func (e *Engine) URL() string { return e.url }

// Clustered reports whether the embedded node is one of a LiveKit cluster (through Redis).
func (e *Engine) Clustered() bool { return !e.External() && e.cfg.Node.Clustered() }

// TURNAddr is where the embedded node's TURN server takes the TURN-over-TLS connections that
// meetd's HTTPS listener decrypts; "" when there is none.
func (e *Engine) TURNAddr() string {
	if e.External() {
		return ""
	}
	return e.cfg.Node.TURNAddr()
}

// Subscriber joins rooms as the recorder's hidden participant.
func (e *Engine) Subscriber() *Subscriber { return e.subscriber }

// WebhookHandler receives the media server's webhooks and passes them to events (see
// webhookHandler).
func (e *Engine) WebhookHandler(events Events, log *slog.Logger) http.Handler {
	return webhookHandler(e.key, e.secret, events, log)
}

// Observer makes the observer of the embedded node's rooms (see Observer), nil with an external
// deployment. Run it once the engine started.
func (e *Engine) Observer(roomsOf func(ctx context.Context) ([]string, error),
	report func(ctx context.Context, roomID string, a rooms.Activity) error, log *slog.Logger) *Observer {
	if e.External() {
		return nil
	}
	return newObserver(e, roomsOf, report, log)
}

// Drain marks the embedded node as shutting down (see Node.Drain).
func (e *Engine) Drain() {
	if e.node != nil {
		e.node.Drain()
	}
}

// Hosts reports whether the room's media runs on the embedded node; false with an external
// deployment, whose meetings go on without meetd.
func (e *Engine) Hosts(roomID string) bool { return e.node != nil && e.node.Hosts(roomID) }
