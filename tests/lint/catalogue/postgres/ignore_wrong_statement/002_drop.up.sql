SET lock_timeout = '2s';
-- ladder:lint-ignore drop-column because n is unused
ALTER TABLE t ADD COLUMN b text;
ALTER TABLE t DROP COLUMN n;
