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

// withoutLateTrackEvents drops the track events of a participant whose connection the store has
// already closed (participant_left was written, or the session ended). LiveKit may report a
// track's end after the participant's, and the media server's reports race with an ending
// session; webhook receivers get an order that holds: no track event after its participant left
// or after room_finished. TrackPublished and TrackUnpublished, the writers of track events, call
// it after locking the session's row (lockSession), which every change to its connections and
// its end take too: the check sees each such change that committed before, and none can commit
// between the check and the track event.
func withoutLateTrackEvents(ctx context.Context, tx *txn, sid string, events []meet.Event) ([]meet.Event, error) {
	var kept []meet.Event
	for _, e := range events {
		if e.Participant != nil {
			var late bool
			err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM presence WHERE sid = ?1 AND participant_sid = ?2 AND left_at IS NOT NULL)
				OR EXISTS (SELECT 1 FROM sessions WHERE sid = ?1 AND ended_at IS NOT NULL)`, sid, e.Participant.SID).Scan(&late)
			if err != nil {
				return nil, err
			}
			if late {
				continue
			}
		}
		kept = append(kept, e)
	}
	return kept, nil
}
