/* a /* b; */ c; */ SELECT 1;
-- x;
SELECT 2 /* ü; */;
