-- 001: the schema as meetd kept it before numbered migrations. Every statement is IF NOT EXISTS,
-- so that a database made by that meetd (which has every table but no schema_migrations) goes
-- through it unchanged and is recorded at version 1. Two columns that even older databases lack
-- (presence.node, sessions.users_rev) are added before this file runs (see legacyColumns in
-- migrate.go). Tokens in double braces are the dialect's types (see README.md here).

CREATE TABLE IF NOT EXISTS sessions (
	sid                 TEXT PRIMARY KEY,
	room_id             TEXT NOT NULL,
	metadata            TEXT NOT NULL,
	max_participants    {{BIGINT}} NOT NULL,
	empty_timeout       {{BIGINT}} NOT NULL,
	created_at          {{BIGINT}} NOT NULL, -- Unix ms
	ended_at            {{BIGINT}},          -- NULL while running
	end_reason          TEXT NOT NULL DEFAULT '',
	joined_participants {{BIGINT}} NOT NULL DEFAULT 0,
	first_join_at       {{BIGINT}},
	last_left_at        {{BIGINT}},
	is_recording        {{BOOLEAN}} NOT NULL DEFAULT {{FALSE}},
	is_active_rtmp      {{BOOLEAN}} NOT NULL DEFAULT {{FALSE}},
	analytics_file_id   TEXT NOT NULL DEFAULT '',
	-- bumped by every change to the session's users or metadata (their participant metadata
	-- derives from both): a cache of the users is good while it has not moved
	users_rev           {{BIGINT}} NOT NULL DEFAULT 0
);
-- at most one running session per room, whoever races to create it (in whichever process)
CREATE UNIQUE INDEX IF NOT EXISTS sessions_one_running ON sessions(room_id) WHERE ended_at IS NULL;
CREATE INDEX IF NOT EXISTS sessions_created ON sessions(created_at);
-- a room's sessions, newest first: every API call about a room starts here
CREATE INDEX IF NOT EXISTS sessions_room ON sessions(room_id, created_at);

CREATE TABLE IF NOT EXISTS session_users (
	sid       TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	name      TEXT NOT NULL,
	is_admin  {{BOOLEAN}} NOT NULL,
	is_hidden {{BOOLEAN}} NOT NULL,
	metadata  TEXT NOT NULL,
	blocked   {{BOOLEAN}} NOT NULL DEFAULT {{FALSE}},
	joined    {{BOOLEAN}} NOT NULL DEFAULT {{FALSE}},
	PRIMARY KEY (sid, user_id)
);

-- one row per participant connection
CREATE TABLE IF NOT EXISTS presence (
	participant_sid TEXT PRIMARY KEY,
	sid             TEXT NOT NULL,
	user_id         TEXT NOT NULL,
	joined_at       {{BIGINT}} NOT NULL,
	left_at         {{BIGINT}},
	node            TEXT NOT NULL DEFAULT '' -- the media node holding the connection
);
CREATE INDEX IF NOT EXISTS presence_open ON presence(sid) WHERE left_at IS NULL;
-- a node's open connections, when it is gone (CloseNodePresence) and for its rooms (NodeRooms)
CREATE INDEX IF NOT EXISTS presence_open_node ON presence(node) WHERE left_at IS NULL;

-- media nodes' heartbeats: a node that stops beating loses its connections
CREATE TABLE IF NOT EXISTS nodes (
	node    TEXT PRIMARY KEY,
	seen_at {{BIGINT}} NOT NULL
);

-- the outbox: every event, in commit order (see tx), written with the change that caused it
CREATE TABLE IF NOT EXISTS events (
	seq        {{IDENTITY}},
	id         TEXT NOT NULL UNIQUE,
	room_id    TEXT NOT NULL,
	sid        TEXT NOT NULL,
	name       TEXT NOT NULL,
	body       TEXT NOT NULL, -- the webhook body, byte for byte (not jsonb, which would rewrite it)
	created_at {{BIGINT}} NOT NULL
);

