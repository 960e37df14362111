package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"meetd/internal/meet"
)

// Chat (doc/api.md, "Chat"; migration 015): a session's chat messages and the files shared in it.

const chatColumns = `m.msg_id, m.sid, m.room_id, m.from_user_id, m.from_name, m.to_user_id, m.message, m.sealed, m.file_id, m.sent_at,
	f.file_id, f.name, f.mime_type, f.size, f.created_at, f.user_id`

func scanChat(rows *sql.Rows) (*meet.ChatMessage, error) {
	var (
		m                       meet.ChatMessage
		sent                    int64
		fid, fname, fmime, fuid sql.NullString
		fsize, fcreated         sql.NullInt64
	)
	if err := rows.Scan(&m.MsgID, &m.SID, &m.RoomID, &m.FromUserID, &m.FromName, &m.ToUserID, &m.Message, &m.Sealed, &m.FileID, &sent,
		&fid, &fname, &fmime, &fsize, &fcreated, &fuid); err != nil {
		return nil, err
	}
	m.SentAt = time.UnixMilli(sent)
	if fid.Valid {
		m.File = &meet.ChatFile{FileID: fid.String, SID: m.SID, RoomID: m.RoomID, UserID: fuid.String, Name: fname.String,
			MimeType: fmime.String, Size: fsize.Int64, CreatedAt: time.UnixMilli(fcreated.Int64)}
	}
	return &m, nil
}

// AddChat stores a message of a running session (with its shared file, if f is not nil) and
// writes its events; false (nothing written) if the session has ended.
func (s *Store) AddChat(ctx context.Context, m *meet.ChatMessage, f *meet.ChatFile, events func(*meet.Session) []meet.Event) (bool, error) {
	added := false
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		if err := s.lockSession(ctx, tx, m.SID); err != nil {
			return nil, err
		}
		sess, err := first(querySessions(ctx, tx, `WHERE s.sid = ? AND s.ended_at IS NULL`, m.SID))
		if err != nil || sess == nil {
			return nil, err
		}
		if f != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO chat_files (file_id, sid, room_id, user_id, name, mime_type, size, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, f.FileID, f.SID, f.RoomID, f.UserID, f.Name, f.MimeType, f.Size, ms(f.CreatedAt)); err != nil {
				return nil, err
			}
		}
		// the session is locked: one message at a time takes the next number
		var seq int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM chat_messages WHERE sid = ?`, m.SID).Scan(&seq); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chat_messages (msg_id, sid, seq, room_id, from_user_id, from_name, to_user_id, message, sealed, file_id, sent_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.MsgID, m.SID, seq, m.RoomID, m.FromUserID, m.FromName, m.ToUserID, m.Message, m.Sealed, m.FileID, ms(m.SentAt)); err != nil {
			return nil, err
		}
		added = true
		if events == nil {
			return nil, nil
		}
		return events(sess), nil
	})
	if err != nil {
		return false, fmt.Errorf("add chat message %s: %w", m.MsgID, err)
	}
	return added, nil
}

// ChatMessages returns a session's chat, oldest first.
func (s *Store) ChatMessages(ctx context.Context, sid string) ([]*meet.ChatMessage, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+chatColumns+` FROM chat_messages m LEFT JOIN chat_files f ON f.file_id = m.file_id AND m.file_id <> ''
		WHERE m.sid = ? ORDER BY m.seq`, sid)
	return scanRows(rows, err, scanChat)
}

// ChatCount is how many messages a session's chat holds.
func (s *Store) ChatCount(ctx context.Context, sid string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM chat_messages WHERE sid = ?`, sid).Scan(&n)
	return n, err
}

// ChatFileMessage returns the message that shared a file (with the file); nil if unknown.
func (s *Store) ChatFileMessage(ctx context.Context, fileID string) (*meet.ChatMessage, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+chatColumns+` FROM chat_messages m JOIN chat_files f ON f.file_id = m.file_id
		WHERE m.file_id = ?`, fileID)
	list, err := scanRows(rows, err, scanChat)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// DeleteChat deletes a session's chat messages and file rows; it reports how many messages went.
func (s *Store) DeleteChat(ctx context.Context, sid string) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		res, err := tx.ExecContext(ctx, `DELETE FROM chat_messages WHERE sid = ?`, sid)
		if err != nil {
			return nil, err
		}
		n, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, `DELETE FROM chat_files WHERE sid = ?`, sid)
		return nil, err
	})
	if err != nil {
		return 0, fmt.Errorf("delete chat of %s: %w", sid, err)
	}
	return n, nil
}
