package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"meetd/internal/meet"
)

// E2EEKey returns the end-to-end encryption key of a session, or "" if it has none
// (migration 011; doc/api.md, "End-to-end encryption").
func (s *Store) E2EEKey(ctx context.Context, sid string) (string, error) {
	var key string
	err := s.r.QueryRowContext(ctx, `SELECT e2ee_key FROM session_keys WHERE sid = ?`, sid).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return key, err
}

// PutE2EEKey gives a session the key unless it has one, and returns the session's key: the first
// writer wins, so two meetd that join the first participants at once hand out the same key.
func (s *Store) PutE2EEKey(ctx context.Context, sid, key string, at time.Time) (string, error) {
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO session_keys (sid, e2ee_key, created_at) VALUES (?, ?, ?)
			ON CONFLICT (sid) DO NOTHING`, sid, key, ms(at))
		return nil, err
	})
	if err != nil {
		return "", err
	}
	return s.E2EEKey(ctx, sid)
}
