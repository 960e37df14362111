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
	storetest.Run(t, func(t *testing.T) rooms.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "meetd.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
