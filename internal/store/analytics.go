package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"meetd/internal/analytics"
	"meetd/internal/meet"
	"meetd/internal/rooms"
)

var _ analytics.Store = (*Store)(nil)

// SetActivity opens an interval of activity (a track muted, a participant speaking), or closes the
// open one; opening an open one or closing a closed one changes nothing.
func (s *Store) SetActivity(ctx context.Context, sid string, a rooms.Activity) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		var err error
		if a.On {
			_, err = tx.ExecContext(ctx, `INSERT INTO activity_intervals (sid, kind, item, user_id, started_at)
				SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM activity_intervals
					WHERE sid = ? AND kind = ? AND item = ? AND ended_at IS NULL)`,
				sid, a.Kind, a.Item, a.UserID, ms(a.At), sid, a.Kind, a.Item)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE activity_intervals SET ended_at = ?
				WHERE sid = ? AND kind = ? AND item = ? AND ended_at IS NULL`, ms(a.At), sid, a.Kind, a.Item)
		}
		return nil, err
	})
}

// TrackPublished opens a track's interval, and writes the track's events unless they come late
// (withoutLateTrackEvents).
func (s *Store) TrackPublished(ctx context.Context, sid, userID string, t meet.Track, at time.Time, events ...meet.Event) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		if err := s.lockSession(ctx, tx, sid); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO track_intervals (sid, track_sid, user_id, source, published_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (sid, track_sid) DO NOTHING`, sid, t.SID, userID, t.Source, ms(at)); err != nil {
			return nil, err
		}
		return withoutLateTrackEvents(ctx, tx, sid, events)
	})
}

// TrackUnpublished closes a track's interval, and writes the track's events unless they come
// late (withoutLateTrackEvents).
func (s *Store) TrackUnpublished(ctx context.Context, sid string, t meet.Track, at time.Time, events ...meet.Event) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		if err := s.lockSession(ctx, tx, sid); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE track_intervals SET unpublished_at = ? WHERE sid = ? AND track_sid = ? AND unpublished_at IS NULL`,
			ms(at), sid, t.SID); err != nil {
			return nil, err
		}
		return withoutLateTrackEvents(ctx, tx, sid, events)
	})
}

// PendingReports lists ended sessions with analytics on and no report yet. (On PostgreSQL the
// metadata is read as json, not jsonb: json takes every string Go's encoder writes.)
func (s *Store) PendingReports(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT s.sid FROM sessions s
		WHERE s.ended_at IS NOT NULL AND `+s.d.analyticsOn+`
		AND NOT EXISTS (SELECT 1 FROM analytics a WHERE a.sid = s.sid) ORDER BY s.ended_at`)
	return scanRows(rows, err, scanString)
}

