package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"runtime"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// sqlite is the SQLite dialect. Its one writer connection runs the transactions one at a time,
// which makes the row and advisory locks of PostgreSQL needless.
var sqlite = dialect{
	in:            func(column string) string { return column + " IN (SELECT value FROM json_each(?))" },
	list:          func(ids []string) any { b, _ := json.Marshal(ids); return string(b) },
	analyticsOn:   `json_extract(s.metadata, '$.room_features.enable_analytics') = 1`,
	roomTitle:     `json_extract(s.metadata, '$.room_title')`,
	indexedByDue:  " INDEXED BY deliveries_due",
	claimSQL:      claimSQLiteSQL,
	bodiesSQL:     claimBodiesSQLite,
	claim:         claimSQLite,
	releaseLeases: true,
}

const sqliteSchema = `
CREATE TABLE IF NOT EXISTS sessions (
	sid                 TEXT PRIMARY KEY,
	room_id             TEXT NOT NULL,
	metadata            TEXT NOT NULL,
	max_participants    INTEGER NOT NULL,
	empty_timeout       INTEGER NOT NULL,
	created_at          INTEGER NOT NULL, -- Unix ms
	ended_at            INTEGER,          -- NULL while running
	end_reason          TEXT NOT NULL DEFAULT '',
	joined_participants INTEGER NOT NULL DEFAULT 0,
	first_join_at       INTEGER,
	last_left_at        INTEGER,
	is_recording        INTEGER NOT NULL DEFAULT 0,
	is_active_rtmp      INTEGER NOT NULL DEFAULT 0,
	analytics_file_id   TEXT NOT NULL DEFAULT '',
	-- bumped by every change to the session's users or metadata (their participant metadata
	-- derives from both): a cache of the users is good while it has not moved
	users_rev           INTEGER NOT NULL DEFAULT 0
);
-- at most one running session per room, whoever races to create it
CREATE UNIQUE INDEX IF NOT EXISTS sessions_one_running ON sessions(room_id) WHERE ended_at IS NULL;
CREATE INDEX IF NOT EXISTS sessions_created ON sessions(created_at);
-- a room's sessions, newest first: every API call about a room starts here
CREATE INDEX IF NOT EXISTS sessions_room ON sessions(room_id, created_at);

CREATE TABLE IF NOT EXISTS session_users (
	sid       TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	name      TEXT NOT NULL,
	is_admin  INTEGER NOT NULL,
	is_hidden INTEGER NOT NULL,
	metadata  TEXT NOT NULL,
	blocked   INTEGER NOT NULL DEFAULT 0,
	joined    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (sid, user_id)
);

-- one row per participant connection
CREATE TABLE IF NOT EXISTS presence (
	participant_sid TEXT PRIMARY KEY,
	sid             TEXT NOT NULL,
	user_id         TEXT NOT NULL,
	joined_at       INTEGER NOT NULL,
	left_at         INTEGER,
	node            TEXT NOT NULL DEFAULT '' -- the media node holding the connection
);
CREATE INDEX IF NOT EXISTS presence_open ON presence(sid) WHERE left_at IS NULL;

-- media nodes' heartbeats: a node that stops beating loses its connections
CREATE TABLE IF NOT EXISTS nodes (
	node    TEXT PRIMARY KEY,
	seen_at INTEGER NOT NULL
);

-- the outbox: every event, in order, written with the change that caused it
CREATE TABLE IF NOT EXISTS events (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	room_id    TEXT NOT NULL,
	sid        TEXT NOT NULL,
	name       TEXT NOT NULL,
	body       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	webhook_url TEXT NOT NULL DEFAULT '' -- MIGRATION-002
);
`

// the webhook outbox (see outbox.go)
const sqliteOutboxSchema = `
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
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries(event_seq); -- an event is kept while it has deliveries
CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries(status, id);
`
const sqliteAnalyticsSchema = `
-- when each track was published, for attendance reports
CREATE TABLE IF NOT EXISTS track_intervals (
	sid            TEXT NOT NULL,
	track_sid      TEXT NOT NULL,
	user_id        TEXT NOT NULL,
	source         TEXT NOT NULL,
	published_at   INTEGER NOT NULL, -- Unix ms
	unpublished_at INTEGER,
	PRIMARY KEY (sid, track_sid)
);

-- what the media node shows between its events, for attendance reports: a track muted (item: the
-- track's sid) or a participant speaking (item: the participant's sid)
CREATE TABLE IF NOT EXISTS activity_intervals (
	sid        TEXT NOT NULL,
	kind       TEXT NOT NULL, -- muted, talking
	item       TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	started_at INTEGER NOT NULL, -- Unix ms
	ended_at   INTEGER
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
	file_size          INTEGER NOT NULL,
	created_at         INTEGER NOT NULL, -- Unix ms
	room_creation_time INTEGER NOT NULL, -- Unix ms
	deleted_at         INTEGER
);
CREATE INDEX IF NOT EXISTS analytics_room ON analytics(room_id, created_at);
`
const sqliteRecordingsSchema = `
-- finished recordings (MP4 files under <data_dir>/recordings/<record_id>/)
CREATE TABLE IF NOT EXISTS recordings (
	record_id          TEXT PRIMARY KEY,
	sid                TEXT NOT NULL,
	room_id            TEXT NOT NULL,
	file_name          TEXT NOT NULL,
	file_size          INTEGER NOT NULL, -- bytes
	duration_ms        INTEGER NOT NULL,
	created_at         INTEGER NOT NULL, -- Unix ms
	room_creation_time INTEGER NOT NULL  -- Unix ms
);
CREATE INDEX IF NOT EXISTS recordings_room ON recordings(room_id, created_at);
`

// OpenSQLite opens (and creates) the database file at path.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	dsn := func(pragmas ...string) string {
		q := url.Values{}
		for _, p := range append(pragmas, "busy_timeout(10000)", "synchronous(NORMAL)") {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", "immediate")
		return "file:" + path + "?" + q.Encode()
	}
	// Only the writer sets the journal mode: WAL is a property of the file, and switching it
	// takes a lock that would make concurrent readers wait.
	w, err := sql.Open("sqlite", dsn("journal_mode(WAL)"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("upgrade the schema in %s: %w", path, err)
	}
	if _, err := w.ExecContext(ctx, sqliteSchema+sqliteOutboxSchema+sqliteAnalyticsSchema+sqliteRecordingsSchema); err != nil {
		w.Close()
		return nil, fmt.Errorf("create schema in %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn("query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.NumCPU()))
	return open(ctx, sqlite, w, r)
}

// migrate brings a database made by an earlier meetd up to the current schema; the schema's
// CREATE statements then add what is new.
func migrate(ctx context.Context, w *sql.DB) error {
	for _, c := range []struct{ table, column, def string }{
		{"presence", "node", "TEXT NOT NULL DEFAULT ''"},
		{"sessions", "users_rev", "INTEGER NOT NULL DEFAULT 0"},
		{"events", "webhook_url", "TEXT NOT NULL DEFAULT ''"}, // MIGRATION-002
	} {
		var table, column int
		if err := w.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, c.table).Scan(&table); err != nil {
			return err
		}
		if err := w.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, c.table, c.column).Scan(&column); err != nil {
			return err
		}
		if table == 1 && column == 0 {
			if _, err := w.ExecContext(ctx, `ALTER TABLE `+c.table+` ADD COLUMN `+c.column+` `+c.def); err != nil {
				return err
			}
		}
	}
	return nil
}
