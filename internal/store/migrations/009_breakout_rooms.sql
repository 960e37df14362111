-- Breakout rooms (doc/api.md, "Breakout rooms"): one row per breakout room, whose own session is
-- sid (a row of sessions; its metadata says is_breakout_room and names the parent). users is the
-- JSON list of the user ids sent to it. ends_at moves with breakoutRoom/extend. closed_at is set
-- once every breakout room of the round has ended (breakout_rooms_ended is written with it).
CREATE TABLE IF NOT EXISTS breakout_rooms (
	sid            TEXT PRIMARY KEY,
	room_id        TEXT NOT NULL,
	parent_sid     TEXT NOT NULL,
	parent_room_id TEXT NOT NULL,
	title          TEXT NOT NULL,
	users          TEXT NOT NULL,
	created_at     {{BIGINT}} NOT NULL, -- Unix ms
	ends_at        {{BIGINT}} NOT NULL, -- Unix ms
	closed_at      {{BIGINT}}           -- Unix ms
);
CREATE INDEX IF NOT EXISTS breakout_rooms_parent ON breakout_rooms(parent_sid);
CREATE INDEX IF NOT EXISTS breakout_rooms_open ON breakout_rooms(ends_at) WHERE closed_at IS NULL;
