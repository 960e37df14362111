package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"meetd/internal/bbbdata"
	"meetd/internal/meet"
)

// The BigBlueButton API's hooks (migration 014, doc/bbb.md "Hooks") and its feed: the events
// after the cursor 'bbb' turned into BBB callbacks, which are events of their own
// (bbbdata.CallbackEvent) that the outbox delivers to their URL.

const bbbHookColumns = `id, callback_url, meeting_id, event_ids, permanent, raw, after_seq, created_at`

func scanBBBHook(row scanner) (bbbdata.Hook, error) {
	var h bbbdata.Hook
	var events string
	var created int64
	err := row.Scan(&h.ID, &h.CallbackURL, &h.MeetingID, &events, &h.Permanent, &h.Raw, &h.AfterSeq, &created)
	if events != "" {
		h.EventIDs = strings.Split(events, ",")
	}
	h.CreatedAt = time.UnixMilli(created)
	return h, err
}

// BBBCreateHook adds a hook that gets the events written after it; if a hook has its callback
// URL already, that one is returned with created false.
func (s *Store) BBBCreateHook(ctx context.Context, h bbbdata.Hook) (bbbdata.Hook, bool, error) {
	created := false
	var out bbbdata.Hook
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		old, err := scanBBBHook(tx.QueryRowContext(ctx, `SELECT `+bbbHookColumns+` FROM bbb_hooks WHERE callback_url = ?`, h.CallbackURL))
		if err == nil {
			out = old
			return nil, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		// The newest event now: on PostgreSQL a transaction writing events holds the events'
		// lock until it commits, so taking it here orders this hook after them.
		if s.d.lockEvents != nil {
			if err := s.d.lockEvents(ctx, tx); err != nil {
				return nil, err
			}
		}
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM events`).Scan(&h.AfterSeq); err != nil {
			return nil, err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO bbb_hooks (callback_url, meeting_id, event_ids, permanent, raw, after_seq, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			h.CallbackURL, h.MeetingID, strings.Join(h.EventIDs, ","), h.Permanent, h.Raw, h.AfterSeq, ms(h.CreatedAt)).Scan(&h.ID); err != nil {
			return nil, err
		}
		created, out = true, h
		return nil, nil
	})
	if err != nil {
		return bbbdata.Hook{}, false, fmt.Errorf("create hook: %w", err)
	}
	return out, created, nil
}

// BBBHooks lists the hooks by id.
func (s *Store) BBBHooks(ctx context.Context) ([]bbbdata.Hook, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+bbbHookColumns+` FROM bbb_hooks ORDER BY id`)
	return scanRows(rows, err, func(rows *sql.Rows) (bbbdata.Hook, error) { return scanBBBHook(rows) })
}

// BBBDeleteHook removes a hook; false if there is none.
func (s *Store) BBBDeleteHook(ctx context.Context, id int64) (bool, error) {
	return s.changes(ctx, `DELETE FROM bbb_hooks WHERE id = ?`, id)
}

// BBBFeed turns up to limit events after the cursor 'bbb' (its own callbacks left out), oldest
// first, into what turn makes of them, and writes that (recordings added unless their session
// has one, callbacks as events of bbbdata.CallbackEvent) in the transaction that moves the
// cursor: no event is fed twice or skipped. turn runs inside the transaction and may read the
// store. It reports how many events it consumed (moved the cursor past): fewer than it read if
// turn held the feed (bbbdata.Feed.Hold).
func (s *Store) BBBFeed(ctx context.Context, limit int, turn func([]bbbdata.FeedEvent) (bbbdata.Feed, error)) (int, error) {
	// Nothing new (most wake-ups): no write transaction.
	var cursor, newest int64
	if err := s.r.QueryRowContext(ctx, `SELECT (SELECT seq FROM webhook_cursor WHERE name = 'bbb'), (SELECT coalesce(max(seq), 0) FROM events)`).Scan(&cursor, &newest); err != nil {
		return 0, fmt.Errorf("feed BBB callbacks: %w", err)
	}
	if newest <= cursor {
		return 0, nil
	}
	n, wrote := 0, false
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		var cursor int64
		if err := tx.QueryRowContext(ctx, `SELECT seq FROM webhook_cursor WHERE name = 'bbb'`+s.d.forUpdate).Scan(&cursor); err != nil {
			return nil, err
		}
		rows, err := tx.QueryContext(ctx, `SELECT seq, id, name, room_id, sid, body, created_at FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, cursor, limit)
		events, err := scanRows(rows, err, func(rows *sql.Rows) (bbbdata.FeedEvent, error) {
			var e bbbdata.FeedEvent
			var body string
			err := rows.Scan(&e.Seq, &e.ID, &e.Name, &e.RoomID, &e.SID, &body, &e.CreatedAt)
			e.Body = []byte(body)
			return e, err
		})
		if err != nil || len(events) == 0 {
			return nil, err
		}
		n = len(events)
		last := events[len(events)-1].Seq
		mine := events[:0:0]
		for _, e := range events {
			if e.Name != bbbdata.CallbackEvent {
				mine = append(mine, e)
			}
		}
		var feed bbbdata.Feed
		if len(mine) > 0 {
			if feed, err = turn(mine); err != nil {
				return nil, err
			}
		}
		for _, r := range feed.Recordings {
			if err := insertBBBRecording(ctx, tx, r); err != nil {
				return nil, err
			}
		}
		if len(feed.Callbacks) > 0 {
			if s.d.lockEvents != nil {
				if err := s.d.lockEvents(ctx, tx); err != nil {
					return nil, err
				}
			}
			for _, c := range feed.Callbacks {
				if _, err := tx.ExecContext(ctx, `INSERT INTO events (id, room_id, sid, name, body, created_at, webhook_url) VALUES (?, ?, ?, ?, ?, ?, ?)`,
					c.ID, c.RoomID, c.SID, bbbdata.CallbackEvent, string(c.Body), c.CreatedAt, c.URL); err != nil {
					return nil, err
				}
			}
			wrote = true
		}
		if feed.Hold {
			n = 0
			for _, e := range events {
				if e.Seq <= feed.Through {
					n++
				}
			}
			last = max(cursor, feed.Through)
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhook_cursor SET seq = ? WHERE name = 'bbb'`, last)
		return nil, err
	})
	if err != nil {
		return 0, fmt.Errorf("feed BBB callbacks: %w", err)
	}
	if wrote && s.onEvents != nil {
		s.onEvents()
	}
	return n, nil
}
