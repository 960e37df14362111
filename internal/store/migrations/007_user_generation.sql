-- A user's token generation in a session: removeParticipant raises it, and a meeting page's token
-- carries the generation it was made at, so a removed participant's page token stops working
-- (doc/security.md, "Limits, timeouts and proxies").
ALTER TABLE session_users ADD COLUMN generation {{BIGINT}} NOT NULL DEFAULT 0;
