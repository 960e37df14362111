package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
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
//
// Several processes share these rows, so (where SQLite has one writer):
//   - fan-outs take turns on the cursor's row (SELECT … FOR UPDATE);
//   - whoever adds a delivery to a queue (fan-out, requeue) or makes its next one due (an attempt
//     that delivered or failed) holds the queue's advisory lock (lockQueues): otherwise a
//     delivery added while the head finishes could find the head still pending and wait behind
//     it, while the head's finish found nothing to make due, and the queue would stop for good;
//   - a claim takes its rows FOR UPDATE SKIP LOCKED and leases them: a delivery is attempted by
//     one process at a time, and its lease is the fencing token of the outcome.
const outboxSchema = `
CREATE TABLE IF NOT EXISTS webhook_cursor (
	name TEXT PRIMARY KEY,
	seq  BIGINT NOT NULL
);
INSERT INTO webhook_cursor (name, seq) SELECT 'deliveries', coalesce(max(seq), 0) FROM events ON CONFLICT (name) DO NOTHING;

CREATE TABLE IF NOT EXISTS deliveries (
	id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	event_seq        BIGINT NOT NULL,
	event_id         TEXT NOT NULL,
	event_name       TEXT NOT NULL,
	room_id          TEXT NOT NULL,
	url              TEXT NOT NULL,
	status           TEXT NOT NULL DEFAULT 'pending', -- pending, delivered, failed
	attempts         BIGINT NOT NULL DEFAULT 0,
	last_status_code BIGINT NOT NULL DEFAULT 0,
	last_error       TEXT NOT NULL DEFAULT '',
	next_attempt_at  BIGINT, -- Unix ms; NULL while waiting behind an earlier delivery, and once done
	lease_until      BIGINT, -- Unix ms; an attempt is in flight until then
	last_attempt_at  BIGINT,
	queued_at        BIGINT NOT NULL, -- its age (webhooks.max_age) counts from here
	delivered_at     BIGINT,
	UNIQUE (event_id, url)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(next_attempt_at, id) WHERE status = 'pending' AND next_attempt_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS deliveries_queue ON deliveries(room_id, url, id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_room ON deliveries(room_id, id);
CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries(status, id);
`

// OnEvents sets a function called after every commit that wrote events (the dispatcher's wake-up).
// Set it before the store is used. It hears of this process's events only: the dispatchers of
// other processes find them at their next poll.
func (s *Store) OnEvents(f func()) { s.onEvents = f }

// The dispatcher's statements. pgx prepares each once per connection (see Open).
const (
	enqueueSQL = `INSERT INTO deliveries (event_seq, event_id, event_name, room_id, url, queued_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN EXISTS (SELECT 1 FROM deliveries WHERE room_id = $4 AND url = $5 AND status = 'pending')
			THEN NULL ELSE $6::bigint END)
		ON CONFLICT (event_id, url) DO NOTHING`

	// The oldest due deliveries not in flight, at most $3 in all and at most $4 per URL less those
	// in flight to it ($5 URLs, $6 counts), leased until $2, with their events' bodies. Only the
	// heads of the queues are in deliveries_due, read in order: a claim costs the rows it takes,
	// not the backlog. FOR UPDATE SKIP LOCKED: rows another process is claiming at this moment
	// are left to it; a row it claimed a moment ago is read again as it is now, leased, and dropped.
	claimSQL = `WITH busy(url, n) AS (SELECT * FROM unnest($5::text[], $6::bigint[])),
		candidate AS (
			SELECT id, url, next_attempt_at FROM deliveries
			WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
				AND url NOT IN (SELECT url FROM busy WHERE n >= $4)
			ORDER BY next_attempt_at, id LIMIT $3
			FOR UPDATE SKIP LOCKED
		),
		due AS (
			SELECT id, url, row_number() OVER (PARTITION BY url ORDER BY next_attempt_at, id) AS rn
			FROM candidate
		),
		claimed AS (
			UPDATE deliveries d SET lease_until = $2
			FROM due LEFT JOIN busy ON busy.url = due.url
			WHERE d.id = due.id AND due.rn <= $4 - coalesce(busy.n, 0)
			RETURNING d.id, d.event_seq, d.event_id, d.event_name, d.room_id, d.url, d.attempts, d.queued_at, d.lease_until, d.next_attempt_at
		)
		SELECT c.id, c.event_seq, c.event_id, c.event_name, c.room_id, c.url, c.attempts, c.queued_at, c.lease_until, e.body
		FROM claimed c LEFT JOIN events e ON e.seq = c.event_seq
		ORDER BY c.next_attempt_at, c.id`

	recordSQL = `UPDATE deliveries SET status = $1, attempts = attempts + 1, last_status_code = $2,
			last_error = $3, last_attempt_at = $4, next_attempt_at = $5, delivered_at = $6, lease_until = NULL
		WHERE id = $7 AND lease_until = $8 AND status = 'pending'`

	promoteSQL = `UPDATE deliveries SET next_attempt_at = $1
		WHERE id = (SELECT min(id) FROM deliveries WHERE room_id = $2 AND url = $3 AND status = 'pending')
			AND next_attempt_at IS NULL`

	releaseSQL = `UPDATE deliveries SET lease_until = NULL WHERE id = $1 AND lease_until = $2`

	nextSQL = `SELECT min(next_attempt_at) FROM deliveries
		WHERE status = 'pending' AND next_attempt_at > $1 AND lease_until IS NULL`
)

