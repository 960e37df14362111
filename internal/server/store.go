package server

import (
	"context"
	"log/slog"
	"meetd/internal/httpapi"
	"path/filepath"
	"time"

	"meetd/internal/analytics"
	"meetd/internal/auth"
	"meetd/internal/bbb"
	"meetd/internal/config"
	"meetd/internal/meet"
	"meetd/internal/outbox"
	"meetd/internal/recorder"
	"meetd/internal/rooms"
	"meetd/internal/store"
)

// stateStore is what the server needs of a store: the store has it on SQLite and on PostgreSQL.
type stateStore interface {
	rooms.Store
	outbox.Store
	analytics.Store
	recorder.Store
	httpapi.WireStore
	bbb.Store                                  // the BigBlueButton API's meetings (doc/bbb.md)
	auth.NonceStore                            // the v2 signatures' nonces
	httpapi.SignOutStore                       // signed-out dashboard sessions
	Stats(context.Context) (meet.Stats, error) // for /metrics
	// Prune deletes events and finished webhook deliveries older than before (retention).
	Prune(ctx context.Context, before time.Time) (events, deliveries int64, err error)
	Close() error
}

var _ stateStore = (*store.Store)(nil)

// openStore opens the configured store: PostgreSQL when store.url is set, else SQLite in the
// data directory. about names it for the start-up lines (without a password).
func openStore(ctx context.Context, cfg config.Config, opts ...store.Option) (st stateStore, about string, err error) {
	if cfg.Store.PostgreSQL() {
		pg, err := store.OpenPostgres(ctx, cfg.Store.URL, opts...)
		if err != nil {
			return nil, "", err
		}
		return pg, "PostgreSQL " + store.Where(cfg.Store.URL), nil
	}
	path := filepath.Join(cfg.DataDir, "meetd.db")
	lite, err := store.OpenSQLite(ctx, path, opts...)
	if err != nil {
		return nil, "", err
	}
	return lite, "SQLite " + path, nil
}

// pruneEvery is how often events and finished webhook deliveries past the retention are deleted.
const pruneEvery = 10 * time.Minute

// prune deletes, now and every pruneEvery until ctx ends, the events and finished webhook
// deliveries older than keep (0: keeps everything).
func prune(ctx context.Context, st stateStore, keep time.Duration, log *slog.Logger) {
	if keep <= 0 {
		return
	}
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		events, deliveries, err := st.Prune(ctx, time.Now().Add(-keep))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("prune events and deliveries", "err", err)
		case events+deliveries > 0:
			log.Info("pruned", "events", events, "deliveries", deliveries, "older_than", keep.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
