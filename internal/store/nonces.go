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
