-- Shared documents (doc/api.md, "Shared notes"): a session's collaborative documents, by name
-- ("notes"). meetd does not merge them: the pages do (Yjs). document_updates keeps each update a
-- page sent, in order (seq 1, 2, …); a compaction replaces the updates up to a seq by one snapshot
-- (a Yjs update holding them all) kept at that seq. documents holds the latest seq, the bytes
-- kept, and the latest rendering a page posted (for notes: the text as a Quill delta, JSON), with
-- the seq it shows, from which meetd writes Markdown and HTML.
CREATE TABLE IF NOT EXISTS documents (
	sid        TEXT NOT NULL,
	name       TEXT NOT NULL,
	room_id    TEXT NOT NULL,
	seq        {{BIGINT}} NOT NULL DEFAULT 0,
	size       {{BIGINT}} NOT NULL DEFAULT 0, -- bytes of the updates kept
	rendering  TEXT NOT NULL DEFAULT '',
	render_seq {{BIGINT}} NOT NULL DEFAULT 0,
	created_at {{BIGINT}} NOT NULL, -- Unix ms
	updated_at {{BIGINT}} NOT NULL, -- Unix ms
	updated_by TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (sid, name)
);
CREATE TABLE IF NOT EXISTS document_updates (
	sid        TEXT NOT NULL,
	name       TEXT NOT NULL,
	seq        {{BIGINT}} NOT NULL,
	data       TEXT NOT NULL, -- base64 (standard, padded)
	size       {{BIGINT}} NOT NULL, -- bytes of the update
	user_id    TEXT NOT NULL DEFAULT '',
	created_at {{BIGINT}} NOT NULL, -- Unix ms
	PRIMARY KEY (sid, name, seq)
);
