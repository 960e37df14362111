-- The end-to-end encryption key of a running session (doc/api.md, "End-to-end encryption"),
-- apart from the session's row so that nothing that reads sessions (room info, past rooms,
-- webhooks, the event stream) can carry it. Only /api/join hands it out, to the session's
-- participants; the row is deleted when the session ends.
CREATE TABLE IF NOT EXISTS session_keys (
	sid        TEXT PRIMARY KEY,
	e2ee_key   TEXT NOT NULL,
	created_at {{BIGINT}} NOT NULL -- Unix ms
);
