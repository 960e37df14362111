package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"meetd/internal/meet"
	"meetd/internal/outbox"
)

var _ outbox.Store = (*Store)(nil)

// The webhook deliveries: one row per event and URL. The cursor says up to which event seq the
// events have been fanned out into deliveries; it moves in the transaction that inserts them.
// On a database that had events before webhooks existed, the cursor starts after them.
//
// Order per room and URL: only the oldest pending delivery of a (room_id, url) has a
// next_attempt_at; the others wait with NULL and get one when it is delivered or failed.
const outboxSchema = `
CREATE TABLE IF NOT EXISTS webhook_cursor (
	name TEXT PRIMARY KEY,
	seq  INTEGER NOT NULL
);
INSERT OR IGNORE INTO webhook_cursor (name, seq) SELECT 'deliveries', coalesce(max(seq), 0) FROM events;

CREATE TABLE IF NOT EXISTS deliveries (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	event_seq        INTEGER NOT NULL,
	event_id         TEXT NOT NULL,
	event_name       TEXT NOT NULL,
	room_id          TEXT NOT NULL,
	url              TEXT NOT NULL,
	status           TEXT NOT NULL DEFAULT 'pending', -- pending, delivered, failed
	attempts         INTEGER NOT NULL DEFAULT 0,
	last_status_code INTEGER NOT NULL DEFAULT 0,
	last_error       TEXT NOT NULL DEFAULT '',
	next_attempt_at  INTEGER, -- Unix ms; NULL while waiting behind an earlier delivery, and once done
	lease_until      INTEGER, -- Unix ms; an attempt is in flight until then
	last_attempt_at  INTEGER,
	queued_at        INTEGER NOT NULL, -- its age (webhooks.max_age) counts from here
	delivered_at     INTEGER,
	UNIQUE (event_id, url)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending' AND next_attempt_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS deliveries_queue ON deliveries(room_id, url, id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_room ON deliveries(room_id, id);
CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries(status, id);
`

// OnEvents sets a function called after every commit that wrote events (the dispatcher's wake-up).
// Set it before the store is used.
func (s *Store) OnEvents(f func()) { s.onEvents = f }

// outboxStmts are the dispatcher's statements, prepared once (SQLite's parser costs more than
// these queries): with them a delivery costs about half the CPU.
type outboxStmts struct {
	once                                                   sync.Once
	err                                                    error
	enqueue, claim, bodies, record, promote, release, next *sql.Stmt
}

// outbox returns the prepared statements, preparing them the first time. Call it outside a
// transaction: the writer has one connection, which a transaction holds.
func (s *Store) outbox() (*outboxStmts, error) {
	o := &s.ob
	o.once.Do(func() {
		ctx := context.Background()
		prepare := func(db *sql.DB, q string) *sql.Stmt {
			if o.err != nil {
				return nil
			}
			var st *sql.Stmt
			st, o.err = db.PrepareContext(ctx, q)
			return st
		}
		o.enqueue = prepare(s.w, `INSERT INTO deliveries (event_seq, event_id, event_name, room_id, url, queued_at, next_attempt_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN EXISTS (SELECT 1 FROM deliveries WHERE room_id = ?4 AND url = ?5 AND status = 'pending')
				THEN NULL ELSE ?6 END)
			ON CONFLICT (event_id, url) DO NOTHING`)
		// The oldest due deliveries not in flight, at most ?3 in all and at most ?4 per URL less
		// those in flight to it (the JSON object ?5 of URL → count). Only the heads of the queues
		// are in deliveries_due, read in order: a claim costs the rows it takes, not the backlog.
		o.claim = prepare(s.w, `WITH busy(url, n) AS (SELECT key, value FROM json_each(?5)),
			candidate AS (
				SELECT id, url, next_attempt_at FROM deliveries INDEXED BY deliveries_due
				WHERE status = 'pending' AND next_attempt_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)
					AND url NOT IN (SELECT url FROM busy WHERE n >= ?4)
				ORDER BY next_attempt_at, id LIMIT ?3
			),
			due AS (
				SELECT id, url, next_attempt_at, row_number() OVER (PARTITION BY url ORDER BY next_attempt_at, id) AS rn
				FROM candidate
			)
			UPDATE deliveries SET lease_until = ?2
			WHERE id IN (
				SELECT due.id FROM due LEFT JOIN busy ON busy.url = due.url
				WHERE due.rn <= ?4 - coalesce(busy.n, 0)
			)
			RETURNING id, event_seq, event_id, event_name, room_id, url, attempts, queued_at, lease_until`)
		o.bodies = prepare(s.w, `SELECT seq, body FROM events WHERE seq IN (SELECT value FROM json_each(?))`)
		o.record = prepare(s.w, `UPDATE deliveries SET status = ?, attempts = attempts + 1, last_status_code = ?,
				last_error = ?, last_attempt_at = ?, next_attempt_at = ?, delivered_at = ?, lease_until = NULL
			WHERE id = ? AND lease_until = ? AND status = 'pending'`)
		o.promote = prepare(s.w, `UPDATE deliveries SET next_attempt_at = ?1
			WHERE id = (SELECT min(id) FROM deliveries WHERE room_id = ?2 AND url = ?3 AND status = 'pending')
				AND next_attempt_at IS NULL`)
		o.release = prepare(s.w, `UPDATE deliveries SET lease_until = NULL WHERE id = ? AND lease_until = ?`)
		o.next = prepare(s.r, `SELECT min(next_attempt_at) FROM deliveries INDEXED BY deliveries_due
			WHERE status = 'pending' AND next_attempt_at > ? AND lease_until IS NULL`)
	})
	return o, o.err
}

