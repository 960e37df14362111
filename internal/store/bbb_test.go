package store

import (
	"testing"

	"meetd/internal/store/pgtest"
	"meetd/internal/storetest"
)

// TestBBBStoreSQLite runs the store suite's BBB part on SQLite.
func TestBBBStoreSQLite(t *testing.T) {
	storetest.RunBBB(t, func(t *testing.T) storetest.BBBStore {
		s, _ := openSQLiteOutboxStore(t)
		return s
	})
}

// TestBBBStorePostgres runs it on PostgreSQL.
func TestBBBStorePostgres(t *testing.T) {
	storetest.RunBBB(t, func(t *testing.T) storetest.BBBStore { return openPostgresOutboxStore(t, pgtest.NewDatabase(t)) })
}
