package main

import (
	"context"
	"path/filepath"
	"time"

	"meetd/internal/analytics"
	"meetd/internal/config"
	"meetd/internal/meet"
	"meetd/internal/outbox"
	"meetd/internal/recorder"
	"meetd/internal/rooms"
	"meetd/internal/store"
)

// stateStore is what serve needs of a store: the store has it on SQLite and on PostgreSQL.
type stateStore interface {
	rooms.Store
	outbox.Store
	analytics.Store
	recorder.Store
	OnEvents(func())                           // the webhook dispatcher's wake-up
	Stats(context.Context) (meet.Stats, error) // for /metrics
	// Prune deletes events and finished webhook deliveries older than before (retention).
	Prune(ctx context.Context, before time.Time) (events, deliveries int64, err error)
	Close() error
}

var _ stateStore = (*store.Store)(nil)

// openStore opens the configured store: PostgreSQL when store.url is set, else SQLite in the
// data directory. about names it for the start-up lines (without a password).
func openStore(ctx context.Context, cfg config.Config) (st stateStore, about string, err error) {
	if cfg.Store.PostgreSQL() {
		pg, err := store.OpenPostgres(ctx, cfg.Store.URL)
		if err != nil {
			return nil, "", err
		}
		return pg, "PostgreSQL " + store.Where(cfg.Store.URL), nil
	}
	path := filepath.Join(cfg.DataDir, "meetd.db")
	lite, err := store.OpenSQLite(ctx, path)
	if err != nil {
		return nil, "", err
	}
	return lite, "SQLite " + path, nil
}
