package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// Connection returns one participant connection of a session, At being when it joined; nil if unknown.
func (s *Store) Connection(ctx context.Context, sid, participantSID string) (*rooms.Presence, error) {
	var p rooms.Presence
	var at int64
	err := s.r.QueryRowContext(ctx, `SELECT p.participant_sid, p.user_id, coalesce(u.name, ''), p.joined_at
		FROM presence p LEFT JOIN session_users u ON u.sid = p.sid AND u.user_id = p.user_id
		WHERE p.sid = ? AND p.participant_sid = ?`, sid, participantSID).Scan(&p.ParticipantSID, &p.UserID, &p.Name, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p.At = time.UnixMilli(at)
	return &p, nil
}

// lateTrackEvent reports whether e is a track event of a participant whose connection the store
// has already closed (participant_left was written, or the session ended). LiveKit may report a
// track's end after the participant's, and the media server's reports race with an ending
// session; webhook receivers get an order that holds: no track event after its participant
// left or after room_finished. Checked in the transaction that would write the event, under the
// events lock on PostgreSQL (see tx), so it sees every change whose events were written before.
func lateTrackEvent(ctx context.Context, tx *txn, e meet.Event) (bool, error) {
	if (e.Event != meet.EventTrackPublished && e.Event != meet.EventTrackUnpublished) || e.Participant == nil || e.Room == nil {
		return false, nil
	}
	var late bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM presence WHERE sid = ?1 AND participant_sid = ?2 AND left_at IS NOT NULL)
		OR EXISTS (SELECT 1 FROM sessions WHERE sid = ?1 AND ended_at IS NOT NULL)`, e.Room.SID, e.Participant.SID).Scan(&late)
	return late, err
}
