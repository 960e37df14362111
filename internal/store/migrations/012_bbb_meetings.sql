-- The BigBlueButton API's data of a session created through it (doc/bbb.md): the client's own
-- meetingID (the room_id may be derived from it), BBB's internalMeetingID and createTime, the
-- passwords, and the rest of create's parameters as JSON (meta_*, callbacks, options).
CREATE TABLE IF NOT EXISTS bbb_meetings (
	sid                 TEXT PRIMARY KEY,
	room_id             TEXT NOT NULL,
	meeting_id          TEXT NOT NULL,
	internal_meeting_id TEXT NOT NULL,
	create_time         {{BIGINT}} NOT NULL, -- Unix ms
	attendee_pw         TEXT NOT NULL DEFAULT '',
	moderator_pw        TEXT NOT NULL DEFAULT '',
	data                TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS bbb_meetings_meeting_id ON bbb_meetings (meeting_id);
CREATE INDEX IF NOT EXISTS bbb_meetings_internal_id ON bbb_meetings (internal_meeting_id);
