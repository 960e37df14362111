package postgres_test

import (
	"context"
	"testing"

	"meetd/internal/postgres"
	"meetd/internal/postgres/pgtest"
	"meetd/internal/rooms"
	"meetd/internal/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Open {
		url := pgtest.NewDatabase(t)
		return func() rooms.Store {
			st, err := postgres.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
	})
}
