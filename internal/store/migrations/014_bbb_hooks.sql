-- The BigBlueButton API's hooks (hooks/create, doc/bbb.md "Hooks"): each gets meetd's events
-- written after it (after_seq) as BBB's webhook calls, through the outbox. The cursor 'bbb'
-- marks the last event turned into BBB callbacks (hooks and the meetings' callback URLs).
CREATE TABLE IF NOT EXISTS bbb_hooks (
	id           {{IDENTITY}},
	callback_url TEXT NOT NULL UNIQUE,
	meeting_id   TEXT NOT NULL DEFAULT '', -- the BBB meetingID; '' for every meeting
	event_ids    TEXT NOT NULL DEFAULT '', -- comma list of BBB event ids; '' for all
	permanent    {{BOOLEAN}} NOT NULL DEFAULT {{FALSE}},
	raw          {{BOOLEAN}} NOT NULL DEFAULT {{FALSE}},
	after_seq    {{BIGINT}} NOT NULL DEFAULT 0, -- the newest event when it was made
	created_at   {{BIGINT}} NOT NULL -- Unix ms
);
-- (WHERE true: SQLite would otherwise read ON CONFLICT as a join's ON)
INSERT INTO webhook_cursor (name, seq) SELECT 'bbb', coalesce(max(seq), 0) FROM events WHERE true
	ON CONFLICT (name) DO NOTHING;
