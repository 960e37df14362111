package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"meetd/internal/bbbdata"
	"meetd/internal/meet"
)

// The BigBlueButton API's recordings (migration 013, doc/bbb.md "Recordings"): one row per
// session that recorded, made by the BBB feed (BBBFeed) when the session's recording starts.

const bbbRecordingColumns = `record_id, sid, room_id, meeting_id, name, is_breakout, published, protected, metadata, start_time, created_at`

func scanBBBRecording(row scanner) (bbbdata.Recording, error) {
	var r bbbdata.Recording
	var md string
	var start, created int64
	if err := row.Scan(&r.RecordID, &r.SID, &r.RoomID, &r.MeetingID, &r.Name, &r.IsBreakout, &r.Published, &r.Protected, &md, &start, &created); err != nil {
		return r, err
	}
	r.StartTime, r.CreatedAt = time.UnixMilli(start), time.UnixMilli(created)
	if err := json.Unmarshal([]byte(md), &r.Metadata); err != nil {
		return r, fmt.Errorf("recording %s metadata: %w", r.RecordID, err)
	}
	if r.Metadata == nil {
		r.Metadata = map[string]string{}
	}
	return r, nil
}

func metadataJSON(m map[string]string) (string, error) {
	if m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// insertBBBRecording adds a recording unless its session (or record id) has one.
func insertBBBRecording(ctx context.Context, tx *txn, r bbbdata.Recording) error {
	md, err := metadataJSON(r.Metadata)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO bbb_recordings (`+bbbRecordingColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		r.RecordID, r.SID, r.RoomID, r.MeetingID, r.Name, r.IsBreakout, r.Published, r.Protected, md, ms(r.StartTime), ms(r.CreatedAt))
	return err
}

// BBBAddRecording adds a recording; false if its session or record id has one already.
func (s *Store) BBBAddRecording(ctx context.Context, r bbbdata.Recording) (bool, error) {
	added := false
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM bbb_recordings WHERE record_id = ? OR sid = ?`, r.RecordID, r.SID).Scan(&n); err != nil || n > 0 {
			return nil, err
		}
		added = true
		return nil, insertBBBRecording(ctx, tx, r)
	})
	return added, err
}

// BBBRecording returns a recording by its record id; nil if there is none.
func (s *Store) BBBRecording(ctx context.Context, recordID string) (*bbbdata.Recording, error) {
	r, err := scanBBBRecording(s.r.QueryRowContext(ctx, `SELECT `+bbbRecordingColumns+` FROM bbb_recordings WHERE record_id = ?`, recordID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// BBBRecordingOfSession returns a session's recording; nil if it has none.
func (s *Store) BBBRecordingOfSession(ctx context.Context, sid string) (*bbbdata.Recording, error) {
	r, err := scanBBBRecording(s.r.QueryRowContext(ctx, `SELECT `+bbbRecordingColumns+` FROM bbb_recordings WHERE sid = ?`, sid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// BBBRecordings lists recordings, oldest first: those whose record id starts with one of
// recordIDs if any is given, else those of the meetings meetingIDs if any is given, else all.
func (s *Store) BBBRecordings(ctx context.Context, meetingIDs, recordIDs []string) ([]bbbdata.Recording, error) {
	var where []string
	var args []any
	switch {
	case len(recordIDs) > 0:
		for _, id := range recordIDs {
			where = append(where, "substr(record_id, 1, ?) = ?")
			args = append(args, len(id), id)
		}
	case len(meetingIDs) > 0:
		where = append(where, "meeting_id IN (?"+strings.Repeat(",?", len(meetingIDs)-1)+")")
		for _, id := range meetingIDs {
			args = append(args, id)
		}
	}
	q := `SELECT ` + bbbRecordingColumns + ` FROM bbb_recordings`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " OR ")
	}
	rows, err := s.r.QueryContext(ctx, q+" ORDER BY start_time, record_id", args...)
	return scanRows(rows, err, func(rows *sql.Rows) (bbbdata.Recording, error) { return scanBBBRecording(rows) })
}

// BBBUpdateRecordings changes recordings in one transaction: change is called with each (as
// stored) and its result is written. false, and nothing changed, if one of them does not exist.
func (s *Store) BBBUpdateRecordings(ctx context.Context, recordIDs []string, change func(*bbbdata.Recording)) (bool, error) {
	found := true
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		var list []bbbdata.Recording
		for _, id := range recordIDs {
			r, err := scanBBBRecording(tx.QueryRowContext(ctx, `SELECT `+bbbRecordingColumns+` FROM bbb_recordings WHERE record_id = ?`+s.d.forUpdate, id))
			if errors.Is(err, sql.ErrNoRows) {
				found = false
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			list = append(list, r)
		}
		for _, r := range list {
			change(&r)
			md, err := metadataJSON(r.Metadata)
			if err != nil {
				return nil, err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE bbb_recordings SET published = ?, protected = ?, metadata = ? WHERE record_id = ?`,
				r.Published, r.Protected, md, r.RecordID); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err != nil {
		return false, fmt.Errorf("update recordings: %w", err)
	}
	return found, nil
}

// BBBDeleteRecording removes a recording's row; false if there was none.
func (s *Store) BBBDeleteRecording(ctx context.Context, recordID string) (bool, error) {
	return s.changes(ctx, `DELETE FROM bbb_recordings WHERE record_id = ?`, recordID)
}
