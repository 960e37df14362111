package store

import (
	"context"
	"time"

	"meetd/internal/meet"
)

// UseNonce records a v2 signature's nonce of apiKey until expires and reports whether it was
// unused (doc/api.md, "Signatures"): the primary key makes the first insert win, on one process
// or many. At most once a minute it also deletes the nonces that expired a window (5 minutes)
// ago: the margin covers clocks of meetd processes that differ a little.
func (s *Store) UseNonce(ctx context.Context, apiKey, nonce string, expires time.Time) (bool, error) {
	now := time.Now()
	var fresh bool
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO api_nonces (api_key, nonce, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (api_key, nonce) DO NOTHING`, apiKey, nonce, ms(expires))
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		fresh = n == 1
		return nil, err
	})
	if err != nil {
		return false, err
	}
	if last := s.noncesPruned.Load(); now.UnixMilli()-last > time.Minute.Milliseconds() && s.noncesPruned.CompareAndSwap(last, now.UnixMilli()) {
		err = s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
			_, err := tx.ExecContext(ctx, `DELETE FROM api_nonces WHERE expires_at < ?`, ms(now.Add(-5*time.Minute)))
			return nil, err
		})
	}
	return fresh, err
}

// dashboardSignOuts is the api_nonces key under which signed-out dashboard sessions are kept: no
// API key is empty (the configuration refuses it), so no v2 nonce is mistaken for one.
const dashboardSignOuts = ""

// RevokeDashboardSession records that the dashboard session id signed out, until its token
// expires: every meetd of a cluster refuses it from then on, after a restart too (doc/security.md).
func (s *Store) RevokeDashboardSession(ctx context.Context, id string, until time.Time) error {
	_, err := s.UseNonce(ctx, dashboardSignOuts, id, until)
	return err
}

// DashboardSessionRevoked reports whether the dashboard session id signed out.
func (s *Store) DashboardSessionRevoked(ctx context.Context, id string) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM api_nonces WHERE api_key = ? AND nonce = ?`, dashboardSignOuts, id).Scan(&n)
	return n > 0, err
}
