-- Polls (doc/api.md, "Polls"): a session's polls and their votes. options is a JSON array of the
-- option texts (option ids are 1..n in that order). A user has one vote per poll (the later
-- replaces the earlier, until closed_at); the user_id is kept for anonymous polls too (to hold
-- one vote per user and show each page its own vote) and never answered for them.
CREATE TABLE IF NOT EXISTS polls (
	poll_id    TEXT PRIMARY KEY,
	sid        TEXT NOT NULL,
	room_id    TEXT NOT NULL,
	question   TEXT NOT NULL,
	options    TEXT NOT NULL,
	anonymous  {{BOOLEAN}} NOT NULL DEFAULT {{FALSE}},
	created_at {{BIGINT}} NOT NULL, -- Unix ms
	created_by TEXT NOT NULL DEFAULT '',
	closed_at  {{BIGINT}}, -- Unix ms; NULL while open
	closed_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS polls_sid ON polls(sid, created_at);
CREATE TABLE IF NOT EXISTS poll_votes (
	poll_id   TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	name      TEXT NOT NULL,
	option_id INTEGER NOT NULL, -- 1..n
	voted_at  {{BIGINT}} NOT NULL, -- Unix ms, of the latest vote
	PRIMARY KEY (poll_id, user_id)
);
