-- Placeholder on branch e2ee (its migration is 011): the numbers 008-010 belong to other branches.
-- Drop this file when merging.
SELECT 1;
