package store

import (
	"context"
	"database/sql"
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
}

// maxConns is the size of the pool. Writers mostly wait for row locks and the events lock rather
// than for CPU, so a few more connections than cores keep the server busy.
const maxConns = 16

// Advisory lock keys (transaction-level: released at commit or rollback). The single-key space
// holds the two below; queue locks use the two-key space (postgresLockQueues), which does not overlap it.
const (
	eventsLock int64 = 0x6d656574645f6576 // "meetd_ev": serializes inserting events and committing
	schemaLock int64 = 0x6d656574645f7363 // "meetd_sc": two processes starting at once create the schema in turn
)

const postgresSchema = `
CREATE TABLE IF NOT EXISTS sessions (
	sid                 TEXT PRIMARY KEY,
	room_id             TEXT NOT NULL,
	metadata            TEXT NOT NULL,
	max_participants    BIGINT NOT NULL,
	empty_timeout       BIGINT NOT NULL,
	created_at          BIGINT NOT NULL, -- Unix ms
	ended_at            BIGINT,          -- NULL while running
	end_reason          TEXT NOT NULL DEFAULT '',
	joined_participants BIGINT NOT NULL DEFAULT 0,
	first_join_at       BIGINT,
	last_left_at        BIGINT,
	is_recording        BOOLEAN NOT NULL DEFAULT false,
	is_active_rtmp      BOOLEAN NOT NULL DEFAULT false,
	analytics_file_id   TEXT NOT NULL DEFAULT '',
	-- bumped by every change to the session's users or metadata (their participant metadata
	-- derives from both): a cache of the users is good while it has not moved
	users_rev           BIGINT NOT NULL DEFAULT 0
);
-- at most one running session per room, whoever races to create it (in whichever process)
-- databases made before users_rev
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS users_rev BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX IF NOT EXISTS sessions_one_running ON sessions(room_id) WHERE ended_at IS NULL;
CREATE INDEX IF NOT EXISTS sessions_created ON sessions(created_at);
-- a room's sessions, newest first: every API call about a room starts here
CREATE INDEX IF NOT EXISTS sessions_room ON sessions(room_id, created_at);

CREATE TABLE IF NOT EXISTS session_users (
	sid       TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	name      TEXT NOT NULL,
	is_admin  BOOLEAN NOT NULL,
	is_hidden BOOLEAN NOT NULL,
	metadata  TEXT NOT NULL,
	blocked   BOOLEAN NOT NULL DEFAULT false,
	joined    BOOLEAN NOT NULL DEFAULT false,
	PRIMARY KEY (sid, user_id)
);

-- one row per participant connection
CREATE TABLE IF NOT EXISTS presence (
	participant_sid TEXT PRIMARY KEY,
	sid             TEXT NOT NULL,
	user_id         TEXT NOT NULL,
	joined_at       BIGINT NOT NULL,
	left_at         BIGINT,
	node            TEXT NOT NULL DEFAULT '' -- the media node holding the connection
);
CREATE INDEX IF NOT EXISTS presence_open ON presence(sid) WHERE left_at IS NULL;
CREATE INDEX IF NOT EXISTS presence_open_node ON presence(node) WHERE left_at IS NULL;

-- media nodes' heartbeats: a node that stops beating loses its connections
CREATE TABLE IF NOT EXISTS nodes (
	node    TEXT PRIMARY KEY,
	seen_at BIGINT NOT NULL
);

-- the outbox: every event, in commit order (see tx), written with the change that caused it
CREATE TABLE IF NOT EXISTS events (
	seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id         TEXT NOT NULL UNIQUE,
	room_id    TEXT NOT NULL,
	sid        TEXT NOT NULL,
	name       TEXT NOT NULL,
	body       TEXT NOT NULL, -- the webhook body, byte for byte (not jsonb, which would rewrite it)
	created_at BIGINT NOT NULL,
	webhook_url TEXT NOT NULL DEFAULT '' -- MIGRATION-002
);
ALTER TABLE events ADD COLUMN IF NOT EXISTS webhook_url TEXT NOT NULL DEFAULT ''; -- MIGRATION-002
`

// the webhook outbox (see outbox.go)
const postgresOutboxSchema = `
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
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries(event_seq); -- an event is kept while it has deliveries
CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries(status, id);
`
const postgresAnalyticsSchema = `
-- when each track was published, for attendance reports
CREATE TABLE IF NOT EXISTS track_intervals (
	sid            TEXT NOT NULL,
	track_sid      TEXT NOT NULL,
	user_id        TEXT NOT NULL,
	source         TEXT NOT NULL,
	published_at   BIGINT NOT NULL, -- Unix ms
	unpublished_at BIGINT,
	PRIMARY KEY (sid, track_sid)
);

-- what the media node shows between its events, for attendance reports: a track muted (item: the
-- track's sid) or a participant speaking (item: the participant's sid)
CREATE TABLE IF NOT EXISTS activity_intervals (
	sid        TEXT NOT NULL,
	kind       TEXT NOT NULL, -- muted, talking
	item       TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	started_at BIGINT NOT NULL, -- Unix ms
	ended_at   BIGINT
);
CREATE INDEX IF NOT EXISTS activity_sid ON activity_intervals(sid, started_at);
CREATE INDEX IF NOT EXISTS activity_open ON activity_intervals(sid, kind, item) WHERE ended_at IS NULL;

-- one attendance report per ended session; a deleted report keeps its row (deleted_at) so that
-- it is not written again
CREATE TABLE IF NOT EXISTS analytics (
	file_id            TEXT PRIMARY KEY,
	sid                TEXT NOT NULL UNIQUE,
	room_id            TEXT NOT NULL,
	file_name          TEXT NOT NULL,
	file_size          BIGINT NOT NULL,
	created_at         BIGINT NOT NULL, -- Unix ms
	room_creation_time BIGINT NOT NULL, -- Unix ms
	deleted_at         BIGINT
);
CREATE INDEX IF NOT EXISTS analytics_room ON analytics(room_id, created_at);
`
const postgresRecordingsSchema = `
-- finished recordings (MP4 files under <data_dir>/recordings/<record_id>/)
CREATE TABLE IF NOT EXISTS recordings (
	record_id          TEXT PRIMARY KEY,
	sid                TEXT NOT NULL,
	room_id            TEXT NOT NULL,
	file_name          TEXT NOT NULL,
	file_size          BIGINT NOT NULL, -- bytes
	duration_ms        BIGINT NOT NULL,
	created_at         BIGINT NOT NULL, -- Unix ms
	room_creation_time BIGINT NOT NULL  -- Unix ms
);
CREATE INDEX IF NOT EXISTS recordings_room ON recordings(room_id, created_at);
`

// OpenPostgres connects to the database at url (postgres://…) and creates the schema if it is missing.
// The hot reads are prepared on the pool (database/sql prepares them on each connection once).
func OpenPostgres(ctx context.Context, url string) (*Store, error) {
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
	if err := createSchema(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("create schema in PostgreSQL %s: %w", where, err)
	}
	return open(ctx, postgres, db, db)
}

// createSchema runs the CREATE … IF NOT EXISTS statements under a lock: PostgreSQL's IF NOT
// EXISTS is not safe against another process creating the same table at the same moment.
func createSchema(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLock); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, postgresSchema+postgresOutboxSchema+postgresAnalyticsSchema+postgresRecordingsSchema); err != nil {
		return err
	}
	return tx.Commit()
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
