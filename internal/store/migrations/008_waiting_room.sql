-- The waiting room (doc/api.md, "Waiting room"): who asked to join a session whose waiting room is
-- on, and what a moderator decided. state is waiting, admitted or rejected; an admitted user skips
-- the waiting room when they come back in the same session. seen_at is the waiting page's last
-- heartbeat (Unix ms): a person not seen for a while is no longer listed as waiting.
CREATE TABLE IF NOT EXISTS waiting_users (
	sid       TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	name      TEXT NOT NULL,
	state     TEXT NOT NULL,
	reason    TEXT NOT NULL DEFAULT '',
	since     {{BIGINT}} NOT NULL,
	seen_at   {{BIGINT}} NOT NULL,
	PRIMARY KEY (sid, user_id)
);