// enqueue adds a pending delivery behind those of its room and URL (due at once if there are none).
func enqueue(ctx context.Context, tx *sql.Tx, o *outboxStmts, seq int64, eventID, name, roomID, url string, now time.Time) error {
	_, err := tx.StmtContext(ctx, o.enqueue).ExecContext(ctx, seq, eventID, name, roomID, url, ms(now))
	return err
}

// FanOut turns new events into deliveries (see outbox.Store).
func (s *Store) FanOut(ctx context.Context, now time.Time, limit int, route func(outbox.Event) []string) (int, error) {
	o, err := s.outbox()
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		var cursor int64
		if err := tx.QueryRowContext(ctx, `SELECT seq FROM webhook_cursor WHERE name = 'deliveries'`).Scan(&cursor); err != nil {
			return nil, err
		}
		rows, err := tx.QueryContext(ctx, `SELECT seq, id, name, room_id, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, cursor, limit)
		if err != nil {
			return nil, err
		}
		var events []outbox.Event
		for rows.Next() {
			var e outbox.Event
			if err := rows.Scan(&e.Seq, &e.ID, &e.Name, &e.RoomID, &e.Body); err != nil {
				rows.Close()
				return nil, err
			}
			events = append(events, e)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
		if len(events) == 0 {
			return nil, nil
		}
		for _, e := range events {
			for _, url := range route(e) {
				if err := enqueue(ctx, tx, o, e.Seq, e.ID, e.Name, e.RoomID, url, now); err != nil {
					return nil, err
				}
			}
		}
		n = len(events)
		_, err = tx.ExecContext(ctx, `UPDATE webhook_cursor SET seq = ? WHERE name = 'deliveries'`, events[len(events)-1].Seq)
		return nil, err
	})
	if err != nil {
		return 0, fmt.Errorf("fan out events: %w", err)
	}
	return n, nil
}

// Claim leases due deliveries (see outbox.Store). On PostgreSQL the same shape becomes a
// SELECT … FOR UPDATE SKIP LOCKED inside the UPDATE.
func (s *Store) Claim(ctx context.Context, now, until time.Time, limit, perURL int, busy map[string]int) ([]outbox.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	o, err := s.outbox()
	if err != nil {
		return nil, err
	}
	if busy == nil {
		busy = map[string]int{}
	}
	inFlight, _ := json.Marshal(busy)
	var out []outbox.Delivery
	err = s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		rows, err := tx.StmtContext(ctx, o.claim).QueryContext(ctx, ms(now), ms(until), limit, perURL, string(inFlight))
		if err != nil {
			return nil, err
		}
		var seqs []int64
		for rows.Next() {
			var d outbox.Delivery
			var seq, queued int64
			if err := rows.Scan(&d.ID, &seq, &d.EventID, &d.Event, &d.RoomID, &d.URL, &d.Attempts, &queued, &d.Lease); err != nil {
				rows.Close()
				return nil, err
			}
			d.QueuedAt = time.UnixMilli(queued)
			out = append(out, d)
			seqs = append(seqs, seq)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
		if len(out) == 0 {
			return nil, nil
		}
		list, _ := json.Marshal(seqs)
		rows, err = tx.StmtContext(ctx, o.bodies).QueryContext(ctx, string(list))
		if err != nil {
			return nil, err
		}
		bodies := make(map[int64][]byte, len(seqs))
		for rows.Next() {
			var seq int64
			var body []byte
			if err := rows.Scan(&seq, &body); err != nil {
				rows.Close()
				return nil, err
			}
			bodies[seq] = body
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
		for i := range out {
			body, ok := bodies[seqs[i]]
			if !ok {
				return nil, fmt.Errorf("delivery %d: event seq %d is missing", out[i].ID, seqs[i])
			}
			out[i].Body = body
		}
		return nil, nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

// Record stores the outcome of an attempt (see outbox.Store).
func (s *Store) Record(ctx context.Context, d outbox.Delivery, o outbox.Outcome) (bool, error) {
	st, err := s.outbox()
	if err != nil {
		return false, err
	}
	ok := false
	err = s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		var next, delivered sql.NullInt64
		switch o.Status {
		case outbox.Pending:
			next = nullMS(o.Next)
		case outbox.Delivered:
			delivered = nullMS(o.At)
		case outbox.Failed:
		default:
			return nil, fmt.Errorf("unknown outcome %q", o.Status)
		}
		res, err := tx.StmtContext(ctx, st.record).ExecContext(ctx,
			string(o.Status), o.StatusCode, o.Error, ms(o.At), next, delivered, d.ID, d.Lease)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil
		}
		ok = true
		if o.Status == outbox.Pending {
			return nil, nil
		}
		// Done: the next delivery of the room and URL is due now.
		_, err = tx.StmtContext(ctx, st.promote).ExecContext(ctx, ms(o.At), d.RoomID, d.URL)
		return nil, err
	})
	if err != nil {
		return false, fmt.Errorf("record delivery %d: %w", d.ID, err)
	}
	return ok, nil
}

// Abandon ends a lease without counting an attempt.
func (s *Store) Abandon(ctx context.Context, d outbox.Delivery) error {
	o, err := s.outbox()
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		_, err := tx.StmtContext(ctx, o.release).ExecContext(ctx, d.ID, d.Lease)
		return nil, err
	})
}

// ReleaseLeases ends every lease. A SQLite file has one meetd process, so at its start-up every
// lease is a leftover of a process that is gone.
func (s *Store) ReleaseLeases(ctx context.Context) error {
	return s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_until = NULL WHERE lease_until IS NOT NULL`)
		return nil, err
	})
}

