SET lock_timeout = '2s';
ALTER TABLE t ALTER COLUMN price TYPE numeric(12,2);
