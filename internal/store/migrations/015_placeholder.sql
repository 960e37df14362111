-- placeholder (lead deletes)
SELECT 1;
