package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"meetd/internal/store"
	"meetd/internal/store/pgtest"
)

// reopener opens the same database afresh at each call (a restart, or a second process); the
// caller closes what it opened.
type reopener func() *store.Store

// bothDatabases runs test on a new SQLite file and a new PostgreSQL database (skipped without
// one, see pgtest), as subtests.
func bothDatabases(t *testing.T, test func(t *testing.T, open reopener)) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "meetd.db")
		test(t, reopen(t, func(ctx context.Context) (*store.Store, error) { return store.OpenSQLite(ctx, path) }))
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.NewDatabase(t)
		test(t, reopen(t, func(ctx context.Context) (*store.Store, error) { return store.OpenPostgres(ctx, url) }))
	})
}

func reopen(t *testing.T, open func(context.Context) (*store.Store, error)) reopener {
	return func() *store.Store {
		st, err := open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}
