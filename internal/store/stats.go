package store

import (
	"context"
	"database/sql"
	"time"

	"meetd/internal/meet"
)

// Stats counts what runs now: rooms, connections, recordings, broadcasts, and the webhook queue.
func (s *Store) Stats(ctx context.Context) (meet.Stats, error) {
	var st meet.Stats
	err := s.r.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE is_recording), count(*) FILTER (WHERE is_active_rtmp)
		FROM sessions WHERE ended_at IS NULL`).Scan(&st.RoomsActive, &st.Recordings, &st.Broadcasts)
	if err != nil {
		return st, err
	}
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM presence WHERE left_at IS NULL`).Scan(&st.ParticipantsConnected); err != nil {
		return st, err
	}
	var oldest sql.NullInt64
	err = s.r.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM deliveries WHERE status = 'pending'),
			(SELECT count(*) FROM deliveries WHERE status = 'failed'),
			(SELECT min(queued_at) FROM deliveries WHERE status = 'pending')`).Scan(&st.WebhooksPending, &st.WebhooksFailed, &oldest)
	if err != nil {
		return st, err
	}
	if oldest.Valid {
		st.OldestPendingWebhook = time.Since(time.UnixMilli(oldest.Int64))
	}
	return st, nil
}
