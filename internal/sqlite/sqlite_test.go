package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"meetd/internal/rooms"
	"meetd/internal/sqlite"
	"meetd/internal/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Open {
		path := filepath.Join(t.TempDir(), "meetd.db")
		return func() rooms.Store {
			st, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
	})
}
