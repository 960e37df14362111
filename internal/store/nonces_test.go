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

// S13: a signed-out dashboard session is refused by every process, after a restart too, and is not
// taken for an API key's nonce.
func TestDashboardSignOuts(t *testing.T) { bothDatabases(t, dashboardSignOuts) }

func dashboardSignOuts(t *testing.T, open reopener) {
	ctx := context.Background()
	a := open()
	defer a.Close()
	revoked := func(st *store.Store, id string, want bool) {
		t.Helper()
		if out, err := st.DashboardSessionRevoked(ctx, id); err != nil || out != want {
			t.Errorf("DashboardSessionRevoked(%s) = %v, %v; want %v", id, out, err, want)
		}
	}
	revoked(a, "session-1", false)
	if err := a.RevokeDashboardSession(ctx, "session-1", time.Now().Add(12*time.Hour)); err != nil {
		t.Fatal(err)
	}
	revoked(a, "session-1", true)
	revoked(a, "session-2", false)
	if fresh, err := a.UseNonce(ctx, "key", "session-1", time.Now().Add(time.Minute)); err != nil || !fresh {
		t.Errorf("an API key's nonce equal to a signed-out session's id: %v, %v", fresh, err)
	}
	b := open() // a second process, or after a restart
	defer b.Close()
	revoked(b, "session-1", true)
	revoked(b, "session-2", false)
}
