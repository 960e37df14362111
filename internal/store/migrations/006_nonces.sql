-- The nonces of v2-signed API requests (doc/api.md, "Signatures"): each is accepted once, by any
-- meetd of a cluster. A row is kept until its request's timestamp has left the 5-minute window
-- (expires_at, Unix ms), then pruned (Store.UseNonce).
CREATE TABLE IF NOT EXISTS api_nonces (
	api_key    TEXT NOT NULL,
	nonce      TEXT NOT NULL,
	expires_at {{BIGINT}} NOT NULL,
	PRIMARY KEY (api_key, nonce)
);
CREATE INDEX IF NOT EXISTS api_nonces_expires ON api_nonces (expires_at);
