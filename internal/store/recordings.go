package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"meetd/internal/meet"
	"meetd/internal/recorder"
)

var _ recorder.Store = (*Store)(nil)

// SetRecording sets a session's is_recording flag with its event; false if nothing changed (or,
// to switch it on, if the session has ended).
func (s *Store) SetRecording(ctx context.Context, sid string, on bool, event func(*meet.Session) meet.Event) (bool, error) {
	return s.setFlag(ctx, sid, "is_recording", on, event)
}

// SetRTMP sets a session's is_active_rtmp flag with its event; false if nothing changed (or, to
// switch it on, if the session has ended).
func (s *Store) SetRTMP(ctx context.Context, sid string, on bool, event func(*meet.Session) meet.Event) (bool, error) {
	return s.setFlag(ctx, sid, "is_active_rtmp", on, event)
}

// setFlag switches one of a session's flags (column is a constant of the callers above, never
// input) and writes its event when it changed.
func (s *Store) setFlag(ctx context.Context, sid, column string, on bool, event func(*meet.Session) meet.Event) (bool, error) {
	changed := false
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		q := fmt.Sprintf(`UPDATE sessions SET %s = FALSE WHERE sid = ? AND %s`, column, column)
		if on {
			q = fmt.Sprintf(`UPDATE sessions SET %s = TRUE WHERE sid = ? AND NOT %s AND ended_at IS NULL`, column, column)
		}
		res, err := tx.ExecContext(ctx, q, sid)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil
		}
		changed = true
		sess, err := first(querySessions(ctx, tx, `WHERE s.sid = ?`, sid))
		if err != nil || sess == nil {
			return nil, err
		}
		return []meet.Event{event(sess)}, nil
	})
	if err != nil {
		return false, fmt.Errorf("set %s of %s: %w", column, sid, err)
	}
	return changed, nil
}

// SaveRecording records a finished recording with its event.
func (s *Store) SaveRecording(ctx context.Context, r recorder.File, event func(*meet.Session) meet.Event) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		md := ""
		if r.Metadata.Title != nil || r.Metadata.Description != nil || len(r.Metadata.Subtitles) > 0 || len(r.Metadata.ExtraData) > 0 {
			md = r.Metadata.String()
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO recordings (record_id, sid, room_id, file_name, file_size, duration_ms, created_at, room_creation_time, metadata)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.RecordID, r.SID, r.RoomID, r.FileName, r.FileSize, r.Duration.Milliseconds(), ms(r.CreatedAt), ms(r.RoomCreationTime), md)
		if err != nil {
			return nil, err
		}
		sess, err := first(querySessions(ctx, tx, `WHERE s.sid = ?`, r.SID))
		if err != nil || sess == nil {
			return nil, err
		}
		return []meet.Event{event(sess)}, nil
	})
}

const recordingColumns = `record_id, sid, room_id, file_name, file_size, duration_ms, created_at, room_creation_time, metadata`

func scanRecording(row scanner) (recorder.File, error) {
	var f recorder.File
	var dur, created, roomCreated int64
	var md string
	err := row.Scan(&f.RecordID, &f.SID, &f.RoomID, &f.FileName, &f.FileSize, &dur, &created, &roomCreated, &md)
	f.Duration = time.Duration(dur) * time.Millisecond
	f.CreatedAt, f.RoomCreationTime = time.UnixMilli(created), time.UnixMilli(roomCreated)
	f.Metadata, _ = recorder.ParseMetadata(md) // written only by Metadata.String; unreadable reads as none
	return f, err
}

// Recording returns a recording; nil if there is none.
func (s *Store) Recording(ctx context.Context, recordID string) (*recorder.File, error) {
	f, err := scanRecording(s.r.QueryRowContext(ctx, `SELECT `+recordingColumns+` FROM recordings WHERE record_id = ?`, recordID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// Recordings lists recordings, of one session if f.SID is set.
func (s *Store) Recordings(ctx context.Context, f recorder.Filter) ([]recorder.File, int, error) {
	where, args := roomFilter("WHERE 1=1", "room_id", f.RoomIDs)
	if f.SID != "" {
		where += " AND sid = ?"
		args = append(args, f.SID)
	}
	var total int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM recordings "+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+recordingColumns+" FROM recordings "+where+orderPage(f.SessionFilter, "created_at", "record_id"),
		append(args, f.Limit, f.From)...)
	out, err := scanRows(rows, err, func(rows *sql.Rows) (recorder.File, error) { return scanRecording(rows) })
	return out, total, err
}

// DeleteRecording removes a recording's row; false if there was none.
func (s *Store) DeleteRecording(ctx context.Context, recordID string) (bool, error) {
	return s.changes(ctx, `DELETE FROM recordings WHERE record_id = ?`, recordID)
}

// SetRecordingMetadata replaces a recording's metadata; false if there is no such recording.
func (s *Store) SetRecordingMetadata(ctx context.Context, recordID, metadata string) (bool, error) {
	return s.changes(ctx, `UPDATE recordings SET metadata = ? WHERE record_id = ?`, metadata, recordID)
}
