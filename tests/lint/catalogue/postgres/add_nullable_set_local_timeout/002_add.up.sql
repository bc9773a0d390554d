SET LOCAL lock_timeout = '1s';
ALTER TABLE t ADD COLUMN b text;
