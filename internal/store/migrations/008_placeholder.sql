-- Placeholder for another branch's 008 (numbers have no gaps): delete this file when merging.
SELECT 1;