// queueLocks is the first key of the queue locks (pg_advisory_xact_lock(int, int)); the second is
// a hash of the room and URL. Two queues may share a hash: they then merely take turns.
const queueLocks int32 = 0x6d656574 // "meet"

type queue struct{ room, url string }

// lockQueues takes the advisory locks of the given queues until the transaction ends, in the
// order of their keys, so two transactions never each hold a lock the other waits for.
func lockQueues(ctx context.Context, tx *sql.Tx, queues []queue) error {
	keys := make([]int32, 0, len(queues))
	for _, q := range queues {
		h := fnv.New32a()
		h.Write([]byte(q.room))
		h.Write([]byte{0})
		h.Write([]byte(q.url))
		keys = append(keys, int32(h.Sum32()))
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1::int, $2::int)`, queueLocks, k); err != nil {
			return err
		}
	}
	return nil
}

// enqueue adds a pending delivery behind those of its room and URL (due at once if there are
// none). The caller holds the queue's lock.
func enqueue(ctx context.Context, tx *sql.Tx, seq int64, eventID, name, roomID, url string, now time.Time) error {
	_, err := tx.ExecContext(ctx, enqueueSQL, seq, eventID, name, roomID, url, ms(now))
	return err
}

// FanOut turns new events into deliveries (see outbox.Store).
func (s *Store) FanOut(ctx context.Context, now time.Time, limit int, route func(outbox.Event) []string) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		// Fan-outs of several processes take turns here; the next one reads the cursor the last
		// one left. Events commit in seq order (see tx), so none is below the cursor unread.
		var cursor int64
		if err := tx.QueryRowContext(ctx, `SELECT seq FROM webhook_cursor WHERE name = 'deliveries' FOR UPDATE`).Scan(&cursor); err != nil {
			return nil, err
		}
		rows, err := tx.QueryContext(ctx, `SELECT seq, id, name, room_id, body FROM events WHERE seq > $1 ORDER BY seq LIMIT $2`, cursor, limit)
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
		type delivery struct {
			e   outbox.Event
			url string
		}
		var list []delivery
		var queues []queue
		for _, e := range events {
			for _, url := range route(e) {
				list = append(list, delivery{e, url})
				queues = append(queues, queue{e.RoomID, url})
			}
		}
		if err := lockQueues(ctx, tx, queues); err != nil {
			return nil, err
		}
		for _, d := range list {
			if err := enqueue(ctx, tx, d.e.Seq, d.e.ID, d.e.Name, d.e.RoomID, d.url, now); err != nil {
				return nil, err
			}
		}
		n = len(events)
		_, err = tx.ExecContext(ctx, `UPDATE webhook_cursor SET seq = $1 WHERE name = 'deliveries'`, events[len(events)-1].Seq)
		return nil, err
	})
	if err != nil {
		return 0, fmt.Errorf("fan out events: %w", err)
	}
	return n, nil
}

// Claim leases due deliveries (see outbox.Store): one UPDATE over a SELECT … FOR UPDATE SKIP
// LOCKED, so two processes never claim the same delivery.
func (s *Store) Claim(ctx context.Context, now, until time.Time, limit, perURL int, busy map[string]int) ([]outbox.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	urls, counts := make([]string, 0, len(busy)), make([]int64, 0, len(busy))
	for url, n := range busy {
		urls, counts = append(urls, url), append(counts, int64(n))
	}
	var out []outbox.Delivery
	err := s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		rows, err := tx.QueryContext(ctx, claimSQL, ms(now), ms(until), limit, perURL, urls, counts)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var d outbox.Delivery
			var seq, queued int64
			var body sql.NullString
			if err := rows.Scan(&d.ID, &seq, &d.EventID, &d.Event, &d.RoomID, &d.URL, &d.Attempts, &queued, &d.Lease, &body); err != nil {
				return nil, err
			}
			if !body.Valid {
				return nil, fmt.Errorf("delivery %d: event seq %d is missing", d.ID, seq)
			}
			d.QueuedAt = time.UnixMilli(queued)
			d.Body = []byte(body.String)
			out = append(out, d)
		}
		return nil, rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

// Record stores the outcome of an attempt (see outbox.Store).
func (s *Store) Record(ctx context.Context, d outbox.Delivery, o outbox.Outcome) (bool, error) {
	ok := false
	err := s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
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
		res, err := tx.ExecContext(ctx, recordSQL, string(o.Status), o.StatusCode, o.Error, ms(o.At), next, delivered, d.ID, d.Lease)
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
		if err := lockQueues(ctx, tx, []queue{{d.RoomID, d.URL}}); err != nil {
			return nil, err
		}
		_, err = tx.ExecContext(ctx, promoteSQL, ms(o.At), d.RoomID, d.URL)
		return nil, err
	})
	if err != nil {
		return false, fmt.Errorf("record delivery %d: %w", d.ID, err)
	}
	return ok, nil
}

// Abandon ends a lease without counting an attempt.
func (s *Store) Abandon(ctx context.Context, d outbox.Delivery) error {
	return s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		_, err := tx.ExecContext(ctx, releaseSQL, d.ID, d.Lease)
		return nil, err
	})
}

// ReleaseLeases does nothing: other processes may hold leases, and are attempting those
// deliveries now. A lease of a process that died runs out (attempt timeout + 10 s), and then
// another process attempts the delivery again.
func (s *Store) ReleaseLeases(ctx context.Context) error { return nil }

// NextDue is the time of the earliest delivery due after the given time and not in flight.
func (s *Store) NextDue(ctx context.Context, after time.Time) (time.Time, bool, error) {
	var at sql.NullInt64
	if err := s.db.QueryRowContext(ctx, nextSQL, ms(after)).Scan(&at); err != nil {
		return time.Time{}, false, err
	}
	return fromMS(at), at.Valid, nil
}

// Deliveries lists deliveries, newest first.
func (s *Store) Deliveries(ctx context.Context, f outbox.Filter) ([]outbox.Info, int, error) {
	var p params
	var where []string
	if f.RoomID != "" {
		where = append(where, "room_id = "+p.add(f.RoomID))
	}
	if f.Status != "" {
		where = append(where, "status = "+p.add(string(f.Status)))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries`+cond, p...).Scan(&total); err != nil {
		return nil, 0, err
	}
	page := ` ORDER BY id DESC LIMIT ` + p.add(f.Limit) + ` OFFSET ` + p.add(f.From)
	rows, err := s.db.QueryContext(ctx, `SELECT event_id, event_name, room_id, url, status, attempts, last_status_code,
			last_error, next_attempt_at, last_attempt_at, queued_at, delivered_at
		FROM deliveries`+cond+page, p...)
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
	n, found := 0, false
	err := s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE id = $1)
			OR EXISTS (SELECT 1 FROM deliveries WHERE event_id = $1)`, eventID).Scan(&found)
		if err != nil || !found {
			return nil, err
		}
		q := `SELECT id, event_seq, event_name, room_id, url FROM deliveries WHERE event_id = $1 AND status = 'failed'`
		args := []any{eventID}
		if url != "" {
			q, args = q+` AND url = $2`, append(args, url)
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
		var queues []queue
		for rows.Next() {
			var f failed
			if err := rows.Scan(&f.id, &f.seq, &f.name, &f.room, &f.url); err != nil {
				rows.Close()
				return nil, err
			}
			list = append(list, f)
			queues = append(queues, queue{f.room, f.url})
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
		if err := lockQueues(ctx, tx, queues); err != nil {
			return nil, err
		}
		// A new row (a new id) puts it behind what is pending for its room and URL. A row another
		// process requeued meanwhile is gone: it is not queued twice.
		for _, f := range list {
			res, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE id = $1 AND status = 'failed'`, f.id)
			if err != nil {
				return nil, err
			}
			if gone, _ := res.RowsAffected(); gone == 0 {
				continue
			}
			if err := enqueue(ctx, tx, f.seq, eventID, f.name, f.room, f.url, now); err != nil {
				return nil, err
			}
			n++
		}
		return nil, nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("requeue %s: %w", eventID, err)
	}
	return n, found, nil
}
