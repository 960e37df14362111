package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"meetd/internal/meet"
)

// APIWire returns the dialect apiKey last showed ("docs" or "protojson"), or "" if none
// (doc/api.md, "Two dialects").
func (s *Store) APIWire(ctx context.Context, apiKey string) (string, error) {
	var wire string
	err := s.r.QueryRowContext(ctx, `SELECT wire FROM api_wires WHERE api_key = ?`, apiKey).Scan(&wire)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return wire, err
}

// SetAPIWire records the dialect apiKey showed at at.
func (s *Store) SetAPIWire(ctx context.Context, apiKey, wire string, at time.Time) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_wires (api_key, wire, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (api_key) DO UPDATE SET wire = excluded.wire, updated_at = excluded.updated_at
			WHERE api_wires.updated_at <= excluded.updated_at`, apiKey, wire, ms(at))
		return nil, err
	})
}
