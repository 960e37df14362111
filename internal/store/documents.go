package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"meetd/internal/meet"
)

// Shared documents (doc/api.md, "Shared notes"; migration 016): a session's documents by name,
// their updates in order, and the latest rendering a page posted.

const documentColumns = `sid, name, room_id, seq, size, rendering, render_seq, created_at, updated_at, updated_by`

func scanDocument(rows *sql.Rows) (*meet.Document, error) {
	var d meet.Document
	var created, updated int64
	if err := rows.Scan(&d.SID, &d.Name, &d.RoomID, &d.Seq, &d.Size, &d.Rendering, &d.RenderSeq, &created, &updated, &d.UpdatedBy); err != nil {
		return nil, err
	}
	d.CreatedAt, d.UpdatedAt = time.UnixMilli(created), time.UnixMilli(updated)
	return &d, nil
}

// Document returns a session's document; nil if it has none of that name.
func (s *Store) Document(ctx context.Context, sid, name string) (*meet.Document, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+documentColumns+` FROM documents WHERE sid = ? AND name = ?`, sid, name)
	list, err := scanRows(rows, err, scanDocument)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// DocUpdates returns a document's updates after seq after, in order (a compacted document's
// first is its snapshot).
func (s *Store) DocUpdates(ctx context.Context, sid, name string, after int64) ([]meet.DocUpdate, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, data, user_id FROM document_updates WHERE sid = ? AND name = ? AND seq > ? ORDER BY seq`, sid, name, after)
	return scanRows(rows, err, func(rows *sql.Rows) (meet.DocUpdate, error) {
		var u meet.DocUpdate
		var data string
		if err := rows.Scan(&u.Seq, &data, &u.UserID); err != nil {
			return u, err
		}
		b, err := base64.StdEncoding.DecodeString(data)
		u.Data = b
		return u, err
	})
}

// errDocFull stops an append that would pass the size limit.
var errDocFull = errors.New("document full")

// AppendDocUpdate appends an update to a document of a running session (making the document at
// its first update) and returns its seq; 0 if the session has ended. An update that would make
// the document keep more than maxSize bytes is refused (CONFLICT).
func (s *Store) AppendDocUpdate(ctx context.Context, sid, roomID, name, userID string, data []byte, at time.Time, maxSize int64) (int64, error) {
	var seq int64
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		if err := s.lockSession(ctx, tx, sid); err != nil {
			return nil, err
		}
		sess, err := first(querySessions(ctx, tx, `WHERE s.sid = ? AND s.ended_at IS NULL`, sid))
		if err != nil || sess == nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO documents (sid, name, room_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (sid, name) DO NOTHING`,
			sid, name, roomID, ms(at), ms(at)); err != nil {
			return nil, err
		}
		var last, size int64
		if err := tx.QueryRowContext(ctx, `SELECT seq, size FROM documents WHERE sid = ? AND name = ?`, sid, name).Scan(&last, &size); err != nil {
			return nil, err
		}
		if size+int64(len(data)) > maxSize {
			return nil, errDocFull
		}
		seq = last + 1
		if _, err := tx.ExecContext(ctx, `INSERT INTO document_updates (sid, name, seq, data, size, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			sid, name, seq, base64.StdEncoding.EncodeToString(data), len(data), userID, ms(at)); err != nil {
			return nil, err
		}
		_, err = tx.ExecContext(ctx, `UPDATE documents SET seq = ?, size = size + ?, updated_at = ?, updated_by = ? WHERE sid = ? AND name = ?`,
			seq, len(data), ms(at), userID, sid, name)
		return nil, err
	})
	if errors.Is(err, errDocFull) {
		return 0, meet.Errorf(meet.CodeConflict, "document %s is full (%d bytes): it must be compacted first", name, maxSize)
	}
	if err != nil {
		return 0, fmt.Errorf("append to document %s of %s: %w", name, sid, err)
	}
	return seq, nil
}

// SetDocRendering keeps a rendering of a document showing its updates up to seq, unless it keeps
// one of a later seq already; false if it did not.
func (s *Store) SetDocRendering(ctx context.Context, sid, name string, seq int64, rendering string) (bool, error) {
	var n int64
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		res, err := tx.ExecContext(ctx, `UPDATE documents SET rendering = ?, render_seq = ? WHERE sid = ? AND name = ? AND render_seq <= ? AND seq >= ?`,
			rendering, seq, sid, name, seq, seq)
		if err != nil {
			return nil, err
		}
		n, err = res.RowsAffected()
		return nil, err
	})
	if err != nil {
		return false, fmt.Errorf("rendering of document %s of %s: %w", name, sid, err)
	}
	return n > 0, nil
}

// CompactDoc replaces a document's updates up to seq upTo by snapshot, kept at seq upTo; false if
// the document has no update upTo (or was compacted past it).
func (s *Store) CompactDoc(ctx context.Context, sid, name string, upTo int64, snapshot []byte) (bool, error) {
	done := false
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		if err := s.lockSession(ctx, tx, sid); err != nil {
			return nil, err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM document_updates WHERE sid = ? AND name = ? AND seq = ?`, sid, name, upTo).Scan(&n); err != nil || n == 0 {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM document_updates WHERE sid = ? AND name = ? AND seq <= ?`, sid, name, upTo); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO document_updates (sid, name, seq, data, size, user_id, created_at) VALUES (?, ?, ?, ?, ?, '', ?)`,
			sid, name, upTo, base64.StdEncoding.EncodeToString(snapshot), len(snapshot), ms(time.Now())); err != nil {
			return nil, err
		}
		var size int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM document_updates WHERE sid = ? AND name = ?`, sid, name).Scan(&size); err != nil {
			return nil, err
		}
		_, err := tx.ExecContext(ctx, `UPDATE documents SET size = ? WHERE sid = ? AND name = ?`, size, sid, name)
		done = err == nil
		return nil, err
	})
	if err != nil {
		return false, fmt.Errorf("compact document %s of %s: %w", name, sid, err)
	}
	return done, nil
}

// DocUpdateCount is the number of updates a document keeps.
func (s *Store) DocUpdateCount(ctx context.Context, sid, name string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM document_updates WHERE sid = ? AND name = ?`, sid, name).Scan(&n)
	return n, err
}
