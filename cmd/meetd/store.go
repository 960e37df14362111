package main

import (
	"context"
	"path/filepath"

	"meetd/internal/analytics"
	"meetd/internal/config"
	"meetd/internal/meet"
	"meetd/internal/outbox"
	"meetd/internal/postgres"
	"meetd/internal/recorder"
	"meetd/internal/rooms"
	"meetd/internal/sqlite"
)

// stateStore is what serve needs of a store: the SQLite and the PostgreSQL store both have it.
type stateStore interface {
	rooms.Store
	outbox.Store
	analytics.Store
	recorder.Store
	OnEvents(func())                           // the webhook dispatcher's wake-up
	Stats(context.Context) (meet.Stats, error) // for /metrics
	Close() error
}

var (
	_ stateStore = (*sqlite.Store)(nil)
	_ stateStore = (*postgres.Store)(nil)
)

// openStore opens the configured store: PostgreSQL when store.url is set, else SQLite in the
// data directory. about names it for the start-up lines (without a password).
func openStore(ctx context.Context, cfg config.Config) (st stateStore, about string, err error) {
	if cfg.Store.PostgreSQL() {
		pg, err := postgres.Open(ctx, cfg.Store.URL)
		if err != nil {
			return nil, "", err
		}
		return pg, "PostgreSQL " + postgres.Where(cfg.Store.URL), nil
	}
	path := filepath.Join(cfg.DataDir, "meetd.db")
	lite, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, "", err
	}
	return lite, "SQLite " + path, nil
}