// NextDue is the time of the earliest delivery due after the given time and not in flight.
func (s *Store) NextDue(ctx context.Context, after time.Time) (time.Time, bool, error) {
	o, err := s.outbox()
	if err != nil {
		return time.Time{}, false, err
	}
	var at sql.NullInt64
	if err := o.next.QueryRowContext(ctx, ms(after)).Scan(&at); err != nil {
		return time.Time{}, false, err
	}
	return fromMS(at), at.Valid, nil
}

// Deliveries lists deliveries, newest first.
func (s *Store) Deliveries(ctx context.Context, f outbox.Filter) ([]outbox.Info, int, error) {
	var where []string
	var args []any
	if f.RoomID != "" {
		where, args = append(where, "room_id = ?"), append(args, f.RoomID)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM deliveries`+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT event_id, event_name, room_id, url, status, attempts, last_status_code,
			last_error, next_attempt_at, last_attempt_at, queued_at, delivered_at
		FROM deliveries`+cond+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.From)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []outbox.Info{}
	for rows.Next() {
		var i outbox.Info
		var status string
		var next, last, delivered sql.NullInt64
		var queued int64
		if err := rows.Scan(&i.EventID, &i.Event, &i.RoomID, &i.URL, &status, &i.Attempts, &i.LastStatusCode,
			&i.LastError, &next, &last, &queued, &delivered); err != nil {
			return nil, 0, err
		}
		i.Status = outbox.Status(status)
		i.NextAttemptAt, i.LastAttemptAt, i.DeliveredAt = fromMS(next), fromMS(last), fromMS(delivered)
		i.CreatedAt = time.UnixMilli(queued)
		out = append(out, i)
	}
	return out, total, rows.Err()
}

// Requeue queues an event's failed deliveries again, at the end of their room and URL's queue.
func (s *Store) Requeue(ctx context.Context, eventID, url string, now time.Time) (int, bool, error) {
	o, err := s.outbox()
	if err != nil {
		return 0, false, err
	}
	n, found := 0, false
	err = s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE id = ?)
			OR EXISTS (SELECT 1 FROM deliveries WHERE event_id = ?)`, eventID, eventID).Scan(&found)
		if err != nil || !found {
			return nil, err
		}
		q := `SELECT id, event_seq, event_name, room_id, url FROM deliveries WHERE event_id = ? AND status = 'failed'`
		args := []any{eventID}
		if url != "" {
			q, args = q+` AND url = ?`, append(args, url)
		}
		rows, err := tx.QueryContext(ctx, q+` ORDER BY id`, args...)
		if err != nil {
			return nil, err
		}
		type failed struct {
			id, seq         int64
			name, room, url string
		}
		var list []failed
		for rows.Next() {
			var f failed
			if err := rows.Scan(&f.id, &f.seq, &f.name, &f.room, &f.url); err != nil {
				rows.Close()
				return nil, err
			}
			list = append(list, f)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
		// A new row (a new id) puts it behind what is pending for its room and URL.
		for _, f := range list {
			if _, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE id = ?`, f.id); err != nil {
				return nil, err
			}
			if err := enqueue(ctx, tx, o, f.seq, eventID, f.name, f.room, f.url, now); err != nil {
				return nil, err
			}
		}
		n = len(list)
		return nil, nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("requeue %s: %w", eventID, err)
	}
	return n, found, nil
}
