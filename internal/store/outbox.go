package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"meetd/internal/bbbdata"
	"meetd/internal/meet"
	"meetd/internal/outbox"
)

var _ outbox.Store = (*Store)(nil)

// The webhook deliveries: one row per event and URL (the tables are in migrations/). The cursor
// says up to which event seq the events have been fanned out into deliveries; it moves in the
// transaction that inserts them. On a database that had events before webhooks existed, the cursor
// starts after them.
//
// Order per room and URL: only the oldest pending delivery of a (room_id, url) has a
// next_attempt_at; the others wait with NULL and get one when it is delivered or failed.
//
// On SQLite one writer runs the transactions one at a time, and a file has one meetd process.
// On PostgreSQL several processes share these rows, so:
//   - fan-outs take turns on the cursor's row (SELECT … FOR UPDATE);
//   - whoever adds a delivery to a queue (fan-out, requeue) or makes its next one due (an attempt
//     that delivered or failed) holds the queue's advisory lock (lockQueues): otherwise a
//     delivery added while the head finishes could find the head still pending and wait behind
//     it, while the head's finish found nothing to make due, and the queue would stop for good;
//   - a claim takes its rows FOR UPDATE SKIP LOCKED and leases them: a delivery is attempted by
//     one process at a time, and its lease is the fencing token of the outcome.
// The two claims differ (claimSQLite, claimPostgres); the rest is written once.

// Option is an option of OpenSQLite and OpenPostgres.
type Option func(*Store)

// WakeUp makes the store call f after every commit that wrote events: the webhook dispatcher's
// wake-up (outbox.Wake's Notify).
func WakeUp(f func()) Option { return func(s *Store) { s.onEvents = f } }

// with applies the options to a store just opened.
func (s *Store) with(opts []Option) *Store {
	for _, o := range opts {
		o(s)
	}
	return s
}

// outboxStmts are the dispatcher's statements, prepared once (SQLite's parser costs more than
// these queries): with them a delivery costs about half the CPU. (On PostgreSQL pgx would also
// keep them prepared per connection.)
type outboxStmts struct {
	once                                                   sync.Once
	err                                                    error
	enqueue, claim, bodies, record, promote, release, next *sql.Stmt
}

func (o *outboxStmts) close() {
	for _, st := range []*sql.Stmt{o.enqueue, o.claim, o.bodies, o.record, o.promote, o.release, o.next} {
		if st != nil {
			st.Close()
		}
	}
}

// outbox returns the prepared statements, preparing them the first time. Call it outside a
// transaction: the SQLite writer has one connection, which a transaction holds.
func (s *Store) outbox() (*outboxStmts, error) {
	o := &s.ob
	o.once.Do(func() {
		ctx := context.Background()
		prepare := func(h db, q string) *sql.Stmt {
			if o.err != nil || q == "" {
				return nil
			}
			var st *sql.Stmt
			st, o.err = h.PrepareContext(ctx, q)
			return st
		}
		o.enqueue = prepare(s.w, `INSERT INTO deliveries (event_seq, event_id, event_name, room_id, url, queued_at, next_attempt_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN EXISTS (SELECT 1 FROM deliveries WHERE room_id = ?4 AND url = ?5 AND status = 'pending')
				THEN NULL ELSE CAST(?6 AS BIGINT) END)
			ON CONFLICT (event_id, url) DO NOTHING`)
		o.claim = prepare(s.w, s.d.claimSQL)
		o.bodies = prepare(s.w, s.d.bodiesSQL)
		o.record = prepare(s.w, `UPDATE deliveries SET status = ?, attempts = attempts + 1, last_status_code = ?,
				last_error = ?, last_attempt_at = ?, next_attempt_at = ?, delivered_at = ?, lease_until = NULL
			WHERE id = ? AND lease_until = ? AND status = 'pending'`)
		o.promote = prepare(s.w, `UPDATE deliveries SET next_attempt_at = ?1
			WHERE id = (SELECT min(id) FROM deliveries WHERE room_id = ?2 AND url = ?3 AND status = 'pending')
				AND next_attempt_at IS NULL`)
		o.release = prepare(s.w, `UPDATE deliveries SET lease_until = NULL WHERE id = ? AND lease_until = ?`)
		o.next = prepare(s.r, `SELECT min(next_attempt_at) FROM deliveries`+s.d.indexedByDue+`
			WHERE status = 'pending' AND next_attempt_at > ? AND lease_until IS NULL`)
	})
	return o, o.err
}

type queue struct{ room, url string }

