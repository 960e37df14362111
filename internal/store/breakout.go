package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"meetd/internal/meet"
)

// Breakout rooms (doc/api.md, "Breakout rooms"): the table breakout_rooms (migration 009) beside
// the sessions of the breakout rooms. A round of breakout rooms is the rows of a parent session
// whose closed_at is unset; it is closed, once, when its last breakout room has ended.

const breakoutColumns = `b.sid, b.room_id, b.parent_sid, b.parent_room_id, b.title, b.users, b.created_at, b.ends_at,
	(SELECT count(*) FROM sessions c WHERE c.sid = b.sid AND c.ended_at IS NULL)`

func scanBreakout(rows *sql.Rows) (meet.Breakout, error) {
	var (
		b               meet.Breakout
		users           string
		created, endsAt int64
		running         int
	)
	if err := rows.Scan(&b.SID, &b.RoomID, &b.ParentSID, &b.ParentRoomID, &b.Title, &users, &created, &endsAt, &running); err != nil {
		return b, err
	}
	if err := json.Unmarshal([]byte(users), &b.Users); err != nil {
		return b, fmt.Errorf("breakout room %s: users: %w", b.SID, err)
	}
	b.CreatedAt, b.EndsAt, b.Running = time.UnixMilli(created), time.UnixMilli(endsAt), running > 0
	return b, nil
}

const breakoutOrder = ` ORDER BY b.created_at, length(b.room_id), b.room_id`

// CreateBreakouts starts a round of breakout rooms of the running session parentSID: for each one
// its session (sessions[i]) and its row (list[i]), with the events of events, in one transaction.
// CONFLICT if the parent has a round open or a breakout room's room_id has a running session;
// ROOM_NOT_ACTIVE if the parent has ended.
func (s *Store) CreateBreakouts(ctx context.Context, parentSID string, list []meet.Breakout, sessions []*meet.Session, events []meet.Event) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		if err := s.lockSession(ctx, tx, parentSID); err != nil {
			return nil, err
		}
		var ended sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT ended_at FROM sessions WHERE sid = ?`, parentSID).Scan(&ended); err != nil {
			return nil, err
		}
		if ended.Valid {
			return nil, meet.ErrRoomNotActive
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM breakout_rooms WHERE parent_sid = ? AND closed_at IS NULL`, parentSID).Scan(&open); err != nil {
			return nil, err
		}
		if open > 0 {
			return nil, meet.Errorf(meet.CodeConflict, "this room has breakout rooms already: end them first")
		}
		for i, b := range list {
			sess := sessions[i]
			res, err := tx.ExecContext(ctx, `INSERT INTO sessions (sid, room_id, metadata, max_participants, empty_timeout, created_at)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (room_id) WHERE ended_at IS NULL DO NOTHING`,
				sess.SID, sess.RoomID, meet.JSON(sess.Metadata), sess.MaxParticipants, sess.EmptyTimeout, ms(sess.CreatedAt))
			if err != nil {
				return nil, err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return nil, meet.Errorf(meet.CodeConflict, "room %s is running: it cannot be a breakout room", sess.RoomID)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO breakout_rooms (sid, room_id, parent_sid, parent_room_id, title, users, created_at, ends_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, b.SID, b.RoomID, b.ParentSID, b.ParentRoomID, b.Title, meet.JSON(b.Users),
				ms(b.CreatedAt), ms(b.EndsAt)); err != nil {
				return nil, err
			}
		}
		return events, nil
	})
}

// Breakouts lists the breakout rooms of a parent session: the open round's, or with all every
// round's.
func (s *Store) Breakouts(ctx context.Context, parentSID string, all bool) ([]meet.Breakout, error) {
	where := ` WHERE b.parent_sid = ? AND b.closed_at IS NULL`
	if all {
		where = ` WHERE b.parent_sid = ?`
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+breakoutColumns+` FROM breakout_rooms b`+where+breakoutOrder, parentSID)
	return scanRows(rows, err, scanBreakout)
}

// Breakout returns the breakout room whose session is sid; nil if sid is no breakout room's.
func (s *Store) Breakout(ctx context.Context, sid string) (*meet.Breakout, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+breakoutColumns+` FROM breakout_rooms b WHERE b.sid = ?`, sid)
	list, err := scanRows(rows, err, scanBreakout)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return &list[0], nil
}

// DueBreakouts lists the breakout rooms of open rounds that are due at now: their time is up, their
// parent has ended, or they have ended (their round waits to be closed).
func (s *Store) DueBreakouts(ctx context.Context, now time.Time) ([]meet.Breakout, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+breakoutColumns+` FROM breakout_rooms b
		WHERE b.closed_at IS NULL AND (b.ends_at <= ? OR EXISTS (SELECT 1 FROM sessions p WHERE p.sid = b.parent_sid AND p.ended_at IS NOT NULL)
			OR NOT EXISTS (SELECT 1 FROM sessions c WHERE c.sid = b.sid AND c.ended_at IS NULL))`+breakoutOrder, ms(now))
	return scanRows(rows, err, scanBreakout)
}

// ExtendBreakouts moves the end of the open round's breakout rooms of parentSID by d (of the one
// whose session is sid, unless sid is empty), and writes the events of the rooms moved. It returns
// those rooms; none if nothing matched.
func (s *Store) ExtendBreakouts(ctx context.Context, parentSID, sid string, d time.Duration, events func([]meet.Breakout) []meet.Event) ([]meet.Breakout, error) {
	var moved []meet.Breakout
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		if _, err := tx.ExecContext(ctx, `UPDATE breakout_rooms SET ends_at = ends_at + ?
			WHERE parent_sid = ? AND closed_at IS NULL AND (sid = ?3 OR ?3 = '')`, d.Milliseconds(), parentSID, sid); err != nil {
			return nil, err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+breakoutColumns+` FROM breakout_rooms b
			WHERE b.parent_sid = ? AND b.closed_at IS NULL AND (b.sid = ?2 OR ?2 = '')`+breakoutOrder, parentSID, sid)
		if moved, err = scanRows(rows, err, scanBreakout); err != nil || len(moved) == 0 {
			return nil, err
		}
		return events(moved), nil
	})
	return moved, err
}

// CloseBreakouts closes the open round of parentSID once none of its breakout rooms runs, with the
// events of events; false if there was no such round or one of its rooms still runs. A parent left
// empty gets a fresh departure window from at: its participants are on their way back.
func (s *Store) CloseBreakouts(ctx context.Context, parentSID string, at time.Time, events func(*meet.Session, []meet.Breakout) []meet.Event) (bool, error) {
	closed := false
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		if err := s.lockSession(ctx, tx, parentSID); err != nil {
			return nil, err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+breakoutColumns+` FROM breakout_rooms b WHERE b.parent_sid = ? AND b.closed_at IS NULL`+breakoutOrder, parentSID)
		list, err := scanRows(rows, err, scanBreakout)
		if err != nil || len(list) == 0 {
			return nil, err
		}
		for _, b := range list {
			if b.Running {
				return nil, nil
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE breakout_rooms SET closed_at = ? WHERE parent_sid = ? AND closed_at IS NULL`, ms(at), parentSID); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET last_left_at = ?
			WHERE sid = ? AND ended_at IS NULL AND last_left_at IS NOT NULL AND last_left_at < ?1`, ms(at), parentSID); err != nil {
			return nil, err
		}
		parent, err := first(querySessions(ctx, tx, `WHERE s.sid = ?`, parentSID))
		if err != nil || parent == nil {
			return nil, err
		}
		closed = true
		return events(parent, list), nil
	})
	return closed, err
}
