-- The dialect each API key last showed (doc/api.md, "Two dialects"): a call whose body shows
-- none (the bare {} of getActiveRoomsInfo) is answered in it, also after a restart and by every
-- meetd of a cluster. wire is "docs" or "protojson".
CREATE TABLE IF NOT EXISTS api_wires (
	api_key    TEXT PRIMARY KEY,
	wire       TEXT NOT NULL,
	updated_at {{BIGINT}} NOT NULL -- Unix ms
);