// ReportInput returns what a session's attendance report is made of.
func (s *Store) ReportInput(ctx context.Context, sid string) (*analytics.Input, error) {
	sess, err := s.SessionBySID(ctx, sid)
	if err != nil || sess == nil {
		return nil, err
	}
	users, err := s.Users(ctx, sid)
	if err != nil {
		return nil, err
	}
	in := &analytics.Input{Session: sess, Users: users}
	rows, err := s.r.QueryContext(ctx, `SELECT user_id, participant_sid, '', joined_at, left_at FROM presence WHERE sid = ? ORDER BY joined_at`, sid)
	if in.Presence, err = scanRows(rows, err, scanInterval); err != nil {
		return nil, err
	}
	rows, err = s.r.QueryContext(ctx, `SELECT user_id, track_sid, source, published_at, unpublished_at FROM track_intervals WHERE sid = ? ORDER BY published_at`, sid)
	if in.Tracks, err = scanRows(rows, err, scanInterval); err != nil {
		return nil, err
	}
	for kind, list := range map[string]*[]analytics.Interval{rooms.ActivityMuted: &in.Muted, rooms.ActivityTalking: &in.Talking, rooms.ActivityHand: &in.Hands} {
		rows, err = s.r.QueryContext(ctx, `SELECT user_id, item, '', started_at, ended_at FROM activity_intervals
			WHERE sid = ? AND kind = ? ORDER BY started_at`, sid, kind)
		if *list, err = scanRows(rows, err, scanInterval); err != nil {
			return nil, err
		}
	}
	rows, err = s.r.QueryContext(ctx, `SELECT from_user_id, to_user_id <> '', file_id <> '', COUNT(*) FROM chat_messages
		WHERE sid = ? GROUP BY from_user_id, to_user_id <> '', file_id <> ''`, sid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	in.Chats = map[string]analytics.ChatCount{}
	for rows.Next() {
		var id string
		var private, file bool
		var n int
		if err := rows.Scan(&id, &private, &file, &n); err != nil {
			return nil, err
		}
		c := in.Chats[id]
		if private {
			c.Private += n
		} else {
			c.Public += n
		}
		if file {
			c.Files += n
		}
		in.Chats[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if in.Polls, err = s.Polls(ctx, sid); err != nil {
		return nil, err
	}
	if in.Votes, err = s.PollVotes(ctx, sid); err != nil {
		return nil, err
	}
	return in, nil
}

// scanInterval reads an interval: user_id, item, source (” but for tracks), from, to.
func scanInterval(rows *sql.Rows) (analytics.Interval, error) {
	var seg analytics.Interval
	var from int64
	var to sql.NullInt64
	err := rows.Scan(&seg.UserID, &seg.Item, &seg.Source, &from, &to)
	seg.From, seg.To = time.UnixMilli(from), fromMS(to)
	return seg, err
}

// SaveReport records a written report and its session's artifact, marks the session with the
// report, and writes the events.
func (s *Store) SaveReport(ctx context.Context, r analytics.File, a analytics.Artifact, events func(*meet.Session) []meet.Event) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		// Two processes may write the same report: the unique sid lets one row in, the other waits
		// for it and inserts nothing.
		res, err := tx.ExecContext(ctx, `INSERT INTO analytics (file_id, sid, room_id, file_name, file_size, created_at, room_creation_time)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sid) DO NOTHING`,
			r.FileID, r.SID, r.RoomID, r.FileName, r.FileSize, ms(r.CreatedAt), ms(r.RoomCreationTime))
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, analytics.ErrExists
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO artifacts (artifact_id, sid, room_id, type, file_name, file_size, mime_type, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ArtifactID, a.SID, a.RoomID, a.Type, a.FileName, a.FileSize, a.MimeType, ms(a.CreatedAt)); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET analytics_file_id = ? WHERE sid = ?`, r.FileID, r.SID); err != nil {
			return nil, err
		}
		sess, err := first(querySessions(ctx, tx, `WHERE s.sid = ?`, r.SID))
		if err != nil || sess == nil {
			return nil, err
		}
		return events(sess), nil
	})
}

const fileColumns = `file_id, sid, room_id, file_name, file_size, created_at, room_creation_time`

func scanFile(row scanner) (analytics.File, error) {
	var f analytics.File
	var created, roomCreated int64
	err := row.Scan(&f.FileID, &f.SID, &f.RoomID, &f.FileName, &f.FileSize, &created, &roomCreated)
	f.CreatedAt, f.RoomCreationTime = time.UnixMilli(created), time.UnixMilli(roomCreated)
	return f, err
}

// Report returns a report that was not deleted.
func (s *Store) Report(ctx context.Context, fileID string) (*analytics.File, error) {
	f, err := scanFile(s.r.QueryRowContext(ctx, `SELECT `+fileColumns+` FROM analytics WHERE file_id = ? AND deleted_at IS NULL`, fileID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// Reports lists reports that were not deleted.
func (s *Store) Reports(ctx context.Context, f meet.SessionFilter) ([]analytics.File, int, error) {
	where, args := roomFilter("WHERE deleted_at IS NULL", "room_id", f.RoomIDs)
	var total int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM analytics "+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+fileColumns+" FROM analytics "+where+orderPage(f, "created_at", "file_id"),
		append(args, f.Limit, f.From)...)
	out, err := scanRows(rows, err, func(rows *sql.Rows) (analytics.File, error) { return scanFile(rows) })
	return out, total, err
}

// DeleteReport marks a report deleted and takes it off its session; false if there was none.
func (s *Store) DeleteReport(ctx context.Context, fileID string, at time.Time) (bool, error) {
	deleted := false
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		res, err := tx.ExecContext(ctx, `UPDATE analytics SET deleted_at = ? WHERE file_id = ? AND deleted_at IS NULL`, ms(at), fileID)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil
		}
		deleted = true
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET analytics_file_id = '' WHERE analytics_file_id = ?`, fileID)
		return nil, err
	})
	if err != nil {
		return false, fmt.Errorf("delete report %s: %w", fileID, err)
	}
	return deleted, nil
}

// Attendance lists participant connections across sessions.
func (s *Store) Attendance(ctx context.Context, q analytics.AttendanceQuery) ([]analytics.AttendanceRow, error) {
	where, args := []string{"1=1"}, []any{}
	if q.RoomID != "" {
		where, args = append(where, "s.room_id = ?"), append(args, q.RoomID)
	}
	if q.UserID != "" {
		where, args = append(where, "p.user_id = ?"), append(args, q.UserID)
	}
	if !q.From.IsZero() {
		where, args = append(where, "coalesce(p.left_at, ?) >= ?"), append(args, ms(time.Now()), ms(q.From))
	}
	if !q.To.IsZero() {
		where, args = append(where, "p.joined_at <= ?"), append(args, ms(q.To))
	}
	rows, err := s.r.QueryContext(ctx, `SELECT s.room_id, s.sid, `+s.d.roomTitle+`, p.user_id,
			coalesce(u.name, ''), coalesce(u.is_admin, FALSE), p.joined_at, p.left_at
		FROM presence p JOIN sessions s ON s.sid = p.sid
		LEFT JOIN session_users u ON u.sid = p.sid AND u.user_id = p.user_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY p.joined_at, p.participant_sid LIMIT ?`, append(args, q.Limit)...)
	return scanRows(rows, err, func(rows *sql.Rows) (analytics.AttendanceRow, error) {
		var r analytics.AttendanceRow
		var joined int64
		var left sql.NullInt64
		err := rows.Scan(&r.RoomID, &r.SID, &r.RoomTitle, &r.UserID, &r.Name, &r.IsAdmin, &joined, &left)
		r.JoinedAt, r.LeftAt = time.UnixMilli(joined), fromMS(left)
		return r, err
	})
}
