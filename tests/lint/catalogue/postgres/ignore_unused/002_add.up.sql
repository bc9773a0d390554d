SET lock_timeout = '2s';
-- ladder:lint-ignore drop-table because it used to drop a table
ALTER TABLE t ADD COLUMN b text;