-- the webhook outbox (see outbox.go): how far the events have been fanned out into deliveries,
-- starting, on a database that had events before it, after them
CREATE TABLE IF NOT EXISTS webhook_cursor (
	name TEXT PRIMARY KEY,
	seq  {{BIGINT}} NOT NULL
);
-- (WHERE true: SQLite would otherwise read ON CONFLICT as a join's ON)
INSERT INTO webhook_cursor (name, seq) SELECT 'deliveries', coalesce(max(seq), 0) FROM events WHERE true
	ON CONFLICT (name) DO NOTHING;

CREATE TABLE IF NOT EXISTS deliveries (
	id               {{IDENTITY}},
	event_seq        {{BIGINT}} NOT NULL,
	event_id         TEXT NOT NULL,
	event_name       TEXT NOT NULL,
	room_id          TEXT NOT NULL,
	url              TEXT NOT NULL,
	status           TEXT NOT NULL DEFAULT 'pending', -- pending, delivered, failed
	attempts         {{BIGINT}} NOT NULL DEFAULT 0,
	last_status_code {{BIGINT}} NOT NULL DEFAULT 0,
	last_error       TEXT NOT NULL DEFAULT '',
	next_attempt_at  {{BIGINT}}, -- Unix ms; NULL while waiting behind an earlier delivery, and once done
	lease_until      {{BIGINT}}, -- Unix ms; an attempt is in flight until then
	last_attempt_at  {{BIGINT}},
	queued_at        {{BIGINT}} NOT NULL, -- its age (webhooks.max_age) counts from here
	delivered_at     {{BIGINT}},
	UNIQUE (event_id, url)
);
-- the heads of the queues, in the order the dispatcher claims them (SQLite ends every index entry
-- with the rowid, id, anyway: a database made with deliveries_due(next_attempt_at) reads the same)
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(next_attempt_at, id) WHERE status = 'pending' AND next_attempt_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS deliveries_queue ON deliveries(room_id, url, id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_room ON deliveries(room_id, id);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries(event_seq); -- an event is kept while it has deliveries
CREATE INDEX IF NOT EXISTS deliveries_status ON deliveries(status, id);

-- when each track was published, for attendance reports
CREATE TABLE IF NOT EXISTS track_intervals (
	sid            TEXT NOT NULL,
	track_sid      TEXT NOT NULL,
	user_id        TEXT NOT NULL,
	source         TEXT NOT NULL,
	published_at   {{BIGINT}} NOT NULL, -- Unix ms
	unpublished_at {{BIGINT}},
	PRIMARY KEY (sid, track_sid)
);

-- what the media node shows between its events, for attendance reports: a track muted (item: the
-- track's sid) or a participant speaking (item: the participant's sid)
CREATE TABLE IF NOT EXISTS activity_intervals (
	sid        TEXT NOT NULL,
	kind       TEXT NOT NULL, -- muted, talking
	item       TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	started_at {{BIGINT}} NOT NULL, -- Unix ms
	ended_at   {{BIGINT}}
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
	file_size          {{BIGINT}} NOT NULL,
	created_at         {{BIGINT}} NOT NULL, -- Unix ms
	room_creation_time {{BIGINT}} NOT NULL, -- Unix ms
	deleted_at         {{BIGINT}}
);
CREATE INDEX IF NOT EXISTS analytics_room ON analytics(room_id, created_at);

-- finished recordings (MP4 files under <data_dir>/recordings/<record_id>/)
CREATE TABLE IF NOT EXISTS recordings (
	record_id          TEXT PRIMARY KEY,
	sid                TEXT NOT NULL,
	room_id            TEXT NOT NULL,
	file_name          TEXT NOT NULL,
	file_size          {{BIGINT}} NOT NULL, -- bytes
	duration_ms        {{BIGINT}} NOT NULL,
	created_at         {{BIGINT}} NOT NULL, -- Unix ms
	room_creation_time {{BIGINT}} NOT NULL  -- Unix ms
);
CREATE INDEX IF NOT EXISTS recordings_room ON recordings(room_id, created_at);
