SET lock_timeout = '2s';
-- ladder:lint-ignore drop-column
ALTER TABLE t DROP COLUMN n;
