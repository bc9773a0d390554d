SET lock_timeout = '2s';
ALTER TABLE t ALTER COLUMN qty TYPE bigint;
