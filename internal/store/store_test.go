package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"meetd/internal/rooms"
	"meetd/internal/store"
	"meetd/internal/store/pgtest"
	"meetd/internal/storetest"
)

func TestStoreSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Open {
		path := filepath.Join(t.TempDir(), "meetd.db")
		return func() rooms.Store {
			st, err := store.OpenSQLite(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
	})
}

func TestStorePostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Open {
		url := pgtest.NewDatabase(t)
		return func() rooms.Store {
			st, err := store.OpenPostgres(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
	})
}
