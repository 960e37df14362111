package store_test

import (
	"context"
	"testing"
	"time"

	"meetd/internal/store"
)

// A v2 nonce (migration 006) is accepted once per API key, also after a reopen and, on
// PostgreSQL, from a second process's connection.

func TestNonces(t *testing.T) { bothDatabases(t, nonces) }

func nonces(t *testing.T, open reopener) {
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
