package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"meetd/internal/outbox"
)

// dialect is what really differs between SQLite and PostgreSQL. Everything else, every
// statement included, is written once (with ? placeholders, ?N where a parameter is reused).
type dialect struct {
	// rebind turns a statement's placeholders into the driver's: nil keeps them (SQLite reads ?
	// and ?N itself), postgresRebind for $n.
	rebind func(string) string

	// forUpdate follows a SELECT whose rows the transaction locks until it ends: " FOR UPDATE"
	// on PostgreSQL; nothing on SQLite, whose one writer runs transactions one at a time.
	forUpdate string

	// lockEvents, when set, is taken right before a transaction inserts events (see tx).
	lockEvents func(ctx context.Context, tx *txn) error

	// lockQueues, when set, takes the advisory locks of webhook queues (outbox.go).
	lockQueues func(ctx context.Context, tx *txn, queues []queue) error

	// in is "column is one of the list given as one argument", and list makes that argument:
	// json_each over a JSON array on SQLite, = ANY over an array on PostgreSQL.
	in   func(column string) string
	list func([]string) any

	// analyticsOn is true for a session (s) whose metadata turns analytics on; roomTitle is its
	// metadata's room_title, '' if none.
	analyticsOn, roomTitle string

	// indexedByDue makes SQLite read the deliveries_due index (its planner otherwise may not);
	// PostgreSQL has no such hint and needs none.
	indexedByDue string

	// The webhook dispatcher's claim (outbox.go): the two stores claim differently. claimSQL and
	// bodiesSQL (SQLite reads the bodies after the claim) are prepared, and claim runs them.
	claimSQL, bodiesSQL string
	claim               func(ctx context.Context, tx *txn, o *outboxStmts, now, until int64, limit, perURL int, busy map[string]int) ([]outbox.Delivery, error)

	// releaseLeases is whether ReleaseLeases ends every lease (one process per database).
	releaseLeases bool

	// tokens are what the {{TOKEN}}s of the migrations stand for: the few column types that
	// differ (see migrations/README.md).
	tokens map[string]string

	// lockSchema, when set, is taken first by each migration's transaction (migrate.go).
	lockSchema func(ctx context.Context, tx *txn) error

	// columns lists the names of a table's columns (none when there is no such table), given the
	// table's name; for the legacy columns only (migrate.go).
	columns string
}

// postgresRebind numbers the placeholders of q for PostgreSQL: ?N becomes $N, and each bare ?
// takes the number after the highest so far (as SQLite numbers them). The statements have no ?
// inside string literals or comments, so every ? is a placeholder.
func postgresRebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		j := i + 1
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			j++
		}
		k := n + 1
		if j > i+1 {
			k, _ = strconv.Atoi(q[i+1 : j])
		}
		n = max(n, k)
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(k))
		i = j - 1
	}
	return b.String()
}

// db is a handle (the reader pool, or the writer) whose statements are rebound for the dialect.
type db struct {
	*sql.DB
	rebind func(string) string
}

func (d db) q(query string) string {
	if d.rebind == nil {
		return query
	}
	return d.rebind(query)
}

func (d db) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.DB.ExecContext(ctx, d.q(query), args...)
}

func (d db) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.DB.QueryContext(ctx, d.q(query), args...)
}

func (d db) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return d.DB.QueryRowContext(ctx, d.q(query), args...)
}

func (d db) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return d.DB.PrepareContext(ctx, d.q(query))
}

// txn is a write transaction whose statements are rebound for the dialect.
type txn struct {
	*sql.Tx
	rebind func(string) string
}

func (t *txn) q(query string) string {
	if t.rebind == nil {
		return query
	}
	return t.rebind(query)
}

func (t *txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, t.q(query), args...)
}

func (t *txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, t.q(query), args...)
}

func (t *txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, t.q(query), args...)
}
