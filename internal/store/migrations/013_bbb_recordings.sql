-- The BigBlueButton API's recordings (doc/bbb.md, "Recordings"): one per session of a meeting made
-- by the BBB API that recorded, its record id the session's internalMeetingID. The files are the
-- session's rows of recordings; this row keeps what the BBB calls change: published, protected,
-- and the metadata (create's meta_* with meetingId, meetingName, isBreakout, then updateRecordings').
CREATE TABLE IF NOT EXISTS bbb_recordings (
	record_id   TEXT PRIMARY KEY, -- the session's internalMeetingID
	sid         TEXT NOT NULL UNIQUE,
	room_id     TEXT NOT NULL,
	meeting_id  TEXT NOT NULL, -- the BBB meetingID, as the client gave it
	name        TEXT NOT NULL DEFAULT '',
	is_breakout {{BOOLEAN}} NOT NULL DEFAULT {{FALSE}},
	published   {{BOOLEAN}} NOT NULL DEFAULT {{FALSE}},
	protected   {{BOOLEAN}} NOT NULL DEFAULT {{FALSE}},
	metadata    TEXT NOT NULL DEFAULT '{}', -- JSON object of strings, keys lower-cased
	start_time  {{BIGINT}} NOT NULL, -- Unix ms: the session's creation
	created_at  {{BIGINT}} NOT NULL  -- Unix ms
);
CREATE INDEX IF NOT EXISTS bbb_recordings_meeting ON bbb_recordings(meeting_id, start_time);