// lockQueues takes the advisory locks of the given queues until the transaction ends
// (PostgreSQL; see above). SQLite's one writer needs none.
func (s *Store) lockQueues(ctx context.Context, tx *txn, queues []queue) error {
	if s.d.lockQueues == nil {
		return nil
	}
	return s.d.lockQueues(ctx, tx, queues)
}

// enqueue adds a pending delivery behind those of its room and URL (due at once if there are
// none). The caller holds the queue's lock.
func enqueue(ctx context.Context, tx *txn, o *outboxStmts, seq int64, eventID, name, roomID, url string, now time.Time) error {
	_, err := tx.StmtContext(ctx, o.enqueue).ExecContext(ctx, seq, eventID, name, roomID, url, ms(now))
	return err
}

// FanOut turns new events into deliveries (see outbox.Store): one for each of urls and one for
// the room's webhook URL that was stored with the event (insertEvent), each URL once.
func (s *Store) FanOut(ctx context.Context, now time.Time, limit int, urls []string) (int, error) {
	o, err := s.outbox()
	if err != nil {
		return 0, err
	}
	n := 0
	err = s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		// Fan-outs of several processes (PostgreSQL) take turns here; the next one reads the cursor
		// the last one left. Events commit in seq order (see tx), so none is below the cursor unread.
		var cursor int64
		if err := tx.QueryRowContext(ctx, `SELECT seq FROM webhook_cursor WHERE name = 'deliveries'`+s.d.forUpdate).Scan(&cursor); err != nil {
			return nil, err
		}
		type event struct {
			seq                     int64
			id, name, room, webhook string
		}
		rows, err := tx.QueryContext(ctx, `SELECT seq, id, name, room_id, webhook_url FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, cursor, limit)
		events, err := scanRows(rows, err, func(rows *sql.Rows) (event, error) {
			var e event
			err := rows.Scan(&e.seq, &e.id, &e.name, &e.room, &e.webhook)
			return e, err
		})
		if err != nil || len(events) == 0 {
			return nil, err
		}
		type delivery struct {
			e   event
			url string
		}
		var list []delivery
		var queues []queue
		for _, e := range events {
			to := urls
			if e.name == bbbdata.CallbackEvent { // a BBB callback goes to its own URL alone
				to = nil
			}
			if e.webhook != "" && !slices.Contains(to, e.webhook) {
				to = append(slices.Clip(to), e.webhook)
			}
			for _, url := range to {
				list = append(list, delivery{e, url})
				queues = append(queues, queue{e.room, url})
			}
		}
		if err := s.lockQueues(ctx, tx, queues); err != nil {
			return nil, err
		}
		for _, d := range list {
			if err := enqueue(ctx, tx, o, d.e.seq, d.e.id, d.e.name, d.e.room, d.url, now); err != nil {
				return nil, err
			}
		}
		n = len(events)
		_, err = tx.ExecContext(ctx, `UPDATE webhook_cursor SET seq = ? WHERE name = 'deliveries'`, events[len(events)-1].seq)
		return nil, err
	})
	if err != nil {
		return 0, fmt.Errorf("fan out events: %w", err)
	}
	return n, nil
}

// Claim leases due deliveries (see outbox.Store), with the dialect's claim.
func (s *Store) Claim(ctx context.Context, now, until time.Time, limit, perURL int, busy map[string]int) ([]outbox.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	o, err := s.outbox()
	if err != nil {
		return nil, err
	}
	var out []outbox.Delivery
	err = s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		var err error
		out, err = s.d.claim(ctx, tx, o, ms(now), ms(until), limit, perURL, busy)
		return nil, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return out, nil
}

// The SQLite claim: the oldest due deliveries not in flight, at most ?3 in all and at most ?4 per
// URL less those in flight to it (the JSON object ?5 of URL → count), leased until ?2. Only the
// heads of the queues are in deliveries_due, read in order: a claim costs the rows it takes, not
// the backlog. The one writer makes it the only claim running; the bodies are read after it
// (claimBodiesSQLite).
const claimSQLiteSQL = `WITH busy(url, n) AS (SELECT key, value FROM json_each(?5)),
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
	RETURNING id, event_seq, event_id, event_name, room_id, url, attempts, queued_at, lease_until`

const claimBodiesSQLite = `SELECT seq, body FROM events WHERE seq IN (SELECT value FROM json_each(?))`

func claimSQLite(ctx context.Context, tx *txn, o *outboxStmts, now, until int64, limit, perURL int, busy map[string]int) ([]outbox.Delivery, error) {
	if busy == nil {
		busy = map[string]int{}
	}
	inFlight, _ := json.Marshal(busy)
	rows, err := tx.StmtContext(ctx, o.claim).QueryContext(ctx, now, until, limit, perURL, string(inFlight))
	if err != nil {
		return nil, err
	}
	var out []outbox.Delivery
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
	return out, nil
}

// The PostgreSQL claim: the oldest due deliveries not in flight, at most ?3 in all and at most ?4
// per URL less those in flight to it (?5 URLs, ?6 counts), leased until ?2, with their events'
// bodies. Only the heads of the queues are in deliveries_due, read in order: a claim costs the
// rows it takes, not the backlog. FOR UPDATE SKIP LOCKED: rows another process is claiming at
// this moment are left to it; a row it claimed a moment ago is read again as it is now, leased,
// and dropped. One UPDATE over a SELECT … FOR UPDATE SKIP LOCKED, so two processes never claim
// the same delivery.
const claimPostgresSQL = `WITH busy(url, n) AS (SELECT * FROM unnest(?5::text[], ?6::bigint[])),
	candidate AS (
		SELECT id, url, next_attempt_at FROM deliveries
		WHERE status = 'pending' AND next_attempt_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)
			AND url NOT IN (SELECT url FROM busy WHERE n >= ?4)
		ORDER BY next_attempt_at, id LIMIT ?3
		FOR UPDATE SKIP LOCKED
	),
	due AS (
		SELECT id, url, row_number() OVER (PARTITION BY url ORDER BY next_attempt_at, id) AS rn
		FROM candidate
	),
	claimed AS (
		UPDATE deliveries d SET lease_until = ?2
		FROM due LEFT JOIN busy ON busy.url = due.url
		WHERE d.id = due.id AND due.rn <= ?4 - coalesce(busy.n, 0)
		RETURNING d.id, d.event_seq, d.event_id, d.event_name, d.room_id, d.url, d.attempts, d.queued_at, d.lease_until, d.next_attempt_at
	)
	SELECT c.id, c.event_seq, c.event_id, c.event_name, c.room_id, c.url, c.attempts, c.queued_at, c.lease_until, e.body
	FROM claimed c LEFT JOIN events e ON e.seq = c.event_seq
	ORDER BY c.next_attempt_at, c.id`

func claimPostgres(ctx context.Context, tx *txn, o *outboxStmts, now, until int64, limit, perURL int, busy map[string]int) ([]outbox.Delivery, error) {
	urls, counts := make([]string, 0, len(busy)), make([]int64, 0, len(busy))
	for url, n := range busy {
		urls, counts = append(urls, url), append(counts, int64(n))
	}
	rows, err := tx.StmtContext(ctx, o.claim).QueryContext(ctx, now, until, limit, perURL, urls, counts)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []outbox.Delivery
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
	return out, rows.Err()
}

// Record stores the outcome of an attempt (see outbox.Store).
func (s *Store) Record(ctx context.Context, d outbox.Delivery, o outbox.Outcome) (bool, error) {
	st, err := s.outbox()
	if err != nil {
		return false, err
	}
	ok := false
	err = s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
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
		if err := s.lockQueues(ctx, tx, []queue{{d.RoomID, d.URL}}); err != nil {
			return nil, err
		}
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
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		_, err := tx.StmtContext(ctx, o.release).ExecContext(ctx, d.ID, d.Lease)
		return nil, err
	})
}

// ReleaseLeases ends every lease on SQLite: a SQLite file has one meetd process, so at its
// start-up every lease is a leftover of a process that is gone. On PostgreSQL it does nothing:
// other processes may hold leases, and are attempting those deliveries now. A lease of a process
// that died runs out (attempt timeout + 10 s), and then another process attempts the delivery again.
func (s *Store) ReleaseLeases(ctx context.Context) error {
	if !s.d.releaseLeases {
		return nil
	}
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
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
	err = s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE id = ?1)
			OR EXISTS (SELECT 1 FROM deliveries WHERE event_id = ?1)`, eventID).Scan(&found)
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
		if err := s.lockQueues(ctx, tx, queues); err != nil {
			return nil, err
		}
		// A new row (a new id) puts it behind what is pending for its room and URL. A row another
		// process requeued meanwhile (PostgreSQL) is gone: it is not queued twice.
		for _, f := range list {
			res, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE id = ? AND status = 'failed'`, f.id)
			if err != nil {
				return nil, err
			}
			if gone, _ := res.RowsAffected(); gone == 0 {
				continue
			}
			if err := enqueue(ctx, tx, o, f.seq, eventID, f.name, f.room, f.url, now); err != nil {
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
