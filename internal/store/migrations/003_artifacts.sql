-- A session's artifacts (doc/api.md, "Artifacts"): files made of a session, listed and served by
-- /auth/artifact/*. type is the name of plugNmeet's RoomArtifactType (MEETING_ANALYTICS: the
-- session's analytics as plugNmeet's AnalyticsResult, written with the attendance report). A
-- deleted artifact keeps its row (deleted_at).
CREATE TABLE IF NOT EXISTS artifacts (
	artifact_id TEXT PRIMARY KEY,
	sid         TEXT NOT NULL,
	room_id     TEXT NOT NULL,
	type        TEXT NOT NULL,
	file_name   TEXT NOT NULL,
	file_size   {{BIGINT}} NOT NULL, -- bytes
	mime_type   TEXT NOT NULL,
	created_at  {{BIGINT}} NOT NULL, -- Unix ms
	deleted_at  {{BIGINT}}
);
CREATE INDEX IF NOT EXISTS artifacts_room ON artifacts(room_id, created_at);
CREATE INDEX IF NOT EXISTS artifacts_sid ON artifacts(sid);
