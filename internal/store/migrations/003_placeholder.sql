-- Placeholder for migration 003, which another branch adds (migrations are numbered without
-- gaps). Delete this file when that branch's 003 is merged.
SELECT 1;
