-- Chat (doc/api.md, "Chat"): a session's chat messages, kept with the session. to_user_id is
-- empty for a message to everyone, else the one addressee of a private message. message is the
-- text, or the sealed JSON of an end-to-end encrypted meeting's message (the server cannot read
-- it). A shared file's row is in chat_files; its bytes under the data dir (chat/<sid>/<file_id>).
CREATE TABLE IF NOT EXISTS chat_messages (
	msg_id       TEXT PRIMARY KEY,
	sid          TEXT NOT NULL,
	seq          INTEGER NOT NULL, -- 1, 2, … in the order the session's messages came
	room_id      TEXT NOT NULL,
	from_user_id TEXT NOT NULL,
	from_name    TEXT NOT NULL,
	to_user_id   TEXT NOT NULL DEFAULT '',
	message      TEXT NOT NULL,
	sealed       {{BOOLEAN}} NOT NULL DEFAULT {{FALSE}},
	file_id      TEXT NOT NULL DEFAULT '',
	sent_at      {{BIGINT}} NOT NULL -- Unix ms
);
CREATE INDEX IF NOT EXISTS chat_messages_sid ON chat_messages(sid, seq);
CREATE TABLE IF NOT EXISTS chat_files (
	file_id    TEXT PRIMARY KEY,
	sid        TEXT NOT NULL,
	room_id    TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	name       TEXT NOT NULL,
	mime_type  TEXT NOT NULL,
	size       {{BIGINT}} NOT NULL, -- bytes
	created_at {{BIGINT}} NOT NULL -- Unix ms
);
CREATE INDEX IF NOT EXISTS chat_files_sid ON chat_files(sid);
