package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"meetd/internal/store"
	"meetd/internal/store/pgtest"
)

// A v2 nonce (migration 006) is accepted once per API key, also after a reopen and, on
// PostgreSQL, from a second process's connection.

func TestNoncesSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meetd.db")
	nonces(t, func() *store.Store {
		st, err := store.OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

func TestNoncesPostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	nonces(t, func() *store.Store {
		st, err := store.OpenPostgres(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		return st
	})
}

func nonces(t *testing.T, open func() *store.Store) {
	ctx := context.Background()
	exp := time.Now().Add(5 * time.Minute)
	a := open()
	defer a.Close()
	use := func(st *store.Store, key, nonce string, want bool) {
		t.Helper()
		if fresh, err := st.UseNonce(ctx, key, nonce, exp); err != nil || fresh != want {
			t.Errorf("UseNonce(%s, %s) = %v, %v; want %v", key, nonce, fresh, err, want)
		}
	}
	use(a, "key", "nonce-0123456789ab", true)
	use(a, "key", "nonce-0123456789ab", false)
	use(a, "other", "nonce-0123456789ab", true) // nonces are per key
	b := open()                                 // a second process, or after a restart
	defer b.Close()
	use(b, "key", "nonce-0123456789ab", false)
	use(b, "key", "nonce-fedcba987654", true)
}
