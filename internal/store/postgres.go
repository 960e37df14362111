package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// postgres is the PostgreSQL dialect: several meetd processes share the database, so what
// SQLite's one writer gives, locks give here (see the package comment and outbox.go).
var postgres = dialect{
	rebind:    postgresRebind,
	forUpdate: " FOR UPDATE",
	lockEvents: func(ctx context.Context, tx *txn) error {
		_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, eventsLock)
		return err
	},
	lockQueues: postgresLockQueues,
	in:         func(column string) string { return column + " = ANY(?)" },
	list:       func(ids []string) any { return ids },
	// The metadata is read as json, not jsonb: json takes every string Go's encoder writes.
	analyticsOn: `s.metadata::json #>> '{room_features,enable_analytics}' = 'true'`,
	roomTitle:   `coalesce(s.metadata::json ->> 'room_title', '')`,
	claimSQL:    claimPostgresSQL,
	claim:       claimPostgres,
	tokens: map[string]string{
		"BIGINT":   "BIGINT",
		"BOOLEAN":  "BOOLEAN",
		"FALSE":    "false",
		"IDENTITY": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
	},
	lockSchema: func(ctx context.Context, tx *txn) error {
		_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, schemaLock)
		return err
	},
	columns: `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?`,
}

// maxConns is the size of the pool. Writers mostly wait for row locks and the events lock rather
// than for CPU, so a few more connections than cores keep the server busy.
const maxConns = 16

// Advisory lock keys (transaction-level: released at commit or rollback). The single-key space
// holds the two below; queue locks use the two-key space (postgresLockQueues), which does not overlap it.
const (
	eventsLock int64 = 0x6d656574645f6576 // "meetd_ev": serializes inserting events and committing
	schemaLock int64 = 0x6d656574645f7363 // "meetd_sc": processes starting at once apply the migrations in turn
)

// OpenPostgres connects to the database at url (postgres://…) and applies the migrations it lacks.
// The hot reads are prepared on the pool (database/sql prepares them on each connection once).
func OpenPostgres(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL URL: %w", err)
	}
	where := Where(url)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns) // database/sql keeps 2 by default: under load it would reconnect all the time
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL %s: %w", where, err)
	}
	if err := migrate(ctx, postgres, db, migrationFiles); err != nil {
		db.Close()
		return nil, fmt.Errorf("schema of PostgreSQL %s: %w", where, err)
	}
	s, err := open(ctx, postgres, db, db)
	if err != nil {
		return nil, err
	}
	return s.with(opts), nil
}

// Where is the server and database a URL names, without user or password: host:port/database.
func Where(url string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return "(invalid URL)"
	}
	return cfg.Host + ":" + strconv.Itoa(int(cfg.Port)) + "/" + cfg.Database
}

// queueLocks is the first key of the queue locks (pg_advisory_xact_lock(int, int)); the second is
// a hash of the room and URL. Two queues may share a hash: they then merely take turns.
const queueLocks int32 = 0x6d656574 // "meet"

// postgresLockQueues takes the advisory locks of the given queues until the transaction ends, in the
// order of their keys, so two transactions never each hold a lock the other waits for.
func postgresLockQueues(ctx context.Context, tx *txn, queues []queue) error {
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
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?::int, ?::int)`, queueLocks, k); err != nil {
			return err
		}
	}
	return nil
}
