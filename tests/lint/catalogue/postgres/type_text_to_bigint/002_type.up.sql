SET lock_timeout = '2s';
ALTER TABLE t ALTER COLUMN a TYPE bigint USING a::bigint;
